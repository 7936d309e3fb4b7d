"""Text transfer (notebook 13): the offline encoder, tokens, the vision-shaped model, LoRA, the data, bad input."""

import numpy as np
import pytest

from tltutor import features, freezing, text, training
from tltutor.backbones import text_encoders
from tltutor.data import text as text_data
from tltutor.errors import DatasetError, InvalidArgumentError, UnknownNameError, WeightsError
from tltutor.lessons import text as text_lessons

REFERENCE_PAIR = ("A wonderful, moving film.", "I loved this movie, it touched me.")


@pytest.fixture(scope="module")
def encoder():
    return text_lessons.Encoder("MiniLM-L6", sequence_length=32)


def test_the_offline_encoder_is_the_real_pretrained_minilm(encoder):
    backbone = text_encoders.load_backbone("MiniLM-L6")
    assert backbone.count_params() == 22_713_216 and backbone.num_layers == 6 and backbone.hidden_dim == 384
    model = encoder.model("frozen", 2, seed=0)
    extractor = features.pooled_features
    embeddings, _ = extractor(model, (encoder.token_ids(list(REFERENCE_PAIR) + ["The weather is sunny today."]),
                                      np.zeros(3)))
    similar = float(embeddings[0] @ embeddings[1] / np.linalg.norm(embeddings[0]) / np.linalg.norm(embeddings[1]))
    unrelated = float(embeddings[0] @ embeddings[2] / np.linalg.norm(embeddings[0]) / np.linalg.norm(embeddings[2]))
    assert similar > unrelated + 0.3, "pretrained embeddings place sentences by meaning"


def test_the_single_input_encoder_computes_what_keras_hubs_backbone_computes(encoder):
    """tltutor re-wires the backbone's layers to take token ids alone; the states must not change."""
    backbone = text_encoders.load_backbone("MiniLM-L6")
    ids = encoder.token_ids(list(REFERENCE_PAIR))
    mask = ids != 0
    states = backbone.predict({"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": mask},
                              verbose=0)["sequence_output"]
    expected = (states * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
    embeddings, _ = features.pooled_features(encoder.model("frozen", 2, seed=0), (ids, np.zeros(2)))
    np.testing.assert_allclose(embeddings, expected, atol=1e-4)


def test_tokens_are_cls_pieces_sep_and_padding_and_long_text_is_truncated(encoder):
    ids = encoder.token_ids(["a good film", "word " * 100])
    cls, sep = (encoder.tokenizer.token_to_id(token) for token in ("[CLS]", "[SEP]"))
    assert ids.shape == (2, 32) and ids.dtype == np.int32
    assert ids[0, 0] == cls and ids[0, 4] == sep and not ids[0, 5:].any()
    assert ids[1, -1] == sep and ids[1].all(), "a long text fills the sequence and ends with [SEP]"
    assert text.truncated_share(["a good film", "word " * 100], encoder.tokenizer, 32) == 0.5


@pytest.mark.parametrize("bad, message", [([""], "empty"), (["   "], "empty"), ([3], "must be a string"),
                                          ([b"\xff\xfe"], "not valid UTF-8"), ("a sentence", "list of strings"),
                                          ([], "empty")])
def test_bad_text_is_refused_with_a_reason(bad, message):
    with pytest.raises((InvalidArgumentError, DatasetError), match=message):
        text.check_texts(bad)


def test_utf8_bytes_are_decoded():
    assert text.check_texts([b"caf\xc3\xa9"]) == ["café"]


def test_the_text_model_has_the_vision_layout_and_the_verbs_work(encoder):
    model = encoder.model("frozen", 2, seed=0)
    assert [layer.name for layer in model.layers] == ["token_ids", "base", "pooling", "head_dropout", "classifier"]
    assert freezing.trainable_summary(model).trainable_parameters == 384 * 2 + 2
    (train_texts, train_labels), validation, test, _ = text_data.load_sentiment(samples_per_class=32, seed=0)
    train = (encoder.token_ids(train_texts), train_labels)
    history = training.train_head(model, train, (encoder.token_ids(validation[0]), validation[1]), epochs=60,
                                  progress=False)
    assert history.epochs >= 2
    accuracy = training.evaluate(model, (encoder.token_ids(test[0][:500]), test[1][:500]))["accuracy"]
    # 0.63 to 0.72 over seeds: 500 test sentences put 0.55 four standard errors below the lowest
    assert accuracy > 0.55, "a frozen sentence encoder learns sentiment from 64 labelled sentences (chance: 0.5)"
    before = model.get_layer("base").get_layer("transformer_layer_5").get_weights()[0].copy()
    training.fine_tune(model, train, None, epochs=1, unfreeze_from="transformer_layer_4", progress=False)
    after = model.get_layer("base").get_layer("transformer_layer_5").get_weights()[0]
    assert not np.allclose(before, after), "fine-tuning trained the top layer"
    assert freezing.trainable_summary(model).first_trainable_base_layer == "transformer_layer_4"


def test_fine_tuning_the_top_layers_trains_on_kept_states_of_the_layers_below(encoder):
    model = encoder.model("fine_tune", 2, seed=1)
    freezing.unfreeze(model, "transformer_layer_4")
    bottom, top = features.frozen_split(model)
    assert len(bottom.outputs) == 2, "a transformer layer's input is its states and the padding mask"
    ids = encoder.token_ids(["a good film", "a bad film"])
    kept, _ = features.outputs_of(bottom, (ids, np.zeros(2)))
    np.testing.assert_allclose(top.predict(kept, verbose=0), model.predict(ids, verbose=0), atol=1e-4)


def test_lora_freezes_the_weights_and_trains_a_small_update():
    model = text.build_text_model("MiniLM-L6", 2, sequence_length=16)
    adapted = text.enable_lora(model, 4)
    assert adapted == 12  # query and value in each of 6 layers
    trainable = freezing.count_parameters(model.trainable_weights)
    head = 384 * 2 + 2
    # Keras keeps a projection's kernel as 384 inputs x 12 heads x 32 and learns A (384 x 12 x 4) and B (4 x 32)
    lora = 12 * (384 * 12 * 4 + 4 * 32)
    assert trainable == head + lora, "the projections' kernels and biases stay frozen (Keras leaves biases trainable)"
    assert trainable < 0.011 * model.count_params()  # about 1 %
    freezing.freeze_base(model)
    text.enable_lora(model, 4, unfreeze_from="transformer_layer_4")
    assert freezing.count_parameters(model.trainable_weights) == head + lora // 3, \
        "enabling LoRA again (after training the head) keeps the pretrained projections frozen"


def test_removing_the_lora_updates_gives_back_the_pretrained_encoder_exactly(encoder):
    from tltutor import models

    ids = encoder.token_ids(["a gripping film", "a dull film", "the weather is sunny today"])
    pretrained = models.feature_extractor(encoder.model("frozen", 2, seed=0)).predict(ids, verbose=0)
    model = encoder.model("lora", 2, seed=0, lora_from="transformer_layer_5")
    training.train_unfrozen(model, (ids, np.array([1, 0, 1])), None, epochs=2, learning_rate=0.05, progress=False)
    trained = models.feature_extractor(model).predict(ids, verbose=0)
    assert np.max(np.abs(trained - pretrained)) > 1e-3, "training moved the LoRA updates"
    round_trip = text_lessons.lora_round_trip(encoder, model, ["a gripping film", "a dull film"])
    assert round_trip == {"pretrained_weights_changed": 0.0, "removed_max_difference": 0.0}
    np.testing.assert_array_equal(models.feature_extractor(model).predict(ids, verbose=0), pretrained)
    with pytest.raises(InvalidArgumentError, match="no LoRA updates"):
        text.remove_lora_updates(encoder.model("frozen", 2, seed=0))


def test_adapting_starts_from_the_fitted_head_and_refuses_a_bad_budget(encoder):
    from tltutor.lessons.baselines import FeatureHead

    train, validation, _, _ = text_data.load_sentiment(samples_per_class=8, seed=0)
    head = FeatureHead(encoder.embed(train[0]), train[1], encoder.embed(validation[0]), validation[1])
    train_ids = (encoder.token_ids(train[0]), train[1])
    fitted_predictions = head.classifier.predict(head.scaler.transform(encoder.embed(train[0])))
    start = encoder.model("frozen", 2, seed=5)  # the pooled model embed() uses: take it after embedding
    start.get_layer("classifier").set_weights(head.dense_weights())
    np.testing.assert_array_equal(np.argmax(start.predict(train_ids[0], verbose=0), axis=1), fitted_predictions)
    model, history = text_lessons.adapt(encoder, "head_only", head, train_ids, None, seed=0, steps=5, batch_size=8)
    assert history.steps == 6, "whole epochs, at least the steps asked: 16 sentences in batches of 8, 3 epochs"
    with pytest.raises(InvalidArgumentError, match="steps"):
        text_lessons.adapt(encoder, "fine_tune", head, train_ids, None, seed=0, steps=0)
    with pytest.raises(InvalidArgumentError, match="batch_size"):
        text_lessons.adapt(encoder, "fine_tune", head, train_ids, None, seed=0, batch_size=0)
    with pytest.raises(UnknownNameError):
        text_lessons.adapt(encoder, "lora_plus", head, train_ids, None, seed=0)
    with pytest.raises(InvalidArgumentError, match="has 6 transformer layers"):
        text_lessons.compare_text_strategies(8, fine_tune_layers=7)


def test_in_domain_folds_split_each_class_evenly_and_change_with_the_seed():
    labels = np.array([0] * 10 + [1] * 6)
    folds = text_lessons._in_domain_folds(labels, seed=0)
    assert [int(np.sum((folds == fold) & (labels == label))) for fold in (0, 1) for label in (0, 1)] == [5, 3, 5, 3]
    assert not np.array_equal(folds, text_lessons._in_domain_folds(labels, seed=1))
    fit, choose = text_lessons._validation_part(labels, 0.2, seed=0)
    assert len(choose) == 2 + 1 and not set(fit) & set(choose) and len(fit) + len(choose) == 16
    with pytest.raises(UnknownNameError):
        text_lessons.compare_domain_shift(targets=("movies",))


def test_the_embedded_sentiment_data_and_its_four_domains():
    assert {domain: len(text_data.domain_texts(domain)[1]) for domain in text_data.DOMAINS} == {
        "movies": 1000, "tweets": 500, "amazon": 500, "nyt": 500}
    for domain in text_data.DOMAINS:
        assert np.bincount(text_data.domain_texts(domain)[1]).tolist() == [len(text_data.domain_texts(domain)[1]) // 2] * 2
    train, validation, test, info = text_data.load_sentiment(samples_per_class=10, test_domain="tweets", seed=3)
    assert len(train[0]) == 20 and len(validation[0]) == 4 and info.test_domain == "tweets" and len(test[0]) == 500
    assert not set(train[0]) & set(validation[0])
    with pytest.raises(InvalidArgumentError, match="splits"):
        text_data.load_sentiment("tweets")
    with pytest.raises(UnknownNameError, match="Did you mean 'tweets'"):
        text_data.load_sentiment(test_domain="twets")


def test_a_damaged_sentiment_asset_is_refused(monkeypatch):
    text_data.embedded_sentiment.cache_clear()
    monkeypatch.setattr(text_data, "EMBEDDED_SHA256", "0" * 64)
    with pytest.raises(DatasetError, match="sha256"):
        text_data.embedded_sentiment()
    text_data.embedded_sentiment.cache_clear()


def test_online_presets_fail_fast_and_name_the_offline_encoder():
    with pytest.raises((WeightsError, ConnectionError), match="MiniLM-L6"):
        text_encoders.load_backbone("bert_tiny_en_uncased")
    with pytest.raises(UnknownNameError):
        text_encoders.get("bert_giant")


def test_tfidf_baseline_learns_from_words():
    train = (["good great fine", "great good", "bad awful", "awful terrible bad"], [1, 1, 0, 0])
    validation = (["good", "bad"], [1, 0])
    classifier = text_lessons.TfidfClassifier(train, validation)
    assert classifier.accuracy((["great film", "terrible film"], [1, 0])) == 1.0


def test_raw_text_trains_and_predicts_like_its_token_ids(encoder):
    texts, labels = [*REFERENCE_PAIR, "A dull, tedious film.", "I hated every minute of it."], np.array([1, 1, 0, 0])
    from_text = text.build_text_model(sequence_length=32, seed=3)
    from_ids = text.build_text_model(sequence_length=32, seed=3)
    training.train_head(from_text, (texts, labels), (texts, labels), epochs=3, progress=False)
    training.train_head(from_ids, (encoder.token_ids(texts), labels), (encoder.token_ids(texts), labels), epochs=3,
                        progress=False)
    _, text_logits = training.predict_logits(from_text, (texts, labels))
    _, id_logits = training.predict_logits(from_ids, (encoder.token_ids(texts), labels))
    assert np.allclose(text_logits, id_logits, atol=1e-5)
    assert training.evaluate(from_text, (np.array(texts), labels))["accuracy"] == \
        training.evaluate(from_ids, (encoder.token_ids(texts), labels))["accuracy"]


def test_text_given_to_a_model_without_a_tokenizer_says_what_to_do():
    from tltutor import models

    image_model = models.build_transfer_model(image_size=32)
    with pytest.raises(InvalidArgumentError, match="build it with tl.text.build_text_model"):
        training.evaluate(image_model, (["a film"], [0]))
