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

import functools
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from tltutor import checkpoints, devices, distribution, freezing, models, validation
from tltutor.data import batches

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


def in_model_strategy(function):
    """Run a helper whose first argument is a model inside the strategy the model was built in."""

    @functools.wraps(function)
    def wrapper(model, *args, **kwargs):
        with distribution.model_scope(model):
            return function(model, *args, **kwargs)

    return wrapper


@in_model_strategy
def compile_model(model: keras.Model, learning_rate: float = HEAD_LEARNING_RATE, *, weight_decay: float | None = None,
                  jit_compile: bool | str = "auto", steps_per_execution: int | str = "auto") -> keras.Model:
    """Compile with Adam (AdamW when ``weight_decay`` is set), sparse cross-entropy on logits and accuracy.

    ``"auto"`` follows :mod:`tltutor.devices`: XLA with JAX always and with TensorFlow only on an
    accelerator (it is slower on CPU); several steps per execution on an accelerator, one on CPU.
    A model built with a mixed-precision policy gets Keras's loss scaling where float16 needs it.
    """
    learning_rate = validation.check_learning_rate(learning_rate)
    if weight_decay:
        weight_decay = validation.check_fraction(weight_decay, "weight_decay")
        optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=weight_decay)
    else:
        optimizer = keras.optimizers.Adam(learning_rate)
    if jit_compile == "auto":
        jit_compile = devices.recommended_jit_compile()
    if steps_per_execution == "auto":
        steps_per_execution = devices.recommended_steps_per_execution()
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        jit_compile=jit_compile,
        steps_per_execution=steps_per_execution,
    )
    return model


def current_learning_rate(model: keras.Model) -> float:
    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def recompile(model: keras.Model, learning_rate: float | None = None) -> keras.Model:
    """Compile again so that trainability changes take effect; keeps the learning rate and weight decay."""
    optimizer = getattr(model, "optimizer", None)
    if learning_rate is None:
        learning_rate = current_learning_rate(model) if optimizer else HEAD_LEARNING_RATE
    weight_decay = getattr(optimizer, "weight_decay", None)
    return compile_model(model, learning_rate, weight_decay=weight_decay, jit_compile=getattr(model, "jit_compile", "auto"),
                         steps_per_execution=getattr(model, "steps_per_execution", "auto"))


def _ensure_compiled(model: keras.Model, learning_rate: float) -> None:
    if not getattr(model, "compiled", False):
        compile_model(model, learning_rate)


def callbacks_for(patience: int | None, monitor: str = "val_loss"):
    if not patience:
        return []
    return [keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True)]


def check_data_fits_model(model: keras.Model, data, what: str = "training data") -> None:
    """Refuse, before any training, images of the wrong shape and labels the head cannot output."""
    if not (isinstance(data, (tuple, keras.utils.PyDataset)) or batches.is_tf_dataset(data)):
        return
    batch = batches.first_batch(data)
    if batch is None:
        raise validation.InvalidArgumentError(f"the {what} is empty: there is nothing to train on")
    images, labels = batch[0], batch[1]
    expected = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    shape = tuple(keras.ops.shape(images)[1:])
    if expected and any(want is not None and want != got for want, got in zip(expected, shape)) \
            or (expected and len(expected) != len(shape)):
        raise validation.InvalidArgumentError(
            f"the model expects inputs of shape {expected}, but the {what} has {shape}. Load the data with "
            f"load_dataset(image_size={expected[0]}) or build the model with image_size={shape[0] if shape else '?'}; "
            "images must be RGB (3 channels) in 0..255."
        )
    num_classes = int(model.outputs[0].shape[-1])
    validation.check_labels(keras.ops.convert_to_numpy(labels).reshape(-1), num_classes)


def _fit(model, train, validation_data, epochs, callbacks, *, checkpoint_dir=None, phase="train", **fit_arguments):
    """``model.fit`` with checks, optional checkpoint/resume, and wall-clock time.

    Returns the Keras history dict (resumed epochs included) and the seconds this call trained.
    """
    check_data_fits_model(model, train)
    if validation_data is not None:
        check_data_fits_model(model, validation_data, "validation data")
    started = time.perf_counter()
    x, y = (train if isinstance(train, tuple) else (train, None))
    already_shuffled = batches.is_tf_dataset(train)  # a tf.data pipeline shuffles itself
    previous, initial_epoch, callbacks = None, 0, list(callbacks)
    if checkpoint_dir is not None:
        directory = checkpoints.phase_directory(checkpoint_dir, phase)
        previous = checkpoints.restore(model, directory)
        if previous is not None and previous.finished:
            return previous.history, 0.0
        initial_epoch = previous.completed_epochs if previous else 0
        saver = checkpoints.EpochCheckpoint(directory, previous)
        callbacks.append(saver)
    result = model.fit(x, y, validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
                       callbacks=callbacks, shuffle=not already_shuffled, verbose=fit_arguments.pop("verbose", 0),
                       **fit_arguments)
    seconds = time.perf_counter() - started
    if checkpoint_dir is None:
        return result.history, seconds
    saver.mark_finished()
    return saver.state.history, seconds


@in_model_strategy
def extract_features(model: keras.Model, dataset, *, callbacks=None):
    """Pooled base features and labels of every batch of ``dataset`` (one pass, in order).

    ``dataset`` is a ``tf.data`` dataset, a ``PyDataset`` or ``(images, labels)`` arrays.
    ``callbacks`` (Keras callbacks, for progress or timing) hear the end of every batch.
    """
    extractor = models.feature_extractor(model)
    if batches.first_batch(dataset) is None:
        raise validation.InvalidArgumentError("the dataset is empty: there is nothing to train on")
    if batches.is_tf_dataset(dataset):
        return _extract_in_one_predict(extractor, dataset, callbacks)
    features, labels = [], []
    for index, (images, batch_labels) in enumerate(batches.iterate(dataset)):
        features.append(models.predict_batch(extractor, images))
        labels.append(keras.ops.convert_to_numpy(batch_labels))
        for callback in callbacks or ():
            callback.on_predict_batch_end(index, {})
    return np.concatenate(features), np.concatenate(labels)


def _extract_in_one_predict(extractor: keras.Model, dataset, callbacks=None):
    """One ``predict`` over a ``tf.data`` pipeline, labels passed through the model beside the images.

    A training pipeline reshuffles on every pass, so the labels must come from the same pass as
    the features; one ``predict`` keeps the pipeline's prefetching, which a loop of batches loses.
    """
    with_labels = getattr(extractor, "_tltutor_with_labels", None)
    if with_labels is None:
        with distribution.model_scope(extractor):
            image = keras.Input(extractor.input_shape[1:], name="image")
            label = keras.Input((), dtype="int32", name="label")
            with_labels = keras.Model([image, label], [extractor(image), label], name="features_and_labels")
        object.__setattr__(extractor, "_tltutor_with_labels", with_labels)
    features, labels = with_labels.predict(dataset.map(lambda images, labels: ((images, labels),)), verbose=0,
                                           callbacks=callbacks)
    return np.asarray(features), np.asarray(labels).astype(np.int32)


@in_model_strategy
def train_head(model: keras.Model, train, validation_data, *, epochs: int = 20,
               learning_rate: float = HEAD_LEARNING_RATE, use_cached_features: bool | None = None,
               early_stopping_patience: int | None = 5, batch_size: int = 32,
               history: TrainingHistory | None = None, phase: str = "head", checkpoint_dir=None,
               verbose: int = 0) -> TrainingHistory:
    """Freeze the base and train only the new head.

    With a frozen base and no augmentation the base's output never changes, so by default the
    features are computed once and the head is trained on them (about 25× faster per epoch on
    a CPU). With augmentation in the model, training runs on images.

    ``checkpoint_dir`` keeps every epoch and the best weights on disk; running the same call again
    after an interruption continues from the last completed epoch (see :mod:`tltutor.checkpoints`).
    """
    epochs = validation.check_epochs(epochs)
    history = history or TrainingHistory()
    freezing.freeze_base(model, learning_rate=learning_rate)
    _ensure_compiled(model, learning_rate)
    if use_cached_features is None:
        use_cached_features = not models.has_augmentation(model)
    callbacks = callbacks_for(early_stopping_patience)
    if not use_cached_features:
        result, seconds = _fit(model, train, validation_data, epochs, callbacks, checkpoint_dir=checkpoint_dir,
                               phase=phase, verbose=verbose)
        history.add_phase(phase, result, seconds)
        return history
    check_data_fits_model(model, train)
    started = time.perf_counter()
    train_features = extract_features(model, train)
    validation_features = extract_features(model, validation_data) if validation_data is not None else None
    head_model = models.head(model)
    compile_model(head_model, learning_rate)
    result, _ = _fit(head_model, train_features, validation_features, epochs, callbacks,
                     checkpoint_dir=checkpoint_dir, phase=phase, batch_size=batch_size, verbose=verbose)
    history.add_phase(phase, result, time.perf_counter() - started)
    return history


@in_model_strategy
def fine_tune(model: keras.Model, train, validation_data, *, epochs: int = 5, learning_rate: float | None = None,
              unfreeze_from=None, early_stopping_patience: int | None = 3,
              history: TrainingHistory | None = None, phase: str = "fine-tune", checkpoint_dir=None,
              layerwise_decay: float | None = None, verbose: int = 0) -> TrainingHistory:
    """Unfreeze the base from ``unfreeze_from`` (BatchNorm stays frozen) and train with a low rate.

    ``learning_rate`` defaults to the head's rate divided by 10. With ``layerwise_decay`` (2.6 in
    ULMFiT) the head trains at ``learning_rate`` and each deeper third of the unfrozen base at a
    further 1/decay (:mod:`tltutor.discriminative`).
    """
    epochs = validation.check_epochs(epochs)
    if learning_rate is None:
        learning_rate = HEAD_LEARNING_RATE / FINE_TUNE_FACTOR
    freezing.unfreeze(model, unfreeze_from, learning_rate=learning_rate)
    _ensure_compiled(model, learning_rate)
    if layerwise_decay is not None:
        from tltutor import discriminative

        discriminative.compile_discriminative(model, learning_rate, decay=layerwise_decay)
    history = history or TrainingHistory()
    result, seconds = _fit(model, train, validation_data, epochs, callbacks_for(early_stopping_patience),
                           checkpoint_dir=checkpoint_dir, phase=phase, verbose=verbose)
    history.add_phase(phase, result, seconds)
    return history


@in_model_strategy
def gradual_unfreeze(model: keras.Model, train, validation_data, *, points, epochs_per_stage: int = 2,
                     learning_rate: float | None = None, history: TrainingHistory | None = None,
                     checkpoint_dir=None, layerwise_decay: float | None = None, verbose: int = 0) -> TrainingHistory:
    """Fine-tune in stages, each unfreezing deeper: ``points`` lists where each stage starts, top first."""
    history = history or TrainingHistory()
    for stage, point in enumerate(points, start=1):
        fine_tune(model, train, validation_data, epochs=epochs_per_stage, learning_rate=learning_rate,
                  unfreeze_from=point, early_stopping_patience=None, history=history,
                  phase=f"unfreeze {stage}: {point}", checkpoint_dir=checkpoint_dir,
                  layerwise_decay=layerwise_decay, verbose=verbose)
    return history


@in_model_strategy
def train_all(model: keras.Model, train, validation_data, *, epochs: int = 10, learning_rate: float = HEAD_LEARNING_RATE,
              keep_batchnorm_frozen: bool = False, early_stopping_patience: int | None = None,
              history: TrainingHistory | None = None, phase: str = "train all", checkpoint_dir=None,
              verbose: int = 0) -> TrainingHistory:
    """Train every layer (used for the from-scratch baseline)."""
    epochs = validation.check_epochs(epochs)
    freezing.unfreeze(model, None, keep_batchnorm_frozen=keep_batchnorm_frozen, learning_rate=learning_rate)
    _ensure_compiled(model, learning_rate)
    history = history or TrainingHistory()
    result, seconds = _fit(model, train, validation_data, epochs, callbacks_for(early_stopping_patience),
                           checkpoint_dir=checkpoint_dir, phase=phase, verbose=verbose)
    history.add_phase(phase, result, seconds)
    return history


@in_model_strategy
def evaluate(model: keras.Model, dataset) -> dict[str, float]:
    """Loss and accuracy on ``dataset`` (a ``tf.data`` dataset, a ``PyDataset`` or ``(images, labels)``)."""
    x, y = dataset if isinstance(dataset, tuple) else (dataset, None)
    return {key: float(value) for key, value in model.evaluate(x, y, verbose=0, return_dict=True).items()}
