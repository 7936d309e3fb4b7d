"""Learning-rate schedules for training verbs: constant, or a warm-up then a cosine decay.

Fine-tuning a pretrained network with a constant rate has two problems. At the start the new head
is still moving and its large gradients flow into weights that were already good, so a short
**warm-up** (the rate rising linearly from zero over the first tenth of the steps) protects them
(Goyal et al. 2017; the "slanted triangular" rates of ULMFiT, Howard & Ruder 2018). At the end a
large rate keeps the weights bouncing around a minimum, so a **cosine decay** to zero lets them
settle (Loshchilov & Hutter 2017). The schedule is a callback that sets the optimizer's rate before
each batch, so it works with a compiled model that tltutor reuses and with early stopping.

Examples:
    >>> schedule = WarmupCosine(peak=1e-3, warmup_fraction=0.1)
    >>> [round(schedule.rate(step, total=100), 6) for step in (0, 5, 10, 55, 99)]
    [0.0001, 0.0006, 0.001, 0.000491, 0.0]
"""

from __future__ import annotations

import math

import keras

from tltutor import validation

SCHEDULES = ("constant", "warmup_cosine")
WARMUP_FRACTION = 0.1  # of the steps: the rate rises linearly from zero over them


class WarmupCosine(keras.callbacks.Callback):
    """Set the rate before each batch: linear warm-up to ``peak`` over ``warmup_fraction`` of the steps, then cosine to 0.

    ``peak`` is the model's compiled rate when ``None``. After training the rate is set back to
    ``peak``, the rate the model was compiled with.
    """

    def __init__(self, peak: float | None = None, warmup_fraction: float = WARMUP_FRACTION):
        super().__init__()
        self.peak = peak
        self.warmup_fraction = validation.check_fraction(warmup_fraction, "warmup_fraction")

    def rate(self, step: int, total: int) -> float:
        """The rate at ``step`` (0-based) of ``total`` steps."""
        warmup = max(1, round(self.warmup_fraction * total))
        if step < warmup:
            return self.peak * (step + 1) / warmup
        progress = (step - warmup) / max(1, total - warmup - 1)
        return self.peak * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    def on_train_begin(self, logs=None):
        if self.peak is None:
            self.peak = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        epochs = int(self.params.get("epochs") or 1) - int(self.params.get("initial_epoch") or 0)
        self.total = max(1, epochs * int(self.params.get("steps") or 1))
        self.step = 0

    def on_train_batch_begin(self, batch, logs=None):
        self.model.optimizer.learning_rate.assign(self.rate(self.step, self.total))
        self.step += 1

    def on_train_end(self, logs=None):
        self.model.optimizer.learning_rate.assign(self.peak)


def callbacks(schedule: str = "constant") -> list:
    """The callbacks that give a training run ``schedule`` (none for ``"constant"``)."""
    schedule = validation.check_name(schedule, SCHEDULES, "learning-rate schedule")
    return [WarmupCosine()] if schedule == "warmup_cosine" else []
