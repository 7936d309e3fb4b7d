"""Run transfer-learning strategies on one data split and compare them in a tidy table.

Example:
    >>> import tltutor as tl
    >>> comparison = tl.experiments.compare_strategies(samples_per_class=100)   # doctest: +SKIP
    >>> print(comparison.table())                                              # doctest: +SKIP
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

from tltutor import backbones, data, freezing, models, profile, reproducibility, training

STRATEGIES = ("scratch", "feature_extraction", "fine_tuning")
DESCRIPTIONS = {
    "scratch": "same architecture, random weights, every layer trained",
    "feature_extraction": "pretrained base frozen, new head trained on cached features",
    "fine_tuning": "feature extraction, then the top blocks unfrozen at a 10x lower learning rate",
}


@dataclass
class Comparison:
    """The rows of a strategy comparison, each strategy's history, and the data it ran on."""

    rows: list[dict] = field(default_factory=list)
    histories: dict[str, training.TrainingHistory] = field(default_factory=dict)
    dataset: data.DatasetInfo | None = None
    settings: dict = field(default_factory=dict)

    def table(self) -> str:
        from tltutor.results import format_table

        return format_table(self.rows)

    def row(self, strategy: str) -> dict:
        return next(row for row in self.rows if row["strategy"] == strategy)


def _report(progress, message):
    if progress:
        progress(message)


def compare_strategies(backbone: str = backbones.OFFLINE_DEFAULT, dataset: str = data.OFFLINE_DEFAULT, *,
                       samples_per_class: int | None = None, image_size: int | None = None,
                       head_epochs: int | None = None, fine_tune_epochs: int | None = None,
                       scratch_epochs: int | None = None, strategies=STRATEGIES, seed: int = 0,
                       test_samples_per_class: int | None = None, progress=print) -> Comparison:
    """Train from scratch, by feature extraction and by fine-tuning on the same split, and compare.

    Unset sizes and epochs come from :func:`tltutor.profile.defaults` (quick or full profile).
    ``progress`` receives one line per step (``None`` for silence).
    """
    settings = profile.defaults()
    given = dict(samples_per_class=samples_per_class, image_size=image_size, head_epochs=head_epochs,
                 fine_tune_epochs=fine_tune_epochs, scratch_epochs=scratch_epochs,
                 test_samples_per_class=test_samples_per_class)
    settings.update({key: value for key, value in given.items() if value is not None})
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        raise ValueError(f"unknown strategies {sorted(unknown)}; choose from {list(STRATEGIES)}")
    spec = backbones.get(backbone)
    settings.update(backbone=spec.name, dataset=dataset, seed=seed)
    reproducibility.seed_everything(seed)
    train, validation, test, info = data.load_dataset(
        dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
        test_samples_per_class=settings["test_samples_per_class"], seed=seed)
    _report(progress, f"data: {info.name}, {info.num_classes} classes, {info.train_count} train / "
                      f"{info.validation_count} validation / {info.test_count} test images at {info.image_size} px")
    comparison = Comparison(dataset=info, settings=settings)

    def record(strategy, model, history, seconds):
        scores = training.evaluate(model, test)
        comparison.histories[strategy] = copy.deepcopy(history)
        comparison.rows.append({
            "strategy": strategy,
            "test_accuracy": round(scores["accuracy"], 4),
            "test_loss": round(scores["loss"], 4),
            "best_val_accuracy": round(history.best("val_accuracy"), 4),
            "epochs": history.epochs,
            "wall_seconds": round(seconds, 1),
            "trainable_parameters": freezing.trainable_summary(model).trainable_parameters,
        })
        _report(progress, f"  {strategy}: test accuracy {scores['accuracy']:.3f} after {history.epochs} epochs, "
                          f"{seconds:.0f} s")

    if "scratch" in strategies:
        _report(progress, f"[scratch] {DESCRIPTIONS['scratch']} ({settings['scratch_epochs']} epochs)")
        started = time.perf_counter()
        model = models.build_transfer_model(spec.name, info.num_classes, weights=None, freeze=False,
                                            image_size=info.image_size, seed=seed)
        history = training.train_all(model, train, validation, epochs=settings["scratch_epochs"])
        record("scratch", model, history, time.perf_counter() - started)
        del model
    if {"feature_extraction", "fine_tuning"} & set(strategies):
        _report(progress, f"[feature_extraction] {DESCRIPTIONS['feature_extraction']} "
                          f"(up to {settings['head_epochs']} epochs, early stopping)")
        started = time.perf_counter()
        model = models.build_transfer_model(spec.name, info.num_classes, image_size=info.image_size, seed=seed)
        history = training.train_head(model, train, validation, epochs=settings["head_epochs"])
        record("feature_extraction", model, history, time.perf_counter() - started)
        if "fine_tuning" in strategies:
            point = spec.unfreeze_points[min(1, len(spec.unfreeze_points) - 1)]
            _report(progress, f"[fine_tuning] unfreeze from {point!r} at learning rate "
                              f"{training.HEAD_LEARNING_RATE / training.FINE_TUNE_FACTOR:g} "
                              f"({settings['fine_tune_epochs']} epochs)")
            history = training.fine_tune(model, train, validation, epochs=settings["fine_tune_epochs"],
                                         unfreeze_from=point, history=history)
            record("fine_tuning", model, history, time.perf_counter() - started)
        if "feature_extraction" not in strategies:
            comparison.rows = [row for row in comparison.rows if row["strategy"] != "feature_extraction"]
    return comparison


def data_size_grid(samples_per_class=(5, 20, 100), strategies=STRATEGIES, *, backbone: str = backbones.OFFLINE_DEFAULT,
                   dataset: str = data.OFFLINE_DEFAULT, progress=print, **settings) -> list[dict]:
    """:func:`compare_strategies` for each training-set size; one row per (size, strategy).

    Each row also holds ``gain_over_scratch`` and, for fine-tuning, ``gain_over_feature_extraction``.
    """
    rows = []
    for count in samples_per_class:
        if progress:
            progress(f"== {count} images per class ==")
        comparison = compare_strategies(backbone, dataset, samples_per_class=count, strategies=strategies,
                                        progress=progress, **settings)
        accuracy = {row["strategy"]: row["test_accuracy"] for row in comparison.rows}
        for row in comparison.rows:
            extra = {}
            if "scratch" in accuracy:
                extra["gain_over_scratch"] = round(row["test_accuracy"] - accuracy["scratch"], 4)
            if row["strategy"] == "fine_tuning" and "feature_extraction" in accuracy:
                extra["gain_over_feature_extraction"] = round(row["test_accuracy"] - accuracy["feature_extraction"], 4)
            rows.append({"samples_per_class": count, **row, **extra})
    return rows
