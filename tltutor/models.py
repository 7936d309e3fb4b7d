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

import hashlib
from pathlib import Path

import keras
import numpy as np

from tltutor import backbones, compiling, freezing, state, validation
from tltutor.data import pipelines
from tltutor.io import files
from tltutor.layers import preprocessing_layers
from tltutor.runtime import devices, distribution

AUGMENTATION_NAME = "augmentation"
POOLINGS = {"average": keras.layers.GlobalAveragePooling2D, "flatten": keras.layers.Flatten}
DECODER_NAME = "decoder"
DENSE_STRIDES = (4, 8, 16, 32)  # the feature maps a dense decoder reads: every 2× from a quarter of the image down
BASE_NAME = "base"
# The head of an encoder's embeddings (text, speech) starts small, as BERT's classifiers do: its
# inputs are averaged states of small magnitude, and a Glorot-sized start leaves a logistic head on
# them far from its optimum after a few hundred steps (measured on notebook 13's sentences: 0.61
# against 0.69 test accuracy at 128 sentences per class, same seed and early stopping).
SMALL_HEAD = keras.initializers.TruncatedNormal(stddev=0.02)


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
                         learning_rate: float = 1e-3, seed: int | None = 0, strategy=None,
                         pooling: str = "average") -> keras.Model:
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
        seed: seed for the new head's initial weights, the random weights of a base built with
            ``weights=None``, dropout and the augmentation layers: the same model in every process by
            default (``None``: Keras's global seed).
        strategy: a ``tf.distribute`` strategy or a ``keras.distribution`` distribution
            (:mod:`tltutor.runtime.distribution`); the model is built in it and trained in it later.
        pooling: ``"average"`` (global average pooling, for classes) or ``"flatten"`` (the whole last map,
            which keeps where things are, for boxes).
    """
    spec = backbones.get(backbone)
    pooling = validation.check_name(pooling, POOLINGS, "pooling")
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
        x = POOLINGS[pooling](name="pooling")(x)
        x = keras.layers.Dropout(dropout, name="head_dropout")(x)
        outputs = keras.layers.Dense(num_classes, dtype="float32", name="classifier")(x)
        model = keras.Model(inputs, outputs, name=f"{spec.name}_transfer")
    state.of(model).strategy = strategy
    return _start(model, weights=weights, seed=seed, freeze=freeze, learning_rate=learning_rate)


def _start(model: keras.Model, *, weights, seed, freeze: bool, learning_rate: float) -> keras.Model:
    """A built model's start: its new head (and a random base's weights) drawn from ``seed``, the base frozen
    or not, compiled."""
    state.of(model).pretrained_base = weights is not None
    if seed is not None:
        reinitialize_head(model, seed)
        if weights is None:
            reinitialize(model.get_layer(BASE_NAME), seed + 1)
        reseed_random_layers(model, seed)
    _remember_new_head(model)
    if freeze:
        freezing.freeze_base(model)
    else:
        freezing.unfreeze(model, keep_batchnorm_frozen=weights is not None)
    compiling.compile_model(model, learning_rate)
    return model


def build_on_base(base: keras.Model, num_classes: int, *, dropout: float = 0.1, name: str = "transfer",
                  freeze: bool = True, learning_rate: float = compiling.HEAD_LEARNING_RATE,
                  seed: int | None = 0, head_initializer="glorot_uniform", pretrained: bool = True) -> keras.Model:
    """A compiled transfer model around any ``base`` that maps its input to pooled features.

    The layout is the one :func:`build_transfer_model` gives images (``base``, ``pooling``,
    ``head_dropout``, ``classifier``), so the training verbs, :mod:`tltutor.features` and
    :mod:`tltutor.freezing` work on text and speech models too. ``seed`` draws the new head and
    the dropout's random state (``None``: Keras's global seed). ``head_initializer`` is the head
    kernel's initialiser, which :func:`reset` and :func:`reinitialize_head` draw from again.
    ``pretrained`` says whether ``base`` holds pretrained weights (for :func:`tltutor.checks.check`).
    """
    num_classes = validation.check_num_classes(num_classes)
    dropout = validation.check_fraction(dropout, "dropout")
    base.name = BASE_NAME
    inputs = keras.Input(base.input_shape[1:], dtype=base.inputs[0].dtype, name=base.inputs[0].name)
    x = keras.layers.Identity(name="pooling")(base(inputs))
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(num_classes, dtype="float32", kernel_initializer=head_initializer,
                                 name="classifier")(x)
    model = keras.Model(inputs, outputs, name=name)
    state.of(model).pretrained_base = pretrained
    if seed is not None:
        reinitialize_head(model, seed)
        reseed_random_layers(model, seed)
    _remember_new_head(model)
    if freeze:
        freezing.freeze_base(model)
    compiling.compile_model(model, learning_rate)
    return model


def feature_taps(base: keras.Model, strides=DENSE_STRIDES) -> list[str]:
    """The names of the base's last layer at each of ``strides`` (image side / map side), shallow first.

    These are the maps a U-Net or FPN decoder reads: at each resolution, the most processed one (in an
    inverted-residual network, the expansion just before the block that halves the resolution, as
    DeepLab's MobileNetV2 taps are).
    Works for any registered convolutional backbone, whose layer names differ.

    Examples:
        >>> from tltutor import backbones
        >>> feature_taps(backbones.build_base("EfficientNetLite0", image_size=96, weights=None))
        ['block03_expand_bn_relu6', 'block05_expand_bn_relu6', 'block11_expand_bn_relu6', 'top_bn_relu6']
    """
    size = base.input_shape[1]
    taps = {}
    for layer in base.layers[1:]:
        shape = layer.output.shape if not isinstance(layer.output, (list, tuple)) else ()
        if len(shape) == 4 and shape[1] and size % shape[1] == 0 and size // shape[1] in strides:
            taps[size // shape[1]] = layer.name
    if len(taps) < 2:
        raise validation.InvalidArgumentError(
            f"at {size} px the base gives feature maps at strides {sorted(taps) or 'none'} of {list(strides)}: a "
            f"dense decoder needs at least two. Use an image_size that is a multiple of 32 (e.g. 96), or another "
            f"backbone.")
    return [taps[stride] for stride in sorted(taps)]


def _decoder(maps, width: int) -> keras.Model:
    """A small U-Net decoder: from the deepest map up, upsample 2×, join the next map (projected to ``width``
    channels) and mix with a separable 3×3 convolution; the output is at the shallowest map's resolution."""
    inputs = [keras.Input(tuple(tensor.shape[1:]), name=f"stride_{index}") for index, tensor in enumerate(maps)]
    x = keras.layers.Conv2D(width, 1, activation="relu", name="project_deepest")(inputs[-1])
    for index in range(len(inputs) - 2, -1, -1):
        factor = inputs[index].shape[1] // x.shape[1]
        x = keras.layers.UpSampling2D(factor, interpolation="bilinear", name=f"upsample_{index}")(x)
        skip = keras.layers.Conv2D(width, 1, activation="relu", name=f"project_{index}")(inputs[index])
        x = keras.layers.Concatenate(name=f"join_{index}")([x, skip])
        x = keras.layers.SeparableConv2D(width, 3, padding="same", activation="relu", name=f"mix_{index}")(x)
    return keras.Model(inputs, x, name=DECODER_NAME)


def build_segmentation_model(backbone: str = backbones.OFFLINE_DEFAULT, num_classes: int = 5, *,
                             weights="imagenet", image_size: int = 96, decoder_width: int = 48,
                             freeze: bool = True, precision: str | None = "auto",
                             learning_rate: float = compiling.HEAD_LEARNING_RATE, seed: int | None = 0) -> keras.Model:
    """A compiled segmentation model: the pretrained base's feature maps (:func:`feature_taps`), a new
    small U-Net ``decoder`` and a 1×1 ``classifier``, upsampled to the image.

    It outputs ``num_classes + 1`` logits per pixel: channel 0 is the background and channel ``c + 1``
    class ``c``, as in :func:`tltutor.data.scenes.scenes` masks. Train it on ``(images, masks)`` with the
    usual verbs: :func:`tltutor.training.train_head` trains the decoder on the frozen base's kept maps,
    :func:`tltutor.training.fine_tune` unfreezes the base (BatchNorm stays frozen) and
    :func:`tltutor.training.train_all` trains a ``weights=None`` model from scratch. The loss is
    per-pixel cross-entropy; the compiled ``accuracy`` is pixel accuracy.

    Examples:
        >>> import tltutor as tl
        >>> model = tl.models.build_segmentation_model(num_classes=5, image_size=96)
        >>> model.output_shape
        (None, 96, 96, 6)
        >>> [layer.name for layer in model.layers][-3:]
        ['decoder', 'classifier', 'full_resolution']
    """
    spec = backbones.get(backbone)
    num_classes = validation.check_positive_int(num_classes, "num_classes (object classes, background not counted)")
    image_size = validation.check_image_size(image_size, spec)
    decoder_width = validation.check_positive_int(decoder_width, "decoder_width")
    with devices.precision_policy(precision):
        whole = backbones.build_base(spec.name, image_size=image_size, weights=weights)
        taps = feature_taps(whole)
        base = keras.Model(whole.input, [whole.get_layer(name).output for name in taps], name=BASE_NAME)
        if weights is None:
            _speed_up_batchnorm_statistics(base)
        inputs = keras.Input((image_size, image_size, 3), name="image")
        x = inputs
        for layer in preprocessing_layers(spec.preprocessing):
            x = layer(x)
        maps = base(x, training=False)
        x = _decoder(maps, decoder_width)(maps)
        x = keras.layers.Conv2D(num_classes + 1, 1, dtype="float32", name="classifier")(x)
        outputs = keras.layers.UpSampling2D(image_size // x.shape[1], interpolation="bilinear", dtype="float32",
                                            name="full_resolution")(x)
        model = keras.Model(inputs, outputs, name=f"{spec.name}_segmentation")
    return _start(model, weights=weights, seed=seed, freeze=freeze, learning_rate=learning_rate)


def build_localisation_model(backbone: str = backbones.OFFLINE_DEFAULT, num_classes: int = 5, *,
                             weights="imagenet", image_size: int = 96, dropout: float = 0.2, box_weight: float = 5.0,
                             freeze: bool = True, precision: str | None = "auto",
                             learning_rate: float = compiling.HEAD_LEARNING_RATE, seed: int | None = 0) -> keras.Model:
    """A compiled model that gives one class and one box per image: classification plus localisation.

    The layout of :func:`build_transfer_model` with the base's last map flattened instead of averaged
    (an average forgets where things are), and a ``classifier`` of ``num_classes + 4`` outputs: class
    logits, then the box (:class:`tltutor.compiling.BoxAndClassLoss`). Train it with the usual verbs on
    ``(images, box_targets(boxes, labels, image_size, num_classes))``; read its predictions with
    :func:`predict_boxes`.

    Examples:
        >>> import tltutor as tl
        >>> model = tl.models.build_localisation_model(num_classes=5, image_size=96)
        >>> model.output_shape, type(model.loss).__name__
        ((None, 9), 'BoxAndClassLoss')
    """
    num_classes = validation.check_positive_int(num_classes, "num_classes")
    model = build_transfer_model(backbone, num_classes + 4, weights=weights, image_size=image_size, dropout=dropout,
                                 freeze=freeze, precision=precision, learning_rate=learning_rate, seed=seed,
                                 pooling="flatten")
    # Flattened maps are thousands of numbers: a Glorot-sized start gives box outputs far from 0..1.
    model.get_layer("classifier").kernel_initializer = keras.initializers.get(SMALL_HEAD)
    if seed is not None:
        reinitialize_head(model, seed)
    return compiling.compile_model(model, learning_rate, loss=compiling.BoxAndClassLoss(num_classes, box_weight),
                                   metrics=None)


def box_targets(boxes, labels, image_size: int, num_classes: int) -> np.ndarray:
    """Rows ``class, x1, y1, x2, y2`` (the box as shares of the image side) for :func:`build_localisation_model`.

    ``boxes`` are one ``x1, y1, x2, y2`` in pixels per image (or ``(N, 1, 4)``, as
    :func:`tltutor.data.scenes.scenes` gives them), ``labels`` one class per image; both are checked.

    Examples:
        >>> box_targets([[0, 24, 48, 96]], [2], image_size=96, num_classes=5).tolist()
        [[2.0, 0.0, 0.25, 0.5, 1.0]]
    """
    from tltutor.data import scenes

    boxes = scenes.check_boxes(np.asarray(boxes, np.float32).reshape(-1, 4), image_size)
    labels = validation.check_labels(np.asarray(labels).reshape(-1), num_classes)
    if len(labels) != len(boxes):
        raise validation.InvalidArgumentError(f"{len(boxes)} boxes and {len(labels)} labels: give one of each "
                                              "per image")
    return np.concatenate([labels[:, None].astype(np.float32), boxes / image_size], axis=1)


def predict_boxes(model: keras.Model, images, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """``(boxes, labels)`` of a :func:`build_localisation_model`: one box ``x1, y1, x2, y2`` in pixels (clipped to
    the image, its corners put in order) and one class per image."""
    loss = getattr(model, "loss", None)
    if not isinstance(loss, compiling.BoxAndClassLoss):
        raise validation.InvalidArgumentError("this model predicts no boxes: build it with build_localisation_model")
    outputs = predict_in_batches(model, np.asarray(images, np.float32), batch_size)
    shares = np.clip(outputs[:, loss.num_classes:], 0.0, 1.0)
    corners = np.stack([np.minimum(shares[:, 0], shares[:, 2]), np.minimum(shares[:, 1], shares[:, 3]),
                        np.maximum(shares[:, 0], shares[:, 2]), np.maximum(shares[:, 1], shares[:, 3])], axis=1)
    return corners * model.input_shape[1], np.argmax(outputs[:, :loss.num_classes], axis=1)


def is_dense(model: keras.Model) -> bool:
    """Whether ``model`` predicts per pixel (a :func:`build_segmentation_model`) rather than per image."""
    return any(layer.name == DECODER_NAME for layer in model.layers)


def reinitialize_head(model: keras.Model, seed: int = 0) -> keras.Model:
    """Draw the new head's weights afresh from ``seed``, with the head's own initialisers (as a new head would get).

    A segmentation model's new head is its decoder and its classifier: both are drawn.
    """
    reinitialize(model.get_layer("classifier"), seed)
    if is_dense(model):
        reinitialize(model.get_layer(DECODER_NAME), seed + 7)
    _remember_new_head(model)
    return model


def _head_digest(model: keras.Model) -> str:
    digest = hashlib.sha256()
    for weight in model.get_layer("classifier").get_weights():
        digest.update(np.ascontiguousarray(weight).data)
    return digest.hexdigest()


def _remember_new_head(model: keras.Model) -> None:
    state.of(model).new_head = _head_digest(model)


def head_is_new(model: keras.Model) -> bool | None:
    """Whether the head still has the weights it was drawn with (never trained); ``None`` for a model tltutor did not build."""
    drawn = state.of(model).new_head
    if drawn is None or "classifier" not in [layer.name for layer in model.layers]:
        return None
    return _head_digest(model) == drawn


# Each weight a layer may hold, and the attribute holding its initialiser (Keras's own names). A
# DepthwiseConv2D keeps its kernel as `kernel` but names its initialiser `depthwise_initializer`.
_INITIALIZED = (("kernel", "kernel_initializer"), ("kernel", "depthwise_initializer"), ("bias", "bias_initializer"),
                ("depthwise_kernel", "depthwise_initializer"), ("pointwise_kernel", "pointwise_initializer"),
                ("recurrent_kernel", "recurrent_initializer"), ("embeddings", "embeddings_initializer"),
                ("gamma", "gamma_initializer"), ("beta", "beta_initializer"),
                ("moving_mean", "moving_mean_initializer"), ("moving_variance", "moving_variance_initializer"))


def leaf_layers(layer):
    """The layers inside ``layer`` that hold no layers of their own, nested models walked through, in order."""
    inner = getattr(layer, "layers", None)
    if not inner:
        yield layer
        return
    for child in inner:
        yield from leaf_layers(child)


def reinitialize(layer: keras.layers.Layer, seed: int) -> int:
    """Draw every weight of ``layer`` (a model's nested layers included) afresh from its initialiser, seeded by ``seed``.

    A local generator: nothing global is reseeded. Each weight gets its own seed derived from
    ``seed`` and its position, so equal layers do not get equal weights. Returns how many weights
    were drawn; weights of layers whose initialiser Keras does not name (an LSTM cell's kernels
    inside its layer, for one) are left as they are.
    """
    seed = validation.check_seed(seed)
    drawn = 0
    for index, leaf in enumerate(leaf_layers(layer)):
        holder = getattr(leaf, "cell", leaf)  # recurrent layers keep their weights on their cell
        done = set()
        for weight_name, initializer_name in _INITIALIZED:
            variable = getattr(holder, weight_name, None)
            initializer = getattr(holder, initializer_name, None)
            if not isinstance(variable, keras.Variable) or initializer is None or weight_name in done:
                continue
            done.add(weight_name)
            config = initializer.get_config()
            if "seed" in config:
                initializer = type(initializer).from_config({**config, "seed": seed * 7919 + index * 31 + drawn})
            value = initializer(variable.shape)
            if weight_name == "bias" and getattr(holder, "unit_forget_bias", False):
                # An LSTM starts with its forget gate open (Keras's unit_forget_bias), not at zero.
                units = holder.units
                value = keras.ops.concatenate([value[:units], keras.ops.ones((units,)), value[2 * units:]])
            variable.assign(keras.ops.cast(value, variable.dtype))
            drawn += 1
    return drawn


def reseed_random_layers(model: keras.Model, seed: int) -> int:
    """Set the random state of every dropout and augmentation layer from ``seed``; returns how many.

    A layer that draws random numbers (dropout, random flips) keeps a seed-generator state that
    advances with every call. Setting it from the seed makes a training run independent of what
    ran before it in the process, without reseeding anything global.
    """
    seed = validation.check_seed(seed)
    states = [variable for variable in model.variables if variable.path.endswith("seed_generator_state")]
    for index, variable in enumerate(states):
        variable.assign(keras.ops.cast([seed * 1009 + index, 0], variable.dtype))
    return len(states)


def reset(model: keras.Model, seed: int = 0) -> keras.Model:
    """Give ``model`` its start back: the weights it was built with, a new head and random state from ``seed``.

    The starting weights are those :class:`tltutor.state.ModelPool` remembered when it built the
    model; a model from elsewhere keeps its weights and gets only a new head. Its next training
    call starts like a new optimizer's (the compile path resets the optimizer).
    """
    start = state.of(model).start
    if start is not None:
        for variable, value in zip(model.variables, start):
            variable.assign(value)
    reinitialize_head(model, seed)
    reseed_random_layers(model, seed)
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


def feature_extractor(model: keras.Model) -> keras.Model:
    """The part of ``model`` from the image to the pooled features, without augmentation.

    For a segmentation model, to the base's feature maps (a list, shallow first).

    Shares layers (and weights) with ``model``. Built once per model and kept in its
    :mod:`tltutor.state`, so that repeated feature extraction reuses its compiled predict function
    instead of tracing it again.
    """
    parts = state.of(model).parts
    if "feature_extractor" in parts:
        return parts["feature_extractor"]
    with state.model_scope(model):
        inputs = keras.Input(model.input_shape[1:], name="image")
        x = inputs
        for layer in layers_before_base(model):
            x = layer(x)
        x = model.get_layer(BASE_NAME)(x, training=False)
        if is_dense(model):  # the decoder reads the base's feature maps: those are the features
            parts["feature_extractor"] = state.share_strategy(keras.Model(inputs, x, name="feature_extractor"), model)
            return parts["feature_extractor"]
        for layer in layers_after_base(model):
            x = layer(x)
            if layer.name == "pooling":
                parts["feature_extractor"] = state.share_strategy(keras.Model(inputs, x, name="feature_extractor"),
                                                                  model)
                return parts["feature_extractor"]
    raise validation.InvalidArgumentError("model has no 'pooling' layer: build it with build_transfer_model")


def entering_tensors(base: keras.Model, layer) -> list:
    """The tensors that enter ``layer`` inside ``base``'s graph.

    Named when the graph was built (``cut_inputs`` of the :mod:`tltutor.state`) for layers that
    were also called in another graph (keras-hub's layers, reused by the text encoder); otherwise
    Keras's own record of the layer's one call (``layer.input``).
    """
    recorded = state.of(base).cut_inputs.get(layer.name)
    if recorded is not None:
        return list(recorded)
    entering = layer.input
    return list(entering) if isinstance(entering, (list, tuple)) else [entering]


def split_at(model: keras.Model, cut: int) -> tuple[keras.Model, keras.Model] | None:
    """``(bottom, top)``: the model cut at the inputs of base layer number ``cut``, sharing its weights.

    ``bottom`` maps the model's input to the tensors entering that layer (augmentation left out):
    one tensor for a convolutional block, two for a transformer layer (its states and the padding
    mask). ``top`` maps those tensors to the logits, so ``top(bottom(x))`` equals ``model(x)`` in
    inference. Returns ``None`` where the cut cannot be made: at the base's first layer, or where a
    connection crosses the cut (a skip connection from below). Both are kept in the model's
    :mod:`tltutor.state`.
    """
    parts = state.of(model).parts
    if ("split", cut) in parts:
        return parts[("split", cut)]
    base = model.get_layer(BASE_NAME)
    layer = base.layers[cut]
    result = None
    if cut > 0:
        entering = entering_tensors(base, layer)
        with state.model_scope(model):
            try:
                upper = keras.Model(entering if len(entering) > 1 else entering[0], base.output,
                                    name=f"{base.name}_from_{layer.name}")
            except ValueError:  # a connection crosses the cut: the upper part would need more inputs
                upper = None
            if upper is not None:
                lower = keras.Model(base.input, entering if len(entering) > 1 else entering[0],
                                    name=f"{base.name}_below_{layer.name}")
                inputs = keras.Input(model.input_shape[1:], dtype=model.inputs[0].dtype, name=model.inputs[0].name)
                x = inputs
                for before in layers_before_base(model):
                    x = before(x)
                bottom = keras.Model(inputs, lower(x, training=False), name=f"bottom_{layer.name}")
                kept = [keras.Input(tuple(tensor.shape[1:]), dtype=tensor.dtype, name=f"entering_{index}")
                        for index, tensor in enumerate(entering)]
                x = upper(kept if len(kept) > 1 else kept[0])
                for after in layers_after_base(model):
                    x = after(x)
                top = keras.Model(kept if len(kept) > 1 else kept[0], x, name=f"top_{layer.name}")
                result = (state.share_strategy(bottom, model), state.share_strategy(top, model))
    parts[("split", cut)] = result
    return result


def head(model: keras.Model) -> keras.Model:
    """The new head (dropout + classifier) as a model on pooled features; shares weights with ``model``.

    For a segmentation model, the decoder and classifier on the base's feature maps.

    Kept in the model's :mod:`tltutor.state` like :func:`feature_extractor`, so its traced steps are reused.
    """
    parts = state.of(model).parts
    if "head" in parts:
        return parts["head"]
    if is_dense(model):
        with state.model_scope(model):
            maps = [keras.Input(tuple(tensor.shape[1:]), name=f"map_{index}")
                    for index, tensor in enumerate(feature_extractor(model).outputs)]
            x = maps
            for layer in layers_after_base(model):
                x = layer(x)
            parts["head"] = state.share_strategy(keras.Model(maps, x, name="head"), model)
        return parts["head"]
    with state.model_scope(model):
        features = keras.Input((model.get_layer("pooling").output.shape[-1],), name="features")
        outputs = model.get_layer("classifier")(model.get_layer("head_dropout")(features))
        parts["head"] = state.share_strategy(keras.Model(features, outputs, name="head"), model)
    return parts["head"]


def has_augmentation(model: keras.Model) -> bool:
    """Whether the model has an augmentation block (then its frozen base's outputs change every epoch)."""
    return any(layer.name == AUGMENTATION_NAME for layer in model.layers)


def predict_batch(model: keras.Model, images):
    """The model's outputs for one batch, as a NumPy array.

    ``predict_on_batch`` is the fastest call for one batch. Under a ``tf.distribute`` strategy it
    runs the whole batch on every replica and stacks the copies, so there ``predict`` splits it.
    """
    if state.strategy_of(model) is None:
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
