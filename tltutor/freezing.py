"""Freeze and unfreeze the pretrained base, keeping BatchNorm frozen, and show what is trainable.

In Keras 3, calling the base with ``training=False`` does not keep BatchNorm in inference mode
during ``fit()``; a BatchNorm layer with ``trainable = False`` does. So :func:`unfreeze` sets
every BatchNorm layer of the base to ``trainable = False``. A change of trainability takes effect
only after the model is compiled again: both helpers recompile a compiled model.

Examples:
    >>> import tltutor as tl
    >>> model = tl.models.build_transfer_model(image_size=96)
    >>> tl.freezing.trainable_summary(model).trainable_parameters      # the new head only
    12810
    >>> summary = tl.freezing.trainable_summary(tl.freezing.unfreeze(model, unfreeze_from="block11_"))
    >>> summary.first_trainable_base_layer, summary.frozen_batchnorm_layers
    ('block11_expand_conv', 49)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from tltutor import compiling, validation


def get_base(model: keras.Model) -> keras.Model:
    """The pretrained base inside a transfer model."""
    try:
        return model.get_layer("base")
    except ValueError:
        raise validation.InvalidArgumentError(
            "this model has no layer named 'base': build it with tltutor.models.build_transfer_model"
        ) from None


def _recompile_if_compiled(model, learning_rate=None):
    if getattr(model, "compiled", False):
        compiling.recompile(model, learning_rate)


def freeze_base(model: keras.Model, *, learning_rate: float | None = None) -> keras.Model:
    """Make the whole base non-trainable (feature extraction) and recompile if compiled."""
    get_base(model).trainable = False
    _recompile_if_compiled(model, learning_rate)
    return model


def cut_index(layers, unfreeze_from, argument: str = "unfreeze_from") -> int:
    """The index of the first layer of ``layers`` that :func:`unfreeze` makes trainable.

    ``argument`` names the parameter in error messages, for callers whose argument is called otherwise.
    """
    if unfreeze_from is None:
        return 0
    if isinstance(unfreeze_from, str):
        for index, layer in enumerate(layers):
            if layer.name == unfreeze_from or layer.name.startswith(unfreeze_from):
                return index
        names = [layer.name for layer in layers]
        suggestions = validation.closest_names(unfreeze_from, names)[:5]
        raise validation.InvalidArgumentError(
            f"no base layer is named or starts with {unfreeze_from!r}; closest: {', '.join(suggestions)}"
        )
    if isinstance(unfreeze_from, bool):
        raise validation.InvalidArgumentError(f"{argument} must be a layer name, an index or a fraction")
    if isinstance(unfreeze_from, (int, np.integer)):
        if not -len(layers) <= unfreeze_from < len(layers):
            raise validation.InvalidArgumentError(
                f"{argument}={unfreeze_from} is outside the base's {len(layers)} layers")
        return int(unfreeze_from) % len(layers)
    if isinstance(unfreeze_from, float):
        validation.check_number(unfreeze_from, f"a fraction {argument}", low=0, high=1, low_inclusive=False)
        return len(layers) - max(1, round(unfreeze_from * len(layers)))
    raise validation.InvalidArgumentError(
        f"{argument} must be a name, an index or a fraction, got {unfreeze_from!r:.60}")


def unfreeze(model: keras.Model, unfreeze_from=None, *, keep_batchnorm_frozen: bool = True,
             learning_rate: float | None = None) -> keras.Model:
    """Make the base trainable from ``unfreeze_from`` up; layers below stay frozen.

    Args:
        unfreeze_from: a layer name or name prefix (``"block11_"``), an index into the base's
            layers, a fraction of the base counted from the top (``0.25`` = top quarter), or
            ``None`` for the whole base.
        keep_batchnorm_frozen: keep BatchNorm layers in inference mode (recommended for
            pretrained bases; a from-scratch model needs them trainable).
        learning_rate: recompile with this learning rate (else the current one).
    """
    base = get_base(model)
    cut = cut_index(base.layers, unfreeze_from)
    base.trainable = True
    for index, layer in enumerate(base.layers):
        if index < cut:
            layer.trainable = False
        elif keep_batchnorm_frozen and isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False
        else:
            layer.trainable = True
    _recompile_if_compiled(model, learning_rate)
    return model


def tuned_layers(model: keras.Model, unfreeze_from=None, *, until=None) -> list:
    """The base layers with weights that :func:`unfreeze` from ``unfreeze_from`` lets train, BatchNorm left out.

    :func:`unfreeze` keeps BatchNorm frozen by default, and a weight change measured with its moving
    statistics would be drowned by them: their norm is 30 to 50 times the kernels' in EfficientNet-Lite0.
    ``until`` (anything ``unfreeze_from`` takes) stops before that layer, e.g. for the layers one stage
    of gradual unfreezing adds; it must come after ``unfreeze_from``, nearer the output, and a range
    with no trained layer is refused.
    """
    layers = get_base(model).layers
    first = cut_index(layers, unfreeze_from)
    last = cut_index(layers, until, "until") if until is not None else len(layers)
    if last <= first:
        raise validation.InvalidArgumentError(
            f"until={until!r} must come after unfreeze_from={unfreeze_from!r}, nearer the output: no layer lies "
            "between them")
    tuned = [layer for layer in layers[first:last]
             if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    if not tuned:
        end = "the top" if until is None else f"until={until!r}"
        raise validation.InvalidArgumentError(
            f"no layer with weights that fine-tuning trains lies from unfreeze_from={unfreeze_from!r} to {end} "
            "(BatchNorm stays frozen): start nearer the input")
    return tuned


def check_unfreeze_points(model: keras.Model, unfreeze_points) -> list:
    """``unfreeze_points`` as a list, checked to run top first, each nearer the input than the one before."""
    points = list(unfreeze_points)
    if not points:
        raise validation.InvalidArgumentError("unfreeze_points is empty: list where each stage starts, top first")
    layers = get_base(model).layers
    cuts = [cut_index(layers, point, "each of unfreeze_points") for point in points]
    if any(later >= earlier for earlier, later in zip(cuts, cuts[1:])):
        raise validation.InvalidArgumentError(
            f"unfreeze_points go top first, each nearer the input than the one before (e.g. "
            f"['block11_', 'block08_', 'block05_']); got {points}")
    return points


def count_parameters(weights) -> int:
    return int(sum(np.prod(weight.shape) for weight in weights))


@dataclass
class TrainableSummary:
    """Trainable and frozen parameter counts of a model, and its base's trainable layers."""

    total_parameters: int
    trainable_parameters: int
    trainable_variables: int
    base_layers: int
    trainable_base_layers: int
    first_trainable_base_layer: str | None
    frozen_batchnorm_layers: int

    @property
    def non_trainable_parameters(self) -> int:
        return self.total_parameters - self.trainable_parameters

    def __str__(self):
        share = self.trainable_parameters / max(self.total_parameters, 1)
        first = self.first_trainable_base_layer or "none (base frozen)"
        return (
            f"parameters: {self.total_parameters:,} total, {self.trainable_parameters:,} trainable ({share:.1%}), "
            f"{self.non_trainable_parameters:,} frozen\n"
            f"trainable variables: {self.trainable_variables}\n"
            f"base layers trainable: {self.trainable_base_layers} of {self.base_layers}; first trainable: {first}\n"
            f"BatchNorm layers kept frozen: {self.frozen_batchnorm_layers}"
        )


def trainable_summary(model: keras.Model) -> TrainableSummary:
    """What is trainable, in numbers a student can check."""
    base = get_base(model)
    weighted = [layer for layer in base.layers if layer.weights]
    trainable_layers = [layer for layer in weighted if layer.trainable and layer.trainable_weights and base.trainable]
    frozen_batchnorm = [layer for layer in base.layers
                        if isinstance(layer, keras.layers.BatchNormalization) and not (layer.trainable and base.trainable)]
    return TrainableSummary(
        total_parameters=count_parameters(model.weights),
        trainable_parameters=count_parameters(model.trainable_weights),
        trainable_variables=len(model.trainable_weights),
        base_layers=len(weighted),
        trainable_base_layers=len(trainable_layers),
        first_trainable_base_layer=trainable_layers[0].name if trainable_layers else None,
        frozen_batchnorm_layers=len(frozen_batchnorm),
    )
