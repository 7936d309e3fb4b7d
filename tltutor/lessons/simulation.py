"""Simulation to reality: train on rendered digits, test on real handwriting, then add a few real labels.

A robot learns in a simulator because real trials are slow and costly, then meets a world that
looks different: the *reality gap*. This module stands in for it with digits: the simulator draws
digits from fonts (:mod:`tltutor.data.rendered`), and reality is 5,000 real handwritten MNIST
digits (``mnist_5k``). Every model is tested on the same real digits it never trained on.

:func:`simulation_study` runs, per seed, on EfficientNet-Lite0 (frozen base and new head, then
the top blocks fine-tuned), every strategy of :data:`STRATEGIES`:

- ``one_font``: the head trained on one plain rendering per digit (a naive simulator);
- ``randomised``: the head trained on digits with random font, size, rotation, stroke, blur and
  position (domain randomisation, Tobin et al. 2017);
- ``randomised_warped``: the same digits, each also bent by an elastic distortion;
- ``warped_fine_tuned``: ``randomised_warped``, then the top blocks fine-tuned on the same renderings;
- ``real_pixels``: logistic regression on the pixels of ``k`` real digits per class (the honest baseline);
- ``real_fine_tuned``: the head on the ``k`` real digits, then fine-tuning on them;
- ``simulation_then_real``: ``warped_fine_tuned``, then the same fine-tuning on the ``k`` real digits.

The simulated strategies validate on other renderings (all they have; for ``one_font``, the same
ten images, since the plain simulator draws nothing else); the real ones on
``validation_samples_per_class`` other real digits per class. Rows carry ``real_samples_per_class``
(0 for the simulated strategies), so ``study.where(real_samples_per_class=3)`` compares the three
real strategies.

Example (about four minutes on 2 CPU cores)::

    study = tl.lessons.simulation.simulation_study(seeds=(0, 1, 2, 3, 4))
    print(study.where(real_samples_per_class=0).summary_table(["validation_accuracy", "test_accuracy"]))
"""

from __future__ import annotations

import time

import numpy as np

from tltutor import backbones, data, freezing, training, validation
from tltutor.data import batches, rendered
from tltutor.lessons import baselines
from tltutor.lessons.experiments import COMPARISON_FINE_TUNE_RATE, reset_or_build_model
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

SIMULATED = ("one_font", "randomised", "randomised_warped", "warped_fine_tuned")
REAL = ("real_pixels", "real_fine_tuned", "simulation_then_real")
STRATEGIES = SIMULATED + REAL
BACKBONE = "EfficientNetLite0"
REAL_DATASET = "mnist_5k"


def real_splits(samples_per_class: int, validation_samples_per_class: int, test_samples_per_class: int, *,
                seed: int):
    """``(train, validation, test)`` index arrays into ``mnist_5k``: disjoint, stratified, drawn from ``seed``.

    The test digits depend on ``seed`` only, not on ``samples_per_class``, so every ``k`` is tested on
    the same digits.
    """
    labels = data.resized_source(REAL_DATASET, 28).y_pool
    needed = samples_per_class + validation_samples_per_class + test_samples_per_class
    smallest = int(np.bincount(labels).min())
    if needed > smallest:
        raise validation.InvalidArgumentError(
            f"{samples_per_class} + {validation_samples_per_class} + {test_samples_per_class} real digits per class "
            f"are asked for, but {REAL_DATASET} has {smallest} per class: ask for fewer")
    rng = np.random.default_rng(seed)
    orders = [rng.permutation(np.flatnonzero(labels == label)) for label in range(10)]
    test_end, validation_end = test_samples_per_class, test_samples_per_class + validation_samples_per_class
    return tuple(np.concatenate([order[start:end] for order in orders]) for start, end in
                 ((validation_end, validation_end + samples_per_class), (test_end, validation_end), (0, test_end)))


def _arrays(images, labels, image_size: int):
    return batches.resize_images(images, image_size), np.asarray(labels, np.int64)


def _row(model, validation_data, test, started: float, history, **columns) -> dict:
    return {**columns, "validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
            "test_accuracy": round(training.evaluate(model, test)["accuracy"], 4), "epochs": history.epochs,
            "seconds": round(time.perf_counter() - started, 1),
            "trainable_parameters": freezing.trainable_summary(model).trainable_parameters}


def simulation_study(*, seeds=(0, 1, 2, 3, 4), simulated_samples_per_class: int = 100,
                     real_samples_per_class=(3, 10), validation_samples_per_class: int = 10,
                     test_samples_per_class: int = 200, image_size: int = 64, head_epochs: int = 60,
                     fine_tune_epochs: int = 5, real_fine_tune_epochs: int = 10, unfreeze_from: str = "block06_",
                     progress=True) -> Comparison:
    """Every strategy of :data:`STRATEGIES` on each seed; a :class:`Comparison` keyed by ``"strategy"``.

    Each seed draws its own renderings, real training, validation and test digits, and head
    initialisation. The heads train until their validation loss stops improving (at most
    ``head_epochs``); fine-tuning unfreezes the base from ``unfreeze_from`` for
    ``fine_tune_epochs`` on the renderings or ``real_fine_tune_epochs`` on the real digits,
    with a warm-up and cosine decay. Every argument is checked before any training.
    """
    seeds = validation.check_seeds(seeds)
    simulated_samples_per_class = validation.check_positive_int(simulated_samples_per_class,
                                                                "simulated_samples_per_class", minimum=5)
    if isinstance(real_samples_per_class, int):
        real_samples_per_class = (real_samples_per_class,)
    real_samples_per_class = tuple(validation.check_positive_int(count, "real_samples_per_class")
                                   for count in real_samples_per_class)
    if not real_samples_per_class:
        raise validation.InvalidArgumentError("real_samples_per_class is empty: give at least one count, e.g. (3, 10)")
    validation_samples_per_class = validation.check_positive_int(validation_samples_per_class,
                                                                 "validation_samples_per_class")
    test_samples_per_class = validation.check_positive_int(test_samples_per_class, "test_samples_per_class")
    image_size = validation.check_image_size(image_size, backbones.get(BACKBONE))
    head_epochs, fine_tune_epochs, real_fine_tune_epochs = (
        validation.check_epochs(epochs) for epochs in (head_epochs, fine_tune_epochs, real_fine_tune_epochs))
    real_splits(max(real_samples_per_class), validation_samples_per_class, test_samples_per_class, seed=seeds[0])
    freezing.cut_index(freezing.get_base(reset_or_build_model(BACKBONE, 10, seed=seeds[0], image_size=image_size))
                       .layers, unfreeze_from)
    source = data.resized_source(REAL_DATASET, image_size)
    settings = dict(backbone=BACKBONE, seeds=list(seeds), simulated_samples_per_class=simulated_samples_per_class,
                    real_samples_per_class=list(real_samples_per_class),
                    validation_samples_per_class=validation_samples_per_class,
                    test_samples_per_class=test_samples_per_class, image_size=image_size, head_epochs=head_epochs,
                    fine_tune_epochs=fine_tune_epochs, real_fine_tune_epochs=real_fine_tune_epochs,
                    unfreeze_from=unfreeze_from, schedule="warmup_cosine")
    study = Comparison("strategy", settings=settings)
    steps = Steps(len(seeds) * (len(SIMULATED) + len(REAL) * len(real_samples_per_class)), "simulation to reality",
                  output=progress)
    validation_count = max(simulated_samples_per_class // 5, 2)
    for seed in seeds:
        for count in real_samples_per_class:
            train, real_validation, test = ((source.x_pool[index], source.y_pool[index]) for index in
                                            real_splits(count, validation_samples_per_class, test_samples_per_class,
                                                        seed=seed))
            if count == real_samples_per_class[0]:
                simulated_weights = _simulated(study, seed, test, image_size, simulated_samples_per_class,
                                               validation_count, head_epochs, fine_tune_epochs, unfreeze_from, steps)
            _real(study, seed, count, train, real_validation, test, simulated_weights, image_size,
                  head_epochs, real_fine_tune_epochs, unfreeze_from, steps)
    return study


def _simulated(study, seed, test, image_size, samples_per_class, validation_count, head_epochs, fine_tune_epochs,
               unfreeze_from, steps):
    """The four simulated strategies of one seed; returns the fine-tuned model's weights for the real ones.

    ``randomised`` and ``randomised_warped`` draw the same digits (one render seed), warped or not.
    """
    kinds = {"one_font": dict(randomise=False), "randomised": dict(randomise=True),
             "randomised_warped": dict(randomise=True, warp_digits=True)}
    for strategy, options in kinds.items():
        train = _arrays(*rendered.rendered_digits(samples_per_class, seed=1000 * seed, **options), image_size)
        rendered_validation = _arrays(*rendered.rendered_digits(validation_count, seed=1000 * seed + 500, **options),
                                      image_size)
        started = time.perf_counter()
        model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=image_size)
        history = training.train_head(model, train, rendered_validation, epochs=head_epochs, seed=seed)
        validated_on = "its training images" if strategy == "one_font" else "renderings"
        study.add(strategy, seed, **_row(model, rendered_validation, test, started, history, real_samples_per_class=0,
                                         validated_on=validated_on))
        steps.advance(f"{strategy}, seed {seed}")
    started = time.perf_counter()
    history = training.fine_tune(model, train, rendered_validation, epochs=fine_tune_epochs,
                                 learning_rate=COMPARISON_FINE_TUNE_RATE, unfreeze_from=unfreeze_from, history=history,
                                 schedule="warmup_cosine", seed=seed)
    study.add("warped_fine_tuned", seed, **_row(model, rendered_validation, test, started, history,
                                                real_samples_per_class=0, validated_on="renderings"))
    steps.advance(f"warped_fine_tuned, seed {seed}")
    return model.get_weights()


def _real(study, seed, count, train, real_validation, test, simulated_weights, image_size, head_epochs,
          fine_tune_epochs, unfreeze_from, steps):
    """The three strategies with ``count`` real digits per class, on one seed."""
    pixels = baselines.pixel_logistic_regression(train, real_validation, test, seed=seed)
    study.add("real_pixels", seed, real_samples_per_class=count, validated_on="real digits",
              validation_accuracy=round(pixels["validation_accuracy"], 4),
              test_accuracy=round(pixels["test_accuracy"], 4), epochs=0, seconds=pixels["seconds"],
              trainable_parameters=pixels["parameters"])
    steps.advance(f"real_pixels, {count} per class, seed {seed}")
    started = time.perf_counter()
    model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=image_size)
    history = training.train_head(model, train, real_validation, epochs=head_epochs, seed=seed)
    history = training.fine_tune(model, train, real_validation, epochs=fine_tune_epochs, unfreeze_from=unfreeze_from,
                                 learning_rate=COMPARISON_FINE_TUNE_RATE, history=history, schedule="warmup_cosine",
                                 seed=seed)
    study.add("real_fine_tuned", seed, **_row(model, real_validation, test, started, history,
                                              real_samples_per_class=count, validated_on="real digits"))
    steps.advance(f"real_fine_tuned, {count} per class, seed {seed}")
    started = time.perf_counter()
    model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=image_size)
    model.set_weights(simulated_weights)
    history = training.fine_tune(model, train, real_validation, epochs=fine_tune_epochs, unfreeze_from=unfreeze_from,
                                 learning_rate=COMPARISON_FINE_TUNE_RATE, schedule="warmup_cosine", seed=seed)
    study.add("simulation_then_real", seed, **_row(model, real_validation, test, started, history,
                                                   real_samples_per_class=count, validated_on="real digits"))
    steps.advance(f"simulation_then_real, {count} per class, seed {seed}")
