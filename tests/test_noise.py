"""Lesson 17's label noise: flipping labels, and finding them again with confident learning."""

import numpy as np
import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import baselines, noise


def test_flipped_labels_move_to_another_class_at_the_asked_rate():
    labels = np.arange(1000) % 10
    noisy, flipped = noise.flip_labels(labels, 10, 0.25, seed=3)
    assert flipped.sum() == 250 and np.all(noisy[flipped] != labels[flipped]) and np.all(noisy[~flipped] == labels[~flipped])
    assert len(np.unique(noisy[flipped])) == 10, "every class receives flipped labels"
    again, _ = noise.flip_labels(labels, 10, 0.25, seed=3)
    np.testing.assert_array_equal(noisy, again)
    more, more_flipped = noise.flip_labels(labels, 10, 0.5, seed=3)
    assert np.all(more_flipped[flipped]) and np.all(more[flipped] == noisy[flipped]), "rates nest under one seed"
    assert noise.flip_labels(labels, 10, 0.0)[1].sum() == 0
    with pytest.raises(InvalidArgumentError, match="noise rate"):
        noise.flip_labels(labels, 10, 1.0)


def _clusters(seed=0, per_class=60, classes=4, spread=4.0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, spread, (classes, 16))
    labels = np.repeat(np.arange(classes), per_class)
    return centres[labels] + rng.normal(0, 1, (len(labels), 16)), labels


def test_the_calibrated_joint_keeps_each_class_count_and_the_total():
    rows, labels = _clusters()
    noisy, _ = noise.flip_labels(labels, 4, 0.3, seed=2)
    probabilities = noise.out_of_fold_probabilities(rows, noisy, 4, seed=0)
    raw = noise.confident_joint(probabilities, noisy, calibrated=False)
    assert raw.sum() <= len(noisy) and np.all(raw == np.round(raw))
    calibrated = noise.confident_joint(probabilities, noisy)
    np.testing.assert_allclose(calibrated.sum(axis=1), np.bincount(noisy, minlength=4), rtol=1e-9)
    assert calibrated.sum() == pytest.approx(len(noisy))


def test_confident_learning_estimates_the_noise_rate_and_finds_the_flipped_labels_of_separable_classes():
    rows, labels = _clusters()
    noisy, flipped = noise.flip_labels(labels, 4, 0.2, seed=1)
    probabilities = noise.out_of_fold_probabilities(rows, noisy, 4, folds=5, seed=0)
    assert probabilities.shape == (240, 4) and np.allclose(probabilities.sum(axis=1), 1)
    assert noise.estimated_noise_rate(probabilities, noisy) == pytest.approx(0.2, abs=0.05)
    issues = noise.find_label_issues(probabilities, noisy)
    assert issues[flipped].mean() > 0.8 and flipped[issues].mean() > 0.8
    losses = noise.label_losses(probabilities, noisy)
    assert noise.precision_at_k(losses, flipped, int(flipped.sum())) > 0.8
    assert noise.precision_at_k(-losses, flipped, int(flipped.sum())) < 0.2, "the ranking's direction matters"
    summary = noise.search_summary(probabilities, noisy, labels)
    assert summary["issues"] == issues.sum() and summary["false_issues"] == (issues & ~flipped).sum()
    assert summary["true_noise_rate"] == 0.2 and summary["flipped"] == 48 and summary["detector_accuracy"] > 0.9


def test_on_clean_labels_of_separable_classes_it_estimates_little_noise_and_flags_little():
    rows, labels = _clusters()
    probabilities = noise.out_of_fold_probabilities(rows, labels, 4, seed=0)
    assert noise.estimated_noise_rate(probabilities, labels) <= 0.05
    assert noise.find_label_issues(probabilities, labels).mean() <= 0.05


def test_overlapping_classes_raise_the_estimate_above_the_true_rate():
    """Confident learning counts the classifier's own confusions as label errors: the estimate is biased upward."""
    rows, labels = _clusters(per_class=100, spread=0.35)
    probabilities = noise.out_of_fold_probabilities(rows, labels, 4, seed=0)
    assert probabilities.argmax(axis=1).tolist() != labels.tolist(), "the classes must overlap for this test"
    assert noise.estimated_noise_rate(probabilities, labels) > 0.1


def test_issues_are_never_labels_the_classifier_predicts():
    rows, labels = _clusters(per_class=100, spread=0.5)
    noisy, _ = noise.flip_labels(labels, 4, 0.3, seed=0)
    probabilities = noise.out_of_fold_probabilities(rows, noisy, 4, seed=0)
    issues = noise.find_label_issues(probabilities, noisy)
    assert issues.any() and not np.any(probabilities[issues].argmax(axis=1) == noisy[issues])


def test_bad_probabilities_or_labels_are_refused():
    with pytest.raises(InvalidArgumentError, match="one row per label"):
        noise.find_label_issues(np.full((3, 2), 0.5), [0, 1])
    with pytest.raises(InvalidArgumentError, match="class ids"):
        noise.confident_joint(np.full((2, 2), 0.5), [0, 2])


def test_out_of_fold_needs_enough_examples_per_class():
    rows, labels = _clusters(per_class=3)
    with pytest.raises(InvalidArgumentError, match="smaller folds"):
        noise.out_of_fold_probabilities(rows, labels, 4, folds=5)


def test_the_out_of_fold_strength_is_the_one_given():
    rows, labels = _clusters(per_class=40, spread=0.6)
    strong = noise.out_of_fold_probabilities(rows, labels, 4, seed=0, strength=1e-4)
    weak = noise.out_of_fold_probabilities(rows, labels, 4, seed=0, strength=1.0)
    assert strong.max(axis=1).mean() < weak.max(axis=1).mean(), "a strong penalty gives less confident predictions"


def test_the_feature_head_keeps_the_strength_best_on_validation_and_converges():
    rows, labels = _clusters(per_class=40, spread=0.6)
    validation_rows, validation_labels = _clusters(seed=0, per_class=40, spread=0.6)
    head = baselines.FeatureHead(rows, labels, validation_rows, validation_labels, strengths=(1e-4, 1.0))
    assert head.converged and head.strength == 1.0, "a nearly zero C cannot separate these classes"
    assert head.accuracy(validation_rows, validation_labels) == pytest.approx(head.validation_accuracy)


@pytest.mark.parametrize("classes", [2, 4])
def test_the_feature_head_as_a_softmax_layer_predicts_what_it_predicts(classes):
    rows, labels = _clusters(per_class=30, classes=classes, spread=0.8)
    rows[:, 3] = 1e-32 * np.random.default_rng(1).normal(size=len(rows))  # a feature that barely varies
    head = baselines.FeatureHead(rows, labels, rows, labels, strengths=(1.0,))
    kernel, bias = head.dense_weights()
    assert kernel.shape == (16, classes) and np.abs(kernel).max() < 1e3, "a negligible feature gets no huge weight"
    logits = rows.astype(np.float32) @ kernel + bias
    np.testing.assert_array_equal(np.argmax(logits, axis=1), head.classifier.predict(head.scaler.transform(rows)))
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities / probabilities.sum(axis=1, keepdims=True),
                               head.classifier.predict_proba(head.scaler.transform(rows)), atol=1e-4)


def test_the_noise_study_refuses_bad_rates_sizes_and_strategies_before_training():
    with pytest.raises(InvalidArgumentError, match="noise rate"):
        noise.noise_study(rates=(0.0, 1.5), progress=None)
    with pytest.raises(InvalidArgumentError, match="noise strategy"):
        noise.noise_study(strategies=("denoise",), progress=None)
    with pytest.raises(InvalidArgumentError, match="samples_per_class"):
        noise.noise_study(sizes=(2,), progress=None)


def test_the_noise_study_runs_end_to_end_and_searches_the_flipped_labels():
    study = noise.noise_study(rates=(0.4,), sizes=(20,), seeds=(0,), image_size=32, progress=None,
                              strategies=("feature_extraction", "cleaned", "oracle", "weakly_regularised_cleaned"))
    rows = {row["strategy"]: row for row in study.rows}
    assert set(rows) == {"feature_extraction", "cleaned", "oracle", "weakly_regularised_cleaned"}
    assert rows["weakly_regularised_cleaned"]["strength"] == noise.WEAK_STRENGTH
    assert rows["weakly_regularised_cleaned"]["training_examples"] == rows["cleaned"]["training_examples"]
    assert all(row["converged"] and row["samples_per_class"] == 20 for row in rows.values())
    cleaned = rows["cleaned"]
    assert cleaned["flipped"] == 80 and 0 < cleaned["issues"] < 200
    assert cleaned["training_examples"] == 200 - cleaned["issues"] and rows["oracle"]["training_examples"] == 120
    assert cleaned["precision_at_k"] > 0.4, "the highest out-of-fold losses are mostly flipped labels (chance: 0.4)"
    assert 0.4 < cleaned["detector_accuracy"] <= 1.0
