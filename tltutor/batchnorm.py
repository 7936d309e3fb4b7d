"""BatchNorm statistics: find the base's BatchNorm layers and re-estimate their statistics on new images.

A BatchNorm layer normalises each channel with a moving mean and variance estimated on the data it
was trained on. :func:`adapt_batchnorm` replaces them with those of other images, without labels:

- **AdaBN** (Li et al. 2016): re-estimate on unlabelled images of a new domain, so that the
  network's internal features are normalised as they were in training.
- **A fair random-weights baseline**: a network with random weights and BatchNorm at its default
  statistics (mean 0, variance 1) passes activations that grow or vanish layer by layer; estimating
  the statistics on the target's images first (a data-dependent initialisation) gives its random
  features a fair chance.

Example::

    tl.batchnorm.adapt_batchnorm(model, target_images)        # no labels needed
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import compiling, freezing, models, validation


def batchnorm_layers(model):
    """Every BatchNormalization layer inside the model's base, nested ones included."""
    def walk(layer):
        for inner in getattr(layer, "layers", []):
            yield inner
            yield from walk(inner)

    return [layer for layer in walk(freezing.get_base(model)) if isinstance(layer, keras.layers.BatchNormalization)]


def inputs_of_base(model, images):
    """Run the layers before the base (preprocessing; augmentation skipped) on a batch of images."""
    x = images
    for layer in models.layers_before_base(model):
        x = layer(x)
    return x


_TRAINING_PASS = "_tltutor_batchnorm_pass"


def _training_pass(model):
    """``images -> None``: the base in training mode on a batch; traced once per model with TensorFlow.

    A BatchNorm layer in training mode normalises with the batch's own statistics and, with
    momentum 0, stores them as its moving statistics. Eager calls cost about ten times a traced
    one here, and the trace (made with momentum 0 and BatchNorm trainable) is kept on the model.
    """
    function = getattr(model, _TRAINING_PASS, None)
    if function is None:
        base = freezing.get_base(model)

        def function(images):
            base(inputs_of_base(model, images), training=True)

        if keras.backend.backend() == "tensorflow":
            import tensorflow as tf  # only with the TensorFlow backend

            function = tf.function(function, reduce_retracing=True)
        object.__setattr__(model, _TRAINING_PASS, function)
    return function


def adapt_batchnorm(model, images, *, batch_size: int = 64) -> int:
    """AdaBN: replace the base's BatchNorm moving statistics with those of ``images`` (no labels used).

    Each batch's statistics are read and averaged, so the result is the mean of the per-batch
    statistics over all of ``images``. Weights, trainability and the optimizer are left as they
    were; a compiled model is recompiled. Returns the number of BatchNorm layers adapted.
    """
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4 or len(images) == 0:
        raise validation.InvalidArgumentError(f"images must be a non-empty (N, height, width, 3) array, got {images.shape}")
    batch_size = validation.check_positive_int(batch_size, "batch_size", minimum=2)
    layers = batchnorm_layers(model)
    if not layers:
        raise validation.InvalidArgumentError("the base has no BatchNormalization layers: AdaBN has nothing to adapt")
    saved = [(layer, layer.trainable, layer.momentum) for layer in layers]
    totals = [[0.0, 0.0] for _ in layers]
    starts = range(0, len(images), batch_size)
    try:
        for layer in layers:
            layer.trainable = True
            layer.momentum = 0.0
        run = _training_pass(model)
        for start in starts:
            run(images[start:start + batch_size])
            for total, layer in zip(totals, layers):
                total[0] += keras.ops.convert_to_numpy(layer.moving_mean).astype(np.float64)
                total[1] += keras.ops.convert_to_numpy(layer.moving_variance).astype(np.float64)
        for (mean, variance), layer in zip(totals, layers):
            layer.moving_mean.assign((mean / len(starts)).astype(layer.moving_mean.dtype))
            layer.moving_variance.assign((variance / len(starts)).astype(layer.moving_variance.dtype))
    finally:
        for layer, trainable, momentum in saved:
            layer.trainable = trainable
            layer.momentum = momentum
    if getattr(model, "compiled", False):
        compiling.recompile(model)
    return len(layers)
