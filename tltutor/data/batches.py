"""Batches without TensorFlow: a Keras ``PyDataset`` over images resized once, and one way to walk any data.

tltutor's training helpers accept three kinds of data: a batched ``tf.data`` dataset, a Keras
``PyDataset`` (this module's :class:`ImageBatches`, or your own) and ``(images, labels)`` NumPy
arrays. :func:`iterate` walks each of them batch by batch, so helpers that look at the data
themselves (feature caching, predictions) work on every Keras backend, with or without TensorFlow.

Examples:
    >>> import numpy as np
    >>> from tltutor.data import batches
    >>> images = np.zeros((10, 28, 28), np.uint8)
    >>> dataset = batches.make_batches(images, np.arange(10) % 2, image_size=32, batch_size=4, shuffle=False)
    >>> len(dataset), dataset[0][0].shape, dataset[0][0].dtype.name
    (3, (4, 32, 32, 3), 'float32')
"""

from __future__ import annotations

import importlib.util

import keras
import numpy as np

RESIZE_CHUNK = 256


def tensorflow_available() -> bool:
    """Whether TensorFlow can be imported (it is not on the JAX-only GPU machines, for example)."""
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):
        return False


def resize_images(images: np.ndarray, image_size: int) -> np.ndarray:
    """Grey or RGB ``uint8`` images → ``(N, image_size, image_size, 3)`` ``uint8`` RGB, resized bilinearly.

    Uses ``keras.ops`` only, in chunks of 256 images, so memory stays small on every backend.
    """
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[..., None]
    resized = np.empty((len(images), image_size, image_size, 3), np.uint8)
    for start in range(0, len(images), RESIZE_CHUNK):
        chunk = images[start:start + RESIZE_CHUNK].astype("float32")
        if chunk.shape[-1] == 1:
            chunk = np.repeat(chunk, 3, axis=-1)
        if chunk.shape[1:3] != (image_size, image_size):
            chunk = keras.ops.convert_to_numpy(
                keras.ops.image.resize(chunk, (image_size, image_size), interpolation="bilinear", antialias=False))
        resized[start:start + RESIZE_CHUNK] = np.clip(np.round(chunk), 0, 255).astype(np.uint8)
    return resized


class ImageBatches(keras.utils.PyDataset):
    """``(float32 images in 0..255, int32 labels)`` batches from ``uint8`` images that are already resized.

    A training set (``shuffle=True``) is reshuffled after every epoch, repeatably from ``seed``.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, *, batch_size: int = 32, shuffle: bool = False,
                 seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.images = images
        self.labels = np.asarray(labels, np.int32)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self._random = np.random.default_rng(seed)
        self._order = self._random.permutation(len(images)) if shuffle else np.arange(len(images))

    def __len__(self) -> int:
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, index: int):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        chosen = self._order[index * self.batch_size:(index + 1) * self.batch_size]
        return self.images[chosen].astype("float32"), self.labels[chosen]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._random.permutation(len(self.images))


def make_batches(images: np.ndarray, labels: np.ndarray, *, image_size: int, batch_size: int, shuffle: bool,
                 seed: int = 0) -> ImageBatches:
    """Resize once with :func:`resize_images` and serve :class:`ImageBatches`."""
    return ImageBatches(resize_images(images, image_size), labels, batch_size=batch_size, shuffle=shuffle, seed=seed)


def is_tf_dataset(data) -> bool:
    return hasattr(data, "element_spec") and hasattr(data, "take")


def iterate(data, batch_size: int = 32):
    """Yield ``(images, labels)`` batches of a ``tf.data`` dataset, a ``PyDataset`` or ``(x, y)`` arrays, in order."""
    if isinstance(data, tuple) and len(data) == 2:
        images, labels = data
        for start in range(0, len(images), batch_size):
            yield images[start:start + batch_size], labels[start:start + batch_size]
    elif isinstance(data, keras.utils.PyDataset):
        for index in range(len(data)):
            batch = data[index]
            yield batch[0], batch[1]
    else:
        for batch in data:
            yield batch[0], batch[1]


def count(data) -> int | None:
    """How many examples ``data`` holds (at most that many for a dataset whose last batch is short), or ``None`` if unknown."""
    if isinstance(data, tuple) and len(data) == 2:
        return len(data[0][0]) if isinstance(data[0], (list, tuple)) else len(data[0])
    if isinstance(data, ImageBatches):
        return len(data.images)
    if is_tf_dataset(data):
        batches = int(data.cardinality())
        first = first_batch(data)
        return None if batches < 0 or first is None else batches * int(keras.ops.shape(first[1])[0])
    return None


def first_batch(data):
    """The first ``(images, labels)`` batch of any data :func:`iterate` accepts, or ``None`` if it has none."""
    if is_tf_dataset(data):
        data = data.take(1)
    for batch in iterate(data):
        return batch
    return None


def to_numpy(data, batch_size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """All ``(images, labels)`` of finite data, in one iteration's order."""
    images, labels = [], []
    for image_batch, label_batch in iterate(data, batch_size):
        images.append(keras.ops.convert_to_numpy(image_batch))
        labels.append(keras.ops.convert_to_numpy(label_batch))
    if not images:
        return np.empty((0,)), np.empty((0,), np.int32)
    return np.concatenate(images), np.concatenate(labels)
