"""Small serializable layers that tltutor puts inside models instead of ``Lambda`` layers.

They are registered with Keras, so a saved ``.keras`` file that contains them loads with
``safe_mode=True`` once ``tltutor`` is imported.
"""

from __future__ import annotations

import keras
from keras import ops

from tltutor import validation


@keras.saving.register_keras_serializable(package="tltutor")
class ReverseChannels(keras.layers.Layer):
    """Turn RGB images into BGR (or back), as the "caffe"-style backbones expect.

    Examples:
        >>> import numpy as np
        >>> keras.ops.convert_to_numpy(ReverseChannels()(np.array([[[[1.0, 2.0, 3.0]]]]))).tolist()
        [[[[3.0, 2.0, 1.0]]]]
    """

    def call(self, inputs):
        return ops.flip(inputs, axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape


def preprocessing_layers(mode: str) -> list[keras.layers.Layer]:
    """The layers that turn 0..255 RGB images into what a backbone of this ``mode`` expects.

    Modes: ``"builtin"`` (the backbone scales its own input), ``"tf"`` (-1..1),
    ``"torch"`` (ImageNet mean and std), ``"caffe"`` (BGR minus the ImageNet mean) and
    ``"lite"`` (``(x - 127) / 128``, EfficientNet-Lite).
    """
    imagenet_mean = [0.485, 0.456, 0.406]
    imagenet_std = [0.229, 0.224, 0.225]
    if mode == "builtin":
        return []
    if mode == "tf":
        return [keras.layers.Rescaling(1 / 127.5, offset=-1.0, name="scale_to_minus1_1")]
    if mode == "lite":
        return [keras.layers.Rescaling(1 / 128.0, offset=-127 / 128.0, name="scale_lite")]
    if mode == "torch":
        return [
            keras.layers.Rescaling(1 / 255.0, name="scale_to_0_1"),
            keras.layers.Normalization(
                mean=imagenet_mean, variance=[s * s for s in imagenet_std], name="imagenet_normalize"
            ),
        ]
    if mode == "caffe":
        caffe_mean_bgr = [103.939, 116.779, 123.68]
        return [
            ReverseChannels(name="rgb_to_bgr"),
            keras.layers.Normalization(mean=caffe_mean_bgr, variance=[1.0, 1.0, 1.0], name="caffe_center"),
        ]
    raise validation.InvalidArgumentError(
        f"unknown preprocessing mode {mode!r}; choose from 'builtin', 'tf', 'lite', 'torch', 'caffe'")


@keras.saving.register_keras_serializable(package="tltutor")
class PaddingMask(keras.layers.Layer):
    """True where a token id is not padding (id 0), for text models that take token ids alone.

    Examples:
        >>> import numpy as np
        >>> keras.ops.convert_to_numpy(PaddingMask()(np.array([[101, 7, 102, 0]]))).tolist()
        [[True, True, True, False]]
    """

    def call(self, token_ids):
        return ops.not_equal(token_ids, 0)

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="tltutor")
class ZerosLike(keras.layers.Layer):
    """Integer zeros of the input's shape: BERT's segment ids for single sentences."""

    def call(self, inputs):
        return ops.zeros_like(inputs, dtype="int32")

    def compute_output_shape(self, input_shape):
        return input_shape


@keras.saving.register_keras_serializable(package="tltutor")
class MaskedMean(keras.layers.Layer):
    """The mean of a sequence's vectors over its real tokens: sentence-transformers' mean pooling.

    Examples:
        >>> import numpy as np
        >>> vectors = np.array([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]])
        >>> keras.ops.convert_to_numpy(MaskedMean()([vectors, np.array([[True, True, False]])])).tolist()
        [[2.0, 3.0]]
    """

    def call(self, inputs):
        vectors, mask = inputs
        weights = ops.expand_dims(ops.cast(mask, vectors.dtype), -1)
        return ops.sum(vectors * weights, axis=1) / ops.maximum(ops.sum(weights, axis=1), 1e-9)

    def compute_output_shape(self, input_shape):
        vectors_shape = input_shape[0]
        return (vectors_shape[0], vectors_shape[-1])
