"""Transfer-learning strategies against honest baselines, on the same splits, over several seeds.

The strategies (:data:`STRATEGIES`):

- ``pixels``: logistic regression on the raw grey pixels (:mod:`tltutor.lessons.baselines`);
- ``scratch``: a small CNN from random weights, trained until its validation loss stops improving;
- ``feature_extraction``: the pretrained base frozen, a new head trained on its features;
- ``fine_tuning``: feature extraction, then the top blocks unfrozen at a 10× lower rate.

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
import time

from tltutor import backbones, data, freezing, models, state, training, validation
from tltutor.lessons import baselines
from tltutor.report.results import Comparison
from tltutor.runtime import profile
from tltutor.runtime.progress import Steps

STRATEGIES = ("pixels", "scratch", "feature_extraction", "fine_tuning")
DESCRIPTIONS = {
    "pixels": "logistic regression on the raw grey pixels (C chosen on validation)",
    "scratch": "a small CNN from random weights, trained until the validation loss stops improving",
    "feature_extraction": "pretrained base frozen, new head trained on its features",
    "fine_tuning": "feature extraction, then the top blocks unfrozen at a 10x lower learning rate",
}


def reset_or_build_model(backbone: str, num_classes: int, *, seed: int, image_size: int, weights="pretrained",
                         dropout: float = 0.2, augmentation=None):
    """A transfer model as :func:`tltutor.models.build_transfer_model` builds it, the head drawn from ``seed``.

    A comparison trains the same architecture once per seed and variant. The model is built once
    (:data:`tltutor.state.pool`) and given its start back for each run (:func:`tltutor.models.reset`),
    which keeps its traced training steps (compiling anew costs 3-20 s here) and its kept frozen
    outputs. Use it only until the next call, as the compare functions do.
    """
    key = ("transfer", backbones.get(backbone).name, weights, num_classes, image_size, dropout, bool(augmentation))
    model = state.pool.get(key, lambda: models.build_transfer_model(
        backbone, num_classes, weights=weights, image_size=image_size, dropout=dropout, augmentation=augmentation,
        seed=seed))
    return models.reset(model, seed)


def resolve_settings(**given) -> dict:
    """The active profile's defaults (:func:`tltutor.runtime.profile.defaults`), updated with what is given."""
    settings = profile.defaults()
    settings.update({key: value for key, value in given.items() if value is not None})
    settings["seeds"] = validation.check_seeds(settings["seeds"])
    return settings


def _row_for(model, history, validation_data, test, seconds) -> dict:
    return {
        "validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
        "test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
        "epochs": history.epochs,
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
                       test_accuracy=round(row["test_accuracy"], 4), epochs=0, seconds=row["seconds"],
                       trainable_parameters=int(baselines.PIXEL_SIZE ** 2 * info.num_classes + info.num_classes))
        steps.advance(f"pixels, seed {seed}")
    if "scratch" in strategies:
        started = time.perf_counter()
        model, history = baselines.train_whole_network(train, validation_data, num_classes=info.num_classes, seed=seed,
                                                       max_epochs=settings["scratch_epochs"], progress=epoch_progress)
        comparison.add("scratch", seed, history=history, **extra_columns,
                       validation_accuracy=round(baselines.evaluate_small_network(model, validation_data)["accuracy"], 4),
                       test_accuracy=round(baselines.evaluate_small_network(model, test)["accuracy"], 4),
                       epochs=history.epochs, seconds=round(time.perf_counter() - started, 1),
                       trainable_parameters=freezing.trainable_summary(model).trainable_parameters)
        steps.advance(f"scratch, seed {seed}")
    if {"feature_extraction", "fine_tuning"} & set(strategies):
        started = time.perf_counter()
        model = reset_or_build_model(spec.name, info.num_classes, seed=seed, image_size=info.image_size)
        history = training.train_head(model, train, validation_data, epochs=settings["head_epochs"],
                                      progress=epoch_progress, seed=seed)
        if "feature_extraction" in strategies:
            comparison.add("feature_extraction", seed, history=copy.deepcopy(history), **extra_columns,
                           **_row_for(model, history, validation_data, test, time.perf_counter() - started))
            steps.advance(f"feature extraction, seed {seed}")
        if "fine_tuning" in strategies:
            history = training.fine_tune(model, train, validation_data, epochs=settings["fine_tune_epochs"],
                                         unfreeze_from=unfreeze_from, history=history,
                                         progress=epoch_progress, seed=seed)
            comparison.add("fine_tuning", seed, history=history, **extra_columns,
                           **_row_for(model, history, validation_data, test, time.perf_counter() - started))
            steps.advance(f"fine-tuning, seed {seed}")


def compare_strategies(backbone: str = backbones.OFFLINE_DEFAULT, dataset: str = data.OFFLINE_DEFAULT, *,
                       strategies=STRATEGIES, seeds=None, samples_per_class: int | None = None,
                       image_size: int | None = None, head_epochs: int | None = None,
                       fine_tune_epochs: int | None = None, scratch_epochs: int | None = None, unfreeze_from=None,
                       test_samples_per_class: int | None = None, progress=True,
                       epoch_progress=False) -> Comparison:
    """Every strategy on the same splits, once per seed; a :class:`Comparison` keyed by ``"strategy"``.

    Unset sizes, epochs and seeds come from :func:`tltutor.runtime.profile.defaults` (quick or
    full profile). ``unfreeze_from`` defaults to the backbone's second unfreezing point (for
    EfficientNet-Lite0, ``"block11_"``). ``scratch_epochs`` caps the from-scratch baseline, which
    stops earlier once its validation loss stops improving. ``progress`` receives a line every few
    seconds of long work; ``epoch_progress`` (a function, or ``False``) also receives the epoch
    lines of each training run.
    """
    strategies = validation.check_choices(strategies, STRATEGIES, "strategy")
    settings = resolve_settings(samples_per_class=samples_per_class, image_size=image_size, head_epochs=head_epochs,
                                fine_tune_epochs=fine_tune_epochs, scratch_epochs=scratch_epochs,
                                test_samples_per_class=test_samples_per_class, seeds=seeds)
    spec = backbones.get(backbone)
    unfreeze_from = unfreeze_from or spec.unfreeze_points[min(1, len(spec.unfreeze_points) - 1)]
    settings.update(backbone=spec.name, dataset=dataset, unfreeze_from=unfreeze_from, strategies=list(strategies))
    comparison = Comparison("strategy", settings=settings)
    steps = Steps(len(settings["seeds"]) * len(strategies), "compare", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
            test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
        comparison.dataset = info
        run_seed(spec, train, validation_data, test, info, seed=seed, strategies=strategies, settings=settings,
                 unfreeze_from=unfreeze_from, comparison=comparison, steps=steps, epoch_progress=epoch_progress)
    return comparison


def data_size_grid(samples_per_class=(5, 20, 100), strategies=STRATEGIES, *, backbone: str = backbones.OFFLINE_DEFAULT,
                   dataset: str = data.OFFLINE_DEFAULT, seeds=None, image_size: int | None = None,
                   head_epochs: int | None = None, fine_tune_epochs: int | None = None,
                   scratch_epochs: int | None = None, unfreeze_from=None,
                   test_samples_per_class: int | None = None, progress=True) -> Comparison:
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
                    sizes=sizes)
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
