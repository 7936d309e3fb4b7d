"""The learning-rate range test: raise the rate every batch, watch the loss, pick a rate.

Training starts at a tiny rate that grows exponentially each batch. The loss first barely
moves, then falls fastest, then explodes. A good rate lies where the smoothed loss falls
fastest, about ten times below the rate of the lowest loss (Smith 2017; fastai's ``lr_find``).
The model's weights and optimizer are restored afterwards, so the test changes nothing.

Example::

    result = tl.lr_finder.find_learning_rate(model, train)
    print(result.suggestion)
    tl.lr_finder.plot(result)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from tltutor import validation


@dataclass
class RangeTestResult:
    """Rates tried (one per batch), raw and smoothed losses, and the suggested rate."""

    learning_rates: list[float]
    losses: list[float]
    smoothed_losses: list[float]
    suggestion: float
    steepest: float
    minimum: float


class _ExponentialRate(keras.callbacks.Callback):
    def __init__(self, start, end, steps, smoothing, divergence):
        super().__init__()
        self.start, self.factor = start, (end / start) ** (1 / max(steps - 1, 1))
        self.steps, self.smoothing, self.divergence = steps, smoothing, divergence
        self.rates, self.losses, self.smoothed = [], [], []
        self._average, self._best = 0.0, math.inf

    def _rate(self, step):
        return self.start * self.factor ** step

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self._rate(len(self.rates)))

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs["loss"])
        step = len(self.rates)
        self.rates.append(self._rate(step))
        self.losses.append(loss)
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** (step + 1))
        self.smoothed.append(smoothed)
        self._best = min(self._best, smoothed)
        if not math.isfinite(loss) or smoothed > self.divergence * self._best or step + 1 >= self.steps:
            self.model.stop_training = True


def suggest(learning_rates, smoothed_losses, skip_start: int = 5, skip_end: int = 2) -> tuple[float, float, float]:
    """``(suggestion, steepest, minimum)``: the steepest-descent rate, capped at minimum/10 when that is above it."""
    rates = np.asarray(learning_rates, dtype=float)
    losses = np.asarray(smoothed_losses, dtype=float)
    usable = slice(skip_start, max(len(rates) - skip_end, skip_start + 2))
    rates, losses = rates[usable], losses[usable]
    if len(rates) < 3:
        raise validation.InvalidArgumentError(
            "the range test stopped after too few batches to suggest a rate: use more data, a smaller "
            "batch size or a smaller min_learning_rate"
        )
    minimum = float(rates[int(np.argmin(losses))])
    slopes = np.gradient(losses, np.log10(rates))
    steepest = float(rates[int(np.argmin(slopes))])
    # The lowest loss caps the rate only when it lies above the steepest point; a minimum near the
    # start is noise on a flat curve, not a sign of divergence.
    suggestion = min(steepest, minimum / 10) if minimum > steepest else steepest
    return suggestion, steepest, minimum


def _compile_again(model: keras.Model, *, steps_per_execution: int) -> None:
    model.compile(optimizer=model.optimizer, loss=model.loss, metrics=["accuracy"], jit_compile=model.jit_compile,
                  steps_per_execution=steps_per_execution)


def find_learning_rate(model: keras.Model, train, *, min_learning_rate: float = 1e-7,
                       max_learning_rate: float = 1.0, steps: int = 100, smoothing: float = 0.9,
                       divergence: float = 4.0, verbose: int = 0) -> RangeTestResult:
    """Run the range test on ``model`` (compiled, with the layers you mean to train trainable).

    Args:
        train: a batched ``tf.data`` dataset, a ``PyDataset`` or ``(x, y)`` arrays; it is repeated if it runs out.
        steps: batches at most; the test stops early once the loss is ``divergence`` × its best.
    """
    for value in (min_learning_rate, max_learning_rate):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
            raise validation.InvalidArgumentError(f"range-test rates must be numbers in (0, 100], got {value!r:.60}")
    if min_learning_rate >= max_learning_rate:
        raise validation.InvalidArgumentError("min_learning_rate must be below max_learning_rate")
    steps = validation.check_positive_int(steps, "steps", minimum=10)
    if not getattr(model, "compiled", False):
        raise validation.InvalidArgumentError("compile the model first (tl.training.compile_model)")
    weights = model.get_weights()
    optimizer_variables = [keras.ops.convert_to_numpy(variable) for variable in model.optimizer.variables]
    original_rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    recorder = _ExponentialRate(min_learning_rate, max_learning_rate, steps, smoothing, divergence)
    steps_per_execution = getattr(model, "steps_per_execution", 1) or 1
    if steps_per_execution != 1:  # the rate must change after every batch, not every execution
        _compile_again(model, steps_per_execution=1)
    if isinstance(train, keras.utils.PyDataset):
        from tltutor.data import batches

        train = batches.to_numpy(train)
    try:
        if isinstance(train, tuple):
            batches = math.ceil(len(train[0]) / 32)
            repeats = math.ceil(steps / batches)
            x = np.concatenate([train[0]] * repeats)
            y = np.concatenate([train[1]] * repeats)
            model.fit(x, y, batch_size=32, epochs=1, shuffle=True, callbacks=[recorder], verbose=verbose)
        else:
            model.fit(train.repeat(), steps_per_epoch=steps, epochs=1, callbacks=[recorder], verbose=verbose)
    finally:
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, optimizer_variables):
            if tuple(variable.shape) == value.shape:
                variable.assign(value)
        model.optimizer.learning_rate.assign(original_rate)
        if steps_per_execution != 1:
            _compile_again(model, steps_per_execution=steps_per_execution)
    suggestion, steepest, minimum = suggest(recorder.rates, recorder.smoothed)
    return RangeTestResult(recorder.rates, recorder.losses, recorder.smoothed, suggestion, steepest, minimum)


def plot(result: RangeTestResult, title: str = "Learning-rate range test"):
    """Loss against rate on a log axis, with the suggested rate marked."""
    from tltutor.plots import _pyplot

    pyplot = _pyplot()
    figure, axis = pyplot.subplots(figsize=(6, 3.6))
    axis.plot(result.learning_rates, result.losses, color="0.8", label="loss per batch")
    axis.plot(result.learning_rates, result.smoothed_losses, label="smoothed loss")
    axis.axvline(result.suggestion, color="C3", linestyle="--", label=f"suggested {result.suggestion:.1e}")
    axis.set_xscale("log")
    axis.set_xlabel("learning rate")
    axis.set_ylabel("training loss")
    low, high = min(result.smoothed_losses), result.smoothed_losses[0]
    axis.set_ylim(low - 0.1 * abs(high - low + 1e-9), max(high, low) + 0.5 * abs(high - low + 1e-9))
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return figure
