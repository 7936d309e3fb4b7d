"""Freeze and unfreeze the pretrained base, keeping BatchNorm frozen, and show what is trainable.

In Keras 3, calling the base with ``training=False`` does not keep BatchNorm in inference mode
during ``fit()``; a BatchNorm layer with ``trainable = False`` does. So :func:`unfreeze` sets
every BatchNorm layer of the base to ``trainable = False``. A change of trainability takes effect
only after the model is compiled again: both helpers recompile a compiled model.

Example:
    >>> import tltutor as tl
    >>> model = tl.models.build_transfer_model(image_size=96)           # doctest: +SKIP
    >>> tl.freezing.unfreeze(model, from_layer="block11_")              # doctest: +SKIP
    >>> print(tl.freezing.trainable_summary(model))                     # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np

from tltutor import validation


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
        from tltutor import training

        training.recompile(model, learning_rate)


def freeze_base(model: keras.Model, *, learning_rate: float | None = None) -> keras.Model:
    """Make the whole base non-trainable (feature extraction) and recompile if compiled."""
    get_base(model).trainable = False
    _recompile_if_compiled(model, learning_rate)
    return model


def _cut_index(layers, from_layer) -> int:
    if from_layer is None:
        return 0
    if isinstance(from_layer, str):
        for index, layer in enumerate(layers):
            if layer.name == from_layer or layer.name.startswith(from_layer):
                return index
        names = [layer.name for layer in layers]
        suggestions = validation.closest_names(from_layer, names)[:5]
        raise validation.InvalidArgumentError(
            f"no base layer is named or starts with {from_layer!r}; closest: {', '.join(suggestions)}"
        )
    if isinstance(from_layer, bool):
        raise validation.InvalidArgumentError("from_layer must be a layer name, an index or a fraction")
    if isinstance(from_layer, (int, np.integer)):
        if not -len(layers) <= from_layer < len(layers):
            raise validation.InvalidArgumentError(f"from_layer={from_layer} is outside the base's {len(layers)} layers")
        return int(from_layer) % len(layers)
    if isinstance(from_layer, float):
        if not 0 < from_layer <= 1:
            raise validation.InvalidArgumentError(f"a fraction from_layer must be in (0, 1], got {from_layer}")
        return len(layers) - max(1, round(from_layer * len(layers)))
    raise validation.InvalidArgumentError(f"from_layer must be a name, an index or a fraction, got {from_layer!r:.60}")


def unfreeze(model: keras.Model, from_layer=None, *, keep_batchnorm_frozen: bool = True,
             learning_rate: float | None = None) -> keras.Model:
    """Make the base trainable from ``from_layer`` up; layers below stay frozen.

    Args:
        from_layer: a layer name or name prefix (``"block11_"``), an index into the base's
            layers, a fraction of the base counted from the top (``0.25`` = top quarter), or
            ``None`` for the whole base.
        keep_batchnorm_frozen: keep BatchNorm layers in inference mode (recommended for
            pretrained bases; a from-scratch model needs them trainable).
        learning_rate: recompile with this learning rate (else the current one).
    """
    base = get_base(model)
    cut = _cut_index(base.layers, from_layer)
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
