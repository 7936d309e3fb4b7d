"""LogME against the marginal likelihood computed directly, and the rank correlation against SciPy."""

import numpy as np
import pytest
from scipy import optimize, stats

from tltutor import transferability
from tltutor.errors import InvalidArgumentError


def _best_direct_evidence(features, target):
    """max over the precisions of log N(target | 0, F Fᵀ/α + I/β), per example: no SVD, no fixed point."""
    count = len(target)

    def negative(log_precisions):
        alpha, beta = np.exp(log_precisions)
        covariance = features @ features.T / alpha + np.eye(count) / beta
        return -stats.multivariate_normal(np.zeros(count), covariance).logpdf(target)

    found = optimize.minimize(negative, x0=np.zeros(2), method="Nelder-Mead",
                              options=dict(xatol=1e-8, fatol=1e-10, maxiter=4000))
    return -found.fun / count


@pytest.mark.parametrize("count, dimension", [(40, 6), (12, 20)])
def test_logme_is_the_maximised_evidence_of_bayesian_linear_regression(count, dimension):
    rng = np.random.default_rng(count)
    labels = np.arange(count) % 3
    features = rng.normal(size=(count, dimension)) + np.eye(3, dimension)[labels] * 2
    direct = np.mean([_best_direct_evidence(features, (labels == value).astype(float)) for value in range(3)])
    assert transferability.logme(features, labels) == pytest.approx(direct, abs=2e-3)


def test_informative_features_score_above_noise_and_shuffled_labels():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 15)
    features = np.eye(4)[labels] @ rng.normal(size=(4, 32)) + rng.normal(scale=0.5, size=(60, 32))
    assert transferability.logme(features, labels) > transferability.logme(rng.normal(size=(60, 32)), labels)
    assert transferability.logme(features, labels) > transferability.logme(features, rng.permutation(labels))


def test_rank_correlation_matches_scipy_with_ties():
    first, second = [3, 1, 2, 2, 5, 4], [0.3, 0.1, 0.25, 0.2, 0.9, 0.1]
    assert transferability.rank_correlation(first, second) == pytest.approx(stats.spearmanr(first, second)[0])


@pytest.mark.parametrize("features, labels, message", [
    (np.zeros((3, 2)), [0, 1], "one row per label"), (np.zeros((3, 2)), [1, 1, 1], "two classes"),
    (np.full((2, 2), np.nan), [0, 1], "NaN")])
def test_bad_input_says_what_is_wrong(features, labels, message):
    with pytest.raises(InvalidArgumentError, match=message):
        transferability.logme(features, labels)


def test_transfer_map_rows_carry_logme_and_score_agreement_reads_them():
    import tltutor as tl

    found = tl.lessons.selection.transfer_map(targets=("digits",), samples_per_class=(3,), seeds=(0, 1),
                                              image_size=32, test_samples_per_class=10, progress=False)
    assert found.variants == ["pixels", "imagenet", "random"]
    assert all(np.isfinite(row["logme"]) for row in found.rows)
    rows = tl.lessons.selection.score_agreement(found, [{"target": "digits", "samples_per_class": 3}])
    assert rows[0]["first_by_score"] in found.variants and rows[0]["first_by_accuracy"] in found.variants
    assert -1 <= rows[0]["rank_correlation"] <= 1
    with pytest.raises(InvalidArgumentError, match="probe_test_accuracy"):
        tl.lessons.selection.score_agreement(found, [{}], metric="probe_test_accuracy")
