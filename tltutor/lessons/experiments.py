"""Transfer-learning strategies against honest baselines, on the same splits, over several seeds.

The strategies (:data:`STRATEGIES`):

- ``pixels``: logistic regression on the raw pixels (:mod:`tltutor.lessons.baselines`);
- ``scratch``: a small CNN from random weights, trained until its validation loss stops improving
  (with fewer than 30 validation images, for its whole ``scratch_epochs`` instead);
- ``feature_extraction``: the pretrained base frozen, a new head trained on its features;
- ``head_continued``: the control for fine-tuning: from the same head, the same extra steps at the
  same rate and schedule with the base still frozen. A gain of fine-tuning over *this* arm comes
  from adapting the base, not from training the head longer;
- ``fine_tuning``: feature extraction, then the top blocks unfrozen at a 10× lower rate, warmed
  up and decayed to zero over its whole budget of ``fine_tune_epochs`` (no early stopping: a run
  stopped a few steps in shows nothing about fine-tuning).

Each seed draws another training subset and another initialisation; every strategy of a seed
sees the same images. The frozen base's features are computed once per image and shared by
seeds and strategies (:mod:`tltutor.features`).

Example (a few minutes on 2 CPU cores)::

    comparison = tl.lessons.experiments.compare_strategies(seeds=(0, 1, 2))
    print(comparison.summary_table("test_accuracy"))
    print(comparison.verdict("fine_tuning", "pixels"))
"""

from __future__ import annotations

import copy
import math
import time

import numpy as np

from tltutor import backbones, compiling, data, features, freezing, models, state, training, validation
from tltutor.lessons import baselines
from tltutor.report import calibration, diagnostics
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

# The rate the comparisons fine-tune at, a tenth of the head's, pinned so that their stored runs stay
# reproducible. tl.training.fine_tune's default (1e-3 with a warm-up) is what lesson 03 chose on its own target.
COMPARISON_FINE_TUNE_RATE = compiling.HEAD_LEARNING_RATE / compiling.FINE_TUNE_FACTOR
STRATEGIES = ("pixels", "scratch", "feature_extraction", "head_continued", "fine_tuning")
DESCRIPTIONS = {
    "pixels": "logistic regression on the raw pixels (C, and grey or colour, chosen on validation)",
    "scratch": "a small CNN from random weights, trained until the validation loss stops improving (or its whole "
               "budget, with fewer than 30 validation images)",
    "feature_extraction": "pretrained base frozen, new head trained on its features",
    "head_continued": "the control for fine-tuning: the head trained on for fine-tuning's steps, rate and schedule, "
                      "with the base still frozen",
    "fine_tuning": "feature extraction, then the top blocks unfrozen at a 10x lower learning rate, for the whole "
                   "fine-tuning budget (its rate decays to zero: the schedule is the stopping rule)",
}


def reset_or_build_model(backbone: str, num_classes: int, *, seed: int, image_size: int, weights="pretrained",
                         dropout: float = 0.2, augmentation=None):
    """A transfer model as :func:`tltutor.models.build_transfer_model` builds it, the head drawn from ``seed``.

    A comparison trains the same architecture once per seed and variant. The model is built once
    (:data:`tltutor.state.pool`) and given its start back for each run (:func:`tltutor.models.reset`),
    which keeps its traced training steps (compiling anew costs 3-20 s here) and its kept frozen
    outputs. Use it only until the next call, as the compare functions do. With ``weights=None`` the
    base, too, is drawn from ``seed``: each seed is another random network, the same in every process.
    """
    key = ("transfer", backbones.get(backbone).name, weights, num_classes, image_size, dropout, bool(augmentation))
    model = state.pool.get(key, lambda: models.build_transfer_model(
        backbone, num_classes, weights=weights, image_size=image_size, dropout=dropout, augmentation=augmentation,
        seed=seed))
    models.reset(model, seed)
    if weights is None:
        models.reinitialize(model.get_layer(models.BASE_NAME), seed + 1)
    return model


def resolve_settings(**given) -> dict:
    """The active profile's defaults (:func:`tltutor.runtime.profile.defaults`), updated with what is given."""
    settings = profile.defaults()
    settings.update({key: value for key, value in given.items() if value is not None})
    settings["seeds"] = validation.check_seeds(settings["seeds"])
    return settings


def _row_for(model, history, validation_data, test, seconds, num_classes: int) -> dict:
    labels, predicted = diagnostics.predict_labels(model, test)
    return {
        "validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
        "test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
        "test_balanced_accuracy": round(diagnostics.balanced_accuracy(labels, predicted, num_classes), 4),
        "epochs": history.epochs,
        "steps": history.steps,
        "seconds": round(seconds, 1),
        "trainable_parameters": freezing.trainable_summary(model).trainable_parameters,
    }


def run_seed(spec, train, validation_data, test, info, *, seed: int, strategies, settings, unfreeze_from,
             comparison: Comparison, steps: Steps, epoch_progress=False, **extra_columns) -> None:
    """Every strategy on one seed's split; one row each is added to ``comparison``.

    ``epoch_progress`` (``True``, ``False`` or a function taking a line) receives the training verbs' epoch lines.
    """
    if "pixels" in strategies:
        row = baselines.pixel_logistic_regression(train, validation_data, test, seed=seed)
        comparison.add("pixels", seed, **extra_columns, validation_accuracy=round(row["validation_accuracy"], 4),
                       test_accuracy=round(row["test_accuracy"], 4),
                       test_balanced_accuracy=round(row["test_balanced_accuracy"], 4), epochs=0, steps=None,
                       seconds=row["seconds"],
                       trainable_parameters=row["parameters"])
        steps.advance(f"pixels, seed {seed}")
    if "scratch" in strategies:
        started = time.perf_counter()
        model, history = baselines.train_whole_network(train, validation_data, num_classes=info.num_classes, seed=seed,
                                                       max_epochs=settings["scratch_epochs"], progress=epoch_progress)
        comparison.add("scratch", seed, history=history, **extra_columns,
                       validation_accuracy=round(baselines.evaluate_small_network(model, validation_data)["accuracy"], 4),
                       test_accuracy=round(baselines.evaluate_small_network(model, test)["accuracy"], 4),
                       test_balanced_accuracy=round(diagnostics.balanced_accuracy(
                           *baselines.predict_small_network(model, test), info.num_classes), 4),
                       epochs=history.epochs, steps=history.steps, seconds=round(time.perf_counter() - started, 1),
                       trainable_parameters=freezing.trainable_summary(model).trainable_parameters)
        steps.advance(f"scratch, seed {seed}")
    if {"feature_extraction", "head_continued", "fine_tuning"} & set(strategies):
        started = time.perf_counter()
        model = reset_or_build_model(spec.name, info.num_classes, seed=seed, image_size=info.image_size)
        history = training.train_head(model, train, validation_data, epochs=settings["head_epochs"],
                                      progress=epoch_progress, seed=seed)
        head_seconds = time.perf_counter() - started  # each later arm's time is the head's plus its own
        if "feature_extraction" in strategies:
            comparison.add("feature_extraction", seed, history=copy.deepcopy(history), **extra_columns,
                           **_row_for(model, history, validation_data, test, head_seconds, info.num_classes))
            steps.advance(f"feature extraction, seed {seed}")
        head_weights, head_history = model.get_weights(), copy.deepcopy(history)
        if "head_continued" in strategies:
            started = time.perf_counter()
            continued = training.train_head(model, train, validation_data, epochs=settings["fine_tune_epochs"],
                                            learning_rate=COMPARISON_FINE_TUNE_RATE, early_stopping_patience=None,
                                            schedule=settings.get("schedule", "constant"), phase="head continued",
                                            history=copy.deepcopy(head_history), progress=epoch_progress, seed=seed)
            comparison.add("head_continued", seed, history=continued, **extra_columns,
                           **_row_for(model, continued, validation_data, test,
                                      head_seconds + time.perf_counter() - started, info.num_classes))
            steps.advance(f"head continued, seed {seed}")
            model.set_weights(head_weights)
        if "fine_tuning" in strategies:
            started = time.perf_counter()
            history = training.fine_tune(model, train, validation_data, epochs=settings["fine_tune_epochs"],
                                         learning_rate=COMPARISON_FINE_TUNE_RATE, unfreeze_from=unfreeze_from,
                                         history=head_history, early_stopping_patience=None,
                                         schedule=settings.get("schedule", "constant"), progress=epoch_progress,
                                         seed=seed)
            comparison.add("fine_tuning", seed, history=history, **extra_columns,
                           fine_tune_steps=history.phase_steps().get("fine-tune", 0),
                           **_row_for(model, history, validation_data, test,
                                      head_seconds + time.perf_counter() - started, info.num_classes))
            steps.advance(f"fine-tuning, seed {seed}")


def compare_strategies(backbone: str = backbones.OFFLINE_DEFAULT, dataset: str = data.OFFLINE_DEFAULT, *,
                       strategies=STRATEGIES, seeds=None, samples_per_class: int | None = None,
                       image_size: int | None = None, head_epochs: int | None = None,
                       fine_tune_epochs: int | None = None, scratch_epochs: int | None = None, unfreeze_from=None,
                       test_samples_per_class: int | None = None, validation_split: float = 0.2,
                       schedule: str = "warmup_cosine", progress=True, epoch_progress=False) -> Comparison:
    """Every strategy on the same splits, once per seed; a :class:`Comparison` keyed by ``"strategy"``.

    Unset sizes, epochs and seeds come from :func:`tltutor.runtime.profile.defaults` (quick or
    full profile). ``unfreeze_from`` defaults to the backbone's second unfreezing point (for
    EfficientNet-Lite0, ``"block11_"``); fine-tuning warms its rate up and decays it (``schedule``,
    :mod:`tltutor.schedules`). ``scratch_epochs`` caps the from-scratch baseline, which
    stops earlier once its validation loss stops improving (given 30 or more validation images).
    ``progress`` receives a line every few
    seconds of long work; ``epoch_progress`` (a function, or ``False``) also receives the epoch
    lines of each training run. ``validation_split`` × ``samples_per_class`` more images per class
    validate; with fewer than 30 validation images in all, early stopping is off and every arm
    trains its whole budget (:func:`tltutor.training.early_stopping_for`). Each row stores the
    arm's optimizer ``steps`` (fine-tuning's own in ``fine_tune_steps``; ``None`` for the pixels'
    solver).
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "strategy")
    validation_split = validation.check_fraction(validation_split, "validation_split")
    settings = resolve_settings(samples_per_class=samples_per_class, image_size=image_size, head_epochs=head_epochs,
                                fine_tune_epochs=fine_tune_epochs, scratch_epochs=scratch_epochs,
                                test_samples_per_class=test_samples_per_class, seeds=seeds)
    spec = backbones.get(backbone)
    unfreeze_from = unfreeze_from or spec.unfreeze_points[min(1, len(spec.unfreeze_points) - 1)]
    settings.update(backbone=spec.name, dataset=dataset, unfreeze_from=unfreeze_from, strategies=list(strategies),
                    schedule=schedule, validation_split=validation_split)
    comparison = Comparison("strategy", settings=settings)
    steps = Steps(len(settings["seeds"]) * len(strategies), "compare", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
            validation_split=validation_split, test_samples_per_class=settings["test_samples_per_class"], seed=seed,
            pipeline="arrays")
        comparison.dataset = info
        run_seed(spec, train, validation_data, test, info, seed=seed, strategies=strategies, settings=settings,
                 unfreeze_from=unfreeze_from, comparison=comparison, steps=steps, epoch_progress=epoch_progress)
    return comparison


def data_size_grid(samples_per_class=(5, 20, 100), strategies=STRATEGIES, *, backbone: str = backbones.OFFLINE_DEFAULT,
                   dataset: str = data.OFFLINE_DEFAULT, seeds=None, image_size: int | None = None,
                   head_epochs: int | None = None, fine_tune_epochs: int | None = None,
                   scratch_epochs: int | None = None, unfreeze_from=None,
                   test_samples_per_class: int | None = None, schedule: str = "warmup_cosine",
                   progress=True) -> Comparison:
    """:func:`compare_strategies` at each training-set size; rows carry ``samples_per_class``.

    Select one size with ``grid.where(samples_per_class=20)`` before asking for a verdict.
    """
    sizes = [validation.check_positive_int(size, "samples_per_class") for size in samples_per_class]
    validation.check_not_empty(len(sizes), "list of training-set sizes")
    strategies = validation.check_choices(strategies, STRATEGIES, "strategy")
    settings = resolve_settings(image_size=image_size, head_epochs=head_epochs, fine_tune_epochs=fine_tune_epochs,
                                scratch_epochs=scratch_epochs, test_samples_per_class=test_samples_per_class,
                                seeds=seeds)
    spec = backbones.get(backbone)
    unfreeze_from = unfreeze_from or spec.unfreeze_points[min(1, len(spec.unfreeze_points) - 1)]
    settings.update(backbone=spec.name, dataset=dataset, unfreeze_from=unfreeze_from, strategies=list(strategies),
                    sizes=sizes, schedule=schedule)
    comparison = Comparison("strategy", settings=settings)
    steps = Steps(len(sizes) * len(settings["seeds"]) * len(strategies), "sizes", output=progress)
    for size in sizes:
        for seed in settings["seeds"]:
            train, validation_data, test, info = data.load_dataset(
                dataset, image_size=settings["image_size"], samples_per_class=size,
                test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
            comparison.dataset = info
            run_seed(spec, train, validation_data, test, info, seed=seed, strategies=strategies, settings=settings,
                     unfreeze_from=unfreeze_from, comparison=comparison, steps=steps, samples_per_class=size)
    return comparison


FINE_TUNING_TARGETS = {
    "tuxpaint_photos": dict(sizes=(5, 10), seeds=(0, 1, 2, 3)),
    "fashion_mnist_embedded": dict(sizes=(5, 10, 20, 50, 100), seeds=(0, 1, 2, 3), test_samples_per_class=100),
}
HEAD = "head"
HEAD_CONTINUED = "head continued"
FINE_TUNED = "fine-tuned"
HEAD_STRENGTH = 1.0  # scikit-learn's default C, not tuned: a few validation images could not choose it
MAX_SOLVER_ITERATIONS = 5000


def fit_head_by_logistic_regression(model, train, *, strength: float = HEAD_STRENGTH, seed: int = 0) -> dict:
    """Fit ``model``'s classifier to convergence on the frozen base's features, as a logistic regression.

    A softmax classifier on pooled features is a multinomial logistic regression, so scikit-learn's
    solver finds the head that minimises the regularised log-loss (L2, ``C = strength``), and its
    weights become the classifier's: no early stopping on a handful of validation images, no epoch
    cap. Returns ``solver_iterations`` and ``converged``.
    """
    pooled, labels = features.pooled_features(model, train)
    classifier = baselines.fit_logistic_regression(pooled, labels, C=strength, max_iter=MAX_SOLVER_ITERATIONS,
                                                   random_state=seed)
    num_classes = model.get_layer("classifier").units
    if list(classifier.classes_) != list(range(num_classes)):
        raise validation.InvalidArgumentError(
            f"the training data holds classes {list(classifier.classes_)}, the head has {num_classes}: "
            "every class needs at least one training example")
    kernel, bias = classifier.coef_.T, classifier.intercept_
    if num_classes == 2:  # scikit-learn keeps one logit for two classes; the other is zero
        kernel, bias = np.concatenate([np.zeros_like(kernel), kernel], axis=1), np.array([0.0, bias[0]])
    model.get_layer("classifier").set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    iterations = int(np.max(classifier.n_iter_))
    return {"solver_iterations": iterations, "converged": iterations < MAX_SOLVER_ITERATIONS}


def epochs_for_steps(steps: int, examples: int, batch_size: int) -> int:
    """The fewest epochs that give at least ``steps`` optimizer steps over ``examples`` in batches of ``batch_size``.

    >>> epochs_for_steps(120, 50, 16)     # 4 steps an epoch
    30
    """
    return math.ceil(steps / math.ceil(examples / batch_size))


def fine_tuning_gain(targets=None, *, learning_rate: float = COMPARISON_FINE_TUNE_RATE, steps: int = 120,
                     batch_size: int = 16, unfreeze_from: str = "block11_", backbone: str = backbones.OFFLINE_DEFAULT,
                     image_size: int = 64, validation_split: float = 0.3, test_samples_per_class: int | None = None,
                     seeds=None, progress=True) -> Comparison:
    """Fine-tuning against its control, the head trained on for the same steps, at each target and size.

    ``targets`` maps a dataset name to its plan: ``sizes`` (images per class) and, to override the
    arguments of the same names, ``seeds`` and ``test_samples_per_class`` (:data:`FINE_TUNING_TARGETS`
    by default). Every target is read at ``image_size``. For each seed the head is fitted to
    convergence (:func:`fit_head_by_logistic_regression`, row ``"head"``). From that same head, two
    arms train for ``steps`` optimizer steps of ``batch_size`` images (at least: whole epochs) at a
    peak rate of ``learning_rate``, warmed up and decayed to zero: ``"head continued"`` (the base
    still frozen) and ``"fine-tuned"`` (the base unfrozen from ``unfreeze_from``). Rows carry
    ``target``, ``samples_per_class``, validation and test accuracy, the steps, and
    ``weight_change_percent``: how far the unfrozen blocks moved, ``100 × ‖w − w₀‖ / ‖w₀‖``, over
    the kernels that fine-tuning trains (:func:`tltutor.freezing.tuned_layers`, BatchNorm left out).
    Read the paired gains with :func:`fine_tuning_gains`.
    """
    targets = targets or FINE_TUNING_TARGETS
    settings = resolve_settings(image_size=image_size, seeds=seeds)
    learning_rate = validation.check_learning_rate(learning_rate)
    steps = validation.check_positive_int(steps, "steps")
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    plans = {}
    for target, plan in targets.items():
        plans[target] = dict(
            sizes=[validation.check_positive_int(size, "samples_per_class") for size in plan["sizes"]],
            seeds=validation.check_seeds(plan.get("seeds", settings["seeds"])),
            test_samples_per_class=plan.get("test_samples_per_class", test_samples_per_class))
    comparison = Comparison("variant", settings=dict(
        targets={target: plan["sizes"] for target, plan in plans.items()}, plans=plans, learning_rate=learning_rate,
        steps=steps, batch_size=batch_size, image_size=settings["image_size"], unfreeze_from=unfreeze_from,
        schedule="warmup_cosine", head=f"logistic regression, C={HEAD_STRENGTH}, fitted to convergence"))
    total = sum(len(plan["sizes"]) * len(plan["seeds"]) for plan in plans.values())
    progress_steps = Steps(total, "fine-tuning gain", output=progress)
    for target, plan in plans.items():
        for size in plan["sizes"]:
            for seed in plan["seeds"]:
                train, validation_data, test, info = data.load_dataset(
                    target, image_size=settings["image_size"], samples_per_class=size,
                    validation_split=validation_split, test_samples_per_class=plan["test_samples_per_class"],
                    seed=seed, pipeline="arrays")
                columns = dict(target=target, samples_per_class=size, image_size=settings["image_size"])
                model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=settings["image_size"])
                freezing.freeze_base(model)
                fitted = fit_head_by_logistic_regression(model, train, seed=seed)
                head_weights = model.get_weights()
                unfrozen = freezing.tuned_layers(model, unfreeze_from)
                start = [weight for layer in unfrozen for weight in layer.get_weights()]
                comparison.add(HEAD, seed, **columns, **fitted, weight_change_percent=0.0,
                               **_accuracies(model, validation_data, test))
                epochs = epochs_for_steps(steps, len(train[1]), batch_size)
                common = dict(epochs=epochs, learning_rate=learning_rate, early_stopping_patience=None,
                              batch_size=batch_size, schedule="warmup_cosine", progress=False, seed=seed)
                history = training.train_head(model, train, validation_data, **common)
                comparison.add(HEAD_CONTINUED, seed, **columns, fine_tune_steps=history.steps,
                               weight_change_percent=0.0, **_accuracies(model, validation_data, test))
                model.set_weights(head_weights)
                history = training.fine_tune(model, train, validation_data, unfreeze_from=unfreeze_from, **common)
                moved = diagnostics.relative_weight_change(start, [weight for layer in unfrozen
                                                                   for weight in layer.get_weights()])
                comparison.add(FINE_TUNED, seed, history=history, **columns, fine_tune_steps=history.steps,
                               weight_change_percent=round(100 * moved, 4), **_accuracies(model, validation_data, test))
                freezing.freeze_base(model)
                progress_steps.advance(f"{target}, {size} per class, seed {seed}")
    return comparison


def scores(model, validation_data, test, num_classes: int) -> dict:
    """Validation accuracy, and test accuracy and balanced accuracy from one pass over ``test``, rounded for a row."""
    labels, predicted = diagnostics.predict_labels(model, test)
    return {"validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
            "test_accuracy": round(float((labels == predicted).mean()), 4),
            "test_balanced_accuracy": round(diagnostics.balanced_accuracy(labels, predicted, num_classes), 4)}


def _accuracies(model, validation_data, test) -> dict:
    return {"validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
            "test_accuracy": round(training.evaluate(model, test)["accuracy"], 4)}


def fine_tuning_gains(comparison: Comparison, against: str = HEAD_CONTINUED) -> list[dict]:
    """For each target and size of :func:`fine_tuning_gain`: fine-tuning's paired test gain over ``against``.

    ``against`` is the control (``"head continued"``, the same steps with the base frozen) by
    default, or ``"head"``. Rows: ``target``, ``samples_per_class``, ``gain``, ``low``, ``high``
    (95 % interval, Student's t over seeds), ``measurable``, ``weight_change_percent``.
    """
    rows = []
    for target, sizes in comparison.settings["targets"].items():
        for size in sizes:
            subset = comparison.where(target=target, samples_per_class=size)
            verdict = subset.verdict(FINE_TUNED, against)
            rows.append(dict(target=target, samples_per_class=size, gain=round(float(verdict.difference), 4),
                             low=round(float(verdict.interval[0]), 4), high=round(float(verdict.interval[1]), 4),
                             measurable=verdict.measurable,
                             weight_change_percent=round(float(np.mean(subset.values(FINE_TUNED,
                                                                                     "weight_change_percent"))), 3)))
    return rows


CALIBRATED = " + temperature"


def calibration_study(dataset: str = data.OFFLINE_DEFAULT, *, seeds=None, backbone: str = backbones.OFFLINE_DEFAULT,
                      samples_per_class: int | None = None, image_size: int | None = None,
                      head_epochs: int | None = None, fine_tune_epochs: int | None = None, unfreeze_from=None,
                      schedule: str = "warmup_cosine", test_samples_per_class: int | None = None,
                      progress=True) -> Comparison:
    """Calibration after transfer: a head on the frozen base, then the same model fine-tuned, each before and
    after temperature scaling fitted on validation (:mod:`tltutor.report.calibration`).

    Rows are keyed by ``"model"`` (``"feature extraction"``, ``"fine-tuning"`` and each ``+ temperature``)
    with ``test_ece``, ``test_nll``, ``test_accuracy``, the ``temperature`` and the optimizer ``steps``
    (head and fine-tuning together; fine-tuning's own in ``fine_tune_steps``). The first seed's
    reliability bins on test are kept in ``settings["reliability"]`` for a diagram. ``unfreeze_from``
    defaults to the backbone's second unfreezing point, as in :func:`compare_strategies`.
    """
    settings = resolve_settings(seeds=seeds, samples_per_class=samples_per_class, image_size=image_size,
                                head_epochs=head_epochs, fine_tune_epochs=fine_tune_epochs,
                                test_samples_per_class=test_samples_per_class)
    spec = backbones.get(backbone)
    unfreeze_from = unfreeze_from or spec.unfreeze_points[min(1, len(spec.unfreeze_points) - 1)]
    comparison = Comparison("model", settings=dict(settings, dataset=dataset, backbone=spec.name, schedule=schedule,
                                                   unfreeze_from=unfreeze_from, reliability={}))
    steps = Steps(2 * len(settings["seeds"]), "calibration", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
            test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
        comparison.dataset = info
        model = reset_or_build_model(backbone, info.num_classes, seed=seed, image_size=info.image_size)
        head = training.train_head(model, train, validation_data, epochs=settings["head_epochs"], progress=False,
                                   seed=seed)
        for name in ("feature extraction", "fine-tuning"):
            budget = {"steps": head.steps}
            if name == "fine-tuning":
                tuned = training.fine_tune(model, train, validation_data, epochs=settings["fine_tune_epochs"],
                                           learning_rate=COMPARISON_FINE_TUNE_RATE, unfreeze_from=unfreeze_from,
                                           schedule=schedule, progress=False, seed=seed)
                budget = {"steps": head.steps + tuned.steps, "fine_tune_steps": tuned.steps}
            validation_labels, validation_logits = training.predict_logits(model, validation_data)
            test_labels, test_logits = training.predict_logits(model, test)
            temperature = calibration.fit_temperature(validation_logits, validation_labels)
            for variant, scale in ((name, 1.0), (name + CALIBRATED, temperature)):
                probabilities = calibration.softmax(test_logits, scale)
                comparison.add(variant, seed, **budget, temperature=round(scale, 4),
                               test_accuracy=round(float(np.mean(probabilities.argmax(-1) == test_labels)), 4),
                               test_ece=round(calibration.expected_calibration_error(probabilities, test_labels), 4),
                               test_nll=round(calibration.negative_log_likelihood(test_logits, test_labels, scale), 4))
                if seed == settings["seeds"][0]:
                    comparison.settings["reliability"][variant] = calibration.reliability_bins(probabilities,
                                                                                             test_labels)
            steps.advance(f"{name}, seed {seed}")
    return comparison
