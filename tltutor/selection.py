"""Choose a pretrained model by measurement: size, speed and linear-probe accuracy on *your* task.

A linear probe freezes a candidate base, computes its pooled features once, and trains only a
new Dense head on them. Its test accuracy measures how useful the source's features are for the
target before any fine-tuning. Adding a less relevant source and a random-weights baseline to
the candidates turns "relevant" from a claim into a number.

Example::

    rows = tl.selection.compare_backbones(
        [("EfficientNetLite0", "imagenet"), ("DigitsCNN", "digits"), ("EfficientNetLite0", None)],
        train, validation, test, num_classes=info.num_classes, image_size=info.image_size)
    print(tl.results.format_table(rows))
"""

from __future__ import annotations

import time

import keras

from tltutor import backbones, freezing, models, training, validation


def candidate_label(backbone: str, weights) -> str:
    """A readable name: ``"EfficientNetLite0 (imagenet)"`` or ``"... (random)"``."""
    return f"{backbones.get(backbone).name} ({weights if weights else 'random'})"


def measure_throughput(model: keras.Model, image_size: int, batch_size: int = 32, batches: int = 5) -> float:
    """Images per second of the frozen base's forward pass (after one warm-up batch)."""
    import numpy as np

    extractor = models.feature_extractor(model)
    images = np.random.default_rng(0).uniform(0, 255, (batch_size, image_size, image_size, 3)).astype("float32")
    extractor.predict_on_batch(images)
    started = time.perf_counter()
    for _ in range(batches):
        extractor.predict_on_batch(images)
    return batch_size * batches / (time.perf_counter() - started)


def linear_probe(backbone: str, weights, train, validation_data, test, *, num_classes: int, image_size: int,
                 epochs: int = 30, seed: int = 0) -> dict:
    """Size, speed and linear-probe accuracy of one candidate base (frozen, head on cached features)."""
    validation.check_num_classes(num_classes)
    model = models.build_transfer_model(backbone, num_classes, weights=weights, image_size=image_size, seed=seed)
    started = time.perf_counter()
    history = training.train_head(model, train, validation_data, epochs=epochs)
    seconds = time.perf_counter() - started
    summary = freezing.trainable_summary(model)
    row = {
        "candidate": candidate_label(backbone, weights),
        "base_parameters": summary.non_trainable_parameters,
        "feature_size": int(models.feature_extractor(model).outputs[0].shape[-1]),
        "images_per_second": round(measure_throughput(model, image_size), 1),
        "probe_test_accuracy": round(training.evaluate(model, test)["accuracy"], 4),
        "probe_epochs": history.epochs,
        "probe_seconds": round(seconds, 1),
    }
    keras.backend.clear_session()
    return row


def compare_backbones(candidates, train, validation_data, test, *, num_classes: int, image_size: int,
                      epochs: int = 30, seed: int = 0, progress=print) -> list[dict]:
    """:func:`linear_probe` for each ``(backbone, weights)`` candidate on the same split, best first."""
    rows = []
    for backbone, weights in candidates:
        if progress:
            progress(f"probing {candidate_label(backbone, weights)} ...")
        rows.append(linear_probe(backbone, weights, train, validation_data, test, num_classes=num_classes,
                                 image_size=image_size, epochs=epochs, seed=seed))
    return sorted(rows, key=lambda row: -row["probe_test_accuracy"])


def pixel_baseline(train, test, *, image_size: int = 28, seed: int = 0) -> float:
    """Test accuracy of logistic regression on raw grey pixels: the simplest baseline a transfer must beat."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from tltutor.data import batches

    def pixels(data):
        images, labels = batches.to_numpy(data)
        if len(images) == 0:
            raise validation.InvalidArgumentError("the dataset is empty")
        grey = keras.ops.convert_to_numpy(keras.ops.image.resize(
            np.asarray(images, np.float32).mean(axis=-1, keepdims=True), (image_size, image_size)))
        return grey.reshape(len(grey), -1) / 255.0, labels

    train_pixels, train_labels = pixels(train)
    test_pixels, test_labels = pixels(test)
    classifier = LogisticRegression(max_iter=2000, random_state=seed).fit(train_pixels, train_labels)
    return float(classifier.score(test_pixels, test_labels))
