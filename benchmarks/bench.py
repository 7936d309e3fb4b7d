"""Benchmark: tltutor's training defaults against plain tutorial-style Keras, in one process.

For each backbone it measures four workloads on both sides:

- **feature extraction**: the frozen base's first pass over the images;
- **head training**: one epoch of training the new head. The baseline runs the frozen base over
  the images every epoch, as the tutorials do; tltutor trains on the features it kept;
- **top-block fine-tuning**: one epoch with the base trainable from its second unfreezing point.
  The baseline runs the whole model; tltutor trains the unfrozen top on the activations that
  enter it, computed once (:mod:`tltutor.features`);
- **full fine-tuning**: one epoch with the whole base trainable.

The **baseline** is the tutorials' code: float32, Keras's own ``jit_compile`` default, one step per
execution, batches of 32, images resized again in every epoch with no cache, and BatchNorm
trained along when a base is unfrozen. **tltutor** uses its defaults (:mod:`tltutor.runtime.devices`).

Timing is interleaved so that neither side always runs first, warmed or cold: after one warm-up
pass per side (its seconds are the time to the first step, tracing included), each round times
one pass of each side, the order alternating from round to round. The table reports the median
images/s of each side, the ratio of the medians, and the lowest and highest per-round ratio, so a
ratio can be told from noise.

Run it with one command; the same command runs on a GPU machine with the JAX backend::

    python benchmarks/bench.py                                   # 4 backbones at 224 px
    python benchmarks/bench.py --backbones EfficientNetB0 --images 512 --json bench.json
    KERAS_BACKEND=jax python benchmarks/bench.py --json bench-gpu.json

Weights do not change speed, so the keras.applications bases are built with random weights
(they cannot be downloaded offline); EfficientNetLite0 loads its real ImageNet weights.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import statistics
import time
from dataclasses import asdict, dataclass

import numpy as np

import tltutor
from tltutor import lazy

lazy.import_backend_quietly()  # TensorFlow's start-up lines stay out of the figures

import keras  # noqa: E402
from tltutor import backbones as registry
from tltutor import compiling, data, features, freezing, models, validation
from tltutor.data import batches, pipelines
from tltutor.io import files
from tltutor.report import results
from tltutor.runtime import devices

DEFAULT_BACKBONES = ("MobileNetV2", "EfficientNetB0", "ResNet50", "EfficientNetLite0")
WORKLOADS = ("feature extraction", "head training", "top-block fine-tuning", "full fine-tuning")
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
    kept_frozen_outputs: bool


def baseline_settings() -> Settings:
    """Plain tutorial-style Keras: float32, Keras's own XLA default, batch 32, no caching."""
    return Settings("baseline", "float32", "auto", 1, TUTORIAL_BATCH_SIZE, False, False)


def tltutor_settings(batch_size: int | None = None) -> Settings:
    """tltutor's defaults on this machine (:mod:`tltutor.runtime.devices`)."""
    report = devices.device_report()
    return Settings("tltutor", report.precision, report.jit_compile, report.steps_per_execution,
                    batch_size or devices.recommended_batch_size(), True, True)


class _ResizeEveryBatch(keras.utils.PyDataset):
    """The plain pipeline where TensorFlow is missing: resize each batch when it is asked for."""

    def __init__(self, images, labels, image_size, batch_size):
        super().__init__()
        self.images, self.labels, self.image_size, self.batch_size = images, labels, image_size, batch_size

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index):
        chosen = slice(index * self.batch_size, (index + 1) * self.batch_size)
        return (batches.resize_images(self.images[chosen], self.image_size).astype("float32"),
                self.labels[chosen])


def _plain_pipeline(images: np.ndarray, labels: np.ndarray, image_size: int, batch_size: int):
    """The tutorials' input pipeline: resize every batch, every epoch; no cache, no prefetch."""
    if batches.tensorflow_available():
        import tensorflow as tf  # the tutorials' pipeline is tf.data

        def to_rgb_resized(image, label):
            image = tf.image.grayscale_to_rgb(tf.cast(image[..., None], tf.float32))
            return tf.image.resize(image, (image_size, image_size)), label

        return tf.data.Dataset.from_tensor_slices((images, labels)).map(to_rgb_resized).batch(batch_size)
    return _ResizeEveryBatch(images, labels, image_size, batch_size)


def _compile(model, settings: Settings, learning_rate: float) -> None:
    if settings.name == "baseline":
        model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    else:
        compiling.compile_model(model, learning_rate, jit_compile=settings.jit_compile,
                                steps_per_execution=settings.steps_per_execution)


class _Side:
    """One side's model and data, and one timed pass of each workload."""

    def __init__(self, backbone: str, images, labels, image_size: int, settings: Settings):
        self.settings = settings
        weights = "imagenet" if backbone == "EfficientNetLite0" else None
        self.spec = registry.get(backbone)
        self.model = models.build_transfer_model(backbone, 10, weights=weights, image_size=image_size,
                                                 precision=settings.precision)
        if settings.cached_pipeline:
            self.data = pipelines.make_pipeline(images, labels, image_size=image_size, batch_size=settings.batch_size,
                                                shuffle=True, kind="arrays")
        else:
            self.data = _plain_pipeline(images, labels, image_size, settings.batch_size)
        self.count = len(images)
        self.prepared = None

    def _fit(self, model, data):
        # tltutor's arrays go in as tltutor's training helpers feed them (tltutor.training);
        # the baseline's data is always its own pipeline (tf.data, or a PyDataset without TensorFlow).
        if isinstance(data, tuple):
            model.fit(**pipelines.fit_arguments(*data, batch_size=self.settings.batch_size, shuffle=True), epochs=1,
                      verbose=0)
        else:
            model.fit(data, epochs=1, shuffle=False, verbose=0)

    def prepare(self, workload: str) -> None:
        """Set the model up for ``workload`` (freezing, compiling); nothing here is timed."""
        point = self.spec.unfreeze_points[min(1, len(self.spec.unfreeze_points) - 1)]
        baseline = self.settings.name == "baseline"
        base = freezing.get_base(self.model)
        if workload == "head training":
            freezing.freeze_base(self.model)
            target = models.head(self.model) if self.settings.kept_frozen_outputs else self.model
        elif workload == "top-block fine-tuning":
            if baseline:  # the tutorials' way: layers from the point up trainable, BatchNorm included
                base.trainable = True
                cut = freezing.cut_index(base.layers, point)
                for index, layer in enumerate(base.layers):
                    layer.trainable = index >= cut
                target = self.model
            else:
                freezing.unfreeze(self.model, point)
                target = features.frozen_split(self.model, point)[1]
        elif workload == "full fine-tuning":
            if baseline:
                base.trainable = True
                for layer in base.layers:
                    layer.trainable = True
            else:
                freezing.unfreeze(self.model)
            target = self.model
        else:
            target = models.feature_extractor(self.model)
        if workload != "feature extraction":
            _compile(target, self.settings, 1e-3 if workload == "head training" else 1e-4)
        self.prepared = (workload, target, point)

    def run(self) -> None:
        """One pass of the prepared workload."""
        workload, target, point = self.prepared
        kept = self.settings.kept_frozen_outputs
        if workload == "feature extraction":
            if kept:
                features.clear()  # a first pass every time: kept outputs would make repeats free
                features.pooled_features(self.model, self.data)
            else:
                target.predict(self.data, verbose=0)
        elif workload == "head training" and kept:
            self._fit(target, features.pooled_features(self.model, self.data))
        elif workload == "top-block fine-tuning" and kept:
            bottom = features.frozen_split(self.model, point)[0]
            self._fit(target, features.outputs_of(bottom, self.data))
        else:
            self._fit(target, self.data)


def measure_backbone(backbone: str, images, labels, image_size: int, sides, rounds: int,
                     progress=print) -> list[dict]:
    """One row per workload: both sides' median images/s, the ratio, its spread over rounds, first steps."""
    keras.backend.clear_session()
    built = [_Side(backbone, images, labels, image_size, settings) for settings in sides]
    rows = []
    for workload in WORKLOADS:
        if progress:
            progress(f"  {backbone}: {workload}")
        first_step = []
        for side in built:
            side.prepare(workload)
            started = time.perf_counter()
            side.run()  # warm-up: tracing, and tltutor's one pass of the frozen part
            first_step.append(time.perf_counter() - started)
            if progress:  # printed as it happens, so that a run stopped by a time limit still says where time went
                progress(f"    {side.settings.name}: first pass {first_step[-1]:.1f} s")
        speeds = [[], []]
        for round_number in range(rounds):
            order = (0, 1) if round_number % 2 == 0 else (1, 0)
            for index in order:
                started = time.perf_counter()
                built[index].run()
                speeds[index].append(len(images) / (time.perf_counter() - started))
        ratios = [ours / theirs for theirs, ours in zip(*speeds)]
        baseline_speed, tltutor_speed = statistics.median(speeds[0]), statistics.median(speeds[1])
        rows.append({
            "backbone": backbone, "workload": workload,
            "baseline_images_per_second": round(baseline_speed, 1), "tltutor_images_per_second": round(tltutor_speed, 1),
            "speedup": round(tltutor_speed / baseline_speed, 2),
            "lowest_round_ratio": round(min(ratios), 2), "highest_round_ratio": round(max(ratios), 2),
            "baseline_first_step_seconds": round(first_step[0], 2), "tltutor_first_step_seconds": round(first_step[1], 2),
        })
        if progress:
            progress(f"    images/s: baseline {baseline_speed:.1f}, tltutor {tltutor_speed:.1f} "
                     f"({tltutor_speed / baseline_speed:.2f}x)")
    return rows


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version(), "keras": keras.__version__, "tltutor": tltutor.__version__}
    for package in ("tensorflow", "jax", "jaxlib"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def default_image_count() -> int:
    """Enough images for steady timings: 2,048 on an accelerator, 128 on a CPU."""
    return 2048 if devices.device_report().has_gpu else 128


def run(backbones=DEFAULT_BACKBONES, *, image_size: int = 224, images: int | None = None, rounds: int = 3,
        batch_size: int | None = None, progress=print) -> dict:
    """Measure every backbone and workload for both sides; return the figures (see :func:`main`)."""
    names = [registry.get(name).name for name in backbones]
    count = validation.check_positive_int(images or default_image_count(), "images", minimum=8)
    rounds = validation.check_positive_int(rounds, "rounds")
    source = data.sources.embedded_fashion_mnist()
    if count > len(source.x_pool):
        raise validation.InvalidArgumentError(f"images must be at most {len(source.x_pool)} (the embedded data)")
    pool_images, pool_labels = source.x_pool[:count], source.y_pool[:count].astype(np.int32)
    sides = (baseline_settings(), tltutor_settings(batch_size))
    rows = []
    for backbone in names:
        if progress:
            progress(f"{backbone} at {image_size} px, {count} images, {rounds} interleaved rounds")
        rows += measure_backbone(backbone, pool_images, pool_labels, image_size, sides, rounds, progress)
    return {
        "device": str(devices.device_report()),
        "backend": keras.backend.backend(),
        "versions": _versions(),
        "image_size": image_size,
        "images": count,
        "rounds": rounds,
        "settings": {side.name: asdict(side) for side in sides},
        "rows": rows,
    }


_DISPLAY_NAMES = {"EfficientNetLite0": "EfficientNet-Lite0"}


def _figure(value: float) -> str:
    return f"{value:.2g}" if value < 10 else f"{value:.0f}"


def markdown_table(figures: dict) -> str:
    """The figures as the README's table: both sides' images/s, the ratio and its spread over rounds."""
    lines = ["| backbone | workload | plain Keras img/s | tltutor img/s | ratio (rounds) |", "|---|---|---|---|---|"]
    for row in figures["rows"]:
        lines.append(f"| {_DISPLAY_NAMES.get(row['backbone'], row['backbone'])} | {row['workload']} "
                     f"| {row['baseline_images_per_second']} | {row['tltutor_images_per_second']} "
                     f"| {_figure(row['speedup'])}× ({_figure(row['lowest_round_ratio'])}–"
                     f"{_figure(row['highest_round_ratio'])}) |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python benchmarks/bench.py", description=__doc__.splitlines()[0])
    parser.add_argument("--backbones", nargs="+", default=list(DEFAULT_BACKBONES))
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--images", type=int, default=None, help="images per pass (default: 128 on CPU, 2048 on GPU)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds after the warm-up, order alternating")
    parser.add_argument("--batch-size", type=int, default=None, help="tltutor's batch size (default: by device)")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    parser.add_argument("--markdown", action="store_true", help="print the table of a stored --json file and stop")
    arguments = parser.parse_args(argv)
    if arguments.markdown:
        if not arguments.json:
            raise validation.InvalidArgumentError("--markdown prints a stored run: name its file with --json")
        print(markdown_table(files.read_json(arguments.json)))
        return 0
    figures = run(arguments.backbones, image_size=arguments.image_size, images=arguments.images,
                  rounds=arguments.rounds, batch_size=arguments.batch_size)
    print(f"\n{figures['device']}\nversions: {figures['versions']}\n")
    print(results.format_table(figures["rows"]))
    slowest = min(figures["rows"], key=lambda row: row["speedup"])
    print(f"\nSlowest ratio: {slowest['speedup']}x ({slowest['backbone']}, {slowest['workload']}; rounds "
          f"{slowest['lowest_round_ratio']}-{slowest['highest_round_ratio']}x). A ratio of 1 or more means tltutor's "
          "defaults were not slower than the baseline.")
    if arguments.json:
        print(f"figures written to {files.write_json(figures, arguments.json)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
