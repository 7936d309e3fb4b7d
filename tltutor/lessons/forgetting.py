"""Catastrophic forgetting: fine-tune on a new task B, measure what the old task A loses, and the remedies.

The set-up tltutor uses offline: task A is DigitsCNN's own source task, scikit-learn's digits,
with the old head fitted on the pretrained base; task B is Fashion-MNIST. :func:`two_task_model`
puts a new head beside the old one on the shared base, and :func:`train_new_task` fine-tunes the
base for task B with one of these remedies:

- ``"naive"``: plain fine-tuning (the baseline that forgets);
- ``"frozen_base"``: only the new head trains; the base, and so the old task, cannot change;
- ``"low_lr"``: the same as naive with the base at a lower learning rate (the new head keeps the normal one);
- ``"l2sp"``: a penalty ``alpha × ||w - w_pretrained||²`` on the base (:class:`L2SP`, Li et al. 2018);
- ``"rehearsal"``: old-task images mixed into every epoch, trained through the old head;
- ``"lwf"``: Learning without Forgetting (Li & Hoiem 2016): on the new images, the old head is
  kept close to what it output before fine-tuning (distillation, temperature ``T``).

The old head stays frozen in every method, so the old task can only lose through the base. Every
method trains for the same number of optimizer steps (``epochs`` passes over the new images; rehearsal's
mixed set gets as many steps, not more).

Example::

    model_a, task_a = tl.lessons.forgetting.old_task_model()            # DigitsCNN + its digits head
    both = tl.lessons.forgetting.two_task_model(model_a, num_new_classes=10)
    tl.lessons.forgetting.train_new_task(both, new_train, method="l2sp", epochs=5)
    print(tl.lessons.forgetting.task_accuracies(both, task_a.test, new_test))
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import keras
import numpy as np

from tltutor import compiling, data, freezing, models, training, validation
from tltutor.data import batches, pipelines
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

METHODS = ("naive", "frozen_base", "low_lr", "l2sp", "rehearsal", "lwf")

# Measured on this set-up (Adam at 1e-3, 5 epochs): alpha 0.01 (the paper's value, with SGD on
# large networks) up to 10 kept no more of the digits than naive fine-tuning did (0.13-0.19 against
# 0.19); 300 kept 0.95. Adam rescales gradients, so the penalty must dominate to hold weights back.
DEFAULT_L2SP_ALPHA = 300.0
OLD_OUTPUT, NEW_OUTPUT = "old", "new"
IGNORE = -1


@keras.saving.register_keras_serializable(package="tltutor")
class L2SP(keras.regularizers.Regularizer):
    """``alpha × sum((w - w_start)²)``: pulls a weight back towards its pretrained value ``w_start``."""

    def __init__(self, start, alpha: float = 0.01):
        self.start = keras.ops.convert_to_tensor(np.asarray(start, dtype="float32"))
        self.alpha = float(alpha)

    def __call__(self, weights):
        return self.alpha * keras.ops.sum(keras.ops.square(keras.ops.cast(weights, "float32") - self.start))

    def get_config(self):
        return {"start": keras.ops.convert_to_numpy(self.start).tolist(), "alpha": self.alpha}


def attach_l2sp(model: keras.Model, alpha: float = DEFAULT_L2SP_ALPHA) -> int:
    """Give every weight of the base an :class:`L2SP` penalty towards its current value; returns how many."""
    alpha = validation.check_number(alpha, "alpha", low=0, high=10_000, low_inclusive=False)
    variables = freezing.get_base(model).weights
    for variable in variables:
        if variable.trainable or "moving" not in variable.path:
            variable.regularizer = L2SP(keras.ops.convert_to_numpy(variable), alpha)
    return sum(variable.regularizer is not None for variable in variables)


def detach_l2sp(model: keras.Model) -> None:
    for variable in freezing.get_base(model).weights:
        if isinstance(variable.regularizer, L2SP):
            variable.regularizer = None


@keras.saving.register_keras_serializable(package="tltutor")
class MaskedSparseCrossEntropy(keras.losses.Loss):
    """Cross-entropy on logits that ignores labels equal to -1 (images of the other task)."""

    def __init__(self, name: str = "masked_sparse_cross_entropy", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        ops = keras.ops
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        keep = ops.cast(y_true != IGNORE, "float32")
        safe = ops.where(y_true == IGNORE, 0, y_true)
        losses = keras.losses.sparse_categorical_crossentropy(safe, ops.cast(y_pred, "float32"), from_logits=True)
        return losses * keep


@keras.saving.register_keras_serializable(package="tltutor")
class Distillation(keras.losses.Loss):
    """KL divergence between softened old outputs (``y_true``, logits) and current ones, times ``T²``."""

    def __init__(self, temperature: float = 2.0, name: str = "distillation", **kwargs):
        super().__init__(name=name, **kwargs)
        self.temperature = float(temperature)

    def call(self, y_true, y_pred):
        ops = keras.ops
        target = ops.softmax(ops.cast(y_true, "float32") / self.temperature, axis=-1)
        log_current = ops.log_softmax(ops.cast(y_pred, "float32") / self.temperature, axis=-1)
        kl = ops.sum(target * (ops.log(ops.maximum(target, 1e-8)) - log_current), axis=-1)
        return kl * self.temperature ** 2

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}


@dataclass
class Task:
    """Arrays of one task: ``train`` and ``test`` are ``(images, labels)``, images 0..255 RGB."""

    name: str
    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    class_names: tuple[str, ...]


def digits_task(image_size: int = 32, seed: int = 0) -> Task:
    """scikit-learn's digits split exactly as DigitsCNN was pretrained: its own 80 % and its held-out 20 %."""
    from sklearn.datasets import load_digits  # scikit-learn is imported only where used

    digits = load_digits()
    images = batches.resize_images(np.round(digits.images * (255 / 16)).astype(np.uint8), image_size)
    order = np.random.default_rng(seed).permutation(len(images))
    split = int(0.8 * len(order))
    labels = digits.target.astype(np.int32)
    return Task("digits", (images[order[:split]], labels[order[:split]]),
                (images[order[split:]], labels[order[split:]]), tuple(str(digit) for digit in range(10)))


def old_task_model(image_size: int = 32, epochs: int = 30, seed: int = 0) -> tuple[keras.Model, Task]:
    """DigitsCNN with its pretrained base and a digits head fitted on that frozen base: task A."""
    task = digits_task(image_size, seed)
    model = models.build_transfer_model("DigitsCNN", 10, weights="digits", image_size=image_size, dropout=0.0,
                                        seed=seed)
    training.train_head(model, task.train, None, epochs=epochs, early_stopping_patience=None, progress=False,
                        seed=seed)
    return model, task


def two_task_model(old_model: keras.Model, num_new_classes: int, dropout: float = 0.2,
                   seed: int | None = None) -> keras.Model:
    """One image in, ``{"old": old-task logits, "new": new-task logits}`` out; base and old head shared.

    ``seed`` draws the new head and its dropout (``None``: Keras's global seed).
    """
    num_new_classes = validation.check_num_classes(num_new_classes)
    features = models.feature_extractor(old_model)
    pooled = features.outputs[0]
    old_logits = old_model.get_layer("classifier")(old_model.get_layer("head_dropout")(pooled))
    new_logits = keras.layers.Dense(num_new_classes, dtype="float32", name="new_classifier",
                                    kernel_initializer=keras.initializers.GlorotUniform(seed=seed))(
        keras.layers.Dropout(dropout, name="new_dropout", seed=seed)(pooled))
    old_output = keras.layers.Identity(name=OLD_OUTPUT, dtype="float32")(old_logits)
    new_output = keras.layers.Identity(name=NEW_OUTPUT, dtype="float32")(new_logits)
    model = keras.Model(features.inputs, {OLD_OUTPUT: old_output, NEW_OUTPUT: new_output}, name="two_tasks")
    old_model.get_layer("classifier").trainable = False
    return model


def _base_of(model: keras.Model) -> keras.Model:
    return model.get_layer(models.BASE_NAME)


def _unfreeze_base(model: keras.Model) -> None:
    base = _base_of(model)
    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.trainable = False


def _check_method(method: str) -> str:
    return validation.check_name(method, METHODS, "forgetting remedy")


def train_new_task(model: keras.Model, new_train, *, method: str = "naive", epochs: int = 5,
                   learning_rate: float = 1e-3, low_learning_rate: float = 1e-4, old_train=None,
                   rehearsal_share: float = 0.25, l2sp_alpha: float = DEFAULT_L2SP_ALPHA, temperature: float = 2.0,
                   lwf_weight: float = 1.0, batch_size: int = 32, seed: int = 0) -> training.TrainingHistory:
    """Fine-tune the base and the new head on ``new_train = (images, labels)`` with one remedy.

    ``old_train`` (images, labels of the old task) is needed for ``"rehearsal"``: its training set
    holds ``rehearsal_share`` × as many old images as new ones. Every method takes the same
    ``epochs × ceil(new images / batch_size)`` optimizer steps. Returns the :class:`TrainingHistory`.
    """
    method = _check_method(method)
    validation.check_epochs(epochs)
    new_images, new_labels = (np.asarray(part) for part in new_train)
    if method == "rehearsal" and old_train is None:
        raise validation.InvalidArgumentError("rehearsal needs old_train=(images, labels) of the old task")
    budget = epochs * -(-len(new_images) // batch_size)
    ignore = np.full(len(new_images), IGNORE, np.int32)
    images, targets = new_images, {NEW_OUTPUT: new_labels.astype(np.int32), OLD_OUTPUT: ignore}
    losses = {NEW_OUTPUT: MaskedSparseCrossEntropy(), OLD_OUTPUT: MaskedSparseCrossEntropy()}
    loss_weights = {NEW_OUTPUT: 1.0, OLD_OUTPUT: 1.0}
    if method == "rehearsal":
        old_images, old_labels = (np.asarray(part) for part in old_train)
        count = max(1, int(round(rehearsal_share * len(new_images))))
        chosen = np.random.default_rng(seed).choice(len(old_images), count, replace=count > len(old_images))
        images = np.concatenate([new_images, old_images[chosen]]).astype(np.float32)
        targets = {NEW_OUTPUT: np.concatenate([targets[NEW_OUTPUT], np.full(count, IGNORE, np.int32)]),
                   OLD_OUTPUT: np.concatenate([ignore, old_labels[chosen].astype(np.int32)])}
    elif method == "lwf":
        recorded = models.predict_in_batches(model, np.asarray(new_images, np.float32), batch_size)[OLD_OUTPUT]
        targets[OLD_OUTPUT] = np.asarray(recorded, np.float32)
        losses[OLD_OUTPUT] = Distillation(temperature)
        loss_weights[OLD_OUTPUT] = float(lwf_weight)
    if method == "frozen_base":
        _base_of(model).trainable = False
    else:
        _unfreeze_base(model)
    multipliers = None
    if method == "low_lr":  # the base moves at the low rate; the new head, untrained, needs the normal one
        multipliers = {variable.path: low_learning_rate / learning_rate for variable in _base_of(model).trainable_weights}
    if method == "l2sp":
        attach_l2sp(model, l2sp_alpha)
    order = pipelines.step_budget_order(len(images), budget, batch_size, seed)
    started = time.perf_counter()
    try:
        compiling.compile_model(model, learning_rate, loss=losses, loss_weights=loss_weights, metrics=None,
                                learning_rate_multipliers=multipliers)
        result = model.fit(**pipelines.fit_arguments(images[order], {key: value[order] for key, value in targets.items()},
                                                     batch_size=batch_size, shuffle=False),
                           epochs=1, callbacks=[training.StepCounter()], verbose=0)
    finally:
        if method == "l2sp":
            detach_l2sp(model)
    history = training.TrainingHistory()
    history.add_phase(method, result.history, time.perf_counter() - started)
    return history


def task_accuracies(model: keras.Model, old_test, new_test, batch_size: int = 128) -> dict[str, float]:
    """Accuracy of the old head on the old task and of the new head on the new task."""
    result = {}
    for output, (images, labels) in ((OLD_OUTPUT, old_test), (NEW_OUTPUT, new_test)):
        logits = models.predict_in_batches(model, np.asarray(images, np.float32), batch_size)[output]
        result[f"{output}_task_accuracy"] = round(float(np.mean(np.argmax(logits, -1) == np.asarray(labels))), 4)
    return result


def compare_remedies(dataset: str = data.OFFLINE_DEFAULT, *, methods=METHODS, seeds=None,
                     samples_per_class: int | None = None, image_size: int = 32, epochs: int = 5,
                     learning_rate: float = 1e-3, low_learning_rate: float = 1e-4,
                     l2sp_alpha: float = DEFAULT_L2SP_ALPHA, test_samples_per_class: int | None = None,
                     old_model=None, old_task: Task | None = None, progress=True) -> Comparison:
    """Each remedy from the same start, once per seed; a :class:`Comparison` keyed by ``"method"``.

    Task A is DigitsCNN's digits with the old head (:func:`old_task_model`, built once unless
    given); task B is ``dataset``. Each seed draws another task-B training subset and another
    initial new head. Rows hold old-task accuracy before and after, new-task accuracy after, and
    the forgetting (before minus after).
    """
    methods = validation.check_choices(methods, METHODS, "forgetting remedy")
    settings = profile.defaults()
    samples_per_class = samples_per_class or settings["samples_per_class"]
    test_samples_per_class = test_samples_per_class or settings["test_samples_per_class"]
    seeds = validation.check_seeds(seeds if seeds is not None else settings["seeds"])
    if old_model is None or old_task is None:
        old_model, old_task = old_task_model(image_size=image_size, epochs=settings["head_epochs"])
    start = old_model.get_weights()
    trainable = [(layer, layer.trainable) for layer in old_model.layers]
    comparison = Comparison("method", settings=dict(dataset=dataset, samples_per_class=samples_per_class, epochs=epochs,
                                                    learning_rate=learning_rate, low_learning_rate=low_learning_rate,
                                                    l2sp_alpha=l2sp_alpha, image_size=image_size, seeds=seeds))
    steps = Steps(len(methods) * len(seeds), "remedies", output=progress)
    for seed in seeds:
        new_train, _, new_test, info = data.load_dataset(dataset, image_size=image_size,
                                                         samples_per_class=samples_per_class,
                                                         test_samples_per_class=test_samples_per_class, seed=seed,
                                                         pipeline="arrays")
        comparison.dataset = info
        for method in methods:
            old_model.set_weights(start)
            model = two_task_model(old_model, info.num_classes, seed=seed)
            before = task_accuracies(model, old_task.test, new_test)["old_task_accuracy"]
            history = train_new_task(model, new_train, method=method, epochs=epochs, learning_rate=learning_rate,
                                     low_learning_rate=low_learning_rate, old_train=old_task.train,
                                     l2sp_alpha=l2sp_alpha, seed=seed)
            after = task_accuracies(model, old_task.test, new_test)
            comparison.add(method, seed, history=history, old_task_before=before, **after,
                           forgetting=round(before - after["old_task_accuracy"], 4))
            steps.advance(f"{method}, seed {seed}")
    old_model.set_weights(start)
    for layer, was_trainable in trainable:
        layer.trainable = was_trainable
    return comparison
