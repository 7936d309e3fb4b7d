"""DigitsCNN: a second real pretrained source, trained by tltutor itself on scikit-learn's digits.

Offline there is one ImageNet backbone. To *measure* that the relevance of the source matters,
notebook 01 needs a second pretrained network whose source differs from the target: this small
CNN (three conv blocks, 24 k parameters) learns the 1,797 handwritten digits, upsampled to
32 px RGB, in about twenty seconds on two CPU cores. Its weights are cached under
``KERAS_HOME/tltutor/`` after the first training, keyed by seed, with a sha256 sidecar.

Example::

    base = tl.backbones.build_base("DigitsCNN", image_size=32, weights="digits")
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from tltutor.io import downloads, files, weights_files
from tltutor.runtime import devices, reproducibility

FILTERS = (16, 32, 64)
PRETRAIN_IMAGE_SIZE = 32


def build(input_shape=(32, 32, 3), weights="digits", seed: int = 0, name: str = "digits_cnn") -> keras.Model:
    """The convolutional base on scaled inputs; ``weights`` is ``"digits"`` (pretrained) or ``None``.

    ``seed`` picks the pretrained weights (those pretrained from that seed).
    """
    inputs = keras.Input(input_shape)
    x = inputs
    for block, filters in enumerate(FILTERS, start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{block}_conv")(x)
        x = keras.layers.BatchNormalization(momentum=0.9, name=f"conv{block}_bn")(x)
        x = keras.layers.Activation("relu", name=f"conv{block}_relu")(x)
        if block < len(FILTERS):
            x = keras.layers.MaxPooling2D(name=f"conv{block}_pool")(x)
    base = keras.Model(inputs, x, name=name)
    if weights == "digits":
        base.load_weights(pretrained_weights_path(seed))
    return base


def cache_path(seed: int = 0) -> Path:
    return downloads.keras_home() / "tltutor" / f"digits_cnn_seed{seed}.weights.h5"


def pretrain(seed: int = 0, epochs: int = 30, verbose: int = 0) -> tuple[keras.Model, float]:
    """Train DigitsCNN on scikit-learn's digits; return the base and its held-out digit accuracy.

    Keras's global generators are seeded from ``seed`` and the kernels are deterministic, both for
    the pretraining only (:func:`tltutor.runtime.reproducibility.seeded_globally`), which makes the
    weights the same in every process (without them, the few hundred steps land on noticeably
    different bases from run to run), and the epoch is chosen on
    a validation split: 70 % of the digits train, 10 % choose the epoch, 20 % are held out. It
    trains in float32 whatever the precision policy around it: the cached weights are the same
    for every precision that later reads them.
    """
    with devices.precision_policy("float32"):
        return _pretrain(seed, epochs, verbose)


def _pretrain(seed, epochs, verbose):
    from sklearn.datasets import load_digits  # scikit-learn is imported only where used

    digits = load_digits()
    images = np.repeat(digits.images[..., None] * (255 / 16), 3, axis=-1).astype("float32")
    images = keras.ops.convert_to_numpy(keras.ops.image.resize(images, (PRETRAIN_IMAGE_SIZE,) * 2))
    order = np.random.default_rng(seed).permutation(len(images))
    first, second = int(0.7 * len(order)), int(0.8 * len(order))
    train, chooser, held_out = order[:first], order[first:second], order[second:]
    with reproducibility.seeded_globally(seed), reproducibility.deterministic_ops():
        base = build((PRETRAIN_IMAGE_SIZE, PRETRAIN_IMAGE_SIZE, 3), weights=None)
        inputs = keras.Input((PRETRAIN_IMAGE_SIZE, PRETRAIN_IMAGE_SIZE, 3))
        x = keras.layers.Rescaling(1 / 128.0, offset=-127 / 128.0)(inputs)  # the "lite" preprocessing
        outputs = keras.layers.Dense(10)(keras.layers.GlobalAveragePooling2D()(base(x)))
        classifier = keras.Model(inputs, outputs)
        classifier.compile(keras.optimizers.Adam(3e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           metrics=["accuracy"])
        stop = keras.callbacks.EarlyStopping("val_accuracy", patience=5, restore_best_weights=True)
        classifier.fit(images[train], digits.target[train], epochs=epochs, batch_size=64, verbose=verbose,
                       validation_data=(images[chooser], digits.target[chooser]), callbacks=[stop])
    accuracy = classifier.evaluate(images[held_out], digits.target[held_out], verbose=0, return_dict=True)["accuracy"]
    return base, float(accuracy)


def _record_path(seed: int) -> Path:
    return cache_path(seed).with_name(f"{cache_path(seed).stem}.json")


def source_accuracy(seed: int = 0) -> float:
    """DigitsCNN's accuracy on held-out digits (its source task), recorded when it was pretrained."""
    pretrained_weights_path(seed)
    return float(files.read_json(_record_path(seed))["held_out_digit_accuracy"])


def pretrained_weights_path(seed: int = 0) -> Path:
    """The cached pretrained weights, trained now (about twenty seconds) when missing or damaged."""
    path = cache_path(seed)
    if not weights_files.cache_is_valid(path):
        base, accuracy = pretrain(seed)
        files.write_json({"held_out_digit_accuracy": accuracy, "seed": seed}, _record_path(seed))
        weights_files.write_cached_weights(base, path)
    return path
