"""Never lose a finished epoch: atomic per-epoch checkpoints, best weights, and resume.

:class:`EpochCheckpoint` writes, after every epoch, the weights (optimizer state included) and
a small ``state.json`` that records how many epochs are done and their metrics. Each file is
written under a temporary name and renamed, so a process killed at any moment leaves either the
previous checkpoint or the new one, never half of one. :func:`restore` loads the last complete
checkpoint and says which epoch to continue from.

The training helpers take ``checkpoint_dir=`` and do all of this for you::

    history = tl.training.fine_tune(model, train, validation, epochs=10, checkpoint_dir="runs/ft")
    # ... the kernel dies at epoch 6; run the same cell again: it continues at epoch 7.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import keras

from tltutor.io import files
from tltutor.errors import WeightsError

STATE_FILE = "state.json"
BEST_WEIGHTS = "best.weights.h5"


@dataclass
class CheckpointState:
    """What a checkpoint folder holds: epochs completed, their metrics, and whether training ended."""

    completed_epochs: int = 0
    history: dict[str, list[float]] = field(default_factory=dict)
    finished: bool = False
    weights: str | None = None
    best_value: float | None = None


def read_state(directory) -> CheckpointState | None:
    path = Path(directory) / STATE_FILE
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text())
        return CheckpointState(**raw)
    except (ValueError, TypeError) as error:
        raise WeightsError(
            f"{path} is damaged ({error}). Delete the folder {directory} to start this phase again."
        ) from error


def _save_weights_atomically(model: keras.Model, path: Path) -> None:
    files.save_atomically(path, model.save_weights)


def _build_optimizer(model: keras.Model) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)


def restore(model: keras.Model, directory) -> CheckpointState | None:
    """Load the last complete checkpoint of ``directory`` into ``model``; ``None`` when there is none."""
    state = read_state(directory)
    if state is None or state.weights is None:
        return state
    weights = Path(directory) / state.weights
    if not weights.exists():
        raise WeightsError(f"{directory}/{STATE_FILE} names {state.weights}, which is missing. "
                           f"Delete {directory} to start this phase again.")
    _build_optimizer(model)
    try:
        model.load_weights(weights)
    except ValueError as error:
        raise WeightsError(
            f"the checkpoint in {directory} was written by a different model ({str(error)[:200]}). "
            "Use another checkpoint_dir for a different model, or delete this one."
        ) from error
    return state


class EpochCheckpoint(keras.callbacks.Callback):
    """After each epoch: weights and state written atomically; the best weights kept separately.

    Args:
        directory: folder for this training phase (created when missing).
        previous: the state returned by :func:`restore`, to continue its history.
        monitor: the metric that decides the best weights (``val_loss`` by default, lower is better).
    """

    def __init__(self, directory, previous: CheckpointState | None = None, monitor: str = "val_loss"):
        super().__init__()
        self.directory = Path(directory)
        self.state = previous or CheckpointState()
        self.monitor = monitor
        self._lower_is_better = "loss" in monitor

    def _is_better(self, value) -> bool:
        if value is None or not math.isfinite(value):
            return False
        best = self.state.best_value
        if best is None:
            return True
        return value < best if self._lower_is_better else value > best

    def _write_state(self) -> None:
        files.write_json(self.state.__dict__, self.directory / STATE_FILE)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.directory.mkdir(parents=True, exist_ok=True)
        value = logs.get(self.monitor)
        value = None if value is None else float(value)
        if self._is_better(value):
            _save_weights_atomically(self.model, self.directory / BEST_WEIGHTS)
            self.state.best_value = value
        name = f"epoch-{epoch + 1:04d}.weights.h5"
        _save_weights_atomically(self.model, self.directory / name)
        previous_weights = self.state.weights
        for key, metric in logs.items():
            self.state.history.setdefault(key, []).append(float(metric))
        self.state.completed_epochs = epoch + 1
        self.state.weights = name
        self._write_state()
        if previous_weights and previous_weights != name:
            (self.directory / previous_weights).unlink(missing_ok=True)

    def mark_finished(self) -> None:
        """Record that the phase ended normally, with the weights it ended on (early stopping may restore)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = "final.weights.h5"
        _save_weights_atomically(self.model, self.directory / name)
        previous_weights = self.state.weights
        self.state.weights, self.state.finished = name, True
        self._write_state()
        if previous_weights and previous_weights != name:
            (self.directory / previous_weights).unlink(missing_ok=True)


def phase_directory(checkpoint_dir, phase: str) -> Path:
    """One sub-folder per training phase, named after it."""
    slug = "".join(character if character.isalnum() else "-" for character in phase.lower()).strip("-")
    return Path(checkpoint_dir) / (slug or "phase")
