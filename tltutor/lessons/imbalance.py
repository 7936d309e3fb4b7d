"""Imbalanced data: a long-tailed training set on demand, and the remedies compared in notebook 09.

- :func:`long_tail_counts` / :func:`make_imbalanced`: keep ``n_max × ratio^(-k/(C-1))`` images of
  the k-th class, so the largest class has ``ratio`` times as many as the smallest.
- Remedies: :func:`class_weights` (for ``fit(class_weight=...)``), :func:`oversample`,
  :func:`undersample`, :class:`SparseFocalLoss`, and post-hoc :func:`adjust_logits`
  (subtract ``tau × log prior``, Menon et al. 2021).
- :func:`compare_remedies`: all of them on one frozen base, heads trained on its features, over seeds
  (each seed draws another long-tailed subset and another initial head).

Examples:
    >>> import numpy as np
    >>> long_tail_counts(100, num_classes=3, ratio=10)
    [100, 32, 10]
    >>> class_weights(np.array([0, 0, 0, 1]), num_classes=2)
    {0: 0.6667, 1: 2.0}
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import compiling, data, features, freezing, models, training, validation
from tltutor.data import pipelines
from tltutor.lessons.experiments import reset_or_build_model
from tltutor.report import diagnostics
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps


def _check_ratio(ratio) -> float:
    return validation.check_number(ratio, "ratio (largest class / smallest class)", low=1, high=10_000)


def long_tail_counts(largest: int, num_classes: int, ratio: float) -> list[int]:
    """Images per class, falling exponentially from ``largest`` to ``largest / ratio`` (at least 1)."""
    largest = validation.check_positive_int(largest, "largest")
    num_classes = validation.check_num_classes(num_classes)
    ratio = _check_ratio(ratio)
    return [max(1, int(round(largest * ratio ** (-index / (num_classes - 1))))) for index in range(num_classes)]


def make_imbalanced(images, labels, *, ratio: float, largest: int | None = None, class_order=None,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A long-tailed subset of ``(images, labels)``: the first class of ``class_order`` keeps the most.

    ``largest`` defaults to the size of the smallest class in the data, so every class can supply
    its share. Raises if a class has fewer images than its share.
    """
    labels = np.asarray(labels)
    num_classes = int(labels.max()) + 1 if len(labels) else 0
    order = list(range(num_classes)) if class_order is None else [int(label) for label in class_order]
    if sorted(order) != list(range(num_classes)):
        raise validation.InvalidArgumentError(f"class_order must list each class 0..{num_classes - 1} once")
    available = [int((labels == label).sum()) for label in range(num_classes)]
    counts = long_tail_counts(largest or min(available), num_classes, ratio)
    rng = np.random.default_rng(seed)
    keep = []
    for label, count in zip(order, counts):
        members = np.flatnonzero(labels == label)
        if len(members) < count:
            raise validation.InvalidArgumentError(
                f"class {label} has {len(members)} images but its share is {count}: lower `largest`")
        keep.append(rng.choice(members, count, replace=False))
    keep = rng.permutation(np.concatenate(keep))
    return np.asarray(images)[keep], labels[keep]


def class_counts(labels, num_classes: int) -> np.ndarray:
    return np.bincount(np.asarray(labels).astype(np.int64), minlength=num_classes)


def class_weights(labels, num_classes: int) -> dict[int, float]:
    """``{class: N / (C × count)}``: each class then carries the same total weight in the loss."""
    counts = class_counts(labels, num_classes)
    if (counts == 0).any():
        missing = np.flatnonzero(counts == 0).tolist()
        raise validation.InvalidArgumentError(f"classes {missing} have no training images: nothing to weight")
    total = counts.sum()
    return {label: round(float(total / (num_classes * count)), 4) for label, count in enumerate(counts)}


def oversample(images, labels, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Repeat images of the smaller classes (drawn at random) until every class has as many as the largest."""
    labels = np.asarray(labels)
    counts = class_counts(labels, int(labels.max()) + 1)
    rng = np.random.default_rng(seed)
    keep = [np.concatenate([members, rng.choice(members, counts.max() - len(members), replace=True)])
            for members in (np.flatnonzero(labels == label) for label in range(len(counts))) if len(members)]
    keep = rng.permutation(np.concatenate(keep))
    return np.asarray(images)[keep], labels[keep]


def undersample(images, labels, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Keep as many images of every class as the smallest class has (drawn at random)."""
    labels = np.asarray(labels)
    counts = class_counts(labels, int(labels.max()) + 1)
    smallest = counts[counts > 0].min()
    rng = np.random.default_rng(seed)
    keep = [rng.choice(np.flatnonzero(labels == label), smallest, replace=False)
            for label in range(len(counts)) if counts[label]]
    keep = rng.permutation(np.concatenate(keep))
    return np.asarray(images)[keep], labels[keep]


@keras.saving.register_keras_serializable(package="tltutor")
class SparseFocalLoss(keras.losses.Loss):
    """Focal loss on logits and integer labels: ``-(1 - p_true)^gamma × log p_true`` (Lin et al. 2017).

    ``gamma=0`` is ordinary cross-entropy; larger values down-weight examples the model already
    gets right, which are mostly those of the large classes.
    """

    def __init__(self, gamma: float = 2.0, name: str = "sparse_focal_loss", **kwargs):
        super().__init__(name=name, **kwargs)
        self.gamma = validation.check_number(gamma, "gamma", low=0, high=10)

    def call(self, y_true, y_pred):
        ops = keras.ops
        log_probabilities = ops.log_softmax(ops.cast(y_pred, "float32"), axis=-1)
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        true_log_probability = ops.take_along_axis(log_probabilities, ops.expand_dims(y_true, -1), axis=-1)[:, 0]
        return -((1.0 - ops.exp(true_log_probability)) ** self.gamma) * true_log_probability

    def get_config(self):
        return {**super().get_config(), "gamma": self.gamma}


def class_priors(labels, num_classes: int) -> np.ndarray:
    """Each class's share of the training labels (a class with none gets a tiny share, not zero)."""
    counts = class_counts(labels, num_classes).astype(np.float64)
    counts[counts == 0] = 0.5
    return counts / counts.sum()


def adjust_logits(logits, priors, tau: float = 1.0) -> np.ndarray:
    """Post-hoc logit adjustment: ``logits - tau × log(priors)``, which favours the rare classes."""
    logits = np.asarray(logits, dtype=np.float64)
    priors = np.asarray(priors, dtype=np.float64)
    if priors.shape != logits.shape[-1:] or (priors <= 0).any():
        raise validation.InvalidArgumentError(f"priors must be {logits.shape[-1]} positive shares, got {priors.shape}")
    return logits - tau * np.log(priors)


REMEDIES = ("none", "class_weights", "oversample", "undersample", "focal_loss", "logit_adjustment")
# Not a remedy: plain training on a balanced set of the same size, which tells how much of a class's
# low recall is the long tail and how much is the class itself.
BALANCED_CONTROL = "balanced_data"


def long_tailed_split(dataset: str = data.OFFLINE_DEFAULT, *, ratio: float = 20, largest: int = 300,
                      image_size: int = 96, test_samples_per_class: int = 100, seed: int = 0, class_order=None):
    """A long-tailed training set and a balanced test set of ``dataset`` as ``(images, labels)`` arrays.

    Returns ``(train, test, class_names)``. The training images come from the dataset's pool, the
    test images from its test split, ``test_samples_per_class`` per class.
    """
    source = data.resized_source(dataset, image_size)
    images, labels = make_imbalanced(source.x_pool, source.y_pool, ratio=ratio, largest=largest,
                                     class_order=class_order, seed=seed)
    num_classes = len(source.class_names)
    test_images, test_labels = (source.x_test, source.y_test) if source.x_test is not None else (source.x_pool,
                                                                                                 source.y_pool)
    rng = np.random.default_rng(seed)
    keep = np.concatenate([rng.permutation(np.flatnonzero(test_labels == label))[:test_samples_per_class]
                           for label in range(num_classes)])
    return ((images.astype(np.float32), labels.astype(np.int32)),
            (test_images[keep].astype(np.float32), test_labels[keep].astype(np.int32)), source.class_names)


def _train_head_with_remedy(head, initial, remedy, train_features, train_labels, *, num_classes, steps,
                            learning_rate, batch_size, seed):
    """Trains ``head`` from ``initial`` for exactly ``steps`` optimizer steps, whatever the remedy's set size."""
    head.set_weights(initial)
    models.reseed_random_layers(head, seed)
    features_used, labels_used, weights = train_features, train_labels, None
    if remedy == "oversample":
        features_used, labels_used = oversample(train_features, train_labels, seed=seed)
    elif remedy == "undersample":
        features_used, labels_used = undersample(train_features, train_labels, seed=seed)
    elif remedy == "class_weights":
        weights = class_weights(train_labels, num_classes)
    loss = SparseFocalLoss(2.0) if remedy == "focal_loss" else None
    compiling.compile_model(head, learning_rate, loss=loss)
    order = pipelines.step_budget_order(len(labels_used), steps, batch_size, seed)
    return head.fit(**pipelines.fit_arguments(features_used[order], labels_used[order], batch_size=batch_size,
                                              shuffle=False),
                    epochs=1, class_weight=weights, callbacks=[training.StepCounter()], verbose=0)


def compare_remedies(dataset: str = data.OFFLINE_DEFAULT, *, remedies=REMEDIES, seeds=None, ratio: float = 20,
                     largest: int = 300, image_size: int | None = None, test_samples_per_class: int = 100,
                     backbone: str = "EfficientNetLite0", steps: int = 900, learning_rate: float = 1e-3,
                     batch_size: int = 32, progress=True) -> Comparison:
    """Each remedy trains the same frozen base's head on a long-tailed training set; keyed by ``"remedy"``.

    Every arm gets the same ``steps`` optimizer steps (900: about 28 passes over the default long
    tail's 1,022 images), so an oversampled set is not simply trained longer, nor an undersampled one shorter.
    Each seed draws another long-tailed subset (:func:`long_tailed_split`) and another initial
    head; every remedy of a seed starts from the same head. Features are computed once per image.
    :data:`BALANCED_CONTROL` in ``remedies`` adds plain training on a balanced set of the same size.
    Rows hold accuracy, balanced accuracy, the worst class recall, the mean recall of the three
    rarest training classes (of the long tail) and the recall of every class (``recall_<class>``).
    """
    remedies = validation.check_choices(remedies, REMEDIES + (BALANCED_CONTROL,), "imbalance remedy")
    steps = validation.check_positive_int(steps, "steps")
    settings = profile.defaults()
    image_size = image_size or settings["image_size"]
    seeds = validation.check_seeds(seeds if seeds is not None else settings["seeds"])
    comparison = Comparison("remedy", settings=dict(dataset=dataset, ratio=ratio, largest=largest, steps=steps,
                                                    image_size=image_size, backbone=backbone, seeds=seeds))
    done = Steps(len(remedies) * len(seeds), "remedies", output=progress)
    for seed in seeds:
        train, test, class_names = long_tailed_split(dataset, ratio=ratio, largest=largest, image_size=image_size,
                                                     test_samples_per_class=test_samples_per_class, seed=seed)
        num_classes = len(class_names)
        model = reset_or_build_model(backbone, num_classes, seed=seed, image_size=image_size)
        freezing.freeze_base(model)
        train_features, train_labels = features.pooled_features(model, train)
        test_features, test_labels = features.pooled_features(model, test)
        counts = class_counts(train_labels, num_classes)
        rarest = np.argsort(counts)[:3]
        if BALANCED_CONTROL in remedies:
            balanced, _, _ = long_tailed_split(dataset, ratio=1, largest=round(len(train_labels) / num_classes),
                                               image_size=image_size, test_samples_per_class=1, seed=seed)
            balanced_features, balanced_labels = features.pooled_features(model, balanced)
        head = models.head(model)
        initial = head.get_weights()
        for remedy in remedies:
            trained_on = ((balanced_features, balanced_labels) if remedy == BALANCED_CONTROL
                          else (train_features, train_labels))
            history = _train_head_with_remedy(head, initial, remedy, *trained_on, num_classes=num_classes,
                                              steps=steps, learning_rate=learning_rate, batch_size=batch_size,
                                              seed=seed)
            logits = models.predict_in_batches(head, test_features, 256)
            if remedy == "logit_adjustment":
                logits = adjust_logits(logits, class_priors(train_labels, num_classes))
            predicted = np.argmax(logits, axis=-1)
            recalls = {name: float(np.mean(predicted[test_labels == label] == label))
                       for label, name in enumerate(class_names)}
            comparison.add(remedy, seed, steps=int(sum(history.history["steps"])),
                           accuracy=round(float(np.mean(predicted == test_labels)), 4),
                           balanced_accuracy=round(diagnostics.balanced_accuracy(test_labels, predicted, num_classes), 4),
                           worst_class_recall=round(min(recalls.values()), 4),
                           rarest_3_recall=round(float(np.mean([recalls[class_names[label]] for label in rarest])), 4),
                           **{f"recall_{name}": round(value, 4) for name, value in recalls.items()})
            done.advance(f"{remedy}, seed {seed}")
        comparison.settings.setdefault("training_counts", {})[seed] = dict(zip(class_names, counts.tolist()))
    return comparison
