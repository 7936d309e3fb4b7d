"""Benchmark: tltutor's training defaults against plain tutorial-style Keras, in one process.

For each backbone it measures three workloads twice, once per side:

- **feature extraction**: the frozen base's forward pass over the images;
- **head training**: one epoch of training the new head. The baseline runs the frozen base over
  the images every epoch, as the tutorials do. tltutor trains on cached features;
- **fine-tuning**: one epoch with the whole base trainable.

The **baseline** is the tutorials' code: float32, Keras's own ``jit_compile`` default, one step per
execution, batches of 32, and images resized again in every epoch with no cache or prefetch.
**tltutor** uses its defaults (:mod:`tltutor.devices`): mixed precision and larger batches on
accelerators, XLA where it helps, several steps per execution, images resized once and cached,
and a head trained on cached features. Each workload reports images/second (the median of the
timed epochs, after a warm-up) and the time to the first step (tracing and compilation included).

Run it with one command; the same command runs on a GPU machine with the JAX backend::

    python -m tltutor.bench                                   # MobileNetV2, EfficientNetB0, ResNet50, EfficientNetLite0 at 224 px
    python -m tltutor.bench --backbones EfficientNetB0 --images 512 --json bench.json
    KERAS_BACKEND=jax python -m tltutor.bench --json bench-gpu.json

Weights do not change speed, so the keras.applications bases are built with random weights
(they cannot be downloaded offline); EfficientNetLite0 loads its real ImageNet weights.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

DEFAULT_BACKBONES = ("MobileNetV2", "EfficientNetB0", "ResNet50", "EfficientNetLite0")
WORKLOADS = ("feature extraction", "head training", "fine-tuning")
TUTORIAL_BATCH_SIZE = 32


@dataclass(frozen=True)
class Settings:
    """What one side of the comparison uses."""

    name: str
    precision: str
    jit_compile: bool | str
    steps_per_execution: int
    batch_size: int
    cached_pipeline: bool
    head_on_cached_features: bool


def baseline_settings() -> Settings:
    """Plain tutorial-style Keras: float32, Keras's own XLA default, batch 32, no caching."""
    return Settings("baseline", "float32", "auto", 1, TUTORIAL_BATCH_SIZE, False, False)


def tltutor_settings(batch_size: int | None = None) -> Settings:
    """tltutor's defaults on this machine (:mod:`tltutor.devices`)."""
    from tltutor import devices

    report = devices.device_report()
    return Settings("tltutor", report.precision, report.jit_compile, report.steps_per_execution,
                    batch_size or devices.recommended_batch_size(), True, True)


class _Timer(keras.callbacks.Callback):
    """Seconds to the end of the first batch (from ``started``) and of every epoch."""

    def __init__(self, started: float):
        super().__init__()
        self.started = started
        self.first_step_seconds = None
        self.epoch_seconds = []

    def _first_batch_done(self):
        if self.first_step_seconds is None:
            self.first_step_seconds = time.perf_counter() - self.started

    def on_train_batch_end(self, batch, logs=None):
        self._first_batch_done()

    def on_predict_batch_end(self, batch, logs=None):
        self._first_batch_done()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self._epoch_started)


def _plain_pipeline(images: np.ndarray, labels: np.ndarray, image_size: int, batch_size: int):
    """The tutorials' input pipeline: resize every batch, every epoch; no cache, no prefetch."""
    from tltutor.data import batches

    if batches.tensorflow_available():
        import tensorflow as tf

        def to_rgb_resized(image, label):
            image = tf.image.grayscale_to_rgb(tf.cast(image[..., None], tf.float32))
            return tf.image.resize(image, (image_size, image_size)), label

        return tf.data.Dataset.from_tensor_slices((images, labels)).map(to_rgb_resized).batch(batch_size)
    return _ResizeEveryBatch(images, labels, image_size, batch_size)


class _ResizeEveryBatch(keras.utils.PyDataset):
    """The plain pipeline where TensorFlow is missing: resize each batch when it is asked for."""

    def __init__(self, images, labels, image_size, batch_size):
        super().__init__()
        self.images, self.labels, self.image_size, self.batch_size = images, labels, image_size, batch_size

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index):
        from tltutor.data import batches

        chosen = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return (batches.resize_images(self.images[chosen], self.image_size).astype("float32"),
                self.labels[chosen])


def _pipeline(images, labels, image_size, settings: Settings):
    from tltutor.data import pipelines

    if settings.cached_pipeline:
        return pipelines.make_pipeline(images, labels, image_size=image_size, batch_size=settings.batch_size,
                                       shuffle=True)
    return _plain_pipeline(images, labels, image_size, settings.batch_size)


def _compile(model, settings: Settings, learning_rate: float = 1e-4) -> None:
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  jit_compile=settings.jit_compile, steps_per_execution=settings.steps_per_execution)


def _timed_fit(model, data, epochs: int, count: int, batch_size: int | None = None) -> tuple[float, float]:
    """(images/s as the median of epochs after the first, seconds to the first step)."""
    x, y = data if isinstance(data, tuple) else (data, None)
    timer = _Timer(time.perf_counter())
    model.fit(x, y, epochs=epochs, batch_size=batch_size if y is not None else None, callbacks=[timer], verbose=0)
    return count / statistics.median(timer.epoch_seconds[1:]), timer.first_step_seconds


def _timed_extraction(model, data, settings: Settings, count: int, repeats: int):
    """Feature extraction: Keras ``predict`` for the baseline, tltutor's cached extraction for tltutor.

    A first pass (tracing, and filling tltutor's image cache) gives the time to the first step;
    the median of the passes after it gives images/s.
    """
    from tltutor import models, training

    if settings.cached_pipeline:
        def extract(callbacks=None):
            return training.extract_features(model, data, callbacks=callbacks)
    else:
        extractor = models.feature_extractor(model)

        def extract(callbacks=None):
            return extractor.predict(data, verbose=0, callbacks=callbacks), None

    timer = _Timer(time.perf_counter())
    features = extract([timer])
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        features = extract()
        seconds.append(time.perf_counter() - started)
    return count / statistics.median(seconds), timer.first_step_seconds, features


def measure_backbone(backbone: str, images, labels, image_size: int, settings: Settings, repeats: int,
                     progress=print) -> dict[str, tuple[float, float]]:
    """``{workload: (images/s, seconds to first step)}`` for one backbone and one side."""
    from tltutor import freezing, models

    keras.backend.clear_session()
    weights = "imagenet" if backbone == "EfficientNetLite0" else None
    model = models.build_transfer_model(backbone, 10, weights=weights, image_size=image_size,
                                        precision=settings.precision)
    data = _pipeline(images, labels, image_size, settings)
    count = len(images)
    figures = {}
    if progress:
        progress(f"  {backbone} · {settings.name}: feature extraction")
    speed, first_step, (features, labels) = _timed_extraction(model, data, settings, count, repeats)
    figures["feature extraction"] = (speed, first_step)
    if progress:
        progress(f"  {backbone} · {settings.name}: head training")
    freezing.freeze_base(model)
    if settings.head_on_cached_features:
        head = models.head(model)
        _compile(head, settings, 1e-3)
        figures["head training"] = _timed_fit(head, (features, labels), 1 + repeats, count, settings.batch_size)
    else:
        _compile(model, settings, 1e-3)
        figures["head training"] = _timed_fit(model, data, 1 + repeats, count)
    if progress:
        progress(f"  {backbone} · {settings.name}: fine-tuning")
    if settings.name == "baseline":
        freezing.get_base(model).trainable = True  # the tutorials' way: BatchNorm trains too
    else:
        freezing.unfreeze(model)
    _compile(model, settings)
    figures["fine-tuning"] = _timed_fit(model, data, 1 + repeats, count)
    return figures


def _versions() -> dict[str, str]:
    import importlib.metadata

    import tltutor

    versions = {"python": platform.python_version(), "keras": keras.__version__, "tltutor": tltutor.__version__}
    for package in ("tensorflow", "jax", "jaxlib"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def default_image_count() -> int:
    """Enough images for stable timings: 2,048 on an accelerator, 96 on a CPU."""
    from tltutor import devices

    return 2048 if devices.device_report().has_gpu else 96


def run(backbones=DEFAULT_BACKBONES, *, image_size: int = 224, images: int | None = None, repeats: int = 3,
        batch_size: int | None = None, progress=print) -> dict:
    """Measure every backbone and workload for both sides; return the figures (see :func:`main`)."""
    from tltutor import backbones as registry
    from tltutor import data, devices, validation

    names = [registry.get(name).name for name in backbones]
    count = validation.check_positive_int(images or default_image_count(), "images", minimum=8)
    repeats = validation.check_positive_int(repeats, "repeats")
    source = data.sources.embedded_fashion_mnist()
    if count > len(source.x_pool):
        raise validation.InvalidArgumentError(f"images must be at most {len(source.x_pool)} (the embedded data)")
    pool_images, pool_labels = source.x_pool[:count], source.y_pool[:count].astype(np.int32)
    sides = (baseline_settings(), tltutor_settings(batch_size))
    rows = []
    for backbone in names:
        if progress:
            progress(f"{backbone} at {image_size} px, {count} images")
        measured = {side.name: measure_backbone(backbone, pool_images, pool_labels, image_size, side, repeats,
                                                progress) for side in sides}
        for workload in WORKLOADS:
            (base_speed, base_first), (tl_speed, tl_first) = measured["baseline"][workload], measured["tltutor"][workload]
            rows.append({
                "backbone": backbone, "workload": workload,
                "baseline_images_per_second": round(base_speed, 1), "tltutor_images_per_second": round(tl_speed, 1),
                "speedup": round(tl_speed / base_speed, 2),
                "baseline_first_step_seconds": round(base_first, 2), "tltutor_first_step_seconds": round(tl_first, 2),
            })
    return {
        "device": str(devices.device_report()),
        "backend": keras.backend.backend(),
        "versions": _versions(),
        "image_size": image_size,
        "images": count,
        "timed_epochs": repeats,
        "settings": {side.name: asdict(side) for side in sides},
        "rows": rows,
    }


def head_speedup(figures: dict, backbone: str) -> float:
    """How many times faster tltutor's head epoch (cached features) is than the baseline's (frozen base on images)."""
    for row in figures["rows"]:
        if row["backbone"] == backbone and row["workload"] == "head training":
            return row["speedup"]
    raise KeyError(backbone)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tltutor.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=list(DEFAULT_BACKBONES))
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--images", type=int, default=None, help="images per epoch (default: 96 on CPU, 2048 on GPU)")
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs after the warm-up epoch")
    parser.add_argument("--batch-size", type=int, default=None, help="tltutor's batch size (default: by device)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    arguments = parser.parse_args(argv)
    from tltutor import results

    figures = run(arguments.backbones, image_size=arguments.image_size, images=arguments.images,
                  repeats=arguments.repeats, batch_size=arguments.batch_size)
    print(f"\n{figures['device']}\nversions: {figures['versions']}\n")
    print(results.format_table(figures["rows"]))
    slowest = min(figures["rows"], key=lambda row: row["speedup"])
    print(f"\nSlowest ratio: {slowest['speedup']}x ({slowest['backbone']}, {slowest['workload']}); "
          "a ratio of 1 or more means tltutor's defaults were not slower than the baseline.")
    if arguments.json:
        print(f"figures written to {results.write_json(figures, arguments.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
