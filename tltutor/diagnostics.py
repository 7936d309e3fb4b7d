"""Read what the validation metrics say: overfitting, negative transfer, and classes that do not fit.

Example::

    gap = tl.diagnostics.generalization_gap(history)
    print(tl.diagnostics.overfitting_verdict(history))
    rows = tl.diagnostics.per_class_report(model, test, info.class_names)
"""

from __future__ import annotations

import numpy as np

from tltutor import validation


def predict_labels(model, dataset) -> tuple[np.ndarray, np.ndarray]:
    """``(true labels, predicted labels)`` over every batch of ``dataset`` (any kind training accepts), in order."""
    import keras

    from tltutor import models
    from tltutor.data import batches

    true, predicted = [], []
    for images, labels in batches.iterate(dataset):
        logits = models.predict_batch(model, images)
        true.append(keras.ops.convert_to_numpy(labels))
        predicted.append(np.argmax(logits, axis=-1))
    if not true:
        raise validation.InvalidArgumentError("the dataset is empty")
    return np.concatenate(true), np.concatenate(predicted)


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
                f"training loss kept falling; the final accuracy gap is {gap:.2f}. Early stopping restores epoch "
                f"{best_epoch}.")
    if gap > gap_threshold:
        return f"a large train-validation accuracy gap ({gap:.2f}): more data, augmentation or regularisation help"
    return f"no sign of overfitting: the final accuracy gap is {gap:.2f} and validation loss was best at epoch {best_epoch}"


def transfer_verdict(transfer_accuracy: float, baseline_accuracy: float, margin: float = 0.02) -> str:
    """Compare transfer with a from-scratch (or simpler) baseline: ``"positive"``, ``"negative"`` or ``"none"``."""
    difference = transfer_accuracy - baseline_accuracy
    if difference > margin:
        return "positive"
    if difference < -margin:
        return "negative"
    return "none"
