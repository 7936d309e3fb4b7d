"""Does a model's confidence mean what it says? Expected calibration error, reliability bins, temperature.

A classifier is calibrated when, among the predictions it makes with confidence 0.8, about 80 %
are right. Guo, Pleiss, Sun & Weinberger (2017) found modern networks overconfident and showed that
one number, a **temperature** dividing every logit, fitted on validation data, fixes most of it
without changing a single prediction (the largest logit stays the largest).

Examples:
    >>> import numpy as np
    >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [0.0, 4.0], [0.0, 4.0]])
    >>> labels = np.array([0, 1, 1, 0])                       # right half the time, at 98 % confidence
    >>> round(expected_calibration_error(softmax(logits), labels), 2)
    0.48
    >>> temperature = fit_temperature(logits, labels)
    >>> temperature > 10, round(expected_calibration_error(softmax(logits, temperature), labels), 2) < 0.05
    (True, True)
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from tltutor import validation

BINS = 10
TEMPERATURE_RANGE = (0.05, 100.0)


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities from logits divided by ``temperature``."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled -= scaled.max(axis=-1, keepdims=True)
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _checked(probabilities, labels):
    probabilities, labels = np.asarray(probabilities, dtype=np.float64), np.asarray(labels).reshape(-1)
    if probabilities.ndim != 2 or len(probabilities) != len(labels) or len(labels) == 0:
        raise validation.InvalidArgumentError(
            f"probabilities must be (examples, classes) with one label per row; got {probabilities.shape} "
            f"for {len(labels)} labels")
    return probabilities, labels.astype(int)


def reliability_bins(probabilities, labels, bins: int = BINS) -> list[dict]:
    """Predictions grouped by confidence into ``bins`` equal-width bins: count, mean confidence, accuracy."""
    probabilities, labels = _checked(probabilities, labels)
    confidence = probabilities.max(axis=-1)
    correct = probabilities.argmax(axis=-1) == labels
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for index in range(bins):
        inside = which == index
        rows.append(dict(low=round(float(edges[index]), 3), high=round(float(edges[index + 1]), 3),
                         count=int(inside.sum()),
                         confidence=float(confidence[inside].mean()) if inside.any() else None,
                         accuracy=float(correct[inside].mean()) if inside.any() else None))
    return rows


def expected_calibration_error(probabilities, labels, bins: int = BINS) -> float:
    """The gap between confidence and accuracy, averaged over confidence bins weighted by their size."""
    rows = reliability_bins(probabilities, labels, bins)
    total = sum(row["count"] for row in rows)
    return float(sum(row["count"] * abs(row["confidence"] - row["accuracy"]) for row in rows if row["count"]) / total)


def negative_log_likelihood(logits, labels, temperature: float = 1.0) -> float:
    """Mean cross-entropy of the labels under ``softmax(logits / temperature)``."""
    probabilities, labels = _checked(softmax(logits, temperature), labels)
    return float(-np.mean(np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, None))))


def fit_temperature(logits, labels) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (fit it on validation data)."""
    _checked(np.asarray(logits), labels)
    low, high = np.log(TEMPERATURE_RANGE)
    found = optimize.minimize_scalar(lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
                                     bounds=(low, high), method="bounded", options=dict(xatol=1e-4))
    return float(np.exp(found.x))
