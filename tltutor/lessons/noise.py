"""Data quality: training labels that are wrong, what they cost each strategy, and how to find them.

:func:`flip_labels` turns a share of the training labels into another class, uniformly (symmetric
noise). :func:`noise_study` trains the usual strategies (:mod:`tltutor.lessons.experiments`) on the
noisy labels and tests them on clean ones; then it looks for the flipped labels with **confident
learning** (Northcutt, Jiang & Chuang 2021): out-of-fold predicted probabilities from a classifier
on the frozen features (:func:`out_of_fold_probabilities`), per-class confidence thresholds, and a
label flagged where another class is confidently predicted (:func:`confident_learning`). The
examples are also ranked by their out-of-fold loss, and the top ``k`` (``k`` the number flipped) are
scored for precision. A head retrained without the flagged examples is the ``cleaned`` strategy.

:func:`suspect_labels` is the same search on your own model and data.

Example (a few minutes on 2 CPU cores)::

    study = tl.lessons.noise.noise_study(rates=(0.0, 0.4), seeds=(0, 1, 2))
    print(study.where(noise_rate=0.4).summary_table(["test_accuracy"]))
"""

from __future__ import annotations

import numpy as np

from tltutor import backbones, data, features, freezing, training, validation
from tltutor.lessons import baselines, experiments
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

RATES = (0.0, 0.2, 0.4)
STRATEGIES = ("scratch", "feature_extraction", "fine_tuning", "cleaned")


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
    if not 0.0 <= float(rate) < 1.0:
        raise validation.InvalidArgumentError(f"the noise rate must be in [0, 1), got {rate}")
    num_classes = validation.check_positive_int(num_classes, "num_classes", minimum=2)
    rng = np.random.default_rng(seed)
    order, offsets = rng.permutation(len(labels)), rng.integers(1, num_classes, size=len(labels))
    chosen = order[:int(round(rate * len(labels)))]
    noisy = labels.copy()
    noisy[chosen] = (labels[chosen] + offsets[chosen]) % num_classes
    flipped = np.zeros(len(labels), bool)
    flipped[chosen] = True
    return noisy, flipped


def out_of_fold_probabilities(feature_rows, labels, num_classes: int, *, folds: int = 5, seed: int = 0) -> np.ndarray:
    """``(N, classes)`` probabilities of a logistic regression that never saw the example it predicts (k folds)."""
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
                                                       C=0.1, tol=1e-3, max_iter=500)
        probabilities[np.ix_(held_out, classifier.classes_)] = classifier.predict_proba(
            scaler.transform(feature_rows[held_out]))
    return probabilities


def label_losses(probabilities, labels) -> np.ndarray:
    """Each example's cross-entropy of its given label under ``probabilities`` (clipped away from zero)."""
    return -np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-12, 1.0))


def confident_learning(probabilities, labels) -> np.ndarray:
    """Flags of labels confident learning finds suspect: another class is predicted above its own confidence threshold.

    Class ``j``'s threshold is the mean probability of ``j`` over the examples labelled ``j``. An
    example's confident class is the most probable among those at or above their threshold; its
    label is flagged when that class exists and differs from it (the "confident joint" off the
    diagonal, Northcutt et al. 2021).
    """
    probabilities, labels = np.asarray(probabilities, np.float64), np.asarray(labels)
    classes = probabilities.shape[1]
    thresholds = np.array([probabilities[labels == label, label].mean() if np.any(labels == label) else 1.0
                           for label in range(classes)])
    above = probabilities >= thresholds[None, :]
    masked = np.where(above, probabilities, -1.0)
    confident = masked.argmax(axis=1)
    return above.any(axis=1) & (confident != labels)


def precision_at_k(scores, truth, k: int) -> float:
    """The share of true positives among the ``k`` highest ``scores``."""
    if k <= 0:
        return float("nan")
    top = np.argsort(-np.asarray(scores, np.float64), kind="stable")[:k]
    return float(np.mean(np.asarray(truth, bool)[top]))


def suspect_labels(model, dataset, *, folds: int = 5, seed: int = 0) -> list[dict]:
    """The examples of ``(images, labels)`` whose label looks wrong, most suspect first.

    Give a model whose base is pretrained and not trained on these labels (a fresh
    :func:`tltutor.models.build_transfer_model`): a base fine-tuned on them has seen every example, and
    its predictions are no longer out of fold. The frozen base's pooled features go through
    :func:`out_of_fold_probabilities`; rows hold the
    example's ``index``, its ``label``, the ``predicted`` class, the out-of-fold ``loss`` of its
    label and whether :func:`confident_learning` ``flagged`` it. Sorted by loss, highest first.
    """
    feature_rows, labels = features.pooled_features(model, dataset)
    num_classes = int(model.output_shape[-1])
    probabilities = out_of_fold_probabilities(feature_rows, labels, num_classes, folds=folds, seed=seed)
    losses = label_losses(probabilities, labels)
    flagged = confident_learning(probabilities, labels)
    rows = [dict(index=int(index), label=int(labels[index]), predicted=int(probabilities[index].argmax()),
                 loss=round(float(losses[index]), 4), flagged=bool(flagged[index])) for index in range(len(labels))]
    return sorted(rows, key=lambda row: -row["loss"])


def noise_study(dataset: str = data.OFFLINE_DEFAULT, *, rates=RATES, strategies=STRATEGIES, seeds=None,
                samples_per_class: int = 100, image_size: int = 64, backbone: str = backbones.OFFLINE_DEFAULT,
                unfreeze_from: str = "block11_", fine_tune_epochs: int | None = None, folds: int = 5,
                progress=True) -> Comparison:
    """Each strategy trained on labels flipped at each rate (validation flipped too), tested on clean labels.

    Keyed by ``"strategy"`` with a ``noise_rate`` column. ``cleaned`` is the head retrained after
    dropping the training examples confident learning flags; its rows also hold the search's
    ``flipped``, ``flagged``, ``flag_precision``, ``flag_recall`` and ``precision_at_k`` (the top
    ``k = flipped`` examples by out-of-fold loss).
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "noise strategy")
    for rate in rates:
        if not 0.0 <= float(rate) < 1.0:
            raise validation.InvalidArgumentError(f"noise rates must be in [0, 1), got {rate}")
    settings = experiments.resolve_settings(seeds=seeds, image_size=image_size)
    if fine_tune_epochs is not None:
        settings["fine_tune_epochs"] = validation.check_epochs(fine_tune_epochs)
    settings["schedule"] = "warmup_cosine"
    spec = backbones.get(backbone)
    comparison = Comparison("strategy", settings=dict(dataset=dataset, rates=[float(rate) for rate in rates],
                                                      samples_per_class=samples_per_class, image_size=image_size,
                                                      unfreeze_from=unfreeze_from, folds=folds,
                                                      noise="symmetric: each flipped label moved to another class"))
    steps = Steps(len(settings["seeds"]) * len(rates) * len(strategies), "label noise", output=progress)
    trained = [strategy for strategy in strategies if strategy != "cleaned"]
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=samples_per_class, seed=seed,
            pipeline="arrays")
        for rate in rates:
            noisy_train, flipped = flip_labels(train[1], info.num_classes, rate, seed=seed)
            noisy_validation, _ = flip_labels(validation_data[1], info.num_classes, rate, seed=seed + 1000)
            noisy = (train[0], noisy_train)
            experiments.run_seed(spec, noisy, (validation_data[0], noisy_validation), test, info, seed=seed,
                                 strategies=trained, settings=settings, unfreeze_from=unfreeze_from,
                                 comparison=comparison, steps=steps, noise_rate=float(rate))
            if "cleaned" in strategies:
                model = experiments.reset_or_build_model(spec.name, info.num_classes, seed=seed,
                                                         image_size=settings["image_size"])
                feature_rows, _ = features.pooled_features(model, noisy)
                probabilities = out_of_fold_probabilities(feature_rows, noisy_train, info.num_classes, folds=folds,
                                                          seed=seed)
                flagged = confident_learning(probabilities, noisy_train)
                losses = label_losses(probabilities, noisy_train)
                kept = ~flagged
                training.train_head(model, (train[0][kept], noisy_train[kept]), (validation_data[0], noisy_validation),
                                    epochs=settings["head_epochs"], progress=False, seed=seed)
                search = dict(flipped=int(flipped.sum()), flagged=int(flagged.sum()))
                if flagged.any():
                    search["flag_precision"] = round(float(flipped[flagged].mean()), 4)
                if flipped.any():
                    search["flag_recall"] = round(float(flagged[flipped].mean()), 4)
                    search["precision_at_k"] = round(precision_at_k(losses, flipped, int(flipped.sum())), 4)
                comparison.add("cleaned", seed, noise_rate=float(rate),
                               test_accuracy=round(training.evaluate(model, test)["accuracy"], 4),
                               trainable_parameters=freezing.trainable_summary(model).trainable_parameters, **search)
                steps.advance(f"cleaned, rate {rate}, seed {seed}")
    return comparison
