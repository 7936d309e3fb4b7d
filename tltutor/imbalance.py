"""Imbalanced data: a long-tailed training set on demand, and the remedies compared in notebook 09.

- :func:`long_tail_counts` / :func:`make_imbalanced`: keep ``n_max × ratio^(-k/(C-1))`` images of
  the k-th class, so the largest class has ``ratio`` times as many as the smallest.
- Remedies: :func:`class_weights` (for ``fit(class_weight=...)``), :func:`oversample`,
  :func:`undersample`, :class:`SparseFocalLoss`, and post-hoc :func:`adjust_logits`
  (subtract ``tau × log prior``, Menon et al. 2021).
- :func:`compare_remedies`: all of them on one frozen base, heads trained on cached features.

Example:
    >>> import numpy as np
    >>> long_tail_counts(100, num_classes=3, ratio=10)
    [100, 32, 10]
    >>> class_weights(np.array([0, 0, 0, 1]), num_classes=2)
    {0: 0.6667, 1: 2.0}
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import validation


def _check_ratio(ratio) -> float:
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 1 <= ratio <= 10_000:
        raise validation.InvalidArgumentError(f"ratio (largest class / smallest class) must be in [1, 10000], "
                                              f"got {ratio!r:.40}")
    return float(ratio)


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
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or not 0 <= gamma <= 10:
            raise validation.InvalidArgumentError(f"gamma must be in [0, 10], got {gamma!r:.40}")
        self.gamma = float(gamma)

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


def compare_remedies(model: keras.Model, train, test, *, remedies=REMEDIES, epochs: int = 30,
                     learning_rate: float = 1e-3, batch_size: int = 32, seed: int = 0) -> list[dict]:
    """Train the head of ``model`` (frozen base) once per remedy on the imbalanced ``train``; test on ``test``.

    ``train`` and ``test`` are ``(images, labels)`` arrays or any data training accepts. Features
    are computed once. Each remedy starts from the same initial head. Rows hold accuracy, balanced
    accuracy, the worst class recall and the mean recall of the three rarest training classes.
    """
    from tltutor import diagnostics, freezing, models, training

    for remedy in remedies:
        validation.check_name(remedy, REMEDIES, "imbalance remedy")
    freezing.freeze_base(model)
    train_features, train_labels = training.extract_features(model, train)
    test_features, test_labels = training.extract_features(model, test)
    num_classes = int(model.outputs[0].shape[-1])
    rarest = np.argsort(class_counts(train_labels, num_classes))[:3]
    head = models.head(model)
    initial = head.get_weights()
    rows = []
    for remedy in remedies:
        keras.utils.set_random_seed(seed)
        head.set_weights(initial)
        features, labels, weights = train_features, train_labels, None
        if remedy == "oversample":
            features, labels = oversample(train_features, train_labels, seed=seed)
        elif remedy == "undersample":
            features, labels = undersample(train_features, train_labels, seed=seed)
        elif remedy == "class_weights":
            weights = class_weights(train_labels, num_classes)
        loss = SparseFocalLoss(2.0) if remedy == "focal_loss" else keras.losses.SparseCategoricalCrossentropy(
            from_logits=True)
        head.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, jit_compile=False)
        head.fit(features, labels, epochs=epochs, batch_size=batch_size, class_weight=weights, shuffle=True,
                 verbose=0)
        logits = head.predict(test_features, batch_size=256, verbose=0)
        if remedy == "logit_adjustment":
            logits = adjust_logits(logits, class_priors(train_labels, num_classes))
        predicted = np.argmax(logits, axis=-1)
        recalls = [float(np.mean(predicted[test_labels == label] == label)) for label in range(num_classes)
                   if np.any(test_labels == label)]
        rows.append({
            "remedy": remedy,
            "accuracy": round(float(np.mean(predicted == test_labels)), 4),
            "balanced_accuracy": round(diagnostics.balanced_accuracy(test_labels, predicted, num_classes), 4),
            "worst_class_recall": round(min(recalls), 4),
            "rarest_3_recall": round(float(np.mean([np.mean(predicted[test_labels == label] == label)
                                                    for label in rarest])), 4),
        })
    head.set_weights(initial)
    return rows
