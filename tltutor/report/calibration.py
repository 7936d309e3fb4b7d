"""Does a model's confidence mean what it says? Expected calibration error, reliability bins, temperature.

A classifier is calibrated when, among the predictions it makes with confidence 0.8, about 80 %
are right. Guo, Pleiss, Sun & Weinberger (2017) found modern networks overconfident and showed that
one number, a **temperature** dividing every logit, fitted on validation data, fixes most of it
without changing a single prediction (the largest logit stays the largest).

Examples:
    >>> import numpy as np
    >>> logits = np.array([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    >>> labels = np.array([0, 0, 1, 1])                       # right 3 times in 4, at 98 % confidence
    >>> round(expected_calibration_error(softmax(logits), labels), 2)
    0.23
    >>> temperature = fit_temperature(logits, labels)           # 4 / ln 3: the confidence becomes 0.75
    >>> round(temperature, 2), round(expected_calibration_error(softmax(logits, temperature), labels), 3)
    (3.64, 0.0)
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import optimize

from tltutor import validation
from tltutor.report import diagnostics

BINS = 10
TEMPERATURE_RANGE = (0.05, 100.0)


def _check_temperature(temperature) -> float:
    return validation.check_number(temperature, "temperature", low=0, high=float("inf"), low_inclusive=False)


def softmax(logits, temperature: float = 1.0) -> np.ndarray:
    """Class probabilities from logits divided by ``temperature``."""
    scaled = np.asarray(logits, dtype=np.float64) / _check_temperature(temperature)
    scaled -= scaled.max(axis=-1, keepdims=True)
    exponentials = np.exp(scaled)
    return exponentials / exponentials.sum(axis=-1, keepdims=True)


def _checked(values, labels, name="probabilities"):
    values, labels = np.asarray(values, dtype=np.float64), np.asarray(labels)
    if values.ndim != 2 or values.shape[-1] < 2 or labels.ndim != 1 or len(values) != len(labels) or not len(labels):
        raise validation.InvalidArgumentError(
            f"{name} must be (examples, classes ≥ 2) with one integer label per row; got {values.shape} "
            f"for labels of shape {labels.shape}")
    if not np.all(np.isfinite(values)):
        raise validation.InvalidArgumentError(f"{name} contain NaN or infinite values")
    if np.any(labels < 0) or np.any(labels >= values.shape[-1]) or np.any(labels != np.round(labels)):
        raise validation.InvalidArgumentError(f"labels must be integers from 0 to {values.shape[-1] - 1}")
    if name == "probabilities" and (np.any(values < 0) or not np.allclose(values.sum(-1), 1, atol=1e-3)):
        raise validation.InvalidArgumentError("probabilities must be in 0..1 and sum to 1 per row: logits? "
                                              "pass softmax(logits)")
    return values, labels.astype(int)


def reliability_bins(probabilities, labels, bins: int = BINS) -> list[dict]:
    """Predictions grouped by confidence into ``bins`` equal-width bins, each closed on the right: count, mean
    confidence, accuracy."""
    probabilities, labels = _checked(probabilities, labels)
    bins = validation.check_positive_int(bins, "bins")
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
    """Mean cross-entropy of the labels under ``softmax(logits / temperature)`` (log-softmax, no clipping)."""
    logits, labels = _checked(logits, labels, "logits")
    return float(np.mean(diagnostics.losses_per_example(labels, logits / _check_temperature(temperature))))


def fit_temperature(logits, labels) -> float:
    """The temperature that minimises the negative log-likelihood of ``labels`` (fit it on validation data).

    Searched between 0.05 and 100. With no mistake among the examples the likelihood keeps rising as the
    temperature falls, so the fit ends at a bound: a warning says so (more validation data helps).
    """
    logits, labels = _checked(logits, labels, "logits")
    low, high = np.log(TEMPERATURE_RANGE)
    found = optimize.minimize_scalar(lambda log_t: negative_log_likelihood(logits, labels, float(np.exp(log_t))),
                                     bounds=(low, high), method="bounded", options=dict(xatol=1e-4))
    right = logits.argmax(axis=-1) == labels
    if right.all() or not right.any() or min(found.x - low, high - found.x) < 1e-2:
        warnings.warn(f"the temperature fit ended at its bound ({float(np.exp(found.x)):.3g}): the examples give "
                      "no evidence for a finite temperature (all right, or all wrong, with confidence)", stacklevel=2)
    return float(np.exp(found.x))
