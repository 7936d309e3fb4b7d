"""The learning-rate range test: raise the rate every batch, watch the loss, pick a rate.

Training starts at a tiny rate that grows exponentially each batch. The loss first barely
moves, then falls fastest, then explodes. A good rate lies where the smoothed loss falls
fastest, about ten times below the rate of the lowest loss (Smith 2017; fastai's ``lr_find``).
The model's weights and optimizer are restored afterwards, so the test changes nothing.

Example::

    result = tl.lr_finder.find_learning_rate(model, train)
    print(result.suggestion)
    tl.report.plots.plot_range_test(result)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np

from tltutor import compiling, features, models, validation
from tltutor.data import batches, pipelines


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
        # Keras logs the epoch's running mean; emptied before every batch, the mean is that batch's loss.
        for metric in self.model.metrics:
            metric.reset_state()

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
    """``(suggestion, steepest, minimum)``: the steepest-descent rate, capped at minimum/10 when that is above it.

    The suggestion is never below the lowest rate tried; when it equals that rate, the loss never
    fell (a converged model): the curve then shows only where training starts to break.
    """
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
    # Slopes across a window of about a tenth of the curve: batch-to-batch noise hides neighbours' slopes.
    width = max(1, len(rates) // 20)
    positions = np.arange(len(rates))
    ahead, behind = np.minimum(positions + width, len(rates) - 1), np.maximum(positions - width, 0)
    log_rates = np.log10(rates)
    slopes = (losses[ahead] - losses[behind]) / (log_rates[ahead] - log_rates[behind])
    steepest = float(rates[int(np.argmin(slopes))])
    # The lowest loss caps the rate only when it lies above the steepest point; a minimum near the
    # start is noise on a flat curve, not a sign of divergence.
    suggestion = min(steepest, minimum / 10) if minimum > steepest else steepest
    return max(suggestion, float(learning_rates[0])), steepest, minimum  # never a rate below the tested range


def _range_test_target(model: keras.Model, train):
    """What to train during the test, and on what: the unfrozen top on kept activations where possible.

    The model itself is never trained: either its top (sharing weights, which are restored
    afterwards) or a clone is, so its own optimizer state stays as it was.
    """
    is_transfer_model = models.BASE_NAME in [layer.name for layer in model.layers]
    part = features.frozen_split(model) if is_transfer_model and not models.has_augmentation(model) else None
    if part is not None:
        return part[1], features.outputs_of(part[0], train)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    if isinstance(train, keras.utils.PyDataset):
        train = batches.to_numpy(train)
    return clone, train


def find_learning_rate(model: keras.Model, train, *, min_learning_rate: float = 1e-7,
                       max_learning_rate: float = 1.0, steps: int = 100, smoothing: float = 0.9,
                       divergence: float = 4.0, batch_size: int = 32, verbose: int = 0,
                       seed: int | None = 0) -> RangeTestResult:
    """Run the range test on ``model`` (compiled, with the layers you mean to train trainable).

    Args:
        train: a batched ``tf.data`` dataset, a ``PyDataset`` or ``(x, y)`` arrays; it is repeated if it runs out.
        steps: batches at most; the test stops early once the loss is ``divergence`` × its best.
        seed: the order of shuffled array data.
    """
    for value in (min_learning_rate, max_learning_rate):
        validation.check_number(value, "a range-test rate", low=0, high=100, low_inclusive=False)
    if min_learning_rate >= max_learning_rate:
        raise validation.InvalidArgumentError("min_learning_rate must be below max_learning_rate")
    steps = validation.check_positive_int(steps, "steps", minimum=10)
    if not getattr(model, "compiled", False):
        raise validation.InvalidArgumentError("compile the model first (tl.compiling.compile_model)")
    target, data = _range_test_target(model, train)
    weights = target.get_weights()
    # The rate must change after every batch, not after every execution of several steps.
    compiling.compile_like(target, model, steps_per_execution=1)
    recorder = _ExponentialRate(min_learning_rate, max_learning_rate, steps, smoothing, divergence)
    try:
        if isinstance(data, tuple):
            repeats = math.ceil(steps * batch_size / len(data[0]))
            x = np.concatenate([data[0]] * repeats)
            y = np.concatenate([data[1]] * repeats)
            target.fit(**pipelines.fit_arguments(x, y, batch_size=batch_size, shuffle=True, seed=seed), epochs=1,
                       callbacks=[recorder], verbose=verbose)
        else:
            target.fit(data.repeat(), steps_per_epoch=steps, epochs=1, shuffle=False, callbacks=[recorder],
                       verbose=verbose)
    finally:
        target.set_weights(weights)
    suggestion, steepest, minimum = suggest(recorder.rates, recorder.smoothed)
    return RangeTestResult(recorder.rates, recorder.losses, recorder.smoothed, suggestion, steepest, minimum)
