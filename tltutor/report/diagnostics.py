"""Read what the validation metrics say: overfitting, negative transfer, and classes that do not fit.

Examples:
    >>> true, predicted = [0, 0, 1, 1, 2, 2], [0, 0, 1, 0, 2, 2]
    >>> per_class_report(true, predicted, ["a", "b", "c"])[0]
    {'class': 'b', 'recall': 0.5, 'precision': 1.0, 'support': 2}
    >>> round(balanced_accuracy(true, predicted, 3), 3)
    0.833

With a model: ``true, predicted = tl.report.diagnostics.predict_labels(model, test)``;
``top_losses(model, test)`` lists the examples it gets most confidently wrong, and
``most_confused(true, predicted, class_names)`` the pairs of classes it mixes up most.

    >>> most_confused(true, predicted, ["a", "b", "c"])
    [{'true': 'b', 'predicted': 'a', 'count': 1}]
"""

from __future__ import annotations

import numpy as np

from tltutor import training, validation
from tltutor.data import batches


def predict_labels(model, dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(true labels, predicted labels)`` over every example of ``dataset`` (any kind training accepts), in order."""
    labels, logits = training.predict_logits(model, dataset)
    return labels, np.argmax(logits, axis=-1)


def losses_per_example(labels, logits) -> np.ndarray:
    """The cross-entropy of each example's true label under the softmax of its logits."""
    logits, labels = np.asarray(logits, dtype=np.float64), np.asarray(labels)
    if logits.ndim != 2 or labels.shape != (len(logits),) or np.any(labels < 0) or np.any(labels >= logits.shape[-1]):
        raise validation.InvalidArgumentError(
            f"labels must be integers 0..{logits.shape[-1] - 1 if logits.ndim == 2 else 'K-1'}, one per row of "
            f"logits; got labels of shape {labels.shape} for logits of shape {logits.shape}")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return -log_probabilities[np.arange(len(logits)), labels.astype(int)]


def top_losses(model, dataset, count: int = 9, class_names=None) -> list[dict]:
    """The ``count`` examples of ``dataset`` with the highest loss: where the model is most confidently wrong.

    Each row has the example's ``index`` in the order of :func:`tltutor.data.batches.to_numpy`
    (the data is read once, then predicted, so the index finds the image even in a shuffled
    pipeline), its ``true`` and ``predicted`` class, the ``loss`` and the ``probability`` given to
    the true class.
    """
    count = validation.check_positive_int(count, "count")
    images, labels = batches.to_numpy(dataset)
    labels, logits = training.predict_logits(model, (images, labels))
    losses = losses_per_example(labels, logits)
    names = (lambda index: class_names[int(index)]) if class_names is not None else int
    rows = []
    for index in np.argsort(-losses, kind="stable")[:count]:
        rows.append(dict(index=int(index), true=names(labels[index]), predicted=names(np.argmax(logits[index])),
                         loss=round(float(losses[index]), 4),
                         probability=float(f"{np.exp(-losses[index]):.3g}")))
    return rows


def most_confused(true_labels, predicted_labels, class_names, minimum: int = 1) -> list[dict]:
    """Pairs (true class, predicted class) of mistakes made at least ``minimum`` times, the most frequent first."""
    true_labels, predicted_labels = np.asarray(true_labels, dtype=int), np.asarray(predicted_labels, dtype=int)
    wrong = true_labels != predicted_labels
    pairs, counts = np.unique(np.stack([true_labels[wrong], predicted_labels[wrong]], axis=1), axis=0,
                              return_counts=True) if wrong.any() else (np.zeros((0, 2), int), np.zeros(0, int))
    rows = [dict(true=class_names[int(true)], predicted=class_names[int(predicted)], count=int(count))
            for (true, predicted), count in zip(pairs, counts) if count >= minimum]
    return sorted(rows, key=lambda row: -row["count"])


def per_class_report(true_labels, predicted_labels, class_names) -> list[dict]:
    """Recall, precision and support per class, the worst recall first."""
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    rows = []
    for index, name in enumerate(class_names):
        is_true, is_predicted = true_labels == index, predicted_labels == index
        hits = int(np.sum(is_true & is_predicted))
        rows.append({
            "class": name,
            "recall": round(hits / max(int(is_true.sum()), 1), 4),
            "precision": round(hits / max(int(is_predicted.sum()), 1), 4),
            "support": int(is_true.sum()),
        })
    return sorted(rows, key=lambda row: row["recall"])


def balanced_accuracy(true_labels, predicted_labels, num_classes: int) -> float:
    """The mean of per-class recalls (classes with no examples left out)."""
    true_labels, predicted_labels = np.asarray(true_labels), np.asarray(predicted_labels)
    recalls = [np.mean(predicted_labels[true_labels == index] == index)
               for index in range(num_classes) if np.any(true_labels == index)]
    return float(np.mean(recalls))


def generalization_gap(history, metric: str = "accuracy") -> list[float]:
    """Train minus validation ``metric`` per epoch (positive: the model does better on what it saw)."""
    return [train - held_out for train, held_out in zip(history.metric(metric), history.metric(f"val_{metric}"))]


def overfitting_verdict(history, gap_threshold: float = 0.1) -> str:
    """One sentence: does the validation loss rise while the training loss falls, or is the gap large?"""
    losses, validation_losses = history.metric("loss"), history.metric("val_loss")
    if len(validation_losses) < 2 or np.all(np.isnan(validation_losses)):
        return "not enough epochs with validation data to tell"
    best_epoch = int(np.nanargmin(validation_losses)) + 1
    gap = generalization_gap(history)[-1]
    rising = best_epoch < len(validation_losses) and losses[-1] < losses[best_epoch - 1]
    if rising and gap > gap_threshold:
        return (f"overfitting: validation loss was best at epoch {best_epoch} of {len(validation_losses)} while the "
                f"training loss kept falling; the final accuracy gap is {gap:.2f}. Early stopping on the validation "
                f"loss would keep epoch {best_epoch}.")
    if gap > gap_threshold:
        return f"a large train-validation accuracy gap ({gap:.2f}): more data, augmentation or regularisation help"
    return f"no sign of overfitting: the final accuracy gap is {gap:.2f} and validation loss was best at epoch {best_epoch}"


def relative_weight_change(before, after) -> float:
    """``‖after − before‖ / ‖before‖`` over lists of weight arrays: how far training moved them.

    >>> relative_weight_change([np.ones(4)], [np.ones(4) * 1.1])
    0.1
    """
    before = np.concatenate([np.ravel(weights) for weights in before])
    after = np.concatenate([np.ravel(weights) for weights in after])
    if before.shape != after.shape:
        raise validation.InvalidArgumentError("before and after must hold the same weights")
    norm = float(np.linalg.norm(before))
    return round(float(np.linalg.norm(after - before)) / norm, 6) if norm else float("nan")
