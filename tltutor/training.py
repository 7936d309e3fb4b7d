"""Training phases: train the new head, fine-tune with a lower learning rate, unfreeze gradually.

Each phase appends to one :class:`TrainingHistory` that remembers where every phase started, so
plots can mark the moment fine-tuning began. Every verb returns that history.

Frozen layers compute the same thing in every epoch, so the verbs compute it once
(:mod:`tltutor.features`): :func:`train_head` trains the head on the base's pooled features, and
:func:`fine_tune` trains only the unfrozen top of the base on the activations that enter it. Both
are exact: with no augmentation in the model, the frozen part sees the same images each epoch. With
augmentation, :func:`fine_tune` runs the frozen part once per image and epoch on a fresh rendering
(:class:`AugmentedOutputs`), and :func:`train_head` trains on images.

Example (fastai's ``fine_tune`` in Keras)::

    import tltutor as tl
    train, validation, test, info = tl.data.load_dataset(image_size=96, samples_per_class=100)
    model = tl.models.build_transfer_model(num_classes=info.num_classes, image_size=96)
    history = tl.training.train_head(model, train, validation, epochs=20)
    history = tl.training.fine_tune(model, train, validation, epochs=5, history=history)
    print(tl.training.evaluate(model, test))
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import keras
import numpy as np

from tltutor import compiling, discriminative, features, freezing, models, schedules, state, validation
from tltutor.compiling import FINE_TUNE_FACTOR, HEAD_LEARNING_RATE, in_model_strategy
from tltutor.data import batches, pipelines
from tltutor.io import checkpoints
from tltutor.runtime import progress as progress_lines

# fine_tune's defaults: what lesson 03's sweep chose on validation (1e-2 destroyed the base; 1e-3 with a warm-up
# and a decay beat the head and 1e-4; without the warm-up it was lower on average, not measurably).
# tests/test_lesson_claims.py keeps them agreeing.
FINE_TUNE_LEARNING_RATE = 1e-3
FINE_TUNE_SCHEDULE = "warmup_cosine"
MIN_VALIDATION_FOR_EARLY_STOPPING = 30  # fewer validation examples judge by noise: one of 10 moves accuracy by 0.1


@dataclass
class TrainingHistory:
    """Per-epoch metrics of every phase, and the epoch at which each phase started."""

    records: list[dict] = field(default_factory=list)
    phase_starts: dict[str, int] = field(default_factory=dict)

    def add_phase(self, phase: str, keras_history: dict, seconds: float) -> None:
        """Append one phase's Keras history (``{metric: [value per epoch]}``) that took ``seconds``."""
        self.phase_starts.setdefault(phase, len(self.records))
        epochs = len(next(iter(keras_history.values()), []))
        for epoch in range(epochs):
            record = {"phase": phase, "epoch": len(self.records) + 1, "seconds": seconds / max(epochs, 1)}
            record.update({key: float(values[epoch]) for key, values in keras_history.items()})
            self.records.append(record)

    @property
    def steps(self) -> int:
        """Optimizer steps taken, all phases together (an epoch is one step per batch)."""
        return int(sum(record.get("steps", 0) for record in self.records))

    def phase_steps(self) -> dict[str, int]:
        """Optimizer steps per phase, in the order the phases ran: ``{"head": 180, "fine-tune": 60}``."""
        totals: dict[str, int] = {}
        for record in self.records:
            totals[record["phase"]] = totals.get(record["phase"], 0) + int(record.get("steps", 0))
        return totals

    def metric(self, name: str) -> list[float]:
        """The values of one metric, one per epoch (NaN where a phase did not record it)."""
        return [record.get(name, float("nan")) for record in self.records]

    @property
    def epochs(self) -> int:
        return len(self.records)

    @property
    def seconds(self) -> float:
        return float(sum(record["seconds"] for record in self.records))

    def best(self, name: str = "val_accuracy") -> float:
        """The highest value of ``name`` (for a loss, use ``min`` of :meth:`metric`)."""
        values = [value for value in self.metric(name) if not np.isnan(value)]
        return max(values) if values else float("nan")

    def to_dict(self) -> dict:
        return {"records": self.records, "phase_starts": self.phase_starts}


class StepCounter(keras.callbacks.Callback):
    """Adds ``steps`` (the optimizer steps of the epoch) to each epoch's logs, so histories count them.

    It reads the optimizer's own counter: Keras calls batch callbacks once per execution, which is
    several steps when ``steps_per_execution`` is above 1 (as tltutor compiles on a GPU).
    """

    def _iterations(self) -> int:
        return int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self._iterations()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["steps"] = self._iterations() - self.start


def callbacks_for(early_stopping_patience: int | None, monitor: str = "val_loss", *, start_from_epoch: int = 0) -> list:
    """Early stopping on ``monitor`` that restores the best weights; none for ``None`` or 0.

    ``start_from_epoch`` epochs pass before it watches, and its best weights come from after them.
    """
    if not early_stopping_patience:
        return []
    patience = validation.check_positive_int(early_stopping_patience, "early_stopping_patience")
    return [keras.callbacks.EarlyStopping(monitor=monitor, patience=patience, restore_best_weights=True,
                                          start_from_epoch=start_from_epoch)]


def early_stopping_for(early_stopping_patience: int | None, validation_data, *, epochs: int,
                       schedule: str = "constant", progress=True) -> list:
    """The early-stopping callbacks a training verb uses, with two guards.

    - Fewer than :data:`MIN_VALIDATION_FOR_EARLY_STOPPING` validation examples: none. With 10
      images one image moves accuracy by 0.1, and stopping would follow noise; the run trains its
      whole, stated budget (``progress`` is told).
    - A warm-up (``schedule="warmup_cosine"``): it watches only after the warm-up's epochs, so a
      run is never ended, or rewound, before its rate has even reached its peak.
    """
    if not early_stopping_patience or validation_data is None:
        return []
    count = batches.count(validation_data)
    if count is not None and count < MIN_VALIDATION_FOR_EARLY_STOPPING:
        output = progress_lines.to_output(progress)
        if output is not None:
            output(f"early stopping off: {count} validation examples are too few to judge (at least "
                   f"{MIN_VALIDATION_FOR_EARLY_STOPPING}); training all {epochs} epochs")
        return []
    start = math.ceil(schedules.WARMUP_FRACTION * epochs) if schedule == "warmup_cosine" else 0
    return callbacks_for(early_stopping_patience, start_from_epoch=start)


def _is_texts(values) -> bool:
    if isinstance(values, np.ndarray):
        return values.dtype.kind in "USO" and values.size > 0 and isinstance(values.flat[0], (str, bytes))
    return isinstance(values, (list, tuple)) and len(values) > 0 and isinstance(values[0], (str, bytes))


def model_inputs(model: keras.Model, data):
    """``data`` as ``model`` reads it: ``(texts, labels)`` for a text model becomes ``(token ids, labels)``.

    The texts are tokenized with the model's own tokenizer (:func:`tltutor.text.build_text_model`
    records it); any other data is returned as it is.
    """
    if data is None or not (isinstance(data, tuple) and len(data) == 2 and _is_texts(data[0])):
        return data
    tokenize = state.of(model).tokenize
    if tokenize is None:
        raise validation.InvalidArgumentError(
            "this model was given text but has no tokenizer: build it with tl.text.build_text_model, or pass token "
            "ids (tl.text.tokenize)")
    return tokenize(list(data[0])), np.asarray(data[1])


def check_data_fits_model(model: keras.Model, data, what: str = "training data") -> None:
    """Refuse, before any training, images of the wrong shape and labels the head cannot output."""
    if not (isinstance(data, (tuple, keras.utils.PyDataset)) or batches.is_tf_dataset(data)):
        return
    if isinstance(data, tuple) and isinstance(data[0], (list, tuple)):
        return  # kept outputs of a cut with several tensors: they come from the model itself
    batch = batches.first_batch(data)
    if batch is None:
        validation.check_not_empty(0, what)
    images, labels = batch[0], batch[1]
    expected = tuple(model.inputs[0].shape[1:]) if getattr(model, "inputs", None) else None
    shape = tuple(keras.ops.shape(images)[1:])
    if expected and (len(expected) != len(shape)
                     or any(want is not None and want != got for want, got in zip(expected, shape))):
        raise validation.InvalidArgumentError(
            f"the model expects inputs of shape {expected}, but the {what} has {shape}. Load the data with "
            f"load_dataset(image_size={expected[0]}) or build the model with image_size={shape[0] if shape else '?'}; "
            "images must be RGB (3 channels) in 0..255."
        )
    loss = getattr(model, "loss", None)
    labels = keras.ops.convert_to_numpy(labels)
    if isinstance(loss, compiling.BoxAndClassLoss):  # rows of class and box (tltutor.models.box_targets)
        if labels.ndim != 2 or labels.shape[1] != 5 or not np.isfinite(labels).all() or (labels[:, 1:] < 0).any() \
                or (labels[:, 1:] > 1).any():
            raise validation.InvalidArgumentError(
                f"a localisation model trains on rows of class, x1, y1, x2, y2 with the box as shares of the image "
                f"side, got an array of shape {labels.shape}: make them with tl.models.box_targets")
        validation.check_labels(labels[:, 0], loss.num_classes)
        return
    num_classes = int(model.outputs[0].shape[-1])
    if models.is_dense(model):  # one mask per image, as large as the model's output
        from tltutor.data import scenes

        scenes.check_masks(labels, num_classes - 1, tuple(model.outputs[0].shape[1:3]))
        return
    if labels.ndim > 2 or (labels.ndim == 2 and labels.shape[1] != 1):
        raise validation.InvalidArgumentError(
            f"the {what}'s labels have shape {labels.shape}: give one class index per example, shape (N,). "
            "One-hot rows? Pass labels.argmax(axis=1).")
    validation.check_labels(labels.reshape(-1), num_classes)


def _fit(model, train, validation_data, epochs, callbacks, *, checkpoint_dir=None, phase="train", batch_size=32,
         progress=True, verbose=0, seed=None):
    """``model.fit`` with checks, optional checkpoint/resume, progress lines and wall-clock time.

    Returns the Keras history dict (resumed epochs included) and the seconds this call trained.
    """
    check_data_fits_model(model, train)
    if validation_data is not None:
        check_data_fits_model(model, validation_data, "validation data")
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    if state.of(model).trainable_changed_since_compile(model):  # set by hand: Keras would train the old set
        compiling.recompile(model)
    started = time.perf_counter()
    if isinstance(train, tuple):
        fit_data = pipelines.fit_arguments(*train, batch_size=batch_size, shuffle=True, seed=seed)
    else:
        fit_data = {"x": train, "shuffle": False}  # a dataset shuffles itself
    if isinstance(validation_data, tuple):
        validation_data = pipelines.array_pipeline(*validation_data, batch_size=256, shuffle=False)
    previous, initial_epoch, callbacks = None, 0, [StepCounter(), *callbacks]
    if progress and not verbose:
        stops = any(isinstance(callback, keras.callbacks.EarlyStopping) for callback in callbacks)
        callbacks.append(progress_lines.EpochProgress(phase, output=progress, early_stopping=stops))
    if checkpoint_dir is not None:
        directory = checkpoints.phase_directory(checkpoint_dir, phase)
        previous = checkpoints.restore(model, directory)
        if previous is not None and previous.finished:
            return previous.history, 0.0
        initial_epoch = previous.completed_epochs if previous else 0
        saver = checkpoints.EpochCheckpoint(directory, previous)
        callbacks.append(saver)
    result = model.fit(**fit_data, validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
                       callbacks=callbacks, verbose=verbose)
    seconds = time.perf_counter() - started
    if checkpoint_dir is None:
        return result.history, seconds
    saver.mark_finished()
    return saver.state.history, seconds


def _kept_outputs_fit(part, train, validation_data) -> bool:
    """Whether the frozen part's outputs for ``train`` and ``validation_data`` fit in the feature cache's budget."""
    counts = [batches.count(data) for data in (train, validation_data) if data is not None]
    return None in counts or features.fits(part[0], sum(counts))


def _train_part(model: keras.Model, part: tuple[keras.Model, keras.Model], train, validation_data, epochs: int,
                callbacks, *, learning_rate: float, **fit_options):
    """Train ``top`` on the (kept) outputs of the frozen ``bottom``; ``top`` is compiled like ``model``.

    Where those outputs would not fit in the feature cache (:data:`tltutor.features.cache`), the
    whole model trains on the inputs instead, as plain Keras would.
    """
    if not _kept_outputs_fit(part, train, validation_data):
        output = progress_lines.to_output(fit_options.get("progress"))
        if output is not None:
            output(f"the frozen part's outputs would exceed the feature cache's {features.cache.max_bytes:,} bytes "
                   "(tl.features.cache.max_bytes): training on the inputs")
        return _fit(model, train, validation_data, epochs, callbacks, **fit_options)
    bottom, top = part
    train_outputs = features.outputs_of(bottom, train)
    validation_outputs = features.outputs_of(bottom, validation_data) if validation_data is not None else None
    top = compiling.compile_or_reuse(top, model, learning_rate)
    return _fit(top, train_outputs, validation_outputs, epochs, callbacks, **fit_options)


class AugmentedOutputs(keras.utils.PyDataset):
    """The frozen ``bottom``'s outputs on a fresh augmentation of every training image, drawn anew each epoch.

    Online augmentation shows each image once an epoch under a new random transformation; so does
    this. The frozen layers run once per image per epoch (with BatchNorm folded, in inference mode,
    as they do inside the model) and only ``top`` trains on their outputs, so each step is as cheap
    as on kept features while every epoch still sees new renderings.
    """

    def __init__(self, augmentation, bottom, images, labels, *, batch_size: int, seed: int | None = None):
        super().__init__()
        self.augmentation, self.bottom = augmentation, features.computing_model(bottom)
        self.images, self.labels, self.batch_size = images, np.asarray(labels), batch_size
        self.shuffler = np.random.default_rng(seed)
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.labels) / self.batch_size)

    def __getitem__(self, index):
        chosen = self.permutation[index * self.batch_size:(index + 1) * self.batch_size]
        return self.outputs[chosen], self.labels[chosen]

    def on_epoch_end(self):
        size = features.PREDICT_BATCH_SIZE
        augmented = np.concatenate([keras.ops.convert_to_numpy(self.augmentation(self.images[start:start + size],
                                                                                  training=True))
                                    for start in range(0, len(self.labels), size)])
        self.outputs = np.asarray(models.predict_in_batches(self.bottom, augmented))
        self.permutation = self.shuffler.permutation(len(self.labels))


def _train_part_augmented(model, part, train, validation_data, epochs, callbacks, *, learning_rate: float,
                          batch_size: int, seed, **fit_options):
    """Train ``top`` on the frozen ``bottom``'s outputs of freshly augmented images (:class:`AugmentedOutputs`)."""
    bottom, top = part
    images, labels = train
    outputs = AugmentedOutputs(model.get_layer(models.AUGMENTATION_NAME), bottom, np.asarray(images), labels,
                               batch_size=batch_size, seed=seed)
    validation_outputs = features.outputs_of(bottom, validation_data) if validation_data is not None else None
    top = compiling.compile_or_reuse(top, model, learning_rate)
    return _fit(top, outputs, validation_outputs, epochs, callbacks, batch_size=batch_size, seed=seed, **fit_options)


@in_model_strategy
def train_head(model: keras.Model, train, validation_data, *, epochs: int = 20,
               learning_rate: float = HEAD_LEARNING_RATE, use_cached_features: bool | None = None,
               early_stopping_patience: int | None = 10, batch_size: int = 32,
               history: TrainingHistory | None = None, phase: str = "head", checkpoint_dir=None,
               progress=True, verbose: int = 0, seed: int | None = 0,
               schedule: str = "constant") -> TrainingHistory:
    """Freeze the base and train only the new head.

    With a frozen base and no augmentation the base's output never changes, so by default the
    features are computed once (and kept for later calls, :mod:`tltutor.features`) and the head
    is trained on them. With augmentation in the model, training runs on images.

    ``checkpoint_dir`` keeps every epoch and the best weights on disk; running the same call again
    after an interruption continues from the last completed epoch (see :mod:`tltutor.io.checkpoints`).
    ``progress`` (``True``, ``False`` or a function that takes a line) prints an epoch line with the
    metrics and the time left at most every 10 s, so short phases stay silent. ``seed`` fixes the
    order in which array data is shuffled: the same order in every process by default, another for
    another seed (``None``: TensorFlow's global seed decides).
    ``schedule`` is ``"constant"`` or ``"warmup_cosine"`` (:mod:`tltutor.schedules`).
    """
    epochs = validation.check_epochs(epochs)
    train, validation_data = model_inputs(model, train), model_inputs(model, validation_data)
    history = history or TrainingHistory()
    freezing.freeze_base(model, learning_rate=learning_rate)
    compiling.ensure_compiled(model, learning_rate)
    if use_cached_features is None:
        use_cached_features = not models.has_augmentation(model)
    check_data_fits_model(model, train)
    arguments = dict(checkpoint_dir=checkpoint_dir, phase=phase, batch_size=batch_size, progress=progress,
                     verbose=verbose, seed=seed)
    started = time.perf_counter()
    callbacks = early_stopping_for(early_stopping_patience, validation_data, epochs=epochs, schedule=schedule,
                                   progress=progress) + schedules.callbacks(schedule)
    if use_cached_features:
        part = (models.feature_extractor(model), models.head(model))
        result, _ = _train_part(model, part, train, validation_data, epochs, callbacks, learning_rate=learning_rate,
                                **arguments)
    else:
        result, _ = _fit(model, train, validation_data, epochs, callbacks, **arguments)
    history.add_phase(phase, result, time.perf_counter() - started)
    return history


@in_model_strategy
def fine_tune(model: keras.Model, train, validation_data, *, epochs: int = 5, learning_rate: float | None = None,
              unfreeze_from=None, early_stopping_patience: int | None = 3, batch_size: int = 32,
              layerwise_decay: float | None = None, use_cached_features: bool | None = None,
              history: TrainingHistory | None = None, phase: str = "fine-tune", checkpoint_dir=None,
              progress=True, verbose: int = 0, seed: int | None = 0,
              schedule: str = FINE_TUNE_SCHEDULE) -> TrainingHistory:
    """Unfreeze the base from ``unfreeze_from`` (BatchNorm stays frozen) and train it with the head.

    ``learning_rate`` defaults to :data:`FINE_TUNE_LEARNING_RATE` (1e-3) with a warm-up and a cosine
    decay (:data:`FINE_TUNE_SCHEDULE`), the pair lesson 03 chose on validation; at a constant rate
    1e-3 scored lower there on average, so pass ``schedule="constant"`` with a lower rate. With
    ``layerwise_decay`` (2.6 in ULMFiT) the head trains at ``learning_rate`` and each third of the
    unfrozen base, going toward the input, at a further 1/decay (:mod:`tltutor.discriminative`). ``schedule="warmup_cosine"`` warms the rate up
    over the first tenth of the steps and decays it to zero (:mod:`tltutor.schedules`). The training
    itself is :func:`train_unfrozen`.
    """
    schedules.callbacks(schedule)  # an unknown schedule is refused before anything changes
    if learning_rate is None:
        learning_rate = FINE_TUNE_LEARNING_RATE
    freezing.unfreeze(model, unfreeze_from, learning_rate=learning_rate)
    compiling.ensure_compiled(model, learning_rate)
    if layerwise_decay is not None:
        discriminative.compile_discriminative(model, learning_rate, layerwise_decay=layerwise_decay)
    elif getattr(compiling.settings_of(model.optimizer), "multipliers", None):  # layer-wise rates of an earlier call do not carry over
        compiling.compile_like(model, model, learning_rate, learning_rate_multipliers=None)
    return train_unfrozen(model, train, validation_data, epochs=epochs, learning_rate=learning_rate,
                          early_stopping_patience=early_stopping_patience, batch_size=batch_size,
                          use_cached_features=use_cached_features, history=history, phase=phase,
                          checkpoint_dir=checkpoint_dir, progress=progress, verbose=verbose, seed=seed,
                          schedule=schedule)


@in_model_strategy
def train_unfrozen(model: keras.Model, train, validation_data, *, epochs: int = 5, learning_rate: float | None = None,
                   early_stopping_patience: int | None = 3, batch_size: int = 32,
                   use_cached_features: bool | None = None, history: TrainingHistory | None = None,
                   phase: str = "fine-tune", checkpoint_dir=None, progress=True, verbose: int = 0,
                   seed: int | None = 0, schedule: str = "constant") -> TrainingHistory:
    """Train whatever is trainable now (after :func:`tltutor.freezing.unfreeze`, or LoRA), as compiled.

    The frozen layers below the first trainable one run once per example, and only the layers above
    are trained on their kept outputs; with augmentation in the model, once per example and epoch, on
    a fresh rendering (:class:`AugmentedOutputs`). ``use_cached_features`` decides; ``None`` means
    whenever the model allows it.
    """
    epochs = validation.check_epochs(epochs)
    train, validation_data = model_inputs(model, train), model_inputs(model, validation_data)
    compiling.ensure_compiled(model, learning_rate or HEAD_LEARNING_RATE / FINE_TUNE_FACTOR)
    if learning_rate is None:
        learning_rate = compiling.current_learning_rate(model)
    history = history or TrainingHistory()
    check_data_fits_model(model, train)
    if state.of(model).trainable_changed_since_compile(model):  # set by hand: compile what trains now
        compiling.recompile(model)
    part = features.frozen_split(model) if use_cached_features is not False else None
    augmented = part is not None and models.has_augmentation(model)
    if augmented and (not isinstance(train, tuple) or isinstance(part[0].output, (list, tuple))):
        part = None  # fresh renderings per epoch need array images and one tensor at the cut
    arguments = dict(checkpoint_dir=checkpoint_dir, phase=phase, batch_size=batch_size, progress=progress,
                     verbose=verbose, seed=seed)
    callbacks = early_stopping_for(early_stopping_patience, validation_data, epochs=epochs, schedule=schedule,
                                   progress=progress) + schedules.callbacks(schedule)
    started = time.perf_counter()
    if part is not None and augmented:
        result, _ = _train_part_augmented(model, part, train, validation_data, epochs, callbacks,
                                          learning_rate=learning_rate, **arguments)
    elif part is not None:
        result, _ = _train_part(model, part, train, validation_data, epochs, callbacks, learning_rate=learning_rate,
                                **arguments)
    else:
        result, _ = _fit(model, train, validation_data, epochs, callbacks, **arguments)
    history.add_phase(phase, result, time.perf_counter() - started)
    return history


@in_model_strategy
def gradual_unfreeze(model: keras.Model, train, validation_data, *, unfreeze_points, epochs_per_stage: int = 1,
                     final_stage_epochs: int | None = None, learning_rate: float | None = None,
                     schedule: str = FINE_TUNE_SCHEDULE, batch_size: int = 32, layerwise_decay: float | None = None,
                     history: TrainingHistory | None = None, checkpoint_dir=None, progress=True,
                     verbose: int = 0, seed: int | None = 0) -> TrainingHistory:
    """Fine-tune in stages, as ULMFiT does: stage *k* unfreezes the base from ``unfreeze_points[k]``.

    The points are listed top first, each nearer the input than the one before, so the layers next
    to the input train last and for the fewest steps. Every stage but the last trains
    ``epochs_per_stage`` epochs; the last, with the most unfrozen, trains ``final_stage_epochs``
    (``epochs_per_stage`` when ``None``). Each stage is a :func:`fine_tune` run of its own at
    ``learning_rate`` (:data:`FINE_TUNE_LEARNING_RATE` by default): with ``schedule="warmup_cosine"``
    its rate warms up from zero again, so the layers it has just unfrozen (and the optimizer's
    fresh moment estimates for them) start slowly, and decays to zero before the next stage.
    """
    schedules.callbacks(schedule)
    unfreeze_points = freezing.check_unfreeze_points(model, unfreeze_points)
    epochs_per_stage = validation.check_epochs(epochs_per_stage)
    final_stage_epochs = epochs_per_stage if final_stage_epochs is None else validation.check_epochs(final_stage_epochs)
    history = history or TrainingHistory()
    train, validation_data = model_inputs(model, train), model_inputs(model, validation_data)
    for stage, point in enumerate(unfreeze_points, start=1):
        fine_tune(model, train, validation_data, schedule=schedule,
                  epochs=final_stage_epochs if stage == len(unfreeze_points) else epochs_per_stage,
                  learning_rate=learning_rate, unfreeze_from=point, early_stopping_patience=None,
                  batch_size=batch_size, layerwise_decay=layerwise_decay, history=history,
                  phase=f"unfreeze {stage}: {point}", checkpoint_dir=checkpoint_dir, progress=progress,
                  verbose=verbose, seed=seed)
    return history


@in_model_strategy
def train_all(model: keras.Model, train, validation_data, *, epochs: int = 10, learning_rate: float = HEAD_LEARNING_RATE,
              keep_batchnorm_frozen: bool = False, early_stopping_patience: int | None = None, batch_size: int = 32,
              history: TrainingHistory | None = None, phase: str = "train all", checkpoint_dir=None,
              progress=True, verbose: int = 0, seed: int | None = 0) -> TrainingHistory:
    """Train every layer (the from-scratch baseline)."""
    epochs = validation.check_epochs(epochs)
    train, validation_data = model_inputs(model, train), model_inputs(model, validation_data)
    freezing.unfreeze(model, None, keep_batchnorm_frozen=keep_batchnorm_frozen, learning_rate=learning_rate)
    compiling.ensure_compiled(model, learning_rate)
    history = history or TrainingHistory()
    callbacks = early_stopping_for(early_stopping_patience, validation_data, epochs=epochs, progress=progress)
    result, seconds = _fit(model, train, validation_data, epochs, callbacks,
                           checkpoint_dir=checkpoint_dir, phase=phase, batch_size=batch_size, progress=progress,
                           verbose=verbose, seed=seed)
    history.add_phase(phase, result, seconds)
    return history


def predict_logits(model: keras.Model, data) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, logits)`` for every example of ``data``, in order: truth first, as in Keras's losses and metrics.

    The frozen part of the model runs once per image (:func:`tltutor.features.frozen_split`); its
    outputs are kept, so evaluating several variants that share a frozen base costs one pass.
    ``(texts, labels)`` works for a text model (:func:`model_inputs`).
    """
    data = model_inputs(model, data)
    part = features.frozen_split(model) if models.BASE_NAME in [layer.name for layer in model.layers] else None
    if part is None or not _kept_outputs_fit(part, data, None):
        outputs, labels = [], []
        for images, batch_labels in batches.iterate(data):
            outputs.append(models.predict_batch(model, images))
            labels.append(features.label_rows(batch_labels))
        validation.check_not_empty(len(outputs))
        return features.joined_labels(labels), np.concatenate(outputs)
    bottom, top = part
    kept, labels = features.outputs_of(bottom, data)
    return labels, models.predict_in_batches(top, kept, 256)


def evaluate(model: keras.Model, data) -> dict[str, float]:
    """Loss and accuracy on ``data`` (a ``tf.data`` dataset, a ``PyDataset`` or ``(images, labels)``)."""
    labels, logits = predict_logits(model, data)
    losses = keras.ops.convert_to_numpy(
        keras.losses.sparse_categorical_crossentropy(labels, logits.astype(np.float32), from_logits=True))
    return {"loss": float(np.mean(losses)), "accuracy": float(np.mean(np.argmax(logits, axis=-1) == labels))}
