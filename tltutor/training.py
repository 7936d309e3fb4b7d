"""Training phases: train the new head, fine-tune with a lower learning rate, unfreeze gradually.

Each phase appends to one :class:`TrainingHistory` that remembers where every phase started, so
plots can mark the moment fine-tuning began.

Example (fastai's ``fine_tune`` in Keras)::

    import tltutor as tl
    train, validation, test, info = tl.data.load_dataset(image_size=96, samples_per_class=100)
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=96)
    history = tl.training.train_head(model, train, validation, epochs=20)
    history = tl.training.fine_tune(model, train, validation, epochs=5, history=history)
    print(tl.training.evaluate(model, test))
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from tltutor import devices, freezing, models, validation

HEAD_LEARNING_RATE = 1e-3
FINE_TUNE_FACTOR = 10


@dataclass
class TrainingHistory:
    """Per-epoch metrics of every phase, and the epoch at which each phase started."""

    records: list[dict] = field(default_factory=list)
    phase_starts: dict[str, int] = field(default_factory=dict)

    def add_phase(self, phase: str, keras_history: dict, seconds: float) -> None:
        self.phase_starts.setdefault(phase, len(self.records))
        epochs = len(next(iter(keras_history.values()), []))
        for epoch in range(epochs):
            record = {"phase": phase, "epoch": len(self.records) + 1, "seconds": seconds / max(epochs, 1)}
            record.update({key: float(values[epoch]) for key, values in keras_history.items()})
            self.records.append(record)

    def metric(self, name: str) -> list[float]:
        return [record.get(name, float("nan")) for record in self.records]

    @property
    def epochs(self) -> int:
        return len(self.records)

    def best(self, name: str = "val_accuracy") -> float:
        values = [value for value in self.metric(name) if not np.isnan(value)]
        return max(values) if values else float("nan")


def compile_model(model: keras.Model, learning_rate: float = HEAD_LEARNING_RATE, *,
                  jit_compile: bool | str = "auto", steps_per_execution: int = 1) -> keras.Model:
    """Compile with Adam, sparse cross-entropy on logits and accuracy.

    ``jit_compile="auto"`` turns XLA on only with an accelerator (it is slower on CPU).
    """
    learning_rate = validation.check_learning_rate(learning_rate)
    if jit_compile == "auto":
        jit_compile = devices.recommended_jit_compile()
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def current_learning_rate(model: keras.Model) -> float:
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def recompile(model: keras.Model, learning_rate: float | None = None) -> keras.Model:
    """Compile again so that trainability changes take effect; keeps the learning rate by default."""
    if learning_rate is None:
        learning_rate = current_learning_rate(model) if getattr(model, "optimizer", None) else HEAD_LEARNING_RATE
    return compile_model(model, learning_rate, jit_compile=getattr(model, "jit_compile", False))


def callbacks_for(patience: int | None, monitor: str = "val_loss"):
    if not patience:
        return []
    return [keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)]


def _fit(model, train, validation_data, epochs, callbacks, **fit_arguments):
    started = time.perf_counter()
    already_shuffled = hasattr(train, "element_spec")  # a tf.data pipeline shuffles itself
    result = model.fit(train, validation_data=validation_data, epochs=epochs, callbacks=callbacks,
                       shuffle=not already_shuffled, verbose=fit_arguments.pop("verbose", 0), **fit_arguments)
    return result.history, time.perf_counter() - started


def extract_features(model: keras.Model, dataset):
    """Pooled base features and labels of every batch of ``dataset`` (one pass, in order)."""
    extractor = models.feature_extractor(model)
    features, labels = [], []
    for images, batch_labels in dataset:
        features.append(keras.ops.convert_to_numpy(extractor.predict_on_batch(images)))
        labels.append(np.asarray(batch_labels))
    if not features:
        raise validation.InvalidArgumentError("the dataset is empty: there is nothing to train on")
    return np.concatenate(features), np.concatenate(labels)


def train_head(model: keras.Model, train, validation_data, *, epochs: int = 20,
               learning_rate: float = HEAD_LEARNING_RATE, use_cached_features: bool | None = None,
               early_stopping_patience: int | None = 5, batch_size: int = 32,
               history: TrainingHistory | None = None, phase: str = "head", verbose: int = 0) -> TrainingHistory:
    """Freeze the base and train only the new head.

    With a frozen base and no augmentation the base's output never changes, so by default the
    features are computed once and the head is trained on them (about 100× faster per epoch on
    a CPU). With augmentation in the model, training runs on images.
    """
    epochs = validation.check_epochs(epochs)
    history = history or TrainingHistory()
    freezing.freeze_base(model, learning_rate=learning_rate)
    if use_cached_features is None:
        use_cached_features = not models.has_augmentation(model)
    callbacks = callbacks_for(early_stopping_patience)
    if not use_cached_features:
        result, seconds = _fit(model, train, validation_data, epochs, callbacks, verbose=verbose)
        history.add_phase(phase, result, seconds)
        return history
    started = time.perf_counter()
    train_features, train_labels = extract_features(model, train)
    validation_features = extract_features(model, validation_data)
    head_model = models.head(model)
    compile_model(head_model, learning_rate, jit_compile=False)
    result = head_model.fit(train_features, train_labels, validation_data=validation_features, epochs=epochs,
                            batch_size=batch_size, shuffle=True, callbacks=callbacks, verbose=verbose).history
    history.add_phase(phase, result, time.perf_counter() - started)
    return history


def fine_tune(model: keras.Model, train, validation_data, *, epochs: int = 5, learning_rate: float | None = None,
              unfreeze_from=None, early_stopping_patience: int | None = 3,
              history: TrainingHistory | None = None, phase: str = "fine-tune", verbose: int = 0) -> TrainingHistory:
    """Unfreeze the base from ``unfreeze_from`` (BatchNorm stays frozen) and train with a low rate.

    ``learning_rate`` defaults to the head's rate divided by 10.
    """
    epochs = validation.check_epochs(epochs)
    if learning_rate is None:
        learning_rate = HEAD_LEARNING_RATE / FINE_TUNE_FACTOR
    freezing.unfreeze(model, unfreeze_from, learning_rate=learning_rate)
    history = history or TrainingHistory()
    result, seconds = _fit(model, train, validation_data, epochs, callbacks_for(early_stopping_patience),
                           verbose=verbose)
    history.add_phase(phase, result, seconds)
    return history


def gradual_unfreeze(model: keras.Model, train, validation_data, *, points, epochs_per_stage: int = 2,
                     learning_rate: float | None = None, history: TrainingHistory | None = None,
                     verbose: int = 0) -> TrainingHistory:
    """Fine-tune in stages, each unfreezing deeper: ``points`` lists where each stage starts, top first."""
    history = history or TrainingHistory()
    for stage, point in enumerate(points, start=1):
        fine_tune(model, train, validation_data, epochs=epochs_per_stage, learning_rate=learning_rate,
                  unfreeze_from=point, early_stopping_patience=None, history=history,
                  phase=f"unfreeze {stage}: {point}", verbose=verbose)
    return history


def train_all(model: keras.Model, train, validation_data, *, epochs: int = 10, learning_rate: float = HEAD_LEARNING_RATE,
              keep_batchnorm_frozen: bool = False, early_stopping_patience: int | None = None,
              history: TrainingHistory | None = None, phase: str = "train all", verbose: int = 0) -> TrainingHistory:
    """Train every layer (used for the from-scratch baseline)."""
    epochs = validation.check_epochs(epochs)
    freezing.unfreeze(model, None, keep_batchnorm_frozen=keep_batchnorm_frozen, learning_rate=learning_rate)
    history = history or TrainingHistory()
    result, seconds = _fit(model, train, validation_data, epochs, callbacks_for(early_stopping_patience),
                           verbose=verbose)
    history.add_phase(phase, result, seconds)
    return history


def evaluate(model: keras.Model, dataset) -> dict[str, float]:
    """Loss and accuracy on ``dataset``."""
    return {key: float(value) for key, value in model.evaluate(dataset, verbose=0, return_dict=True).items()}
