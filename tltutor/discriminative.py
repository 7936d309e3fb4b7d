"""Discriminative (layer-wise) learning rates for Keras 3, which has no parameter groups.

ULMFiT and fastai give the new head the full rate and each group of pretrained layers, going
toward the input, a rate divided by a further factor (2.6 in ULMFiT, Howard & Ruder 2018), because
the layers nearest the input hold general features that should move least. Keras optimizers have one rate;
:class:`tltutor.compiling.LayerwiseAdam` multiplies it per variable, and this module decides the
multipliers from the base's trainable layers.

Example::

    tl.freezing.unfreeze(model, "block08_")
    rates = tl.discriminative.compile_discriminative(model, learning_rate=1e-3, layerwise_decay=2.6)
    print(rates)      # {'head': 0.001, 'base group 1 (block15_... top_bn)': 0.00038, ...}
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import compiling, freezing, validation

ULMFIT_DECAY = 2.6


def base_layer_groups(model: keras.Model, groups: int = 3) -> list[list[keras.layers.Layer]]:
    """The trainable base layers that hold weights, in ``groups`` groups of similar size, the top group first."""
    groups = validation.check_positive_int(groups, "groups")
    layers = [layer for layer in freezing.get_base(model).layers if layer.trainable and layer.trainable_weights]
    if not layers:
        raise validation.InvalidArgumentError(
            "no base layer is trainable: unfreeze part of the base first (tl.freezing.unfreeze)"
        )
    groups = min(groups, len(layers))
    top_first = layers[::-1]
    size, extra = divmod(len(top_first), groups)
    result, start = [], 0
    for index in range(groups):
        stop = start + size + (1 if index < extra else 0)
        result.append(top_first[start:stop])
        start = stop
    return result


def layerwise_multipliers(model: keras.Model, layerwise_decay: float = ULMFIT_DECAY,
                          groups: int = 3) -> tuple[dict, dict]:
    """``(multipliers by variable path, a readable {group: multiplier})``; the head keeps 1.0."""
    layerwise_decay = validation.check_number(layerwise_decay, "layerwise_decay", low=1, high=1000,
                                              hint="2.6 in ULMFiT; 1 gives every layer the same rate")
    multipliers, readable = {}, {"head": 1.0}
    for depth, layers in enumerate(base_layer_groups(model, groups), start=1):
        factor = layerwise_decay ** -depth
        readable[f"base group {depth} ({layers[0].name} … {layers[-1].name})"] = factor
        for layer in layers:
            for variable in layer.trainable_weights:
                multipliers[variable.path] = factor
    paths = [variable.path for variable in model.trainable_variables]
    if len(paths) != len(set(paths)):
        raise validation.InvalidArgumentError("the model has variables with the same path; give layers unique names")
    return multipliers, readable


def mean_multiplier(model: keras.Model, layerwise_decay: float = ULMFIT_DECAY, groups: int = 3) -> float:
    """The trainable weights' mean rate multiplier under layer-wise rates, each weight counted once.

    Adam moves each weight by about its rate whatever the gradient's size, so ``learning_rate *
    mean_multiplier(...)`` is the single rate with the same mean step: the control that tells the
    distribution of the rates from their lower average.
    """
    multipliers, _ = layerwise_multipliers(model, layerwise_decay, groups)
    sizes = [(int(np.prod(variable.shape)), multipliers.get(variable.path, 1.0))
             for variable in model.trainable_variables]
    return sum(size * factor for size, factor in sizes) / sum(size for size, _ in sizes)


def compile_discriminative(model: keras.Model, learning_rate: float = 1e-3, layerwise_decay: float = ULMFIT_DECAY,
                           groups: int = 3) -> dict[str, float]:
    """Compile ``model`` with layer-wise rates (keeping its weight decay); return ``{group: rate}`` for display."""
    learning_rate = validation.check_learning_rate(learning_rate)
    multipliers, readable = layerwise_multipliers(model, layerwise_decay, groups)
    optimizer = compiling.settings_of(getattr(model, "optimizer", None))
    compiling.compile_model(model, learning_rate, weight_decay=getattr(optimizer, "weight_decay", None),
                            learning_rate_multipliers=multipliers)
    return {group: learning_rate * factor for group, factor in readable.items()}
