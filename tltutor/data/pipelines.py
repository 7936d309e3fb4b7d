"""Turn image arrays into ``tf.data`` pipelines: RGB, resized once, cached, shuffled, batched, prefetched."""

from __future__ import annotations

import numpy as np


def _resize_batch(images, labels, image_size):
    import tensorflow as tf

    if images.shape[-1] != 3:
        images = tf.image.grayscale_to_rgb(images[..., None] if images.shape.rank == 3 else images)
    resized = tf.image.resize(tf.cast(images, tf.float32), (image_size, image_size))
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8), labels


def make_pipeline(images: np.ndarray, labels: np.ndarray, *, image_size: int, batch_size: int,
                  shuffle: bool, seed: int = 0):
    """A batched dataset of ``(float32 images in 0..255, int32 labels)``.

    Images are resized once and cached as ``uint8``; a training pipeline reshuffles each epoch.
    """
    import tensorflow as tf

    autotune = tf.data.AUTOTUNE
    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    dataset = dataset.batch(256).map(lambda x, y: _resize_batch(x, y, image_size), num_parallel_calls=autotune)
    dataset = dataset.unbatch().apply(tf.data.experimental.assert_cardinality(len(images))).cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y), num_parallel_calls=autotune)
    return dataset.prefetch(autotune)


def to_numpy(dataset):
    """All ``(images, labels)`` of a finite batched dataset, in one iteration's order."""
    images, labels = [], []
    for image_batch, label_batch in dataset:
        images.append(np.asarray(image_batch))
        labels.append(np.asarray(label_batch))
    return np.concatenate(images), np.concatenate(labels)
