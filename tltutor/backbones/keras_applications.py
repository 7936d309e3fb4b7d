"""Builders for the keras.applications backbones, with downloads that fail fast and clearly."""

from __future__ import annotations

import keras

from tltutor.io import downloads, weights_files
from tltutor.layers import preprocessing_layers

_EXTRA_ARGUMENTS = {
    "MobileNetV3Small": {"include_preprocessing": True},
    "MobileNetV3Large": {"include_preprocessing": True},
    "EfficientNetV2B0": {"include_preprocessing": True},
}


def _application(spec):
    return getattr(keras.applications, spec.application)


def _construct(spec, input_shape, weights, include_top):
    builder = _application(spec)
    arguments = dict(include_top=include_top, input_shape=input_shape, **_EXTRA_ARGUMENTS.get(spec.name, {}))
    if weights != "imagenet":
        model = builder(weights=None, **arguments)
        if weights is not None:
            load_weights_file(model, weights)
        return model
    with downloads.guarded_download(
        f"{spec.name} ImageNet weights",
        instead="Pass weights=<path to a .weights.h5 file> or weights=None (random, for a from-scratch baseline).",
        cache_folder=downloads.keras_home() / "models",
    ):
        return builder(weights="imagenet", **arguments)


def load_weights_file(model: keras.Model, path) -> None:
    """Load a Keras weights file; a file for another architecture names the first mismatch."""
    weights_files.load_weights_checked(model, path)


def build(spec, input_shape, weights):
    """The base (no top) on already-preprocessed input."""
    return _construct(spec, input_shape, weights, include_top=False)


def build_classifier(spec, input_shape, weights):
    """The full ImageNet classifier for 0..255 RGB input (preprocessing included)."""
    core = _construct(spec, input_shape, weights, include_top=True)
    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for layer in preprocessing_layers(spec.preprocessing):
        x = layer(x)
    return keras.Model(inputs, core(x), name=f"{spec.name.lower()}_imagenet")
