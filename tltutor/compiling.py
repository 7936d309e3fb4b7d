"""One compile path: the optimizer, the loss and the device decisions, chosen in one place.

Every tltutor module compiles through :func:`compile_model`, so the device decisions of
:mod:`tltutor.runtime.devices` (XLA, steps per execution) and weight decay apply everywhere.
The defaults are Adam (AdamW's decoupled decay when ``weight_decay`` is set), sparse
cross-entropy on logits (the heads have no softmax) and accuracy.

:class:`LayerwiseAdam` adds what Keras 3 optimizers lack: a learning-rate multiplier per
variable (discriminative rates, :mod:`tltutor.discriminative`).

Examples:
    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> model = compile_model(model, 1e-3, weight_decay=0.01)
    >>> type(model.optimizer).__name__, float(model.optimizer.weight_decay)
    ('AdamW', 0.01)
"""

from __future__ import annotations

import functools

import keras
from keras import ops

from tltutor import state, validation
from tltutor.runtime import devices

HEAD_LEARNING_RATE = 1e-3
FINE_TUNE_FACTOR = 10


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


@keras.saving.register_keras_serializable(package="tltutor")
class BoxAndClassLoss(keras.losses.Loss):
    """One class and one box per image, from ``num_classes + 4`` outputs
    (:func:`tltutor.models.build_localisation_model`).

    The first ``num_classes`` outputs are class logits, scored by cross-entropy; the last four are the box
    ``x1, y1, x2, y2`` as shares of the image side, scored by their mean absolute error times
    ``box_weight``. Targets are rows ``class, x1, y1, x2, y2`` (:func:`tltutor.models.box_targets`).
    """

    def __init__(self, num_classes: int, box_weight: float = 5.0, name: str = "box_and_class", **keywords):
        super().__init__(name=name, **keywords)
        self.num_classes = validation.check_positive_int(num_classes, "num_classes")
        self.box_weight = float(validation.check_number(box_weight, "box_weight", low=0, high=1e3))

    def call(self, targets, outputs):
        classes = ops.cast(targets[:, 0], "int32")
        cross_entropy = keras.losses.sparse_categorical_crossentropy(classes, outputs[:, :self.num_classes],
                                                                     from_logits=True)
        box_error = ops.mean(ops.abs(outputs[:, self.num_classes:] - targets[:, 1:]), axis=-1)
        return cross_entropy + self.box_weight * box_error

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "box_weight": self.box_weight}


def make_optimizer(learning_rate: float = HEAD_LEARNING_RATE, *, weight_decay: float | None = None,
                   learning_rate_multipliers: dict[str, float] | None = None) -> keras.optimizers.Optimizer:
    """Adam; AdamW when ``weight_decay`` is set; :class:`LayerwiseAdam` when multipliers are given."""
    learning_rate = validation.check_learning_rate(learning_rate)
    if weight_decay:
        weight_decay = validation.check_number(weight_decay, "weight_decay", low=0, high=1 / learning_rate,
                                               low_inclusive=False, high_inclusive=False,
                                               hint="each step multiplies a weight by 1 - learning_rate × weight_decay")
    if learning_rate_multipliers:
        return LayerwiseAdam(learning_rate, multipliers=learning_rate_multipliers, weight_decay=weight_decay or None)
    if weight_decay:
        return keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    return keras.optimizers.Adam(learning_rate)


def in_model_strategy(function):
    """Run a helper whose first argument is a model inside the strategy the model was built in."""

    @functools.wraps(function)
    def wrapper(model, *args, **kwargs):
        with state.model_scope(model):
            return function(model, *args, **kwargs)

    return wrapper


@in_model_strategy
def compile_model(model: keras.Model, learning_rate: float = HEAD_LEARNING_RATE, *, weight_decay: float | None = None,
                  learning_rate_multipliers: dict[str, float] | None = None, loss=None, loss_weights=None,
                  metrics=("accuracy",), jit_compile: bool | str = "auto",
                  steps_per_execution: int | str = "auto") -> keras.Model:
    """Compile ``model`` the tltutor way and return it.

    Args:
        learning_rate: Adam's rate (1e-3 for a new head; for fine-tuning, 1e-3 with a warm-up or lower, lesson 03).
        weight_decay: decoupled weight decay (AdamW), or ``None``.
        learning_rate_multipliers: ``{variable path: multiplier}`` for layer-wise rates.
        loss: a Keras loss (or a dict of them for several outputs); sparse cross-entropy on logits by default.
        loss_weights: weights of the losses of several outputs.
        metrics: Keras metrics; accuracy by default, ``None`` for none.
        jit_compile: ``"auto"`` follows :mod:`tltutor.runtime.devices`: XLA with JAX always, with
            TensorFlow only on an accelerator (it is 5–10× slower on the CPUs measured here).
        steps_per_execution: ``"auto"``: 16 on an accelerator, 1 on a CPU.
    """
    optimizer = make_optimizer(learning_rate, weight_decay=weight_decay,
                               learning_rate_multipliers=learning_rate_multipliers)
    if jit_compile == "auto":
        jit_compile = devices.recommended_jit_compile()
    if steps_per_execution == "auto":
        steps_per_execution = devices.recommended_steps_per_execution()
    model.compile(optimizer=optimizer, loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  loss_weights=loss_weights, metrics=list(metrics) if metrics else None, jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    record = state.of(model)
    record.variants.clear()  # copies compiled for the settings before this compile
    record.record_compile(model, _signature(model, model))
    return model


def settings_of(optimizer):
    """The optimizer that holds the settings (weight decay, layer-wise multipliers).

    Under ``mixed_float16`` Keras wraps the optimizer given to ``compile`` in a
    ``LossScaleOptimizer``, which has neither setting: read them from the optimizer inside it.
    """
    return getattr(optimizer, "inner_optimizer", optimizer)


def built_for(optimizer) -> tuple[int, ...] | None:
    """The variables ``optimizer`` was built to update (ids), or ``None`` if it was not built yet.

    Keras builds an optimizer for the trainable variables of the first ``fit`` after a compile
    and keeps that list (a private attribute, read here only) until the next compile.
    """
    inner = settings_of(optimizer)
    if optimizer is None or not getattr(inner, "built", False):
        return None
    return tuple(id(variable) for variable in getattr(inner, "_trainable_variables", ()))


def current_learning_rate(model: keras.Model) -> float:
    """The learning rate the model's optimizer holds now."""
    return float(ops.convert_to_numpy(model.optimizer.learning_rate))


_KEEP = object()


def compile_like(model: keras.Model, source: keras.Model, learning_rate: float | None = None, *,
                 steps_per_execution: int | None = None, learning_rate_multipliers=_KEEP) -> keras.Model:
    """Compile ``model`` as ``source`` is compiled: rate, weight decay, layer-wise multipliers, loss, metrics.

    Everything is read back from ``source`` itself, so it survives saving and loading.
    ``learning_rate``, ``steps_per_execution`` and ``learning_rate_multipliers`` (``None`` for one
    rate everywhere) override what ``source`` has.
    """
    optimizer = getattr(source, "optimizer", None)
    if optimizer is None or not getattr(source, "compiled", False):
        return compile_model(model, learning_rate or HEAD_LEARNING_RATE)
    optimizer = settings_of(optimizer)
    if learning_rate is None:
        learning_rate = current_learning_rate(source)
    config = source.get_compile_config() or {}
    if learning_rate_multipliers is _KEEP:
        learning_rate_multipliers = getattr(optimizer, "multipliers", None)
    return compile_model(model, learning_rate, weight_decay=getattr(optimizer, "weight_decay", None),
                         learning_rate_multipliers=learning_rate_multipliers,
                         loss=getattr(source, "loss", None), loss_weights=config.get("loss_weights"),
                         metrics=config.get("metrics"), jit_compile=getattr(source, "jit_compile", "auto"),
                         steps_per_execution=steps_per_execution or getattr(source, "steps_per_execution", "auto"))


MAX_VARIANTS = 4


def _signature(model: keras.Model, source: keras.Model) -> tuple:
    """What decides a traced training step: the optimizer's kind and settings, the loss, what trains and its penalties."""
    wrapper = getattr(source, "optimizer", None)
    optimizer = settings_of(wrapper)
    config = source.get_compile_config() or {} if getattr(source, "compiled", False) else {}
    return (type(wrapper).__name__, type(optimizer).__name__, getattr(optimizer, "weight_decay", None),
            tuple(sorted((getattr(optimizer, "multipliers", None) or {}).items())),
            repr(config.get("loss")), repr(config.get("loss_weights")), repr(config.get("metrics")),
            getattr(source, "jit_compile", None), getattr(source, "steps_per_execution", None),
            tuple(id(variable) for variable in model.trainable_variables),
            # a regulariser's constants (L2-SP's start) are traced into the step: never reuse one
            object() if any(getattr(variable, "regularizer", None) is not None
                            for variable in model.trainable_variables) else None)


def _structure(tensors: list):
    return tensors[0] if len(tensors) == 1 else tensors


def _reuse(model: keras.Model, source: keras.Model, learning_rate: float | None) -> keras.Model:
    reset_optimizer(model)
    rate = learning_rate if learning_rate is not None else current_learning_rate(source)
    model.optimizer.learning_rate.assign(validation.check_learning_rate(rate))
    return model


def compile_or_reuse(model: keras.Model, source: keras.Model, learning_rate: float | None = None) -> keras.Model:
    """``model`` compiled as ``source`` is (:func:`compile_like`), reusing a traced step; train what it returns.

    Compiling again makes Keras trace the training step anew (3-20 s on a CPU for a fine-tuning
    step). When nothing that the step depends on has changed since tltutor last compiled it,
    resetting the optimizer's state (:func:`reset_optimizer`) and setting the new rate gives the
    next ``fit`` the same start as a fresh compile would. A comparison that alternates between ways
    of compiling (one rate everywhere, then layer-wise rates, then one rate again) would still trace
    at every switch, so each way gets its own functional copy of ``model`` that shares its layers
    and weights; up to :data:`MAX_VARIANTS` copies are kept in ``model``'s :mod:`tltutor.state`,
    and the returned model is the one to train.
    """
    signature = _signature(model, source)
    record = state.of(model)
    if signature[-1] is not None:  # a regulariser's trace is never reused: keep no copy for it
        return compile_like(model, source, learning_rate)
    if record.compile_is_current(model) and record.compiled[1] == signature:
        return _reuse(model, source, learning_rate)
    variant = record.variants.pop(signature, None)
    if variant is not None and state.of(variant).compile_is_current(variant):
        record.variants[signature] = variant  # most recently used last
        return _reuse(variant, source, learning_rate)
    target = model
    if record.compiled is not None and getattr(model, "compiled", False):
        with state.model_scope(model):
            target = state.share_strategy(keras.Model(_structure(model.inputs), _structure(model.outputs),
                                                      name=model.name), model)
        record.variants[signature] = target
        while len(record.variants) > MAX_VARIANTS:
            state.forget(record.variants.pop(next(iter(record.variants))))
    return compile_like(target, source, learning_rate)


def recompile(model: keras.Model, learning_rate: float | None = None) -> keras.Model:
    """Compile again so that trainability changes take effect, keeping every other compile setting.

    When neither what trains nor the optimizer has changed since tltutor last compiled ``model``,
    the traced step is kept: the optimizer's state is reset and the rate set instead, which gives
    the next ``fit`` the same start as compiling would.
    """
    record = state.of(model)
    if record.compile_is_current(model) and record.compiled[1] == _signature(model, model):
        return _reuse(model, model, learning_rate)
    return compile_like(model, model, learning_rate)


def ensure_compiled(model: keras.Model, learning_rate: float = HEAD_LEARNING_RATE) -> keras.Model:
    """Compile ``model`` with the defaults unless it is compiled already."""
    if not getattr(model, "compiled", False):
        compile_model(model, learning_rate)
    return model


def reset_optimizer(model: keras.Model) -> None:
    """Give the optimizer the state a new one has (step counts and moments zero), without compiling again.

    A fresh Adam starts from zeros, so this gives the next ``fit`` the same start as a new
    optimizer would, while the traced training step is reused: compiling again costs 3–20 s here.
    Under ``mixed_float16`` the ``LossScaleOptimizer`` around it also gets back its initial loss
    scale; a loss scale of zero would turn every gradient into NaN.
    """
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not optimizer.built:
        return
    loss_scale = getattr(optimizer, "dynamic_scale", None)
    for variable in optimizer.variables:
        if variable is loss_scale:
            variable.assign(ops.full(variable.shape, optimizer.initial_scale, variable.dtype))
        elif not variable.path.endswith("learning_rate"):
            variable.assign(ops.zeros(variable.shape, variable.dtype))  # zeros_like fails on a JAX-backed variable
