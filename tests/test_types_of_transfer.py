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


def test_standardising_each_domain_undoes_a_shift_and_scale_that_moved_every_feature():
    rng = np.random.default_rng(2)
    source, source_labels = _domain(rng, 0.0)
    target, target_labels = _domain(rng, 0.0)
    target = target * 0.2 + 5.0  # lower contrast and a brighter mean: the source's boundary misses entirely
    test, test_labels = target[100:], target_labels[100:]
    raw = types.self_training(source, source_labels, target[:100], (test, test_labels))
    aligned_source, aligned_target, aligned_test = types.standardise_each_domain(source, target[:100], test)
    aligned = types.self_training(aligned_source, source_labels, aligned_target, (aligned_test, test_labels))
    assert raw["before"] <= 0.6 and aligned["before"] > 0.85
    with pytest.raises(InvalidArgumentError, match="same extractor"):
        types.standardise_each_domain(source, target[:, :4])


def test_compare_adaptation_runs_every_arm_on_every_seed_and_checks_the_pool():
    rng = np.random.default_rng(3)
    source = _domain(rng, 0.0)
    target_features, target_labels = _domain(rng, 0.0)
    comparison = types.compare_adaptation(source, (target_features * 0.2 + 5.0, target_labels), source_per_class=20,
                                          seeds=(0, 1))
    assert sorted({row["adaptation"] for row in comparison.rows}) == sorted(types.ADAPTATIONS)
    assert len(comparison.rows) == 2 * len(types.ADAPTATIONS) and all(row["converged"] for row in comparison.rows)
    assert min(comparison.values("standardised", "target_accuracy")) > max(
        comparison.values("source only", "target_accuracy"))
    # the control rescales as "standardised" does, by the source's statistics only: the shift stays
    assert max(comparison.values("source only, rescaled", "target_accuracy")) <= 0.6
    assert all(row["correct_pseudo_labels"] == round(row["pseudo_label_precision"] * row["pseudo_labels"])
               for row in comparison.rows if row.get("pseudo_labels"))
    with pytest.raises(InvalidArgumentError, match="at most 100"):
        types.compare_adaptation(source, (target_features, target_labels), source_per_class=101, seeds=(0,))


def test_cluster_scores_say_whether_k_means_converged():
    features = np.repeat(np.eye(3), 5, axis=0)
    scores = types.cluster_scores(features, np.repeat(np.arange(3), 5))
    assert scores["converged"] is True and scores["nmi"] == 1.0


def test_compare_text_heads_fits_both_heads_to_convergence_with_a_chosen_strength():
    from tltutor.lessons import baselines

    def embed(texts):  # a stand-in extractor: counts of a few sentiment words, enough to beat chance
        words = ("good", "great", "bad", "worst", "not", "best", "boring", "fun")
        return np.array([[text.lower().count(word) for word in words] + [len(text) / 100] for text in texts], float)

    comparison = types.compare_text_heads(embed, 16, seeds=(0, 1))
    assert sorted({row["representation"] for row in comparison.rows}) == ["TF-IDF", "sentence embeddings"]
    assert len(comparison.rows) == 4 and all(row["converged"] for row in comparison.rows)
    assert all(row["strength"] in baselines.HEAD_STRENGTHS
               for row in comparison.rows if row["representation"] == "sentence embeddings")
    assert all(0.0 <= value <= 1.0 for value in comparison.values("TF-IDF", "movies_accuracy"))
    with pytest.raises(InvalidArgumentError):
        types.compare_text_heads(embed, 0, seeds=(0,))
