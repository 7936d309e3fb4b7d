"""Discriminative (layer-wise) learning rates for Keras 3, which has no parameter groups.

ULMFiT and fastai give the new head the full rate and each deeper group of pretrained layers a
rate divided by a further factor (2.6 in ULMFiT), because early layers hold general features
that should move least. Keras optimizers have one rate. :class:`LayerwiseAdam` is Adam whose
per-variable update uses ``rate × multiplier``, the multiplier looked up by the variable's path.
It is registered, so a saved model with it loads in ``safe_mode``.

Example::

    tl.freezing.unfreeze(model, "block08_")
    rates = tl.discriminative.compile_discriminative(model, learning_rate=1e-3, decay=2.6, groups=3)
    print(rates)      # {'head': 0.001, 'base group 1 (top)': 0.00038, ...}
"""

from __future__ import annotations

import keras
from keras import ops

from tltutor import freezing, validation


@keras.saving.register_keras_serializable(package="tltutor")
class LayerwiseAdam(keras.optimizers.Adam):
    """Adam with a learning-rate multiplier per variable path (1.0 for paths not listed)."""

    def __init__(self, learning_rate=1e-3, multipliers: dict[str, float] | None = None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.multipliers = {str(path): float(value) for path, value in (multipliers or {}).items()}

    def build(self, variables):
        super().build(variables)
        # The TensorFlow backend hands update_step raw tf.Variables without a path: look up by index.
        self._multiplier_by_index = [self.multipliers.get(variable.path, 1.0) for variable in variables]

    def update_step(self, gradient, variable, learning_rate):
        multiplier = self._multiplier_by_index[self._get_variable_index(variable)]
        if multiplier != 1.0:
            learning_rate = ops.multiply(ops.cast(learning_rate, variable.dtype), multiplier)
        super().update_step(gradient, variable, learning_rate)

    def get_config(self):
        return {**super().get_config(), "multipliers": dict(self.multipliers)}


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


def layerwise_multipliers(model: keras.Model, decay: float = 2.6, groups: int = 3) -> tuple[dict, dict]:
    """``(multipliers by variable path, a readable {group: multiplier})``; the head keeps 1.0."""
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not decay >= 1:
        raise validation.InvalidArgumentError(f"decay must be a number >= 1 (2.6 in ULMFiT), got {decay!r:.60}")
    multipliers, readable = {}, {"head": 1.0}
    for depth, layers in enumerate(base_layer_groups(model, groups), start=1):
        factor = float(decay) ** -depth
        readable[f"base group {depth} ({layers[0].name} … {layers[-1].name})"] = factor
        for layer in layers:
            for variable in layer.trainable_weights:
                multipliers[variable.path] = factor
    paths = [variable.path for variable in model.trainable_variables]
    if len(paths) != len(set(paths)):
        raise validation.InvalidArgumentError("the model has variables with the same path; give layers unique names")
    return multipliers, readable


def compile_discriminative(model: keras.Model, learning_rate: float = 1e-3, decay: float = 2.6,
                           groups: int = 3) -> dict[str, float]:
    """Compile ``model`` with :class:`LayerwiseAdam`; return ``{group: learning rate}`` for display."""
    from tltutor import training

    learning_rate = validation.check_learning_rate(learning_rate)
    multipliers, readable = layerwise_multipliers(model, decay, groups)
    model.compile(
        optimizer=LayerwiseAdam(learning_rate, multipliers=multipliers),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=training.devices.recommended_jit_compile(),
        steps_per_execution=training.devices.recommended_steps_per_execution(),
    )
    return {group: learning_rate * factor for group, factor in readable.items()}
