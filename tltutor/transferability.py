"""How well frozen features suit a labelled target, in seconds and without training: LogME.

LogME (You, Liu, Wang & Long, ICML 2021) scores features by the evidence of a Bayesian linear model
that predicts each class's one-hot label from them: the probability of the labels, with the
weights integrated out and the prior and noise precisions set to the values that maximise it. A
feature set that explains the labels with small, smooth weights scores high; one that needs to
fit noise scores low. It needs one singular value decomposition of the feature matrix and a
few fixed-point steps per class, so candidates can be ranked before any probe is trained.

Scores compare feature sets on the *same* labelled examples; they are per example and not
comparable across targets or training-set sizes.

Examples:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = np.repeat(np.arange(3), 20)
    >>> informative = np.eye(3)[labels] * 3 + rng.normal(size=(60, 3))
    >>> noise = rng.normal(size=(60, 3))
    >>> bool(logme(informative, labels) > logme(noise, labels))
    True
"""

from __future__ import annotations

import numpy as np

from tltutor import validation

MAX_STEPS = 100
TOLERANCE = 1e-4


def _class_evidence(x_squared, outside, singular_squared, count, dimension):
    """Log evidence per example of one class's 0/1 target, the precisions set by fixed-point steps."""
    alpha, beta = 1.0, 1.0
    for _ in range(MAX_STEPS):
        ratio = alpha / beta
        shrink = singular_squared / (singular_squared + ratio)
        gamma = float(shrink.sum())
        weight_norm = float((singular_squared * x_squared / (singular_squared + ratio) ** 2).sum())
        residual = float((x_squared * (ratio / (singular_squared + ratio)) ** 2).sum()) + outside
        alpha = gamma / max(weight_norm, 1e-12)
        beta = max(count - gamma, 1e-12) / max(residual, 1e-12)
        if abs(alpha / beta - ratio) <= TOLERANCE * ratio:
            break
    ratio = alpha / beta
    weight_norm = float((singular_squared * x_squared / (singular_squared + ratio) ** 2).sum())
    residual = float((x_squared * (ratio / (singular_squared + ratio)) ** 2).sum()) + outside
    eigenvalues = alpha + beta * np.concatenate([singular_squared, np.zeros(max(dimension - len(singular_squared), 0))])
    evidence = (count / 2 * np.log(beta) + dimension / 2 * np.log(alpha) - count / 2 * np.log(2 * np.pi)
                - beta / 2 * residual - alpha / 2 * weight_norm - 0.5 * float(np.log(eigenvalues).sum()))
    return evidence / count


def logme(features, labels) -> float:
    """The LogME score of ``features`` (examples × dimensions) for integer ``labels``: higher suits better.

    The mean over classes of the per-example log evidence of a Bayesian linear model from the
    features to the class's 0/1 indicator.
    """
    features = np.asarray(features, dtype=np.float64)
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise validation.InvalidArgumentError(
            f"labels must be integers, one per example; got shape {labels.shape} (one-hot? pass labels.argmax(-1))")
    if features.ndim != 2 or len(features) != len(labels):
        raise validation.InvalidArgumentError(
            f"features must be a 2-D array with one row per label; got shape {features.shape} for {len(labels)} labels")
    if len(labels) < 2 or len(np.unique(labels)) < 2:
        raise validation.InvalidArgumentError("LogME needs at least two examples of at least two classes")
    if not np.all(np.isfinite(features)):
        raise validation.InvalidArgumentError("features contain NaN or infinite values")
    count, dimension = features.shape
    if dimension == 0 or not np.any(features):
        raise validation.InvalidArgumentError("features are empty or all zero: LogME has nothing to score")
    left, singular, _ = np.linalg.svd(features, full_matrices=False)
    kept = singular > singular.max() * 1e-10
    left, singular_squared = left[:, kept], singular[kept] ** 2
    scores = []
    for value in np.unique(labels):
        target = (labels == value).astype(np.float64)
        projected = left.T @ target
        outside = max(float(target @ target - projected @ projected), 0.0)
        scores.append(_class_evidence(projected ** 2, outside, singular_squared, count, dimension))
    return float(np.mean(scores))


def rank_correlation(first, second) -> float:
    """Spearman's rank correlation of two equally long sequences (ties share their mean rank).

    NaN when either sequence is constant, as its ranks carry no order.
    """
    first, second = np.asarray(first, float), np.asarray(second, float)
    if first.shape != second.shape or first.ndim != 1 or len(first) < 2:
        raise validation.InvalidArgumentError("rank_correlation needs two 1-D sequences of the same length ≥ 2")
    if not (np.all(np.isfinite(first)) and np.all(np.isfinite(second))):
        raise validation.InvalidArgumentError("rank_correlation got NaN or infinite values")
    ranks = [_ranks(values) for values in (first, second)]
    centred = [rank - rank.mean() for rank in ranks]
    scale = np.sqrt((centred[0] ** 2).sum() * (centred[1] ** 2).sum())
    return float((centred[0] * centred[1]).sum() / scale) if scale > 0 else float("nan")


def _ranks(values):
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values), dtype=float)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks
