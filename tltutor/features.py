"""Computed once, reused everywhere: what a frozen part of a model outputs for each image.

With a frozen base, every epoch, every seed and every variant that starts from the same
pretrained weights asks the base the same question about the same images. This module answers
each question once. It keeps, per frozen part (the pooled-feature extractor, or the base below
an unfreezing point), one output row per image, keyed by a hash of the image's pixels and checked
against a fingerprint of that part's weights. A later call with some of the same images (the
test set again, a training subset of another seed) computes only the images it has not seen.

The rows are kept per part *content*: the fingerprint of its weights and its input and output
shapes and types. So a freshly built model with the same pretrained weights (the next seed's
model) finds the rows its predecessor computed, and a part whose weights changed (AdaBN,
fine-tuning deeper) finds none. The rows live in one :class:`FeatureCache`, :data:`cache`, within
a byte budget (``tl.features.cache.max_bytes``, 2 GiB by default): the least recently used parts
are dropped first, and a request that alone exceeds the budget is not kept at all (the training
verbs then train on the inputs, :func:`fits`). :func:`clear`, or :func:`tltutor.state.clear`,
empties it.

The rows are computed by a copy of the part with each BatchNorm folded into the convolution before
it (:func:`tltutor.batchnorm.fold_into_convolutions`): the same outputs up to float rounding, one
pass over each activation fewer.

Examples:
    >>> import numpy as np, tltutor as tl
    >>> model = tl.models.build_transfer_model(image_size=96)
    >>> images = np.random.default_rng(0).uniform(0, 255, (8, 96, 96, 3)).astype("float32")
    >>> features, labels = tl.features.pooled_features(model, (images, np.zeros(8)))
    >>> features.shape
    (8, 1280)
    >>> again, _ = tl.features.pooled_features(model, (images[:4], np.zeros(4)))   # kept: no second pass
    >>> bool(np.array_equal(again, features[:4]))
    True
"""

from __future__ import annotations

import collections
import hashlib

import keras
import numpy as np

from tltutor import batchnorm, freezing, models, state, validation
from tltutor.data import batches

DEFAULT_MAX_BYTES = 2 * 1024 ** 3
PREDICT_BATCH_SIZE = 32  # faster than 64 for 224 px EfficientNet-Lite0 and MobileNetV2 on 2 cores


class FeatureCache:
    """Output rows of frozen parts, keyed by part content and input hash, within ``max_bytes``.

    Examples:
        >>> import numpy as np
        >>> kept = FeatureCache(max_bytes=1000)
        >>> rows = kept.rows(("part", (8,)))
        >>> kept.add(("part", (8,)), b"image", (np.zeros(100, np.float32),))
        >>> kept.nbytes, kept.fits(row_bytes=400, count=3)
        (400, False)
        >>> kept.clear(); kept.nbytes
        0
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES):
        self.max_bytes = max_bytes
        self._parts: collections.OrderedDict[tuple, dict] = collections.OrderedDict()
        self._bytes: dict[tuple, int] = {}

    @property
    def nbytes(self) -> int:
        """Bytes held by the kept rows now."""
        return sum(self._bytes.values())

    def fits(self, row_bytes: int, count: int) -> bool:
        """Whether ``count`` rows of ``row_bytes`` each fit in the budget."""
        return row_bytes * count <= self.max_bytes

    def rows(self, key: tuple) -> dict:
        """The rows kept for a part (empty at first); the part becomes the most recently used."""
        found = self._parts.pop(key, None)
        self._parts[key] = {} if found is None else found
        self._bytes.setdefault(key, 0)
        return self._parts[key]

    def add(self, key: tuple, input_key: bytes, row: tuple) -> None:
        """Keep one row, dropping the least recently used parts beyond the budget (never the current one)."""
        self._parts[key][input_key] = row
        self._bytes[key] += sum(int(value.nbytes) for value in row)
        while self.nbytes > self.max_bytes and len(self._parts) > 1:
            oldest = next(iter(self._parts))
            del self._parts[oldest], self._bytes[oldest]

    def clear(self) -> None:
        """Forget every kept row."""
        self._parts.clear()
        self._bytes.clear()


cache = FeatureCache()
state.register_cache(lambda: cache.clear())


def weights_fingerprint(model: keras.Model) -> str:
    """A short hash of every weight of ``model`` (trainable or not, BatchNorm statistics included)."""
    digest = hashlib.sha256()
    for weight in model.get_weights():  # one transfer for all weights
        digest.update(np.ascontiguousarray(weight).data)
    return digest.hexdigest()[:32]


def image_keys(images: np.ndarray) -> list[bytes]:
    """One digest per image of ``images``: equal images, equal keys."""
    # SHA-256 runs on the CPU's SHA instructions: twice as fast as BLAKE2 here.
    return [hashlib.sha256(np.ascontiguousarray(image).data).digest() for image in images]


def _key(part: keras.Model, fingerprint: str) -> tuple:
    return (fingerprint, tuple(part.input_shape), tuple(part.output_shape), len(part.layers),
            tuple(str(tensor.dtype) for tensor in part.outputs))


def row_bytes(part: keras.Model) -> int:
    """Bytes one kept output row of ``part`` takes (all its outputs)."""
    total = 0
    for tensor in part.outputs:
        total += int(np.prod([size or 1 for size in tensor.shape[1:]])) * np.dtype(str(tensor.dtype)).itemsize
    return total


def fits(part: keras.Model, count: int) -> bool:
    """Whether ``count`` output rows of ``part`` fit in the cache's budget (otherwise train on the inputs)."""
    return cache.fits(row_bytes(part), count)


def computing_model(part: keras.Model, fingerprint: str | None = None) -> keras.Model:
    """What computes ``part``'s outputs: a copy with BatchNorm folded into the convolutions, where it has any.

    The copy (:func:`tltutor.batchnorm.fold_into_convolutions`) is kept in ``part``'s
    :mod:`tltutor.state` for its current weights (``fingerprint``), so repeated passes reuse its
    traced predict function; once the weights change it is folded again.
    """
    fingerprint = fingerprint or weights_fingerprint(part)
    record = state.of(part)
    if record.folded is not None and record.folded[0] == fingerprint:
        return record.folded[1]
    model = part
    if batchnorm.count_foldable(part) and not state.strategy_of(part):
        try:
            model = batchnorm.fold_into_convolutions(part)
        except (ValueError, TypeError, KeyError, NotImplementedError):  # a layer that cannot be rebuilt from its config
            model = part
    record.folded = (fingerprint, model)
    return model


def label_rows(batch_labels) -> np.ndarray:
    """One batch's labels as rows, one per example: a class id (``(N,)``), or a mask or a box's numbers kept whole."""
    batch_labels = np.asarray(keras.ops.convert_to_numpy(batch_labels))
    return batch_labels if batch_labels.ndim > 1 and batch_labels[0].size > 1 else batch_labels.reshape(-1)


def joined_labels(rows: list) -> np.ndarray:
    """Batches of :func:`label_rows` joined: class ids (per example or per pixel) as int32, a box's numbers as
    float32."""
    labels = np.concatenate(rows)
    return labels.astype(np.float32) if labels.ndim > 1 and labels.dtype.kind == "f" else labels.astype(np.int32)


def outputs_of(part: keras.Model, data):
    """``(outputs, labels)`` of a frozen model ``part`` for every example of ``data``, in order.

    ``data`` is ``(inputs, labels)`` arrays, a ``PyDataset`` or a batched ``tf.data`` dataset
    (one pass; labels come from the same pass). Rows seen before are taken from the cache; the
    others are computed in one call (:func:`tltutor.models.predict_in_batches`) of the part's copy
    with BatchNorm folded into its convolutions (:func:`computing_model`), so it is traced once. A
    part with several outputs (a cut at a transformer layer: states and padding mask) gives a list
    of arrays.
    """
    fingerprint = weights_fingerprint(part)
    key = _key(part, fingerprint)
    rows = cache.rows(key)
    keys, labels, missing_inputs, missing_keys = [], [], [], set()
    for inputs, batch_labels in batches.iterate(data, PREDICT_BATCH_SIZE):
        inputs = np.asarray(keras.ops.convert_to_numpy(inputs))
        for input_key, example in zip(image_keys(inputs), inputs):
            keys.append(input_key)
            if input_key not in rows and input_key not in missing_keys:
                missing_keys.add(input_key)
                missing_inputs.append((input_key, example))
        labels.append(label_rows(batch_labels))
    validation.check_not_empty(len(keys))
    if missing_inputs:
        computed = models.predict_in_batches(computing_model(part, fingerprint),
                                             np.stack([example for _, example in missing_inputs]),
                                             PREDICT_BATCH_SIZE)
        computed = computed if isinstance(computed, list) else [computed]
        new_rows = {input_key: tuple(output[index] for output in computed)
                    for index, (input_key, _) in enumerate(missing_inputs)}
        if cache.fits(row_bytes(part), len(rows) + len(new_rows)):
            for input_key, row in new_rows.items():
                cache.add(key, input_key, row)
        rows = {**rows, **new_rows}
    outputs = [np.stack([rows[input_key][position] for input_key in keys]) for position in range(len(rows[keys[0]]))]
    return (outputs if len(outputs) > 1 else outputs[0]), joined_labels(labels)


def pooled_features(model: keras.Model, data) -> tuple[np.ndarray, np.ndarray]:
    """The base's pooled features (what the new head sees) and the labels of every example of ``data``."""
    return outputs_of(models.feature_extractor(model), data)


def frozen_split(model: keras.Model, unfreeze_from="trainable") -> tuple[keras.Model, keras.Model] | None:
    """``(bottom, top)`` cut at ``unfreeze_from``, or at the first trainable base layer by default.

    ``None`` when the model cannot be cut there (see :func:`tltutor.models.split_at`) or when
    the cut would leave nothing to reuse (the whole base trains). With the whole base frozen, the
    cut is at the pooled features and ``top`` is the head.
    """
    base = freezing.get_base(model)
    if unfreeze_from == "trainable":
        trainable = [index for index, layer in enumerate(base.layers)
                     if base.trainable and layer.trainable and layer.trainable_weights]
        if not trainable:
            return models.feature_extractor(model), models.head(model)
        cut = trainable[0]
    else:
        cut = freezing.cut_index(base.layers, unfreeze_from)
    if cut == 0:
        return None
    return models.split_at(model, cut)


def clear() -> None:
    """Forget every kept output row (they are computed again on demand)."""
    cache.clear()
