"""Model and data cards: one for everything tltutor loads by name, each saying where it comes from and its licence."""

import pytest

import tltutor as tl
from tltutor import cards
from tltutor.errors import InvalidArgumentError


def test_every_backbone_and_encoder_has_a_complete_model_card():
    named = set(tl.backbones.names()) | {"SpeakerEncoder", "MiniLM-L6"}
    assert named == set(cards.MODELS), "a backbone without a card, or a card without a backbone"
    for name in named:
        card = tl.backbones.card(name)
        assert card.name == name and card.kind == "model"
        assert all(value.strip() for value in (card.source, card.licence, card.trained_on, card.terms, card.citation))
    assert "ImageNet" in tl.backbones.card("ResNet50").trained_on


def test_every_dataset_loaded_by_name_has_a_complete_data_card():
    from tltutor.data import scenes

    named = set(tl.data.BUILTIN) | {"sentiment", "tuxpaint_recordings", "rendered_digits"} | (
        set(scenes.DATASETS) - {"tuxpaint_scenes"})  # the scenes are the tuxpaint_photos card's
    assert named == set(cards.DATASETS)
    for name in named:
        card = tl.data.card(name)
        assert card.name == name and card.kind == "dataset"
        assert all(value.strip() for value in (card.source, card.licence, card.trained_on, card.terms, card.citation))
    assert tl.data.card("tuxpaint_photos").licence == "GPL-2.0-or-later"


def test_a_card_prints_as_text_and_as_a_markdown_table():
    card = tl.data.card("sentiment")
    assert str(card).splitlines()[3].startswith("licence") and "MIT" in str(card)
    markdown = card._repr_markdown_()
    assert markdown.startswith("**Dataset card: sentiment**") and "| licence | MIT |" in markdown


def test_an_unknown_name_says_which_cards_exist():
    with pytest.raises(InvalidArgumentError, match="EfficientNetLite0"):
        tl.backbones.card("EfficientNetLit0")
    with pytest.raises(InvalidArgumentError, match="model card"):
        cards.model_card("no such network")
