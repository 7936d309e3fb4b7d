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

from tltutor import backbones, data, freezing, models, training, validation
from tltutor.report.results import Comparison
from tltutor.runtime import profile, reproducibility
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


def linear_probe(backbone: str, weights, train, validation_data, test, *, num_classes: int, image_size: int,
                 epochs: int = 30, seed: int = 0) -> dict:
    """Size, speed and linear-probe accuracy of one candidate base (frozen, head on cached features)."""
    validation.check_num_classes(num_classes)
    reproducibility.seed_everything(seed)
    model = models.build_transfer_model(backbone, num_classes, weights=weights, image_size=image_size, seed=seed)
    started = time.perf_counter()
    history = training.train_head(model, train, validation_data, epochs=epochs, progress=False)
    seconds = time.perf_counter() - started
    summary = freezing.trainable_summary(model)
    return {
        "base_parameters": summary.non_trainable_parameters,
        "feature_size": int(models.feature_extractor(model).outputs[0].shape[-1]),
        "images_per_second": round(measure_throughput(model, image_size), 1),
        "probe_validation_accuracy": round(training.evaluate(model, validation_data)["accuracy"], 4),
        "probe_test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
        "probe_epochs": history.epochs,
        "probe_seconds": round(seconds, 1),
    }


def compare_backbones(candidates, dataset: str = data.OFFLINE_DEFAULT, *, seeds=None,
                      samples_per_class: int | None = None, image_size: int | None = None, epochs: int | None = None,
                      test_samples_per_class: int | None = None, progress=print) -> Comparison:
    """:func:`linear_probe` of each ``(backbone, weights)`` candidate on the same splits, once per seed.

    Returns a :class:`Comparison` keyed by ``"candidate"``. Unset sizes, epochs and seeds come from
    the active profile (:func:`tltutor.runtime.profile.defaults`).
    """
    candidates = [(backbones.get(backbone).name, weights) for backbone, weights in candidates]
    validation.check_not_empty(len(candidates), "list of candidates")
    settings = profile.defaults()
    settings.update({key: value for key, value in dict(samples_per_class=samples_per_class, image_size=image_size,
                                                       head_epochs=epochs, seeds=seeds,
                                                       test_samples_per_class=test_samples_per_class).items()
                     if value is not None})
    settings["seeds"] = validation.check_seeds(settings["seeds"])
    comparison = Comparison("candidate", settings={**settings, "dataset": dataset, "candidates": candidates})
    steps = Steps(len(candidates) * len(settings["seeds"]), "probes", output=progress)
    for seed in settings["seeds"]:
        train, validation_data, test, info = data.load_dataset(
            dataset, image_size=settings["image_size"], samples_per_class=settings["samples_per_class"],
            test_samples_per_class=settings["test_samples_per_class"], seed=seed, pipeline="arrays")
        comparison.dataset = info
        for backbone, weights in candidates:
            row = linear_probe(backbone, weights, train, validation_data, test, num_classes=info.num_classes,
                               image_size=info.image_size, epochs=settings["head_epochs"], seed=seed)
            comparison.add(candidate_label(backbone, weights), seed, **row)
            steps.advance(f"{candidate_label(backbone, weights)}, seed {seed}")
    return comparison
