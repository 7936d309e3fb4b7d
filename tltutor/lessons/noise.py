"""Data quality: training labels that are wrong, what they cost, and how to find them.

:func:`flip_labels` turns a share of the training labels into another class, uniformly (symmetric
noise). The search for them is **confident learning** (Northcutt, Jiang & Chuang 2021), close to
the cleanlab library's defaults (cleanlab counts an example under its most probable class only and
keeps at least one example per class; here the most probable class above its threshold counts, as
in the paper):

1. :func:`out_of_fold_probabilities`: every example's class probabilities from a classifier that
   never saw it (k folds, a logistic regression on the frozen features).
2. :func:`confident_joint`: counts of (given label, confidently predicted class), where a class is
   predicted confidently when its probability reaches that class's mean probability over the
   examples labelled with it; calibrated so that each row sums to its class's count.
3. :func:`estimated_noise_rate`: the joint's share off the diagonal.
4. :func:`find_label_issues`: for each (given ``i``, true ``j``) cell, the joint's count of examples
   labelled ``i`` with the largest margin ``p_j − p_i`` ("prune by noise rate"), keeping only those
   the classifier does not predict as labelled.

:func:`noise_study` measures what flipped labels cost a head on frozen features and a no-transfer
baseline, and what removing (``cleaned``) or relabelling (``relabelled``) the issues found gives
back, against removing exactly the flipped labels (``oracle``, which needs the truth), for a head
whose regularisation is chosen on validation and for one that fits its labels closely.
:func:`suspect_labels` is the search on your own model and data.

Example (about a minute on 2 CPU cores)::

    study = tl.lessons.noise.noise_study(rates=(0.0, 0.4), seeds=(0, 1, 2))
    print(study.where(noise_rate=0.4).summary_table(["test_accuracy"]))
"""

from __future__ import annotations

import numpy as np

from tltutor import backbones, data, features, validation
from tltutor.lessons import baselines, experiments
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

RATES = (0.0, 0.2, 0.4)
SIZES = (50, 200)
STRATEGIES = ("pixels", "feature_extraction", "cleaned", "relabelled", "oracle", "weakly_regularised",
              "weakly_regularised_cleaned")
STRENGTHS = baselines.HEAD_STRENGTHS  # the heads' C, chosen on the (noisy) validation labels
WEAK_STRENGTH = 1.0  # scikit-learn's default C: a head that fits its training labels closely
MAX_SOLVER_ITERATIONS = baselines.HEAD_MAX_SOLVER_ITERATIONS
SOLVER_TOLERANCE = baselines.HEAD_SOLVER_TOLERANCE


def flip_labels(labels, num_classes: int, rate: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(noisy labels, flipped mask)``: ``round(rate × N)`` random labels, each moved to another random class.

    With one ``seed``, a lower rate's flipped labels are a subset of a higher rate's, flipped to the
    same classes, so rates compare like with like.

    Examples:
        >>> noisy, flipped = flip_labels(np.arange(10) % 5, 5, 0.3, seed=0)
        >>> int(flipped.sum()), bool(np.all(noisy[flipped] != (np.arange(10) % 5)[flipped]))
        (3, True)
    """
    labels = np.asarray(labels).astype(np.int64)
    _check_rate(rate)
    num_classes = validation.check_positive_int(num_classes, "num_classes", minimum=2)
    rng = np.random.default_rng(seed)
    order, offsets = rng.permutation(len(labels)), rng.integers(1, num_classes, size=len(labels))
    chosen = order[:int(round(rate * len(labels)))]
    noisy = labels.copy()
    noisy[chosen] = (labels[chosen] + offsets[chosen]) % num_classes
    flipped = np.zeros(len(labels), bool)
    flipped[chosen] = True
    return noisy, flipped


def _check_rate(rate) -> None:
    if not 0.0 <= float(rate) < 1.0:
        raise validation.InvalidArgumentError(f"the noise rate must be in [0, 1), got {rate}")


DETECTOR_STRENGTH = 0.1  # the out-of-fold classifier's C where no validation set chose one


def out_of_fold_probabilities(feature_rows, labels, num_classes: int, *, folds: int = 5, seed: int = 0,
                              strength: float = DETECTOR_STRENGTH) -> np.ndarray:
    """``(N, classes)`` probabilities of a logistic regression (``C = strength``) that never saw the example it predicts (k folds)."""
    from sklearn.model_selection import StratifiedKFold
    from sklearn.preprocessing import StandardScaler

    feature_rows, labels = np.asarray(feature_rows, np.float64), np.asarray(labels)
    folds = validation.check_positive_int(folds, "folds", minimum=2)
    counts = np.bincount(labels, minlength=num_classes)
    if counts.min() < folds:
        raise validation.InvalidArgumentError(
            f"class {int(counts.argmin())} has {int(counts.min())} examples; every class needs at least {folds} "
            f"examples for {folds} folds: pass a smaller folds (at least 2) or more examples")
    probabilities = np.zeros((len(labels), num_classes))
    for fitted, held_out in StratifiedKFold(folds, shuffle=True, random_state=seed).split(feature_rows, labels):
        scaler = StandardScaler().fit(feature_rows[fitted])
        classifier = baselines.fit_logistic_regression(scaler.transform(feature_rows[fitted]), labels[fitted],
                                                       C=strength, tol=SOLVER_TOLERANCE,
                                                       max_iter=MAX_SOLVER_ITERATIONS)
        probabilities[np.ix_(held_out, classifier.classes_)] = classifier.predict_proba(
            scaler.transform(feature_rows[held_out]))
    return probabilities


def _checked(probabilities, labels) -> tuple[np.ndarray, np.ndarray]:
    probabilities, labels = np.asarray(probabilities, np.float64), np.asarray(labels).astype(np.int64)
    if probabilities.ndim != 2 or len(probabilities) != len(labels):
        raise validation.InvalidArgumentError(
            f"probabilities must be (examples, classes) with one row per label: got {probabilities.shape} for "
            f"{len(labels)} labels")
    if labels.size and (labels.min() < 0 or labels.max() >= probabilities.shape[1]):
        raise validation.InvalidArgumentError(
            f"labels must be class ids in [0, {probabilities.shape[1]}), got {labels.min()} to {labels.max()}")
    return probabilities, labels


def label_losses(probabilities, labels) -> np.ndarray:
    """Each example's cross-entropy of its given label under ``probabilities`` (clipped away from zero)."""
    probabilities, labels = _checked(probabilities, labels)
    return -np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0))


def confident_joint(probabilities, labels, *, calibrated: bool = True) -> np.ndarray:
    """``(classes, classes)`` counts of examples by given label (row) and confidently predicted class (column).

    Class ``j``'s threshold is the mean probability of ``j`` over the examples labelled ``j``; an
    example counts under the most probable class at or above its threshold, and nowhere when none
    is. ``calibrated`` rescales each row to its class's count of labels, then the whole to the
    number of examples, as Northcutt et al. do before estimating.

    Examples:
        >>> probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
        >>> confident_joint(probabilities, [0, 0, 1, 0], calibrated=False).tolist()
        [[2.0, 1.0], [0.0, 1.0]]
    """
    probabilities, labels = _checked(probabilities, labels)
    classes = probabilities.shape[1]
    thresholds = np.array([probabilities[labels == label, label].mean() if np.any(labels == label) else np.inf
                           for label in range(classes)])
    above = probabilities >= thresholds[None, :]
    confident = np.where(above, probabilities, -1.0).argmax(axis=1)
    counted = above.any(axis=1)
    joint = np.zeros((classes, classes))
    np.add.at(joint, (labels[counted], confident[counted]), 1.0)
    if not calibrated:
        return joint
    counts = np.bincount(labels, minlength=classes).astype(np.float64)
    joint = joint / np.maximum(joint.sum(axis=1, keepdims=True), 1.0) * counts[:, None]
    return joint / max(joint.sum(), 1.0) * len(labels)


def estimated_noise_rate(probabilities, labels) -> float:
    """The share of labels confident learning estimates wrong: the calibrated joint off its diagonal."""
    joint = confident_joint(probabilities, labels)
    return float((joint.sum() - np.trace(joint)) / max(joint.sum(), 1.0))


def find_label_issues(probabilities, labels) -> np.ndarray:
    """Flags of the labels confident learning finds wrong ("prune by noise rate", cleanlab's default).

    For each given class ``i`` and other class ``j``, the calibrated :func:`confident_joint`
    estimates how many examples labelled ``i`` belong to ``j``; that many of them, those with the
    largest margin ``p_j − p_i``, are flagged. A flag is dropped where the most probable class is
    the given label.

    Examples:
        >>> probabilities = np.array([[0.9, 0.1], [0.8, 0.2], [0.3, 0.7], [0.2, 0.8]])
        >>> find_label_issues(probabilities, [0, 0, 1, 0]).tolist()
        [False, False, False, True]
    """
    probabilities, labels = _checked(probabilities, labels)
    joint = confident_joint(probabilities, labels)
    flagged = np.zeros(len(labels), bool)
    for given in range(probabilities.shape[1]):
        members = np.flatnonzero(labels == given)
        for other in range(probabilities.shape[1]):
            count = int(round(joint[given, other]))
            if other == given or count == 0:
                continue
            margins = probabilities[members, other] - probabilities[members, given]
            flagged[members[np.argsort(-margins, kind="stable")[:count]]] = True
    return flagged & (probabilities.argmax(axis=1) != labels)


def precision_at_k(scores, truth, k: int) -> float:
    """The share of true positives among the ``k`` highest ``scores``."""
    if k <= 0:
        return float("nan")
    top = np.argsort(-np.asarray(scores, np.float64), kind="stable")[:k]
    return float(np.mean(np.asarray(truth, bool)[top]))


def suspect_labels(model, dataset, *, folds: int = 5, seed: int = 0, strength: float = DETECTOR_STRENGTH) -> list[dict]:
    """The examples of ``(images, labels)`` whose label looks wrong, most suspect first.

    Give a model whose base is pretrained and not trained on these labels (a fresh
    :func:`tltutor.models.build_transfer_model`): a base fine-tuned on them has seen every example, and
    its predictions are no longer out of fold. The frozen base's pooled features go through
    :func:`out_of_fold_probabilities` (``C = strength``: choose it on a validation set, as
    :class:`~tltutor.lessons.baselines.FeatureHead` does); rows hold the example's ``index``, its ``label``, the
    ``predicted`` class, the out-of-fold ``loss`` of its label and whether :func:`find_label_issues`
    ``flagged`` it. Sorted by loss, highest first.
    """
    feature_rows, labels = features.pooled_features(model, dataset)
    num_classes = int(model.output_shape[-1])
    probabilities = out_of_fold_probabilities(feature_rows, labels, num_classes, folds=folds, seed=seed,
                                              strength=strength)
    losses = label_losses(probabilities, labels)
    flagged = find_label_issues(probabilities, labels)
    rows = [dict(index=int(index), label=int(labels[index]), predicted=int(probabilities[index].argmax()),
                 loss=round(float(losses[index]), 4), flagged=bool(flagged[index])) for index in range(len(labels))]
    return sorted(rows, key=lambda row: -row["loss"])


def search_summary(probabilities, noisy_labels, true_labels) -> dict:
    """How well confident learning found the flipped labels (``noisy_labels`` that differ from ``true_labels``).

    ``estimated_noise_rate`` against ``true_noise_rate``; ``issues`` found, the share of them truly
    flipped (``issue_precision``) and of the flipped found (``issue_recall``); ``precision_at_k``
    for the ``k = flipped`` highest out-of-fold losses; ``false_issues``, the issues on right labels;
    ``detector_accuracy``, the out-of-fold classifier's accuracy on the true labels.
    """
    probabilities, noisy_labels = _checked(probabilities, noisy_labels)
    true_labels = np.asarray(true_labels).astype(np.int64)
    flipped = noisy_labels != true_labels
    issues = find_label_issues(probabilities, noisy_labels)
    summary = dict(true_noise_rate=round(float(flipped.mean()), 4),
                   detector_accuracy=round(float(np.mean(probabilities.argmax(axis=1) == true_labels)), 4),
                   estimated_noise_rate=round(estimated_noise_rate(probabilities, noisy_labels), 4),
                   flipped=int(flipped.sum()), issues=int(issues.sum()), false_issues=int((issues & ~flipped).sum()))
    if issues.any():
        summary["issue_precision"] = round(float(flipped[issues].mean()), 4)
    if flipped.any():
        summary["issue_recall"] = round(float(issues[flipped].mean()), 4)
        summary["precision_at_k"] = round(precision_at_k(label_losses(probabilities, noisy_labels), flipped,
                                                         int(flipped.sum())), 4)
    return summary


def noise_study(dataset: str = data.OFFLINE_DEFAULT, *, rates=RATES, sizes=SIZES, strategies=STRATEGIES, seeds=None,
                image_size: int = 64, backbone: str = backbones.OFFLINE_DEFAULT, folds: int = 5,
                progress=True) -> Comparison:
    """Each strategy on training labels flipped at each rate and size (validation flipped too), tested on clean labels.

    Keyed by ``"strategy"`` with ``noise_rate`` and ``samples_per_class`` columns. Every head is a
    :class:`~tltutor.lessons.baselines.FeatureHead` on the frozen base's pooled features, fitted to convergence with its ``C``
    chosen on the noisy validation labels. The out-of-fold classifier that searches for wrong labels
    uses the ``C`` chosen for the head on every noisy label:

    - ``pixels``: the same classifier on raw grey pixels at 28 px (:func:`~tltutor.lessons.baselines.grey_pixels`), no transfer;
    - ``feature_extraction``: the head on every noisy label;
    - ``cleaned``: without the examples :func:`find_label_issues` flags (its row holds :func:`search_summary`);
    - ``relabelled``: those examples relabelled to their out-of-fold prediction (``relabels_right``: the
      share that got their true label back);
    - ``oracle``: without exactly the flipped examples, which only a run that flipped them can know;
    - ``weakly_regularised`` and ``weakly_regularised_cleaned``: every label, and without the flagged
      examples, at ``C =`` :data:`WEAK_STRENGTH` instead of the chosen ``C``: a head that fits its
      labels closely, wrong ones included, as a network trained to a small training loss does.
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "noise strategy")
    for rate in rates:
        _check_rate(rate)
    sizes = [validation.check_positive_int(size, "samples_per_class", minimum=folds) for size in sizes]
    settings = experiments.resolve_settings(seeds=seeds, image_size=image_size)
    spec = backbones.get(backbone)
    comparison = Comparison("strategy", settings=dict(
        dataset=dataset, rates=[float(rate) for rate in rates], sizes=sizes, image_size=image_size, folds=folds,
        strengths=list(STRENGTHS), noise="symmetric: each flipped label moved to another class"))
    steps = Steps(len(settings["seeds"]) * len(sizes) * len(rates), "label noise", output=progress)
    for size in sizes:
        for seed in settings["seeds"]:
            train, validation_data, test, info = data.load_dataset(
                dataset, image_size=settings["image_size"], samples_per_class=size, seed=seed, pipeline="arrays")
            model = experiments.reset_or_build_model(spec.name, info.num_classes, seed=seed,
                                                     image_size=settings["image_size"])
            parts = (("train", train), ("validation", validation_data), ("test", test))
            rows = {name: features.pooled_features(model, part)[0] for name, part in parts}
            pixels = {name: baselines.grey_pixels(part)[0] for name, part in parts} if "pixels" in strategies else None
            for rate in rates:
                noisy, flipped = flip_labels(train[1], info.num_classes, rate, seed=seed)
                noisy_validation, _ = flip_labels(validation_data[1], info.num_classes, rate, seed=seed + 1000)
                columns = dict(noise_rate=float(rate), samples_per_class=size)

                def add(strategy, kept, labels, source=rows, strengths=STRENGTHS, **extra):
                    head = baselines.FeatureHead(source["train"][kept], labels[kept], source["validation"], noisy_validation,
                                       strengths=strengths, seed=seed)
                    if strategy is None:
                        return head
                    comparison.add(strategy, seed, **columns, test_accuracy=round(head.accuracy(source["test"], test[1]), 4),
                                   validation_accuracy=round(head.validation_accuracy, 4),
                                   training_examples=int(kept.sum()), **head.summary(), **extra)
                    return head

                everything = np.ones(len(noisy), bool)
                if "pixels" in strategies:
                    add("pixels", everything, noisy, source=pixels)
                chosen = add("feature_extraction" if "feature_extraction" in strategies else None, everything, noisy)
                if "weakly_regularised" in strategies:
                    add("weakly_regularised", everything, noisy, strengths=(WEAK_STRENGTH,))
                if {"cleaned", "relabelled", "weakly_regularised_cleaned"} & set(strategies):
                    probabilities = out_of_fold_probabilities(rows["train"], noisy, info.num_classes, folds=folds,
                                                              seed=seed, strength=chosen.strength)
                    issues = find_label_issues(probabilities, noisy)
                    if "cleaned" in strategies:
                        add("cleaned", ~issues, noisy, **search_summary(probabilities, noisy, train[1]))
                    if "relabelled" in strategies:
                        relabelled = np.where(issues, probabilities.argmax(axis=1), noisy)
                        right = float(np.mean(relabelled[issues] == train[1][issues])) if issues.any() else float("nan")
                        add("relabelled", everything, relabelled, relabels_right=round(right, 4))
                    if "weakly_regularised_cleaned" in strategies:
                        add("weakly_regularised_cleaned", ~issues, noisy, strengths=(WEAK_STRENGTH,))
                if "oracle" in strategies:
                    add("oracle", ~flipped, noisy)
                steps.advance(f"{size} per class, rate {rate}, seed {seed}")
    return comparison
