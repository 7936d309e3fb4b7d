"""Benchmark: a head epoch on cached features against a frozen-base epoch over images.

Both run in the same process on the same data, so the ratio compares like with like::

    python -m tltutor.bench                      # EfficientNetLite0, 1,000 images at 96 px
    python -m tltutor.bench --image-size 224 --samples-per-class 50 --json bench.json

Each kind of epoch is timed inside one ``fit`` after a warm-up epoch (tracing excluded); the median of the timed
epochs is reported, along with the one-off cost of extracting the features.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    """Records how long each epoch takes."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def _median_epoch_seconds(fit, repeats: int) -> tuple[float, float]:
    """Run ``fit(epochs, callbacks)`` once for 1 + ``repeats`` epochs: (median later epoch, first epoch)."""
    timer = EpochTimer()
    fit(1 + repeats, [timer])
    return statistics.median(timer.seconds[1:]), timer.seconds[0]


def run(backbone: str = "EfficientNetLite0", image_size: int = 96, samples_per_class: int = 100,
        repeats: int = 3, batch_size: int = 32) -> dict:
    from tltutor import data, devices, models, training

    keras.utils.set_random_seed(0)
    train, _, _, info = data.load_dataset(image_size=image_size, samples_per_class=samples_per_class,
                                          batch_size=batch_size, validation_split=0.1)
    model = models.build_transfer_model(backbone, info.num_classes, image_size=image_size)
    images_per_epoch = info.train_count

    image_epoch, image_first = _median_epoch_seconds(
        lambda epochs, callbacks: model.fit(train, epochs=epochs, callbacks=callbacks, verbose=0), repeats)

    started = time.perf_counter()
    features, labels = training.extract_features(model, train)
    extraction_seconds = time.perf_counter() - started
    head = models.head(model)
    training.compile_model(head, jit_compile=False)
    feature_epoch, feature_first = _median_epoch_seconds(
        lambda epochs, callbacks: head.fit(features, labels, epochs=epochs, batch_size=batch_size,
                                           callbacks=callbacks, verbose=0), repeats)

    return {
        "device": str(devices.device_report()),
        "backbone": backbone,
        "image_size": image_size,
        "images_per_epoch": images_per_epoch,
        "frozen_base_epoch_seconds": round(image_epoch, 4),
        "frozen_base_images_per_second": round(images_per_epoch / image_epoch, 1),
        "frozen_base_first_epoch_seconds": round(image_first, 2),
        "feature_extraction_once_seconds": round(extraction_seconds, 2),
        "cached_head_epoch_seconds": round(feature_epoch, 4),
        "cached_head_first_epoch_seconds": round(feature_first, 2),
        "speedup_per_epoch": round(image_epoch / feature_epoch, 1),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tltutor.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--backbone", default="EfficientNetLite0")
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--samples-per-class", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    arguments = parser.parse_args(argv)
    figures = run(arguments.backbone, arguments.image_size, arguments.samples_per_class, arguments.repeats)
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key.ljust(width)}  {value}")
    print(f"\nA head epoch on cached features is {figures['speedup_per_epoch']}x faster than a frozen-base "
          f"epoch over images (feature extraction costs {figures['feature_extraction_once_seconds']} s once).")
    if arguments.json:
        from tltutor import results

        results.write_json(figures, arguments.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
