"""Progress for long work: a line every few seconds with the metric and the time left, silence for short work.

Stored notebook outputs should stay compact, and a student waiting on a minute of training should
see that it moves. Both follow from one rule: report at most every ``every_seconds`` (10 s by
default), so work that finishes sooner prints nothing, and longer work prints a line now and then
with an estimate of the time left.

Examples:
    >>> lines = []
    >>> steps = Steps(3, "seeds", every_seconds=0, output=lines.append)
    >>> for seed in range(3):
    ...     steps.advance(f"seed {seed}")
    >>> lines[-1].startswith("[seeds 3/3] seed 2")
    True
"""

from __future__ import annotations

import time

import keras


def to_output(progress):
    """The one convention for ``progress`` arguments: ``True`` prints, ``False`` or ``None`` is silent, a function gets each line."""
    if progress is True:
        return print
    if progress is False or progress is None:
        return None
    if callable(progress):
        return progress
    raise TypeError(f"progress must be True, False or a function that takes a line, got {type(progress).__name__}")


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


class Steps:
    """Progress over ``total`` steps of a loop (seeds, variants, sizes), throttled to ``every_seconds``."""

    def __init__(self, total: int, label: str, *, every_seconds: float = 10.0, output=True):
        self.total, self.label, self.every_seconds, self.output = total, label, every_seconds, to_output(output)
        self.done = 0
        self.started = self._last = time.perf_counter()

    def advance(self, what: str = "") -> None:
        """Mark one step done; print a line when ``every_seconds`` have passed since the last one."""
        self.done += 1
        now = time.perf_counter()
        if self.output is None or now - self._last < self.every_seconds:
            return
        self._last = now
        elapsed = now - self.started
        left = elapsed / self.done * (self.total - self.done)
        remaining = f", about {_duration(left)} left" if self.done < self.total else ""
        self.output(f"[{self.label} {self.done}/{self.total}] {what} ({_duration(elapsed)} so far{remaining})")


class EpochProgress(keras.callbacks.Callback):
    """A Keras callback: per-epoch lines with the monitored metrics and the time left, at most every few seconds.

    Args:
        phase: a name for the lines ("head", "fine-tune").
        every_seconds: the least time between two lines; the first line comes after that long.
        output: where lines go: ``True`` (printed), ``False`` or a function (:func:`to_output`).
        early_stopping: whether early stopping may end the run before its last epoch (the lines say so).
    """

    def __init__(self, phase: str = "training", every_seconds: float = 10.0, output=True,
                 early_stopping: bool = True):
        super().__init__()
        self.phase, self.every_seconds, self.output = phase, every_seconds, to_output(output)
        self.early_stopping = early_stopping

    def on_train_begin(self, logs=None):
        self.started = self._last = time.perf_counter()
        self.total = int(self.params.get("epochs") or 0)

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        if self.output is None or now - self._last < self.every_seconds:
            return
        self._last = now
        done = epoch + 1 - int(self.params.get("initial_epoch", 0) or 0)
        left = (now - self.started) / max(done, 1) * max(self.total - epoch - 1, 0)
        metrics = " · ".join(f"{name} {float(value):.3f}" for name, value in (logs or {}).items()
                             if name in ("loss", "accuracy", "val_loss", "val_accuracy"))
        stopping = " (early stopping may end sooner)" if self.early_stopping else ""
        self.output(f"{self.phase}: epoch {epoch + 1}/{self.total} · {metrics} · about {_duration(left)} left{stopping}")
