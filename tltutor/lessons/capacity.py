"""Model capacity: does a larger pretrained network transfer better, and what does it cost?

EfficientNet-Lite0, Lite1 and Lite2 are one design scaled up (Tan & Le 2019): deeper, wider and
fed larger images (224, 240 and 260 px). Kornblith, Shlens & Le (2019) found that networks that
score higher on ImageNet also transfer better, both as frozen features and fine-tuned. This module
measures that on one small target, and what each step up costs.

:func:`capacity_study` runs each candidate of :data:`CANDIDATES` (a backbone at an image size) on
the same photographs per seed: a head fitted to convergence on the frozen base's features
(``strategy="head"``), then the top blocks fine-tuned for a fixed number of optimizer steps
(``strategy="fine_tuning"``), with the base's cost (:func:`base_cost`, measured once per candidate
on this machine) and its published ImageNet accuracy in every row. Lite2 at 224 px separates the
larger network from the larger image. Logistic regression on the pixels is the baseline
(``strategy="baseline"``).

Example (about two minutes on 2 CPU cores, with Debian's tuxpaint-stamps-default)::

    study = tl.lessons.capacity.capacity_study(seeds=(0, 1, 2))
    print(study.where(strategy="head").summary_table(["test_accuracy", "images_per_second"]))
"""

from __future__ import annotations

import time

from tltutor import backbones, data, freezing, training, validation
from tltutor.lessons import baselines, experiments
from tltutor.lessons.experiments import HEAD_STRENGTH, fit_head_by_logistic_regression, reset_or_build_model
from tltutor.lessons.selection import measure_throughput
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

CANDIDATES = (("EfficientNetLite0", 224), ("EfficientNetLite1", 240), ("EfficientNetLite2", 260),
              ("EfficientNetLite2", 224))
PIXELS = "raw pixels"
BYTES_PER_FLOAT32 = 4


def candidate_name(backbone: str, image_size: int) -> str:
    """``"Lite2 at 260 px"`` for ``("EfficientNetLite2", 260)``."""
    return f"{backbones.get(backbone).name.removeprefix('EfficientNet')} at {image_size} px"


def base_cost(model, image_size: int) -> dict:
    """The frozen base's parameters, float32 weights in MB, and its speed here: images per second and ms per image.

    The speed is the base's forward pass alone (no head, no loading), over 5 batches of 32
    images after one warm-up batch, measured once.
    """
    parameters = freezing.trainable_summary(model).non_trainable_parameters
    images_per_second = measure_throughput(model, image_size)
    return {"base_parameters": parameters,
            "weights_megabytes": round(parameters * BYTES_PER_FLOAT32 / 1e6, 1),
            "images_per_second": round(images_per_second, 1),
            "milliseconds_per_image": round(1000 / images_per_second, 2)}


def capacity_study(candidates=CANDIDATES, dataset: str = "tuxpaint_photos", *, seeds=tuple(range(6)),
                   samples_per_class: int = 5, fine_tune_steps: int = 80, batch_size: int = 8,
                   fine_tune_rate: float = experiments.COMPARISON_FINE_TUNE_RATE, progress=True) -> Comparison:
    """Each candidate's converged head, then fine-tuned, on the same splits per seed; a :class:`Comparison` by candidate.

    A seed draws the same training, validation and test images for every candidate (each at its
    own size). The head is a logistic regression on the frozen base's features, fitted to
    convergence (:func:`tltutor.lessons.experiments.fit_head_by_logistic_regression`). Fine-tuning starts from that head and
    unfreezes the base from its second unfreezing point (the top third of the blocks: ``block11_``
    for Lite0, ``block15_`` for Lite1 and Lite2) for ``fine_tune_steps`` optimizer steps of
    ``batch_size`` images, its rate warmed up and decayed to zero; with a handful of validation
    images, the fixed budget, not early stopping, ends it.
    """
    seeds = validation.check_seeds(seeds)
    candidates = list(candidates)
    if not candidates:
        raise validation.InvalidArgumentError("candidates is empty: give at least one (backbone, image_size) pair, "
                                              "e.g. tltutor.lessons.capacity.CANDIDATES")
    if not all(isinstance(candidate, (tuple, list)) and len(candidate) == 2 for candidate in candidates):
        raise validation.InvalidArgumentError(f"each candidate is a (backbone, image_size) pair, e.g. "
                                              f"('EfficientNetLite2', 260); got {candidates!r:.120}")
    candidates = [(backbones.get(backbone).name, validation.check_image_size(size, backbones.get(backbone)))
                  for backbone, size in candidates]
    samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    fine_tune_steps = validation.check_positive_int(fine_tune_steps, "fine_tune_steps")
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    fine_tune_rate = validation.check_learning_rate(fine_tune_rate)
    settings = dict(dataset=dataset, seeds=list(seeds), samples_per_class=samples_per_class,
                    head=f"logistic regression on the frozen features, C={HEAD_STRENGTH}, fitted to convergence",
                    fine_tune_steps=fine_tune_steps, batch_size=batch_size, fine_tune_rate=fine_tune_rate,
                    candidates=[list(candidate) for candidate in candidates], schedule="warmup_cosine")
    study = Comparison("candidate", settings=settings)
    costs = {}
    steps = Steps(len(seeds) * (len(candidates) + 1), "capacity", output=progress)
    for seed in seeds:
        for backbone, size in candidates:
            train, validation_data, test, info = data.load_dataset(dataset, image_size=size,
                                                                   samples_per_class=samples_per_class, seed=seed,
                                                                   pipeline="arrays")
            if (backbone, size) == candidates[0]:  # the pixels read 28 px copies, whatever the candidate's size
                pixels = baselines.pixel_logistic_regression(train, validation_data, test, seed=seed)
            name = candidate_name(backbone, size)
            spec = backbones.get(backbone)
            started = time.perf_counter()
            model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=size)
            freezing.freeze_base(model)
            fitted = fit_head_by_logistic_regression(model, train, seed=seed)
            if name not in costs:  # measured with the base frozen, as the head uses it
                costs[name] = base_cost(model, size)
            shared = dict(costs[name], backbone=backbone, image_size=size, imagenet_accuracy=spec.imagenet_accuracy)
            study.add(name, seed, strategy="head", **experiments.scores(model, validation_data, test, info.num_classes),
                      **shared, **fitted, seconds=round(time.perf_counter() - started, 1))
            started = time.perf_counter()
            epochs = experiments.epochs_for_steps(fine_tune_steps, len(train[1]), batch_size)
            history = training.fine_tune(model, train, validation_data, epochs=epochs,
                                         learning_rate=fine_tune_rate, unfreeze_from=spec.unfreeze_points[1],
                                         early_stopping_patience=None, batch_size=batch_size,
                                         schedule="warmup_cosine", seed=seed, progress=False)
            study.add(name, seed, strategy="fine_tuning", **experiments.scores(model, validation_data, test, info.num_classes),
                      **shared, fine_tune_steps=history.steps, epochs=history.epochs,
                      seconds=round(time.perf_counter() - started, 1))
            steps.advance(f"{name}, seed {seed}")
        study.add(PIXELS, seed, strategy="baseline", validation_accuracy=round(pixels["validation_accuracy"], 4),
                  test_accuracy=round(pixels["test_accuracy"], 4),
                  test_balanced_accuracy=round(pixels["test_balanced_accuracy"], 4), seconds=pixels["seconds"])
        steps.advance(f"{PIXELS}, seed {seed}")
    study.dataset = info
    return study
