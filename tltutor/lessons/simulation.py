"""Simulation to reality: train on rendered digits, test on real handwriting, then add a few real labels.

A robot learns in a simulator because real trials are slow and costly, then meets a world that
looks different: the *reality gap*. This module stands in for it with digits: the simulator draws
digits from fonts (:mod:`tltutor.data.rendered`), and reality is 5,000 real handwritten MNIST
digits (``mnist_5k``). Every model is tested on the same real digits it never trained on.

:func:`simulation_study` runs, per seed, on EfficientNet-Lite0, every strategy of :data:`STRATEGIES`.
Every head is fitted to convergence on the frozen base's features (a logistic regression,
:func:`~tltutor.lessons.experiments.fit_head_by_logistic_regression`); every fine-tuning runs a
fixed, stated number of optimizer steps (warm-up and cosine decay), stored in its row:

- ``one_font``: the head on one plain rendering per digit (a naive simulator);
- ``randomised``: the head on digits with every factor of :data:`tltutor.data.rendered.FACTORS`
  randomised (domain randomisation, Tobin et al. 2017), strokes from thinner than any font's to
  thicker, so that reality's lie inside the range;
- ``without_<factor>`` (:data:`ABLATIONS`): the same digits with one factor held plain, and
  ``thick_strokes_only``: the strokes never thinner than the font's own;
- ``fine_tuned``: ``randomised``, then the base from ``unfreeze_from`` fine-tuned on the same
  renderings; ``head_continued``, its control: the same steps with the base frozen;
- ``real_pixels``: logistic regression on the pixels of ``k`` real digits per class (the honest baseline);
- ``real_fine_tuned``: the head fitted on the ``k`` real digits, then fine-tuning on them;
- ``simulation_then_real``: ``fine_tuned``, then the same fine-tuning on the ``k`` real digits.

The simulated strategies validate on other renderings (for ``one_font``, its ten training images,
since the plain simulator draws nothing else); the real ones on ``validation_samples_per_class``
other real digits per class, which choose the pixels' regularisation strength and nothing else.
Rows carry ``real_samples_per_class`` (0 for the simulated strategies), so
``study.where(real_samples_per_class=3)`` compares the three real strategies.

Example (about four minutes on 2 CPU cores)::

    study = tl.lessons.simulation.simulation_study()
    print(study.where(real_samples_per_class=0).summary_table(["validation_accuracy", "test_accuracy"]))
"""

from __future__ import annotations

import time

import numpy as np

from tltutor import backbones, data, freezing, training, validation
from tltutor.data import batches, pipelines, rendered
from tltutor.lessons import baselines
from tltutor.lessons.experiments import COMPARISON_FINE_TUNE_RATE, fit_head_by_logistic_regression, reset_or_build_model
from tltutor.report.results import Comparison
from tltutor.runtime.progress import Steps

ABLATED_FACTORS = tuple(factor for factor in rendered.FACTORS if factor != "shift")  # the ±1-pixel shift stays in
ABLATIONS = {**{f"without_{factor}": dict(without=(factor,)) for factor in ABLATED_FACTORS},
             "thick_strokes_only": dict(stroke_range=rendered.THICK_STROKES)}
SIMULATED = ("one_font", "randomised", *ABLATIONS, "fine_tuned", "head_continued")
REAL = ("real_pixels", "real_fine_tuned", "simulation_then_real")
STRATEGIES = SIMULATED + REAL
BACKBONE = "EfficientNetLite0"
REAL_DATASET = "mnist_5k"
SEEDS = (0, 1, 2)
SIMULATED_SAMPLES_PER_CLASS = 120
SIMULATED_VALIDATION_PER_CLASS = 10
SIMULATED_STEPS = 80  # fine-tuning on the renderings, and its control
REAL_STEPS = 60  # fine-tuning on the real digits, at every k
BATCH_SIZE = 32
REAL_BATCH_SIZE = 16


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


def _row(model, validation_data, test, started: float, **columns) -> dict:
    return {**columns, "validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
            "test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
            "seconds": round(time.perf_counter() - started, 1),
            "trainable_parameters": freezing.trainable_summary(model).trainable_parameters}


def renderings(strategy: str, samples_per_class: int, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The renderings a simulated ``strategy`` trains on (28 px): plain for ``one_font``, else randomised with its
    ablation; every randomised strategy of one ``seed`` draws the same digits, bar its one changed factor."""
    strategy = validation.check_name(strategy, ("one_font", "randomised", *ABLATIONS), "rendered strategy")
    if strategy == "one_font":
        return rendered.rendered_digits(samples_per_class, randomise=False)
    return rendered.rendered_digits(samples_per_class, seed=seed, **ABLATIONS.get(strategy, {}))


def simulation_study(*, seeds=SEEDS, simulated_samples_per_class: int = SIMULATED_SAMPLES_PER_CLASS,
                     simulated_validation_per_class: int = SIMULATED_VALIDATION_PER_CLASS,
                     real_samples_per_class=(3, 10), validation_samples_per_class: int = 10,
                     test_samples_per_class: int = 100, image_size: int = 64, ablations=tuple(ABLATIONS),
                     simulated_steps: int = SIMULATED_STEPS, real_steps: int = REAL_STEPS,
                     unfreeze_from: str = "block06_", progress=True) -> Comparison:
    """Every strategy of :data:`STRATEGIES` on each seed (the ``ablations`` named); a :class:`Comparison` keyed by
    ``"strategy"``.

    Each seed draws its own renderings and real training, validation and test digits. Heads are
    fitted to convergence; fine-tuning unfreezes the base from
    ``unfreeze_from`` for exactly ``simulated_steps`` steps of 32 renderings, or ``real_steps`` steps
    of 16 real digits (shuffled passes), at a peak rate of ``COMPARISON_FINE_TUNE_RATE`` warmed up and
    decayed to zero, with no early stopping. A fine-tuned row stores its ``steps`` (fine-tuning's optimizer steps), a fitted
    head its ``solver_iterations`` and whether it ``converged``. Every argument is checked before any
    training.
    """
    seeds = validation.check_seeds(seeds)
    simulated_samples_per_class = validation.check_positive_int(simulated_samples_per_class,
                                                                "simulated_samples_per_class", minimum=5)
    simulated_validation_per_class = validation.check_positive_int(simulated_validation_per_class,
                                                                   "simulated_validation_per_class", minimum=3)
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
    ablations = validation.check_choices(ablations, ABLATIONS, "ablation") if ablations else ()
    if len(set(ablations)) != len(ablations):
        raise validation.InvalidArgumentError(f"ablations={list(ablations)} names one twice: name each once")
    simulated_steps = validation.check_positive_int(simulated_steps, "simulated_steps")
    real_steps = validation.check_positive_int(real_steps, "real_steps")
    real_splits(max(real_samples_per_class), validation_samples_per_class, test_samples_per_class, seed=seeds[0])
    freezing.cut_index(freezing.get_base(reset_or_build_model(BACKBONE, 10, seed=seeds[0], image_size=image_size))
                       .layers, unfreeze_from)
    source = data.resized_source(REAL_DATASET, image_size)
    settings = dict(backbone=BACKBONE, seeds=list(seeds), simulated_samples_per_class=simulated_samples_per_class,
                    simulated_validation_per_class=simulated_validation_per_class,
                    real_samples_per_class=list(real_samples_per_class),
                    validation_samples_per_class=validation_samples_per_class,
                    test_samples_per_class=test_samples_per_class, image_size=image_size, ablations=list(ablations),
                    simulated_steps=simulated_steps, real_steps=real_steps, batch_size=BATCH_SIZE,
                    real_batch_size=REAL_BATCH_SIZE, learning_rate=COMPARISON_FINE_TUNE_RATE,
                    unfreeze_from=unfreeze_from, schedule="warmup_cosine")
    study = Comparison("strategy", settings=settings)
    simulated = ["one_font", "randomised", *ablations]
    steps = Steps(len(seeds) * (len(simulated) + 2 + len(REAL) * len(real_samples_per_class)),
                  "simulation to reality", output=progress)
    for seed in seeds:
        test = None
        for count in real_samples_per_class:
            train, real_validation, test = ((source.x_pool[index], source.y_pool[index]) for index in
                                            real_splits(count, validation_samples_per_class, test_samples_per_class,
                                                        seed=seed))
            if count == real_samples_per_class[0]:
                simulated_weights = _simulated(study, seed, test, simulated, settings, steps)
            _real(study, seed, count, train, real_validation, test, simulated_weights, settings, steps)
    return study


def _repeated_for_budget(train, settings: dict, *, real: bool, seed: int):
    """``(train in exactly the budget's steps, fit arguments)``: the examples repeated in shuffled passes so that one
    epoch is the whole budget (a few real digits would otherwise give epochs of two steps, each with its overhead)."""
    batch_size = settings["real_batch_size" if real else "batch_size"]
    order = pipelines.step_budget_order(len(train[1]), settings["real_steps" if real else "simulated_steps"],
                                        batch_size, seed)
    return (train[0][order], train[1][order]), dict(
        epochs=1, batch_size=batch_size, learning_rate=settings["learning_rate"], schedule="warmup_cosine",
        early_stopping_patience=None, progress=False, seed=seed)


def _simulated(study, seed, test, simulated, settings, steps):
    """The simulated strategies of one seed; returns ``fine_tuned``'s weights for the real ones."""
    image_size = settings["image_size"]
    for strategy in simulated:
        train = _arrays(*renderings(strategy, settings["simulated_samples_per_class"], seed=1000 * seed), image_size)
        held_out = (train if strategy == "one_font" else
                    _arrays(*renderings(strategy, settings["simulated_validation_per_class"], seed=1000 * seed + 500),
                            image_size))
        started = time.perf_counter()
        model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=image_size)
        freezing.freeze_base(model)
        fitted = fit_head_by_logistic_regression(model, train, seed=seed)
        study.add(strategy, seed, **_row(model, held_out, test, started, real_samples_per_class=0, **fitted,
                                         validated_on="its training images" if strategy == "one_font" else "renderings"))
        steps.advance(f"{strategy}, seed {seed}")
        if strategy == "randomised":
            randomised_train, randomised_validation, head = train, held_out, model.get_weights()
    repeated, budget = _repeated_for_budget(randomised_train, settings, real=False, seed=seed)
    columns = dict(real_samples_per_class=0, validated_on="renderings")
    for strategy in ("head_continued", "fine_tuned"):
        started = time.perf_counter()
        model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=image_size)
        model.set_weights(head)
        if strategy == "head_continued":
            history = training.train_head(model, repeated, None, **budget)
        else:
            history = training.fine_tune(model, repeated, None, unfreeze_from=settings["unfreeze_from"], **budget)
        study.add(strategy, seed, **_row(model, randomised_validation, test, started, steps=history.steps,
                                         **columns))
        steps.advance(f"{strategy}, seed {seed}")
        if strategy == "fine_tuned":
            fine_tuned_weights = model.get_weights()
        freezing.freeze_base(model)
    return fine_tuned_weights


def _real(study, seed, count, train, real_validation, test, simulated_weights, settings, steps):
    """The three strategies with ``count`` real digits per class, on one seed."""
    columns = dict(real_samples_per_class=count, validated_on="real digits")
    pixels = baselines.pixel_logistic_regression(train, real_validation, test, seed=seed)
    study.add("real_pixels", seed, **columns, validation_accuracy=round(pixels["validation_accuracy"], 4),
              test_accuracy=round(pixels["test_accuracy"], 4), seconds=pixels["seconds"],
              trainable_parameters=pixels["parameters"], C=pixels["C"], colour=pixels["colour"])
    steps.advance(f"real_pixels, {count} per class, seed {seed}")
    repeated, budget = _repeated_for_budget(train, settings, real=True, seed=seed)
    for strategy in ("real_fine_tuned", "simulation_then_real"):
        started = time.perf_counter()
        model = reset_or_build_model(BACKBONE, 10, seed=seed, image_size=settings["image_size"])
        freezing.freeze_base(model)
        if strategy == "real_fine_tuned":
            fitted = fit_head_by_logistic_regression(model, train, seed=seed)
        else:
            model.set_weights(simulated_weights)
            fitted = {}
        history = training.fine_tune(model, repeated, None, unfreeze_from=settings["unfreeze_from"], **budget)
        study.add(strategy, seed, **_row(model, real_validation, test, started, steps=history.steps, **fitted,
                                         **columns))
        freezing.freeze_base(model)
        steps.advance(f"{strategy}, {count} per class, seed {seed}")
