"""Lesson 15's helpers: self-training with its in-domain reference, and LSA before clustering text."""

import numpy as np
import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import types


def _domain(rng, shift, count=200):
    labels = np.arange(count) % 2
    return rng.normal(0, 1, (count, 8)) + np.outer(labels * 2 - 1, np.r_[2.0, np.zeros(7)]) + shift, labels


def test_self_training_reports_the_in_domain_reference_that_saw_the_true_labels():
    rng = np.random.default_rng(0)
    source, source_labels = _domain(rng, 0.0)
    target, target_labels = _domain(rng, np.r_[1.5, 3.0, np.zeros(6)])  # the class boundary moves
    test, test_labels = _domain(rng, np.r_[1.5, 3.0, np.zeros(6)])
    result = types.self_training(source, source_labels, target, (test, test_labels), target_truth=target_labels)
    assert result["in_domain"] > result["before"] and result["in_domain"] > 0.9
    assert "in_domain" not in types.self_training(source, source_labels, target, (test, test_labels))


def test_lsa_gives_unit_rows_of_the_asked_size_and_refuses_too_many_components():
    rng = np.random.default_rng(1)
    vocabulary = np.zeros((40, 30))
    for row in range(40):  # two topics, each a different set of words
        words = rng.choice(15, 4, replace=False) + 15 * (row % 2)
        vocabulary[row, words] = 1.0
    projected = types.lsa_features(vocabulary, components=5)
    assert projected.shape == (40, 5) and np.allclose(np.linalg.norm(projected, axis=1), 1)
    assert types.cluster_scores(projected, np.arange(40) % 2, seed=0)["nmi"] == 1.0
    with pytest.raises(InvalidArgumentError, match="fewer than 30"):
        types.lsa_features(vocabulary, components=30)
