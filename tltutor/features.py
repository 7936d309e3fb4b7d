"""Computed once, reused everywhere: what a frozen part of a model outputs for each image.

With a frozen base, every epoch, every seed and every variant that starts from the same
pretrained weights asks the base the same question about the same images. This module answers
each question once. It keeps, per frozen part (the pooled-feature extractor, or the base below
an unfreezing point), one output row per image, keyed by a hash of the image's pixels and checked
against a fingerprint of that part's weights. A later call with some of the same images (the
test set again, a training subset of another seed) computes only the images it has not seen.

The rows are kept per part *content*: the fingerprint of its weights and its input and output
shapes. So a freshly built model with the same pretrained weights (the next seed's model) finds
the rows its predecessor computed, and a part whose weights changed (AdaBN, fine-tuning deeper)
finds none. At most :data:`MAX_KEPT_PARTS` parts are kept, the least recently used dropped first
(:func:`clear` drops all).

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

import hashlib

import keras
import numpy as np

from tltutor import batchnorm, freezing, models, validation
from tltutor.data import batches
from tltutor.runtime import distribution

MAX_KEPT_PARTS = 8
MAX_KEPT_ROWS = 60_000
PREDICT_BATCH_SIZE = 32  # faster than 64 for 224 px EfficientNet-Lite0 and MobileNetV2 on 2 cores
_KEPT: dict[tuple, dict] = {}
_FOLDED_ATTRIBUTE = "_tltutor_folded"


def weights_fingerprint(model: keras.Model) -> str:
    """A short hash of every weight of ``model`` (trainable or not, BatchNorm statistics included)."""
    digest = hashlib.sha256()
    for weight in model.get_weights():  # one transfer for all weights
        digest.update(np.ascontiguousarray(weight).data)
    return digest.hexdigest()[:32]


def _image_keys(images: np.ndarray) -> list[bytes]:
    # SHA-256 runs on the CPU's SHA instructions: twice as fast as BLAKE2 here.
    return [hashlib.sha256(np.ascontiguousarray(image).data).digest() for image in images]


def _memo(part: keras.Model, fingerprint: str) -> dict:
    key = (fingerprint, tuple(part.input_shape), tuple(part.output_shape), len(part.layers))
    rows = _KEPT.pop(key, None)
    if rows is None or len(rows) > MAX_KEPT_ROWS:
        rows = {}
    _KEPT[key] = rows  # most recently used last
    while len(_KEPT) > MAX_KEPT_PARTS:
        del _KEPT[next(iter(_KEPT))]
    return rows


def computing_model(part: keras.Model, fingerprint: str | None = None) -> keras.Model:
    """What computes ``part``'s outputs: a copy with BatchNorm folded into the convolutions, where it has any.

    The copy (:func:`tltutor.batchnorm.fold_into_convolutions`) is kept on ``part`` for its
    current weights (``fingerprint``), so repeated passes reuse its traced predict function; once
    the weights change it is folded again.
    """
    fingerprint = fingerprint or weights_fingerprint(part)
    kept = getattr(part, _FOLDED_ATTRIBUTE, None)
    if kept is not None and kept[0] == fingerprint:
        return kept[1]
    model = part
    if batchnorm.count_foldable(part) and not distribution.strategy_of(part):
        try:
            model = batchnorm.fold_into_convolutions(part)
        except (ValueError, TypeError, KeyError, NotImplementedError):  # a layer that cannot be rebuilt from its config
            model = part
    object.__setattr__(part, _FOLDED_ATTRIBUTE, (fingerprint, model))
    return model


def outputs_of(part: keras.Model, data):
    """``(outputs, labels)`` of a frozen model ``part`` for every example of ``data``, in order.

    ``data`` is ``(inputs, labels)`` arrays, a ``PyDataset`` or a batched ``tf.data`` dataset
    (one pass; labels come from the same pass). Rows seen before are taken from the memo; the
    others are computed in one call (:func:`tltutor.models.predict_in_batches`) of the part's copy
    with BatchNorm folded into its convolutions (:func:`computing_model`), so it is traced once. A
    part with several outputs (a cut at a transformer layer: states and padding mask) gives a list
    of arrays.
    """
    fingerprint = weights_fingerprint(part)
    rows = _memo(part, fingerprint)
    keys, labels, missing_inputs, missing_keys = [], [], [], set()
    for inputs, batch_labels in batches.iterate(data, PREDICT_BATCH_SIZE):
        inputs = np.asarray(keras.ops.convert_to_numpy(inputs))
        for key, example in zip(_image_keys(inputs), inputs):
            keys.append(key)
            if key not in rows and key not in missing_keys:
                missing_keys.add(key)
                missing_inputs.append((key, example))
        labels.append(np.asarray(keras.ops.convert_to_numpy(batch_labels)).reshape(-1))
    validation.check_not_empty(len(keys))
    if missing_inputs:
        computed = models.predict_in_batches(computing_model(part, fingerprint),
                                             np.stack([example for _, example in missing_inputs]),
                                             PREDICT_BATCH_SIZE)
        computed = computed if isinstance(computed, list) else [computed]
        for index, (key, _) in enumerate(missing_inputs):
            rows[key] = tuple(output[index] for output in computed)
    outputs = [np.stack([rows[key][position] for key in keys]) for position in range(len(rows[keys[0]]))]
    return (outputs if len(outputs) > 1 else outputs[0]), np.concatenate(labels).astype(np.int32)


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
    _KEPT.clear()
