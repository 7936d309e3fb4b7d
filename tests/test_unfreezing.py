"""Lesson 04's schedules: one budget for every arm, the controls, and the layer-wise rates' mean."""

import keras
import pytest

from tltutor import data, discriminative, freezing, models, training
from tltutor.errors import InvalidArgumentError
from tltutor.lessons import unfreezing


def test_the_mean_multiplier_lies_between_the_lowest_group_rate_and_the_heads():
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=32)
    freezing.unfreeze(model, "block05_")
    assert discriminative.mean_multiplier(model, layerwise_decay=1.0) == pytest.approx(1.0)
    mean = discriminative.mean_multiplier(model, layerwise_decay=2.6)
    assert 2.6 ** -3 < mean < 2.6 ** -1  # most weights sit in the top group, none at the head's full rate but the head's
    assert mean > discriminative.mean_multiplier(model, layerwise_decay=5.0)


def test_the_early_layers_are_the_last_stages_own_trained_layers_without_batchnorm():
    model = models.build_transfer_model("EfficientNetLite0", 10, weights=None, image_size=32)
    layers = unfreezing.early_layers(model, unfreezing.UNFREEZE_POINTS)
    assert (len(layers), layers[0].name, layers[-1].name) == (9, "block05_expand_conv", "block07_project_conv")
    assert {layer.name[:8] for layer in layers} == {"block05_", "block06_", "block07_"}
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers)
    assert all(layer.weights for layer in layers)


def test_every_arm_trains_the_same_steps_and_the_controls_do_what_they_say():
    study = unfreezing.schedule_study("fashion_mnist_embedded", image_size=32, samples_per_class=4,
                                      test_samples_per_class=5, seeds=(0,), epochs=3, head_epochs=2, progress=False)
    assert study.variants == [unfreezing.HEAD, *unfreezing.ARMS]
    arms = {row["schedule"]: row for row in study.rows}
    assert {arms[arm]["fine_tune_steps"] for arm in unfreezing.ARMS} == {3 * 2}  # 40 images: 2 batches an epoch
    assert arms["head continued"]["early_block_change_percent"] == 0.0, "the base stayed frozen"
    assert arms["discriminative"]["early_block_change_percent"] < arms["all at once"]["early_block_change_percent"]
    assert arms["gradual"]["early_block_change_percent"] > 0, "the last stage reaches the early blocks"
    assert 1e-3 * 2.6 ** -3 < arms["all at once, same mean rate"]["learning_rate"] < 1e-3
    phases = list(study.histories[("gradual", 0)].phase_steps())
    assert phases == ["unfreeze 1: block11_", "unfreeze 2: block08_", "unfreeze 3: block05_"]


@pytest.mark.parametrize("arguments, message", [
    (dict(epochs=2), "at least 3"),
    (dict(unfreeze_points=["block11_"]), "at least two"),
    (dict(unfreeze_points=["block05_", "block08_", "block11_"]), "top first"),
    (dict(unfreeze_points=["block11_", "block05_", "block08_"]), "top first"),
    (dict(unfreeze_points=["block11_", "block11_", "block05_"]), "top first"),
    (dict(arms=["all at once", "sideways"]), "sideways"),
])
def test_bad_arguments_are_refused_before_any_training(arguments, message, monkeypatch):
    def no_training(*arguments, **keywords):
        raise AssertionError("training started before the arguments were checked")

    monkeypatch.setattr(training, "train_head", no_training)
    with pytest.raises(InvalidArgumentError, match=message):
        unfreezing.schedule_study(seeds=(0,), progress=False, **arguments)


def test_gradual_unfreezing_refuses_points_given_bottom_first_before_training():
    model = models.build_transfer_model("DigitsCNN", 10, weights="digits", image_size=32)
    train, validation_data, _, _ = data.load_dataset(image_size=32, samples_per_class=2, test_samples_per_class=2,
                                                     pipeline="arrays")
    before = [weight.copy() for weight in model.get_weights()]
    with pytest.raises(InvalidArgumentError, match="top first"):
        training.gradual_unfreeze(model, train, validation_data, unfreeze_points=["conv2_", "conv3_"], progress=False)
    assert all((old == new).all() for old, new in zip(before, model.get_weights()))
