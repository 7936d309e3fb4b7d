"""Turn image arrays into pipelines: RGB, resized once, cached, shuffled, batched, prefetched.

``tf.data`` when TensorFlow is installed; otherwise a Keras ``PyDataset`` (:mod:`tltutor.data.batches`),
so that the JAX backend needs no TensorFlow. The ``tf.data`` pipelines run with fixed settings and
tf.data's autotuning off (:func:`_without_autotuning`).
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import validation
from tltutor.data import batches

KINDS = ("auto", "tf.data", "pydataset", "arrays")
PARALLEL_CALLS = 2  # resizing runs once (the result is cached); casting a batch is cheap


def resolve_kind(kind: str) -> str:
    """``"auto"`` → ``"tf.data"`` when TensorFlow imports, else ``"pydataset"``; ``"arrays"`` gives ``(x, y)``."""
    kind = validation.check_name(kind, KINDS, "pipeline")
    if kind == "auto":
        return "tf.data" if batches.tensorflow_available() else "pydataset"
    if kind == "tf.data" and not batches.tensorflow_available():
        raise validation.InvalidArgumentError(
            "pipeline='tf.data' needs TensorFlow, which is not installed: use pipeline='pydataset' (or 'auto')")
    return kind


def _resize_batch(images, labels, image_size):
    import tensorflow as tf  # only for tf.data pipelines

    if images.shape.rank == 3:  # a batch of grey images (N, H, W), whatever their width
        images = images[..., None]
    if images.shape[-1] == 1:
        images = tf.image.grayscale_to_rgb(images)
    if tuple(images.shape[1:3]) == (image_size, image_size):
        return tf.cast(images, tf.uint8), labels
    resized = tf.image.resize(tf.cast(images, tf.float32), (image_size, image_size))
    return tf.cast(tf.clip_by_value(tf.round(resized), 0, 255), tf.uint8), labels


def _without_autotuning(dataset):
    """``dataset`` with tf.data's autotuning off.

    The autotuner sleeps 10, 20, 40 ... ms between wake-ups, and an iterator that ended between
    two of them waited for the next one here: a pass that computed for 1.4 s returned at 2.55 s
    (the sum of the sleeps from 10 ms to 1.28 s) in 1 to 6 of 10 runs, and 60 epochs of a
    head took 15 % longer. These pipelines are small and cached: fixed settings lose nothing.
    """
    import tensorflow as tf  # only for tf.data pipelines

    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.with_options(options)


def make_pipeline(images: np.ndarray, labels: np.ndarray, *, image_size: int, batch_size: int,
                  shuffle: bool, seed: int = 0, kind: str = "auto"):
    """A batched dataset of ``(float32 images in 0..255, int32 labels)``.

    Images are resized once and cached as ``uint8``; a training pipeline reshuffles each epoch.
    ``kind`` is ``"tf.data"``, ``"pydataset"``, ``"arrays"`` (a ``(float32 images, int32 labels)``
    tuple, which every training helper accepts) or ``"auto"`` (:func:`resolve_kind`).
    """
    kind = resolve_kind(kind)
    if kind == "arrays":
        return batches.resize_images(images, image_size).astype(np.float32), np.asarray(labels, np.int32)
    if kind == "pydataset":
        return batches.make_batches(images, labels, image_size=image_size, batch_size=batch_size,
                                    shuffle=shuffle, seed=seed)
    import tensorflow as tf  # only for tf.data pipelines

    dataset = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int32)))
    dataset = dataset.batch(256).map(lambda x, y: _resize_batch(x, y, image_size),
                                     num_parallel_calls=PARALLEL_CALLS)
    dataset = dataset.unbatch().apply(tf.data.experimental.assert_cardinality(len(images))).cache()
    if shuffle:
        dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size).map(lambda x, y: (tf.cast(x, tf.float32), y),
                                            num_parallel_calls=PARALLEL_CALLS)
    return _without_autotuning(dataset.prefetch(2))


def array_pipeline(inputs: np.ndarray, labels: np.ndarray, *, batch_size: int, shuffle: bool, seed: int | None = None,
                   cache: bool = True):
    """Arrays (images or kept features) as a cached, batched ``tf.data`` pipeline, or as they are without TensorFlow.

    Keras wraps NumPy arrays in a new pipeline in every epoch and shuffles them by gathering; a
    cached pipeline built once halves the time of a short epoch here (a head on kept features:
    0.15 s against 0.08 s per epoch over 1,000 examples, validation included). ``cache=False``
    for a pipeline read once. With a ``seed`` the order of each pass depends on it alone
    (:func:`_seeded_shuffle`); without one, on TensorFlow's global seed.
    """
    if keras.backend.backend() != "tensorflow":
        return inputs, labels
    import tensorflow as tf  # only for tf.data pipelines

    inputs = tuple(inputs) if isinstance(inputs, list) else inputs  # several model inputs
    if shuffle and seed is not None:
        return _without_autotuning(_seeded_shuffle(inputs, labels, batch_size, seed).prefetch(2))
    count = len(keras.tree.flatten(inputs)[0])
    dataset = tf.data.Dataset.from_tensor_slices((inputs, labels))
    dataset = dataset.cache() if cache else dataset
    if shuffle:
        dataset = dataset.shuffle(count, reshuffle_each_iteration=True)
    return _without_autotuning(dataset.batch(batch_size).prefetch(2))


def _seeded_shuffle(inputs, labels, batch_size: int, seed: int):
    """Batches of ``(inputs, labels)`` in a new order on each pass, drawn from ``seed`` alone.

    ``Dataset.shuffle(seed=...)`` also depends on TensorFlow's global seed, which any
    ``keras.utils.set_random_seed`` call changes. Here pass ``k`` uses the order
    ``stateless_shuffle(seed, k)``: the same in every process, whatever ran before.
    """
    import tensorflow as tf  # only for tf.data pipelines

    seed = validation.check_seed(seed)
    arrays = tf.nest.map_structure(tf.constant, (inputs, labels))
    count = len(keras.tree.flatten(inputs)[0])
    passes = tf.Variable(-1, dtype=tf.int64, trainable=False)

    def order(_):
        return tf.random.experimental.stateless_shuffle(tf.range(count, dtype=tf.int64),
                                                        seed=tf.stack([tf.constant(seed, tf.int64),
                                                                       passes.assign_add(1)]))

    def epoch(permutation):  # one gather per pass, then batches of its rows
        permuted = tf.nest.map_structure(lambda array: tf.gather(array, permutation), arrays)
        return tf.data.Dataset.from_tensor_slices(permuted).batch(batch_size)

    batches = -(-count // batch_size)  # told to Keras, which otherwise warns that the data ran out
    return tf.data.Dataset.from_tensors(0).map(order).flat_map(epoch).apply(
        tf.data.experimental.assert_cardinality(batches))


def fit_arguments(inputs, labels, *, batch_size: int, shuffle: bool, seed: int | None = None) -> dict:
    """``model.fit`` keyword arguments for arrays: an :func:`array_pipeline`, or the arrays themselves off TensorFlow.

    Keras's own pipeline for arrays keeps tf.data's autotuning on, and each epoch then waits for
    the autotuner's next wake-up (30 epochs of a small head: 3.4 s against 2.6 s here). On another
    backend Keras batches and shuffles the arrays with its global seed, and ``seed`` is not used.
    """
    pipeline = array_pipeline(inputs, labels, batch_size=batch_size, shuffle=shuffle, seed=seed)
    if isinstance(pipeline, tuple):
        return {"x": pipeline[0], "y": pipeline[1], "batch_size": batch_size, "shuffle": shuffle}
    return {"x": pipeline, "shuffle": False}  # fit's default, True, would only warn for a dataset


def step_budget_order(count: int, steps: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """Indices for exactly ``steps`` batches of ``batch_size`` over ``count`` examples: shuffled passes, back to back.

    Training arms on sets of different sizes (an oversampled set, an undersampled one) for the same
    number of optimizer steps: feed ``inputs[order]`` for one epoch, unshuffled.

    Examples:
        >>> step_budget_order(5, steps=3, batch_size=4, seed=0).shape
        (12,)
        >>> sorted(step_budget_order(5, steps=5, batch_size=2, seed=1)[:10].tolist())
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    """
    count = validation.check_positive_int(count, "count (examples)")
    needed = validation.check_positive_int(steps, "steps") * validation.check_positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(seed)
    passes = [rng.permutation(count) for _ in range(-(-needed // count))]
    return np.concatenate(passes)[:needed]


def to_numpy(dataset):
    """All ``(images, labels)`` of a finite batched dataset, in one iteration's order."""
    return batches.to_numpy(dataset)
