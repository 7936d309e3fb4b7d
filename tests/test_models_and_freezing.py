import keras
import numpy as np
import pytest

from conftest import random_images
from tltutor import freezing, models, training
from tltutor.errors import DatasetError, InvalidArgumentError


@pytest.fixture(scope="module")
def model():
    return models.build_transfer_model("EfficientNetLite0", 10, image_size=64)


def _batchnorm_statistics(model):
    base = freezing.get_base(model)
    return [np.array(weight) for layer in base.layers if isinstance(layer, keras.layers.BatchNormalization)
            for weight in (layer.moving_mean, layer.moving_variance)]


def test_structure_has_preprocessing_inside_and_a_logits_head(model):
    names = [layer.name for layer in model.layers]
    assert names == ["image", "scale_lite", "base", "pooling", "head_dropout", "classifier"]
    assert not any(isinstance(layer, keras.layers.Lambda) for layer in model._flatten_layers())
    assert model.get_layer("classifier").activation is keras.activations.linear
    assert model.loss.get_config()["from_logits"] is True
    logits = model.predict(random_images(4), verbose=0)
    assert not np.allclose(logits.sum(axis=1), 1.0)
    np.testing.assert_allclose(models.predict_probabilities(model, random_images(4)).sum(axis=1), 1.0, rtol=1e-5)


def test_preprocessing_matches_the_backbone_scaling(model):
    images = random_images(2)
    base = freezing.get_base(model)
    expected = base.predict((images - 127.0) / 128.0, verbose=0)
    extractor = keras.Model(model.input, model.get_layer("pooling").input)
    np.testing.assert_allclose(extractor.predict(images, verbose=0), expected, rtol=1e-4, atol=1e-4)


def test_trainable_counts_after_freeze_and_unfreeze():
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    frozen = freezing.trainable_summary(model)
    assert frozen.trainable_parameters == 1280 * 10 + 10 and frozen.trainable_variables == 2
    assert frozen.trainable_base_layers == 0
    freezing.unfreeze(model, "block15_")
    top = freezing.trainable_summary(model)
    assert top.first_trainable_base_layer == "block15_expand_conv"
    assert top.trainable_variables == 2 + 4  # expand, depthwise, project and head convs; BN frozen
    assert top.frozen_batchnorm_layers == 49
    freezing.unfreeze(model, None)
    everything = freezing.trainable_summary(model)
    assert everything.trainable_base_layers == 49 and everything.trainable_variables == 2 + 49
    freezing.unfreeze(model, 0.5)
    half = freezing.trainable_summary(model)
    assert 0 < half.trainable_base_layers < 49
    freezing.unfreeze(model, -10)
    assert freezing.trainable_summary(model).trainable_base_layers < half.trainable_base_layers
    freezing.freeze_base(model)
    assert freezing.trainable_summary(model).trainable_variables == 2


@pytest.mark.parametrize("point", ["no_such_block", 1.5, 10_000, True])
def test_bad_unfreeze_points_are_explained(model, point):
    with pytest.raises(InvalidArgumentError):
        freezing.unfreeze(model, point)


def test_recompile_takes_effect_and_batchnorm_statistics_do_not_move(tiny_data):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    training.train_head(model, train, validation, epochs=1)
    stem_before = np.array(model.get_layer("base").get_layer("top_conv").kernel)
    statistics_before = _batchnorm_statistics(model)
    training.fine_tune(model, train, validation, epochs=1, unfreeze_from="block14_", learning_rate=1e-3)
    stem_after = np.array(model.get_layer("base").get_layer("top_conv").kernel)
    assert not np.allclose(stem_before, stem_after), "unfreezing took effect: the top conv was trained"
    frozen_layer = np.array(model.get_layer("base").get_layer("stem_conv").kernel)
    np.testing.assert_array_equal(frozen_layer, np.array(
        models.build_transfer_model("EfficientNetLite0", 10, image_size=64).get_layer("base").get_layer("stem_conv").kernel))
    for before, after in zip(statistics_before, _batchnorm_statistics(model)):
        np.testing.assert_array_equal(before, after)


def test_without_frozen_batchnorm_the_statistics_would_drift(tiny_data):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64)
    before = _batchnorm_statistics(model)
    freezing.unfreeze(model, "block14_", keep_batchnorm_frozen=False)
    model.fit(train, epochs=1, verbose=0)
    assert any(not np.array_equal(a, b) for a, b in zip(before, _batchnorm_statistics(model)))


def test_augmentation_is_in_the_training_path_only():
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64, augmentation="default",
                                        dropout=0.0, seed=1)
    plain = models.build_transfer_model("EfficientNetLite0", 10, image_size=64, dropout=0.0)
    plain.get_layer("classifier").set_weights(model.get_layer("classifier").get_weights())
    images = random_images(4)
    assert model.layers[1].name == "augmentation"
    inference = keras.ops.convert_to_numpy(model(images, training=False))
    np.testing.assert_allclose(inference, keras.ops.convert_to_numpy(plain(images, training=False)), rtol=1e-4, atol=1e-4)
    trained = keras.ops.convert_to_numpy(model(images, training=True))
    assert not np.allclose(trained, inference, atol=1e-3)
    assert models.has_augmentation(model) and not models.has_augmentation(plain)


def test_round_trip_through_keras_file_with_safe_mode(tmp_path, tiny_data):
    train, validation, _, _ = tiny_data
    model = models.build_transfer_model("EfficientNetLite0", 10, image_size=64, augmentation="default")
    training.fine_tune(model, train, validation, epochs=1, unfreeze_from="block15_")
    path = tmp_path / "fine_tuned.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    images = random_images(6)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-4, atol=1e-4)


def test_caffe_preprocessing_is_serializable_without_lambda(tmp_path):
    model = models.build_transfer_model("VGG16", 3, image_size=32, weights=None)
    assert model.get_layer("rgb_to_bgr") is not None
    path = tmp_path / "vgg.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    images = random_images(2, size=32)
    np.testing.assert_allclose(loaded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("arguments", [dict(num_classes=1), dict(num_classes=2.0), dict(dropout=1.0),
                                       dict(augmentation="lots"), dict(learning_rate=5.0),
                                       dict(image_size=16)])
def test_bad_model_arguments(arguments):
    with pytest.raises(InvalidArgumentError):
        models.build_transfer_model("EfficientNetLite0", **{"num_classes": 10, "image_size": 64, **arguments})


def test_predict_in_batches_gives_predicts_numbers_for_one_and_several_inputs_and_outputs():
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(4, name="hidden")(inputs)
    two_outputs = keras.Model(inputs, [hidden, keras.layers.Dense(3)(hidden)])
    rows = np.random.default_rng(0).normal(size=(70, 6)).astype("float32")
    expected = two_outputs.predict(rows, batch_size=32, verbose=0)
    got = models.predict_in_batches(two_outputs, rows, 32)
    assert [part.shape for part in got] == [(70, 4), (70, 3)]
    for mine, theirs in zip(got, expected):
        np.testing.assert_array_equal(mine, theirs)
    one_output = keras.Model(inputs, hidden)
    np.testing.assert_array_equal(models.predict_in_batches(one_output, rows, 32), expected[0])
    second = keras.Input((2,))
    two_inputs = keras.Model([inputs, second], keras.layers.Concatenate()([hidden, second]))
    extra = rows[:, :2] * 3
    np.testing.assert_array_equal(models.predict_in_batches(two_inputs, [rows, extra], 32),
                                  two_inputs.predict([rows, extra], batch_size=32, verbose=0))
    named_outputs = keras.Model(inputs, {"hidden": hidden, "logits": keras.layers.Dense(3)(hidden)})
    got = models.predict_in_batches(named_outputs, rows, 32)
    assert isinstance(got["logits"], np.ndarray) and got["hidden"].shape == (70, 4)
    np.testing.assert_array_equal(got["hidden"], expected[0])
    with pytest.raises(DatasetError, match="empty"):
        models.predict_in_batches(one_output, rows[:0])
