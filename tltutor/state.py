"""The one owner of what tltutor derives from a model to make it fast.

Training a transfer model quickly needs more than the model: the parts cut out of it (the
feature extractor, the head, the two halves at an unfreezing point), a record of how each was
compiled (so that a repeated compile keeps its traced step), a copy of a frozen part with
BatchNorm folded into its convolutions, the ``tf.distribute`` strategy the model was built in,
and the weights it started from. All of it lives here, in one :class:`ModelState` per model,
never on the student's ``keras.Model``: the model stays a plain Keras model that saves, loads and
trains as Keras documents. A state is forgotten with its model (it is held by a weak reference).

- :func:`of` gives a model's state (made on first use). :func:`forget` drops it, and
  :func:`clear` drops every state, the model pool and every registered cache
  (:mod:`tltutor.features`' kept outputs, the resized datasets of :mod:`tltutor.data`).
- A state knows what was trainable when tltutor last compiled the model, so a change of
  ``trainable`` made by hand is noticed before training (:meth:`ModelState.compile_is_current`).
- :class:`ModelPool` keeps built models for reuse across seeds (building and compiling costs
  seconds to minutes); :func:`tltutor.models.reset` gives a pooled model its start back.

Examples:
    >>> import keras
    >>> from tltutor import state
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    >>> state.of(model) is state.of(model)
    True
    >>> [name for name in vars(model) if "tltutor" in name]    # nothing is set on the model itself
    []
    >>> state.forget(model)
"""

from __future__ import annotations

import collections
import weakref
from typing import Callable

import keras

from tltutor.runtime import distribution


class ModelState:
    """What tltutor derived from one model: its strategy, parts, compile record, folded copy and start.

    Attributes:
        strategy: the ``tf.distribute`` strategy or ``keras.distribution`` the model was built in.
        parts: models cut from this one (``"feature_extractor"``, ``"head"``, ``("split", cut)``),
            sharing its layers and weights.
        cut_inputs: ``{layer name: tensors entering it}`` named when the graph was built, for
            layers whose input Keras cannot name (a layer called in two graphs).
        compiled: ``(optimizer, signature)`` of tltutor's last compile (:mod:`tltutor.compiling`).
        variants: ``{signature: functional copy}`` compiled other ways, sharing the layers.
        folded: ``(weights fingerprint, inference copy)`` with BatchNorm folded in.
        batchnorm_pass: the traced pass that re-estimates BatchNorm statistics (AdaBN).
        start: the weights to go back to on :func:`tltutor.models.reset`.
        new_head: a hash of the head's weights as drawn at build (:func:`tltutor.models.head_is_new`).
        pretrained_base: whether the base was built with pretrained weights (``None``: not built by tltutor).
        tokenize: for a text model, the function from a list of strings to its token ids.
    """

    def __init__(self):
        self.strategy = None
        self.parts: dict = {}
        self.cut_inputs: dict = {}
        self.compiled: tuple | None = None
        self.variants: dict = {}
        self.folded: tuple | None = None
        self.batchnorm_pass: Callable | None = None
        self.start: list | None = None
        self.new_head: str | None = None
        self.pretrained_base: bool | None = None
        self.tokenize: Callable | None = None

    def forget_compile(self) -> None:
        """Drop the compile record and the variants: the next training compiles anew."""
        self.compiled = None
        self.variants.clear()

    def record_compile(self, model: keras.Model, signature: tuple | None) -> None:
        """Note how ``model`` was just compiled: its optimizer, ``signature`` and what trains."""
        self.compiled = (model.optimizer, signature, trainable_ids(model))

    def trainable_changed_since_compile(self, model: keras.Model) -> bool:
        """Whether ``trainable`` was changed since the recorded compile, which Keras does not notice until compiled again.

        A model compiled by its user rather than by tltutor is recorded as it is on first sight.
        """
        if not getattr(model, "compiled", False):
            return False
        if self.compiled is None or self.compiled[0] is not model.optimizer:
            self.record_compile(model, None)
            return False
        return self.compiled[2] != trainable_ids(model)

    def compile_is_current(self, model: keras.Model) -> bool:
        """Whether ``model`` is compiled as tltutor last compiled it, with the same variables trainable.

        ``False`` after ``trainable`` was changed by hand without compiling (Keras would go on
        training the variables of the last compile), after a compile that did not go through
        :mod:`tltutor.compiling`, and for a model tltutor never compiled.
        """
        return (getattr(model, "compiled", False) and self.compiled is not None
                and self.compiled[0] is model.optimizer and self.compiled[2] == trainable_ids(model))

    def clear(self) -> None:
        """Drop everything derived (the strategy stays: the model's variables live in it)."""
        for part in list(self.parts.values()):
            for model in part if isinstance(part, tuple) else (part,):
                if model is not None:
                    forget(model)
        self.parts.clear()
        self.forget_compile()
        self.folded = None
        self.batchnorm_pass = None


def trainable_ids(model: keras.Model) -> tuple[int, ...]:
    """Which variables train now: what a traced training step depends on."""
    return tuple(id(variable) for variable in model.trainable_variables)


_STATES: "weakref.WeakKeyDictionary[keras.Model, ModelState]" = weakref.WeakKeyDictionary()
_CACHES: list[Callable[[], None]] = []


def of(model: keras.Model) -> ModelState:
    """The state of ``model``, made empty on first use."""
    found = _STATES.get(model)
    if found is None:
        found = _STATES[model] = ModelState()
    return found


def strategy_of(model: keras.Model):
    """The strategy ``model`` was built in, or ``None``."""
    found = _STATES.get(model)
    return None if found is None else found.strategy


def model_scope(model: keras.Model):
    """Enter the strategy ``model`` was built in (nothing without one)."""
    return distribution.scope(strategy_of(model))


def share_strategy(target: keras.Model, source: keras.Model) -> keras.Model:
    """Give a model made from ``source``'s layers the strategy ``source`` was built in."""
    strategy = strategy_of(source)
    if strategy is not None:
        of(target).strategy = strategy
    return target


def forget(model: keras.Model) -> None:
    """Drop everything derived from ``model`` (its parts' states too)."""
    found = _STATES.pop(model, None)
    if found is not None:
        found.clear()


def register_cache(clear_function: Callable[[], None]) -> None:
    """Have :func:`clear` empty another cache too (modules with kept data register theirs on import)."""
    if clear_function not in _CACHES:
        _CACHES.append(clear_function)


def clear() -> None:
    """Free everything tltutor keeps: every model's derived state, the model pool and the registered caches."""
    for model in list(_STATES.keys()):
        forget(model)
    pool.clear()
    for clear_function in _CACHES:
        clear_function()


class ModelPool:
    """Built models kept for reuse, at most :attr:`size`, the least recently used dropped first.

    A comparison trains the same architecture once per seed and variant. Building it again costs
    seconds (and a pretrained download online), and compiling it again traces its training step
    anew (3–20 s here). A pooled model is handed back with the weights it was built with
    (:func:`tltutor.models.reset` then draws its head from the seed), so a run gives the
    same result whether its model was built now or reused. Use a pooled model only until the next
    :meth:`get` with the same key.
    """

    def __init__(self, size: int = 6):
        self.size = size
        self._models: collections.OrderedDict = collections.OrderedDict()

    def get(self, key, build: Callable[[], keras.Model]) -> keras.Model:
        """The model kept under ``key``, or ``build()``'s, kept; its starting weights are remembered."""
        model = self._models.pop(key, None)
        if model is None:
            model = build()
            of(model).start = [variable.numpy() if hasattr(variable, "numpy") else keras.ops.convert_to_numpy(variable)
                               for variable in model.variables]
        self._models[key] = model
        while len(self._models) > self.size:
            forget(self._models.popitem(last=False)[1])
        return model

    def clear(self) -> None:
        for model in self._models.values():
            forget(model)
        self._models.clear()


pool = ModelPool()
