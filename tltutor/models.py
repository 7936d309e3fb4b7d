"""Build transfer models: image → (augmentation) → preprocessing → pretrained base → pooling → dropout → new head.

Examples:
    >>> import tltutor as tl
    >>> model = tl.models.build_transfer_model("EfficientNetLite0", num_classes=10, image_size=96)
    >>> [layer.name for layer in model.layers]
    ['image', 'scale_lite', 'base', 'pooling', 'head_dropout', 'classifier']

The head has no activation: it outputs logits, and the loss is compiled with
``from_logits=True``. Use :func:`predict_probabilities` for probabilities.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from tltutor import backbones, compiling, freezing, validation
from tltutor.data import pipelines
from tltutor.io import files
from tltutor.layers import preprocessing_layers
from tltutor.runtime import devices, distribution

AUGMENTATION_NAME = "augmentation"
BASE_NAME = "base"
_EXTRACTOR_ATTRIBUTE = "_tltutor_feature_extractor"
_SPLIT_ATTRIBUTE = "_tltutor_splits"


def default_augmentation(seed: int | None = None) -> keras.Sequential:
    """Light augmentation for photos and product images: flip, small rotation, zoom and translation."""
    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed),
            keras.layers.RandomRotation(0.05, seed=seed),
            keras.layers.RandomZoom(0.1, seed=seed),
            keras.layers.RandomTranslation(0.05, 0.05, seed=seed),
        ],
        name=AUGMENTATION_NAME,
    )


def _augmentation_block(augmentation, seed):
    if augmentation is None or augmentation is False:
        return None
    if augmentation is True or augmentation == "default":
        return default_augmentation(seed)
    if isinstance(augmentation, keras.Sequential):
        if augmentation.name != AUGMENTATION_NAME:
            augmentation = keras.Sequential(augmentation.layers, name=AUGMENTATION_NAME)
        return augmentation
    if isinstance(augmentation, (list, tuple)):
        return keras.Sequential(list(augmentation), name=AUGMENTATION_NAME)
    raise validation.InvalidArgumentError(
        "augmentation must be None, 'default', True, a list of Keras layers or a keras.Sequential; "
        f"got {type(augmentation).__name__}"
    )


def build_transfer_model(backbone: str = backbones.OFFLINE_DEFAULT, num_classes: int = 10, *,
                         weights="imagenet", image_size: int | None = None, dropout: float = 0.2,
                         augmentation=None, freeze: bool = True, precision: str | None = "auto",
                         learning_rate: float = 1e-3, seed: int | None = None, strategy=None) -> keras.Model:
    """A compiled transfer model with a new ``num_classes``-way head.

    Args:
        backbone: a name from :func:`tltutor.backbones.names`.
        num_classes: classes of the new task (at least 2).
        weights: ``"imagenet"``, a weights-file path, or ``None`` for a from-scratch baseline.
        image_size: square input size; the backbone's default when ``None``.
        dropout: dropout rate before the new head.
        augmentation: ``None``, ``"default"``, a list of layers or a ``keras.Sequential``. It is
            part of the model, active only in training.
        freeze: freeze the whole base (feature extraction). BatchNorm stays frozen either way
            when ``weights`` are pretrained.
        precision: a Keras dtype policy, ``"auto"`` (mixed precision on capable GPUs only) or ``None``.
        learning_rate: the learning rate the model is compiled with.
        seed: seed for the augmentation layers.
        strategy: a ``tf.distribute`` strategy or a ``keras.distribution`` distribution
            (:mod:`tltutor.distribution`); the model is built in it and trained in it later.
    """
    spec = backbones.get(backbone)
    num_classes = validation.check_num_classes(num_classes)
    image_size = validation.check_image_size(image_size or spec.default_image_size, spec)
    dropout = validation.check_fraction(dropout, "dropout")
    augmentation_block = _augmentation_block(augmentation, seed)
    strategy = distribution.check_strategy(strategy)
    with distribution.scope(strategy), devices.precision_policy(precision):
        base = backbones.build_base(spec.name, image_size=image_size, weights=weights)
        base.name = BASE_NAME
        if weights is None:
            _speed_up_batchnorm_statistics(base)
        inputs = keras.Input((image_size, image_size, 3), name="image")
        x = inputs
        if augmentation_block is not None:
            x = augmentation_block(x)
        for layer in preprocessing_layers(spec.preprocessing):
            x = layer(x)
        x = base(x, training=False)
        x = keras.layers.GlobalAveragePooling2D(name="pooling")(x)
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
        outputs = keras.layers.Dense(num_classes, dtype="float32", name="classifier")(x)
        model = keras.Model(inputs, outputs, name=f"{spec.name}_transfer")
    distribution.remember(model, strategy)
    if freeze:
        freezing.freeze_base(model)
    else:
        freezing.unfreeze(model, keep_batchnorm_frozen=weights is not None)
    compiling.compile_model(model, learning_rate)
    return model


def build_on_base(base: keras.Model, num_classes: int, *, dropout: float = 0.1, name: str = "transfer",
                  freeze: bool = True, learning_rate: float = compiling.HEAD_LEARNING_RATE) -> keras.Model:
    """A compiled transfer model around any ``base`` that maps its input to pooled features.

    The layout is the one :func:`build_transfer_model` gives images (``base``, ``pooling``,
    ``head_dropout``, ``classifier``), so the training verbs, :mod:`tltutor.features` and
    :mod:`tltutor.freezing` work on text and speech models too.
    """
    num_classes = validation.check_num_classes(num_classes)
    dropout = validation.check_fraction(dropout, "dropout")
    base.name = BASE_NAME
    inputs = keras.Input(base.input_shape[1:], dtype=base.inputs[0].dtype, name=base.inputs[0].name)
    x = keras.layers.Identity(name="pooling")(base(inputs))
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(num_classes, dtype="float32", name="classifier")(x)
    model = keras.Model(inputs, outputs, name=name)
    if freeze:
        freezing.freeze_base(model)
    compiling.compile_model(model, learning_rate)
    return model


def reinitialize_head(model: keras.Model, seed: int = 0) -> keras.Model:
    """Draw the new head's weights afresh (Glorot-uniform kernel from ``seed``, zero bias), as a new model would."""
    classifier = model.get_layer("classifier")
    kernel = keras.initializers.GlorotUniform(seed=seed)(classifier.kernel.shape)
    classifier.kernel.assign(keras.ops.cast(kernel, classifier.kernel.dtype))
    classifier.bias.assign(keras.ops.zeros_like(classifier.bias))
    return model


def _speed_up_batchnorm_statistics(base, momentum=0.9):
    """A from-scratch base trains for few steps here: with the default momentum of 0.99 its
    BatchNorm moving statistics lag so far behind that validation accuracy stays at chance
    (measured: 0.10 after 5 epochs with 0.99, 0.62 with 0.9)."""
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = momentum


def layers_before_base(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers between the image input and the base (preprocessing), augmentation left out."""
    before = []
    for layer in model.layers[1:]:
        if layer.name == BASE_NAME:
            return before
        if layer.name != AUGMENTATION_NAME:
            before.append(layer)
    raise validation.InvalidArgumentError("the model has no 'base' layer: build it with tl.models.build_transfer_model")


def layers_after_base(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers from the base's output to the logits (pooling, dropout, classifier)."""
    names = [layer.name for layer in model.layers]
    if BASE_NAME not in names:
        raise validation.InvalidArgumentError("the model has no 'base' layer: build it with tl.models.build_transfer_model")
    return model.layers[names.index(BASE_NAME) + 1:]


def _kept(model, attribute):
    cache = getattr(model, attribute, None)
    if cache is None:
        cache = {}
        object.__setattr__(model, attribute, cache)
    return cache


def feature_extractor(model: keras.Model) -> keras.Model:
    """The part of ``model`` from the image to the pooled features, without augmentation.

    Shares layers (and weights) with ``model``. Built once per model and kept on it, so that
    repeated feature extraction reuses its compiled predict function instead of tracing it again.
    The kept extractor is a cache: it is not saved with the model, and a loaded model builds it anew.
    """
    cache = _kept(model, _EXTRACTOR_ATTRIBUTE)
    if "pooled" in cache:
        return cache["pooled"]
    with distribution.model_scope(model):
        inputs = keras.Input(model.input_shape[1:], name="image")
        x = inputs
        for layer in layers_before_base(model):
            x = layer(x)
        x = model.get_layer(BASE_NAME)(x, training=False)
        for layer in layers_after_base(model):
            x = layer(x)
            if layer.name == "pooling":
                extractor = keras.Model(inputs, x, name="feature_extractor")
                distribution.remember(extractor, distribution.strategy_of(model))
                cache["pooled"] = extractor
                return extractor
    raise validation.InvalidArgumentError("model has no 'pooling' layer: build it with build_transfer_model")


def split_at(model: keras.Model, cut: int) -> tuple[keras.Model, keras.Model] | None:
    """``(bottom, top)``: the model cut at the inputs of base layer number ``cut``, sharing its weights.

    ``bottom`` maps the model's input to the tensors entering that layer (augmentation left out):
    one tensor for a convolutional block, two for a transformer layer (its states and the padding
    mask). ``top`` maps those tensors to the logits, so ``top(bottom(x))`` equals ``model(x)`` in
    inference. Returns ``None`` where the cut cannot be made: at the base's first layer, or where a
    connection crosses the cut (a skip connection from below). Both models are kept on ``model``
    as a cache (not saved with it).
    """
    cache = _kept(model, _SPLIT_ATTRIBUTE)
    if cut in cache:
        return cache[cut]
    base = model.get_layer(BASE_NAME)
    layer = base.layers[cut]
    result = None
    # A layer reused from another model (keras-hub's backbone) has a node in each graph: take the base's.
    nodes = [node for index, node in enumerate(layer._inbound_nodes) if f"{id(layer)}_ib-{index}" in base._nodes]
    if cut > 0 and nodes:
        entering = list(nodes[0].input_tensors)
        with distribution.model_scope(model):
            try:
                entering = entering if len(entering) > 1 else entering[0]
                upper = keras.Model(entering, base.output, name=f"{base.name}_from_{layer.name}")
            except ValueError:  # a connection crosses the cut: the upper part would need more inputs
                upper = None
            if upper is not None:
                lower = keras.Model(base.input, entering, name=f"{base.name}_below_{layer.name}")
                inputs = keras.Input(model.input_shape[1:], dtype=model.inputs[0].dtype, name=model.inputs[0].name)
                x = inputs
                for before in layers_before_base(model):
                    x = before(x)
                bottom = keras.Model(inputs, lower(x, training=False), name=f"bottom_{layer.name}")
                tensors = entering if isinstance(entering, list) else [entering]
                kept = [keras.Input(tuple(tensor.shape[1:]), dtype=tensor.dtype, name=f"entering_{index}")
                        for index, tensor in enumerate(tensors)]
                x = upper(kept if len(kept) > 1 else kept[0])
                for after in layers_after_base(model):
                    x = after(x)
                top = keras.Model(kept if len(kept) > 1 else kept[0], x, name=f"top_{layer.name}")
                for part in (bottom, top):
                    distribution.remember(part, distribution.strategy_of(model))
                result = (bottom, top)
    cache[cut] = result
    return result


def head(model: keras.Model) -> keras.Model:
    """The new head (dropout + classifier) as a model on pooled features; shares weights with ``model``.

    Kept on ``model`` as a cache like :func:`feature_extractor`, so its traced steps are reused.
    """
    cache = _kept(model, _EXTRACTOR_ATTRIBUTE)
    if "head" in cache:
        return cache["head"]
    with distribution.model_scope(model):
        features = keras.Input((model.get_layer("pooling").output.shape[-1],), name="features")
        outputs = model.get_layer("classifier")(model.get_layer("head_dropout")(features))
        head_model = keras.Model(features, outputs, name="head")
    distribution.remember(head_model, distribution.strategy_of(model))
    cache["head"] = head_model
    return head_model


def has_augmentation(model: keras.Model) -> bool:
    """Whether the model has an augmentation block (then its frozen base's outputs change every epoch)."""
    return any(layer.name == AUGMENTATION_NAME for layer in model.layers)


def predict_batch(model: keras.Model, images):
    """The model's outputs for one batch, as a NumPy array.

    ``predict_on_batch`` is the fastest call for one batch. Under a ``tf.distribute`` strategy it
    runs the whole batch on every replica and stacks the copies, so there ``predict`` splits it.
    """
    if distribution.strategy_of(model) is None:
        return keras.ops.convert_to_numpy(model.predict_on_batch(images))
    return keras.ops.convert_to_numpy(model.predict(images, batch_size=len(images), verbose=0))


def predict_in_batches(model: keras.Model, inputs, batch_size: int = 64):
    """The model's outputs for an array of inputs (a list of arrays for several), ``batch_size`` at a time.

    One ``predict`` call over a pipeline with tf.data's autotuning off
    (:func:`tltutor.data.pipelines.array_pipeline`): the step is traced once for every batch size,
    and the pass does not wait for the autotuner (with it on, a 1.4 s pass took 2.55 s in 1 to 6
    of 10 runs here). Gives a NumPy array, or a list or dict of them for several outputs.
    """
    batch_size = validation.check_positive_int(batch_size, "batch_size")
    count = validation.check_not_empty(len(inputs[0]) if isinstance(inputs, (list, tuple)) else len(inputs))
    dataset = pipelines.array_pipeline(inputs, np.zeros(count, np.int32), batch_size=batch_size, shuffle=False,
                                       cache=False)
    if isinstance(dataset, tuple):  # without TensorFlow Keras batches the arrays itself
        outputs = model.predict(inputs, batch_size=batch_size, verbose=0)
    else:
        outputs = model.predict(dataset, verbose=0)
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def predict_probabilities(model: keras.Model, images, batch_size: int = 64):
    """Class probabilities (softmax of the logits) as a NumPy array."""
    logits = predict_in_batches(model, np.asarray(images), batch_size)
    return keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1))


def save_model(model: keras.Model, path) -> Path:
    """Save a whole model to a ``.keras`` file atomically (written under a temporary name, then renamed).

    tltutor models contain no ``Lambda`` layers, so the file loads with ``safe_mode=True``.
    """
    path = Path(path)
    if path.suffix != ".keras":
        raise validation.InvalidArgumentError(f"save to a .keras file, got {path.name!r}")
    lambda_layers = [layer.name for layer in _all_layers(model) if isinstance(layer, keras.layers.Lambda)]
    if lambda_layers:
        raise validation.InvalidArgumentError(
            f"the model has Lambda layers {lambda_layers}: they run arbitrary code when loaded. Replace them "
            "with serializable layers (see tltutor.layers) before saving."
        )
    return files.save_atomically(path, model.save)


def load_model(path) -> keras.Model:
    """Load a ``.keras`` file with ``safe_mode=True``: no code from the file runs.

    tltutor's own layers, losses and optimizers are registered when their modules are imported
    (this module imports :mod:`tltutor.layers` and :mod:`tltutor.compiling`).
    """
    return keras.saving.load_model(path, safe_mode=True)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)
