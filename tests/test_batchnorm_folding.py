import keras
import numpy as np
import pytest

from tltutor import batchnorm, features, freezing, models
from tltutor.data import pipelines
from tltutor.errors import InvalidArgumentError


def _images(count=6, size=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, size, size, 3)).astype("float32")


def _with_statistics(model, seed=1):
    """Give every BatchNorm layer statistics and an affine map far from the identity, every bias a value."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if getattr(layer, "bias", None) is not None:
            layer.bias.assign(rng.normal(0, 1, layer.bias.shape).astype("float32"))
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([rng.uniform(0.5, 2.0, weight.shape).astype("float32") if index != 1
                               else rng.normal(0, 1, weight.shape).astype("float32")
                               for index, weight in enumerate(layer.get_weights())])
    return model


def test_folded_extractor_gives_the_same_features_without_batchnorm():
    model = models.build_transfer_model(image_size=64)
    extractor = models.feature_extractor(model)
    folded = batchnorm.fold_into_convolutions(extractor)
    images = _images()
    assert batchnorm.count_foldable(extractor) == 49
    assert batchnorm.count_foldable(folded) == 0
    np.testing.assert_allclose(folded.predict(images, verbose=0), extractor.predict(images, verbose=0),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("convolution", [
    lambda: keras.layers.Conv2D(5, 3, padding="same", use_bias=False),
    lambda: keras.layers.Conv2D(5, 3, padding="same", use_bias=True),
    lambda: keras.layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2),
])
@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
def test_each_convolution_and_batchnorm_variant_folds_exactly(convolution, center, scale):
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.BatchNormalization(center=center, scale=scale)(convolution()(inputs))
    model = _with_statistics(keras.Model(inputs, keras.layers.ReLU()(outputs)))
    folded = batchnorm.fold_into_convolutions(model)
    images = _images(4, 8)
    assert batchnorm.count_foldable(model) == 1 and batchnorm.count_foldable(folded) == 0
    np.testing.assert_allclose(folded.predict(images, verbose=0), model.predict(images, verbose=0),
                               rtol=1e-4, atol=1e-3)


def test_a_convolution_read_by_another_layer_too_is_left_alone():
    inputs = keras.Input((8, 8, 3))
    convolved = keras.layers.Conv2D(3, 3, padding="same")(inputs)
    normalised = keras.layers.BatchNormalization()(convolved)
    model = _with_statistics(keras.Model(inputs, keras.layers.Add()([normalised, convolved])))
    assert batchnorm.count_foldable(model) == 0
    images = _images(4, 8)
    np.testing.assert_allclose(batchnorm.fold_into_convolutions(model).predict(images, verbose=0),
                               model.predict(images, verbose=0), rtol=1e-5, atol=1e-5)


def test_folding_needs_a_functional_model():
    with pytest.raises(InvalidArgumentError, match="functional Keras model"):
        batchnorm.fold_into_convolutions(keras.layers.Dense(2))


def test_kept_outputs_are_computed_by_a_folded_copy_that_follows_the_weights(tiny_data):
    features.clear()
    model = models.build_transfer_model(image_size=64)
    extractor = models.feature_extractor(model)
    images, labels = (array[:8] for array in pipelines.to_numpy(tiny_data[0]))
    kept, _ = features.pooled_features(model, (images, labels))
    computing = features.computing_model(extractor)
    assert computing is not extractor and batchnorm.count_foldable(computing) == 0
    np.testing.assert_allclose(kept, extractor.predict(images, verbose=0), rtol=1e-4, atol=1e-4)

    layer = freezing.get_base(model).get_layer("top_conv")
    layer.kernel.assign(layer.kernel * 2.0)  # weights changed: the copy must be folded again
    changed, _ = features.pooled_features(model, (images, labels))
    assert features.computing_model(extractor) is not computing
    np.testing.assert_allclose(changed, extractor.predict(images, verbose=0), rtol=1e-4, atol=1e-4)
    assert not np.allclose(changed, kept, atol=1e-3)


def test_folding_leaves_the_model_as_it_was_and_shares_no_weights_with_it():
    model = models.build_transfer_model(image_size=64)
    freezing.unfreeze(model, keep_batchnorm_frozen=False)
    extractor = models.feature_extractor(model)
    flags = [layer.trainable for layer in freezing.get_base(model).layers]
    nodes = [len(layer._inbound_nodes) for layer in freezing.get_base(model).layers]
    folded = batchnorm.fold_into_convolutions(extractor)
    assert [layer.trainable for layer in freezing.get_base(model).layers] == flags
    assert [len(layer._inbound_nodes) for layer in freezing.get_base(model).layers] == nodes
    assert not {id(variable) for variable in folded.weights} & {id(variable) for variable in model.weights}


def test_a_nested_model_called_twice_folds_once_and_keeps_its_weights_shared():
    inner_inputs = keras.Input((8, 8, 3))
    inner = keras.Model(inner_inputs, keras.layers.BatchNormalization()(keras.layers.Conv2D(3, 3, padding="same")(
        inner_inputs)), name="inner")
    _with_statistics(inner)
    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, keras.layers.Add()([inner(inputs), inner(inner(inputs))]))
    folded = batchnorm.fold_into_convolutions(model)
    images = _images(4, 8)
    assert batchnorm.count_foldable(model) == 1
    assert len(folded.weights) == 2  # one folded kernel and bias, used by all three calls
    np.testing.assert_allclose(folded.predict(images, verbose=0), model.predict(images, verbose=0),
                               rtol=1e-4, atol=1e-3)


def test_a_convolution_with_lora_is_not_folded():
    inputs = keras.Input((8, 8, 3))
    convolution = keras.layers.Conv2D(3, 3, padding="same")
    model = keras.Model(inputs, keras.layers.BatchNormalization()(convolution(inputs)))
    convolution.enable_lora(2)
    assert batchnorm.count_foldable(model) == 0
