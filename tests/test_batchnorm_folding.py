import keras
import numpy as np
import pytest

from tltutor import batchnorm, features, freezing, models
from tltutor.data import pipelines
from tltutor.errors import InvalidArgumentError


def _images(count=6, size=64, seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (count, size, size, 3)).astype("float32")


def _with_statistics(model, seed=1):
    """Give every BatchNorm layer statistics and an affine map far from the identity."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
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
    assert batchnorm.count_foldable(folded) == 0
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
