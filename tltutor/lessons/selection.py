"""Choose a pretrained model by measurement: size, speed and linear-probe accuracy on *your* task.

A linear probe freezes a candidate base, computes its pooled features once, and trains only a
new Dense head on them. Its accuracy measures how useful the source's features are for the
target before any fine-tuning. Adding a less relevant source and random-weight copies of the
candidates turns "relevant" from a claim into a number; repeating over seeds tells a real gap
from noise.

Example::

    comparison = tl.lessons.selection.compare_backbones(
        [("EfficientNetLite0", "imagenet"), ("DigitsCNN", "digits"), ("EfficientNetLite0", None)],
        seeds=(0, 1, 2))
    print(comparison.summary_table(["probe_test_accuracy", "images_per_second"]))
"""

from __future__ import annotations

import time

import keras
import numpy as np

from tltutor import backbones, batchnorm, data, features, freezing, models, training, transferability, validation
from tltutor.data import batches
from tltutor.lessons import baselines
from tltutor.lessons.experiments import reset_or_build_model
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps


def candidate_label(backbone: str, weights) -> str:
    """A readable name: ``"EfficientNetLite0 (imagenet)"`` or ``"... (random)"``."""
    return f"{backbones.get(backbone).name} ({weights if weights else 'random'})"


def measure_throughput(model: keras.Model, image_size: int, batch_size: int = 32, repeats: int = 5) -> float:
    """Images per second of the frozen base's forward pass (after one warm-up batch)."""
    extractor = models.feature_extractor(model)
    images = np.random.default_rng(0).uniform(0, 255, (batch_size, image_size, image_size, 3)).astype("float32")
    extractor.predict_on_batch(images)
    started = time.perf_counter()
    for _ in range(repeats):
        extractor.predict_on_batch(images)
    return batch_size * repeats / (time.perf_counter() - started)


def _at_size(data_part, image_size: int):
    images, labels = batches.to_numpy(data_part)
    if images.shape[1] == image_size:
        return images, labels
    return batches.resize_images(images, image_size).astype(np.float32), labels


def linear_probe(backbone: str, weights, train, validation_data, test, *, num_classes: int, image_size: int,
                 epochs: int = 30, seed: int = 0, normalization_images=None) -> dict:
    """Size, speed and linear-probe accuracy of one candidate base (frozen, head on cached features).

    A base with random weights (``weights=None``) first gets BatchNorm statistics estimated on the
    training images, or on ``normalization_images`` when given (:func:`tltutor.batchnorm.adapt_batchnorm`):
    at their defaults, activations in a deep random network grow or vanish layer by layer, and the
    probe would measure that, not the architecture.
    """
    validation.check_num_classes(num_classes)
    model = reset_or_build_model(backbone, num_classes, seed=seed, image_size=image_size, weights=weights)
    train, validation_data, test = (_at_size(part, image_size) for part in (train, validation_data, test))
    if weights is None:
        images = train[0] if normalization_images is None else batches.resize_images(normalization_images, image_size)
        batchnorm.adapt_batchnorm(model, images)
    started = time.perf_counter()
    history = training.train_head(model, train, validation_data, epochs=epochs, progress=False, seed=seed)
    seconds = time.perf_counter() - started
    summary = freezing.trainable_summary(model)
    train_features, train_labels = features.pooled_features(model, train)
    return {
        "base_parameters": summary.non_trainable_parameters,
        "feature_size": int(models.feature_extractor(model).outputs[0].shape[-1]),
        "images_per_second": round(measure_throughput(model, image_size), 1),
        "probe_validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
        "probe_test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
        "probe_epochs": history.epochs,
        "steps": history.steps,
        "probe_seconds": round(seconds, 1),
        "logme": round(transferability.logme(train_features, train_labels), 4),
    }


PIXELS = "raw pixels (logistic regression)"


def compare_backbones(candidates, dataset: str = data.OFFLINE_DEFAULT, *, seeds=None,
                      samples_per_class: int | None = None, image_size: int | None = None, epochs: int | None = None,
                      test_samples_per_class: int | None = None, include_pixels: bool = False,
                      progress=True) -> Comparison:
    """:func:`linear_probe` of each candidate on the same splits, once per seed; keyed by ``"candidate"``.

    A candidate is ``(backbone, weights)`` or ``(backbone, weights, image_size)``, for a base that
    works best at its own resolution (DigitsCNN was pretrained at 32 px). ``include_pixels`` adds
    logistic regression on the raw pixels as a row (``probe_*`` columns only). Unset sizes,
    epochs and seeds come from the active profile (:func:`tltutor.runtime.profile.defaults`).
    """
    settings = profile.defaults()
    settings.update({key: value for key, value in dict(samples_per_class=samples_per_class, image_size=image_size,
                                                       head_epochs=epochs, seeds=seeds,
                                                       test_samples_per_class=test_samples_per_class).items()
                     if value is not None})
    settings["seeds"] = validation.check_seeds(settings["seeds"])
    candidates = [(backbones.get(candidate[0]).name, candidate[1],
                   validation.check_image_size(candidate[2] if len(candidate) > 2 else settings["image_size"],
                                               backbones.get(candidate[0])))
                  for candidate in candidates]
    validation.check_not_empty(len(candidates), "list of candidates")
    comparison = Comparison("candidate", settings={**settings, "dataset": dataset, "candidates": candidates})
    # One unlabelled sample of the pool sets every seed's random-weight BatchNorm statistics alike.
    pool = data.resized_source(dataset, settings["image_size"]).x_pool
    normalization_images = pool[np.random.default_rng(0).choice(len(pool), min(256, len(pool)), replace=False)]
    steps = Steps((len(candidates) + include_pixels) * len(settings["seeds"]), "probes", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
            test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
        comparison.dataset = info
        if include_pixels:
            row = baselines.pixel_logistic_regression(train, validation_data, test, seed=seed)
            comparison.add(PIXELS, seed, probe_validation_accuracy=round(row["validation_accuracy"], 4),
                           probe_test_accuracy=round(row["test_accuracy"], 4), probe_seconds=row["seconds"])
            steps.advance(f"raw pixels, seed {seed}")
        for backbone, weights, size in candidates:
            row = linear_probe(backbone, weights, train, validation_data, test, num_classes=info.num_classes,
                               image_size=size, epochs=settings["head_epochs"], seed=seed,
                               normalization_images=normalization_images)
            comparison.add(candidate_label(backbone, weights), seed, image_size=size, **row)
            steps.advance(f"{candidate_label(backbone, weights)}, seed {seed}")
    return comparison


MAP_TARGETS = ("tuxpaint_photos", "fashion_mnist_embedded", "digits")
MAP_REPRESENTATIONS = ("imagenet", "random", "pixels")


PROBE_STRENGTHS = (0.01, 0.1, 1.0, 10.0)


def feature_health(pooled) -> dict:
    """Is an extractor degenerate? Scale and spread of its pooled features over some images.

    - ``feature_scale``: the mean absolute feature value. Near zero (1e-10), the features carry
      nothing a classifier with a fixed regularisation strength can read.
    - ``dead_share``: the share of features that are the same for every image.
    - ``top_component_share``: the share of the features' variance along their first principal
      axis. Near 1, every image maps to one line: the extractor sees one thing, whatever the image.
    - ``effective_dimensions``: ``exp`` of the entropy of the variance spectrum (Roy & Vetterli
      2007): how many directions the images really spread along.

    Examples:
        >>> import numpy as np
        >>> line = np.outer(np.arange(50.0), np.ones(8))    # every image on one line
        >>> feature_health(line)["top_component_share"]
        1.0
        >>> cloud = np.random.default_rng(0).normal(size=(500, 8))
        >>> round(feature_health(cloud)["effective_dimensions"])
        8
    """
    pooled = np.asarray(pooled, np.float64)
    if pooled.ndim != 2 or len(pooled) < 2:
        raise validation.InvalidArgumentError(f"feature_health needs (images, features) with 2 images or more, "
                                              f"got shape {pooled.shape}")
    spread = pooled.std(axis=0)
    centred = pooled - pooled.mean(axis=0)
    variances = np.linalg.svd(centred, compute_uv=False) ** 2
    total = variances.sum()
    shares = variances / total if total > 0 else np.zeros_like(variances)
    positive = shares[shares > 0]
    return {"feature_scale": float(f"{np.abs(pooled).mean():.3g}"),
            "dead_share": round(float(np.mean(spread <= 1e-12 * max(1.0, np.abs(pooled).max()))), 3),
            "top_component_share": round(float(shares[0]), 3),
            "effective_dimensions": round(float(np.exp(-np.sum(positive * np.log(positive)))), 1)}


def _probe(train, validation_data, test, seed):
    """Logistic regression, ``C`` chosen on validation: ``(validation, test, LogME on train)``.

    ``C`` spans three orders of magnitude so that the strength suits each representation's scale
    (random features are tiny numbers, ImageNet features run 0..6, pixels 0..1). Standardising the
    inputs instead would estimate each input's scale from as few as ten training rows.
    """
    score, _, classifier = baselines.logistic_regression_chosen_on_validation(train, validation_data,
                                                                              PROBE_STRENGTHS, seed=seed)
    return score, float(classifier.score(*test)), transferability.logme(*train)


def probe_base(model, train, validation_data, test, *, seed: int = 0) -> dict:
    """A fresh linear probe of ``model``'s base as it is now: what its features still carry, whatever its head.

    Logistic regression (``C`` chosen on validation) on the pooled features of the base, computed
    anew with its current weights. After a fine-tuning run that ended at chance, a probe near the
    head's accuracy says the new head broke and the features survived; a probe at chance says the
    base itself was destroyed. Returns ``probe_validation_accuracy`` and ``probe_test_accuracy``.
    When the base's outputs are no longer finite numbers, no probe can be fitted: each accuracy is
    then that of predicting the most common training class, the best a probe of nothing can do.
    """
    extractor = models.feature_extractor(model)
    parts = []
    for part in (train, validation_data, test):
        images, labels = batches.to_numpy(part)
        parts.append((np.asarray(models.predict_in_batches(extractor, images, 256), np.float64),
                      np.asarray(labels).reshape(-1)))
    if not all(np.all(np.isfinite(features_of)) for features_of, _ in parts):
        majority = np.bincount(parts[0][1]).argmax()
        return {"probe_validation_accuracy": round(float(np.mean(parts[1][1] == majority)), 4),
                "probe_test_accuracy": round(float(np.mean(parts[2][1] == majority)), 4)}
    validation_accuracy, test_accuracy, _ = _probe(*parts, seed)
    return {"probe_validation_accuracy": round(float(validation_accuracy), 4),
            "probe_test_accuracy": round(float(test_accuracy), 4)}


def extractor_health(target: str = "fashion_mnist_embedded", *, backbone: str = backbones.OFFLINE_DEFAULT,
                     image_size: int = 96, images: int = 256, seed: int = 0) -> list[dict]:
    """:func:`feature_health` of one network's pooled features on ``images`` of ``target``'s pool, three ways.

    Rows: ``"imagenet"`` (pretrained), ``"random, statistics from the target"`` (random weights whose
    BatchNorm statistics were estimated on these images, as the probes do) and ``"random, initial
    statistics"`` (random weights as Keras builds them: BatchNorm mean 0, variance 1).
    """
    pool = data.resized_source(validation.check_name(target, data.BUILTIN, "dataset"), image_size).x_pool
    chosen = pool[np.random.default_rng(seed).choice(len(pool), min(images, len(pool)), replace=False)]
    chosen = np.asarray(chosen, np.float32)
    rows = []
    for name, weights, adapt in (("imagenet", "pretrained", False), ("random, statistics from the target", None, True),
                                 ("random, initial statistics", None, False)):
        model = reset_or_build_model(backbone, 10, seed=seed, image_size=image_size, weights=weights)
        if adapt:
            batchnorm.adapt_batchnorm(model, chosen)
        pooled = models.predict_in_batches(models.feature_extractor(model), chosen, 64)
        rows.append({"extractor": name, **feature_health(pooled)})
    return rows


def _pixel_probe(train, validation_data, test, seed):
    """:func:`_probe` on raw pixels, grey at 28 px or colour at 16 px, whichever validation prefers."""
    best = None
    for size, colour in ((baselines.PIXEL_SIZE, False), (baselines.COLOUR_PIXEL_SIZE, True)):
        parts = [baselines.grey_pixels(part, size, colour=colour) for part in (train, validation_data, test)]
        found = _probe(*parts, seed)
        best = found if best is None or found[0] > best[0] else best
    return best


def transfer_map(targets=MAP_TARGETS, samples_per_class=(2, 5, 10), *, backbone: str = backbones.OFFLINE_DEFAULT,
                 image_size: int = 96, seeds=(0, 1, 2, 3, 4), validation_split: float = 0.4,
                 test_samples_per_class: int | None = 50, progress=True) -> Comparison:
    """When transfer pays: linear probes of frozen ImageNet features, of the same network with random weights,
    and of raw pixels, on targets at increasing distance from ImageNet, at each training-set size.

    Every representation gets the same classifier, logistic regression with ``C`` (and, for pixels,
    grey or colour) chosen on validation, so only the representation differs. The random network's
    BatchNorm statistics are estimated on one fixed sample of 256 unlabelled images of the target's pool
    (:func:`tltutor.batchnorm.adapt_batchnorm`), a fair start. Rows are keyed by ``"representation"`` and carry ``target`` and ``samples_per_class``; seeds pair the
    runs of one target and size (the same images for every representation). Features are computed
    once per image. Each row also has the ``logme`` score of its training features
    (:func:`tltutor.transferability.logme`), for :func:`score_agreement`.
    """
    seeds = validation.check_seeds(seeds)
    sizes = [validation.check_positive_int(size, "samples_per_class") for size in samples_per_class]
    targets = [validation.check_name(target, data.BUILTIN, "dataset") for target in targets]
    comparison = Comparison("representation", settings=dict(targets=targets, sizes=sizes, backbone=backbone,
                                                            image_size=image_size, seeds=seeds,
                                                            validation_split=validation_split))
    steps = Steps(len(targets) * len(sizes) * len(seeds), "transfer map", output=progress)
    for target in targets:
        pool = data.resized_source(target, image_size).x_pool  # one sample for every seed: features computed once
        unlabelled = pool[np.random.default_rng(0).choice(len(pool), min(256, len(pool)), replace=False)]
        for size in sizes:
            for seed in seeds:
                train, validation_data, test, info = data.load_dataset(
                    target, image_size=image_size, samples_per_class=size, validation_split=validation_split,
                    test_samples_per_class=test_samples_per_class, seed=seed, pipeline="arrays")
                columns = dict(target=target, samples_per_class=size)
                score, accuracy, logme = _pixel_probe(train, validation_data, test, seed)
                comparison.add("pixels", seed, **columns, validation_accuracy=round(score, 4),
                               test_accuracy=round(accuracy, 4), logme=round(logme, 4))
                for representation, weights in (("imagenet", "pretrained"), ("random", None)):
                    model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=image_size,
                                                 weights=weights)
                    if weights is None:
                        batchnorm.adapt_batchnorm(model, unlabelled)
                    inputs = [features.pooled_features(model, part) for part in (train, validation_data, test)]
                    score, accuracy, logme = _probe(*inputs, seed)
                    comparison.add(representation, seed, **columns, validation_accuracy=round(score, 4),
                                   test_accuracy=round(accuracy, 4), logme=round(logme, 4))
                steps.advance(f"{target}, {size} per class, seed {seed}")
    return comparison


def map_gains(comparison: Comparison, baseline: str = "pixels", metric: str = "test_accuracy") -> list[dict]:
    """For each target and size of :func:`transfer_map`: the paired gain of ImageNet features over ``baseline``.

    Each row has the mean gain, its 95 % interval over seeds and whether it excludes zero.
    """
    rows = []
    for target in comparison.settings["targets"]:
        for size in comparison.settings["sizes"]:
            verdict = comparison.where(target=target, samples_per_class=size).verdict("imagenet", baseline, metric)
            rows.append(dict(target=target, samples_per_class=size, baseline=baseline,
                             gain=round(float(verdict.difference), 4), low=round(verdict.interval[0], 4),
                             high=round(verdict.interval[1], 4), measurable=verdict.measurable))
    return rows


def score_agreement(comparison: Comparison, groups: list[dict], *, score: str = "logme",
                    metric: str = "test_accuracy") -> list[dict]:
    """Whether a transferability ``score`` ranks the variants of each group as the probes' ``metric`` does.

    ``groups`` are conditions for :meth:`Comparison.where` (``[{"target": ..., "samples_per_class": ...}]``,
    or ``[{}]`` for the whole comparison). Per group: the variant each ranks first (``first_by_score``,
    ``first_by_accuracy``) and Spearman's rank
    correlation of their means over seeds. Scores are compared only within a group, on the same examples.
    """
    rows = []
    for conditions in groups:
        part = comparison.where(**conditions) if conditions else comparison
        variants = [variant for variant in part.variants if part.values(variant, score) and part.values(variant, metric)]
        if len(variants) < 2:
            raise validation.InvalidArgumentError(
                f"fewer than two variants have both a {score!r} and a {metric!r} column in {conditions or 'the comparison'}"
                " (compare_backbones names its accuracy 'probe_test_accuracy')")
        scores = [part.spread(variant, score).mean for variant in variants]
        accuracies = [part.spread(variant, metric).mean for variant in variants]
        rows.append(dict(conditions, first_by_score=variants[int(np.argmax(scores))],
                         first_by_accuracy=variants[int(np.argmax(accuracies))],
                         rank_correlation=round(transferability.rank_correlation(scores, accuracies), 3)))
    return rows
