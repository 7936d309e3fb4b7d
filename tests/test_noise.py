"""Lesson 17's label noise: flipping labels, and finding them again with confident learning."""

import numpy as np
import pytest

from tltutor.errors import InvalidArgumentError
from tltutor.lessons import noise


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


def _clusters(seed=0, per_class=60, classes=4):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 4, (classes, 16))
    labels = np.repeat(np.arange(classes), per_class)
    return centres[labels] + rng.normal(0, 1, (len(labels), 16)), labels


def test_confident_learning_flags_most_flipped_labels_of_separable_classes_and_few_right_ones():
    rows, labels = _clusters()
    noisy, flipped = noise.flip_labels(labels, 4, 0.2, seed=1)
    probabilities = noise.out_of_fold_probabilities(rows, noisy, 4, folds=5, seed=0)
    assert probabilities.shape == (240, 4) and np.allclose(probabilities.sum(axis=1), 1)
    flagged = noise.confident_learning(probabilities, noisy)
    assert flagged[flipped].mean() > 0.8 and flipped[flagged].mean() > 0.8
    losses = -np.log(probabilities[np.arange(240), noisy])
    assert noise.precision_at_k(losses, flipped, int(flipped.sum())) > 0.8
    assert noise.precision_at_k(-losses, flipped, int(flipped.sum())) < 0.2, "the ranking's direction matters"
    assert noise.confident_learning(noise.out_of_fold_probabilities(rows, labels, 4, seed=0), labels).mean() <= 0.05


def test_out_of_fold_needs_enough_examples_per_class():
    rows, labels = _clusters(per_class=3)
    with pytest.raises(InvalidArgumentError, match="smaller folds"):
        noise.out_of_fold_probabilities(rows, labels, 4, folds=5)


def test_the_noise_study_refuses_bad_rates_and_strategies_before_training():
    with pytest.raises(InvalidArgumentError, match="noise rates"):
        noise.noise_study(rates=(0.0, 1.5), progress=None)
    with pytest.raises(InvalidArgumentError, match="noise strategy"):
        noise.noise_study(strategies=("denoise",), progress=None)


def test_the_noise_study_runs_end_to_end_and_searches_the_flipped_labels():
    study = noise.noise_study(rates=(0.4,), strategies=("feature_extraction", "cleaned"), seeds=(0,),
                              samples_per_class=20, image_size=32, progress=None)
    cleaned = [row for row in study.rows if row["strategy"] == "cleaned"][0]
    assert cleaned["flipped"] == 80 and 0 < cleaned["flagged"] < 200
    assert cleaned["precision_at_k"] > 0.4, "the highest out-of-fold losses are mostly flipped labels (chance: 0.4)"
    assert set(study.variants) == {"feature_extraction", "cleaned"}
