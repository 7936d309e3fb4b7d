"""Look inside: Grad-CAM heatmaps, 2-D embeddings, and how much each layer changed (linear CKA).

- :func:`grad_cam`: which pixels drove a class score (Selvaraju et al. 2017), for transfer models
  (and :func:`imagenet_model`); it needs the TensorFlow backend.
- :func:`embed_2d`: PCA (NumPy) or t-SNE (scikit-learn) of pooled features.
- :func:`linear_cka` and :func:`layer_similarity`: representation similarity between two
  networks layer by layer (Kornblith et al. 2019). After fine-tuning, early layers stay close to
  the pretrained ones and late layers move: the measured reason to freeze early layers first.
- :func:`weight_change_by_block`: how far each block's weights travelled, in % of their size.

Example::

    heatmap = tl.lessons.explain.grad_cam(model, image)                  # (H, W) in [0, 1]
    points = tl.lessons.explain.embed_2d(features, method="pca")
    rows = tl.lessons.explain.layer_similarity(pretrained_model, fine_tuned_model, images)
"""

from __future__ import annotations

import keras
import numpy as np

from tltutor import backbones, freezing, models, validation
from tltutor.report import diagnostics


def imagenet_model(image_size: int = 224) -> keras.Model:
    """EfficientNet-Lite0 as a transfer model whose new head is its real 1000-class ImageNet head.

    Same layout as :func:`tltutor.models.build_transfer_model`, so Grad-CAM and the other helpers
    treat the ImageNet classifier and a fine-tuned model alike.
    """
    classifier = backbones.build_imagenet_classifier("EfficientNetLite0", image_size=image_size)
    head = next(layer for layer in classifier.layers if isinstance(layer, keras.Model)).get_layer("predictions")
    model = models.build_transfer_model("EfficientNetLite0", head.units, image_size=image_size)
    model.get_layer("classifier").set_weights(head.get_weights())
    return model


def last_conv_layer_name(model: keras.Model) -> str:
    """The last layer with a 4-D output (a feature map) inside the base, or in the model itself."""
    candidates = model.get_layer(models.BASE_NAME).layers if models.BASE_NAME in [
        layer.name for layer in model.layers] else model.layers
    for layer in reversed(candidates):
        if not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4:
            return layer.name
    raise validation.InvalidArgumentError("the model has no layer with a 2-D feature map: Grad-CAM needs one")


def _split_at(model: keras.Model, layer_name: str | None):
    """A model from the base's input to (the feature map at ``layer_name``, the base's output), and the base."""
    if models.BASE_NAME not in [layer.name for layer in model.layers]:
        raise validation.InvalidArgumentError("Grad-CAM needs a model from tl.models.build_transfer_model "
                                              "or tl.lessons.explain.imagenet_model")
    base = model.get_layer(models.BASE_NAME)
    layer_name = layer_name or last_conv_layer_name(model)
    try:
        target = base.get_layer(layer_name)
    except ValueError:
        raise validation.InvalidArgumentError(f"the base has no layer named {layer_name!r}") from None
    both = keras.Model(base.inputs, [target.output, base.outputs[0]])
    return both, base


def grad_cam(model: keras.Model, image, class_index: int | None = None, layer_name: str | None = None) -> np.ndarray:
    """Grad-CAM heatmap ``(H, W)`` in [0, 1] for one 0..255 RGB image (class: the predicted one by default).

    The class score's gradient with respect to a feature map weights that map's channels.
    Needs the TensorFlow backend (its tape can differentiate with respect to an inner tensor).
    """
    if keras.backend.backend() != "tensorflow":
        raise validation.InvalidArgumentError(
            f"grad_cam needs the TensorFlow backend; Keras runs on {keras.backend.backend()!r}")
    import tensorflow as tf  # Grad-CAM differentiates with respect to an inner tensor: TensorFlow's tape

    image = np.asarray(image, np.float32)
    if image.ndim != 3 or image.shape[-1] != 3:
        raise validation.InvalidArgumentError(f"image must have shape (height, width, 3), got {image.shape}")
    inside, _ = _split_at(model, layer_name)
    before, after = models.layers_before_base(model), models.layers_after_base(model)
    x = image[None]
    for layer in before:
        x = layer(x)
    with tf.GradientTape() as tape:
        feature_map, logits = inside(x, training=False)
        for layer in after:
            logits = layer(logits, training=False)
        index = int(np.argmax(logits[0])) if class_index is None else int(class_index)
        if not 0 <= index < logits.shape[-1]:
            raise validation.InvalidArgumentError(f"class_index must lie in [0, {logits.shape[-1]}), got {index}")
        score = logits[0, index]
    gradients = tape.gradient(score, feature_map)
    weights = tf.reduce_mean(gradients[0], axis=(0, 1))
    cam = tf.nn.relu(tf.tensordot(feature_map[0], weights, axes=[[2], [0]])).numpy()
    cam = cam / cam.max() if cam.max() > 0 else cam
    resized = tf.image.resize(cam[None, ..., None].astype(np.float32), image.shape[:2]).numpy()[0, ..., 0]
    return np.clip(resized, 0, 1)


def embed_2d(features, method: str = "pca", seed: int = 0) -> np.ndarray:
    """``(N, 2)`` coordinates of ``(N, D)`` features: PCA (centred SVD) or t-SNE (scikit-learn)."""
    features = np.asarray(features, np.float64).reshape(len(features), -1)
    if len(features) < 3:
        raise validation.InvalidArgumentError("embedding needs at least 3 points")
    method = validation.check_name(method, ("pca", "tsne"), "embedding method")
    if method == "pca":
        centred = features - features.mean(axis=0)
        _, _, components = np.linalg.svd(centred, full_matrices=False)
        return (centred @ components[:2].T).astype(np.float32)
    from sklearn.manifold import TSNE  # scikit-learn is imported only where used

    perplexity = min(30.0, (len(features) - 1) / 3)
    return TSNE(2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(features).astype(np.float32)


def linear_cka(first, second) -> float:
    """Linear CKA between two ``(N, ...)`` activations of the same N inputs: 1 = same up to rotation and scale."""
    first = np.asarray(first, np.float64).reshape(len(first), -1)
    second = np.asarray(second, np.float64).reshape(len(second), -1)
    if len(first) != len(second) or len(first) < 2:
        raise validation.InvalidArgumentError("both activations need the same number (≥ 2) of inputs")
    first = first - first.mean(axis=0)
    second = second - second.mean(axis=0)
    # ||Yᵀ X||² / (||Xᵀ X|| ||Yᵀ Y||), computed with N × N Gram matrices: feature maps have far more
    # dimensions than there are images.
    first_gram, second_gram = first @ first.T, second @ second.T
    norms = np.sqrt(np.sum(first_gram ** 2) * np.sum(second_gram ** 2))
    return float(np.sum(first_gram * second_gram) / norms) if norms > 0 else 0.0


def layer_similarity(first: keras.Model, second: keras.Model, images, layer_names=None,
                     batch_size: int = 64) -> list[dict]:
    """Linear CKA of each named base layer between two transfer models of the same architecture.

    ``layer_names`` defaults to every layer whose output is a feature map, evenly thinned to 12.
    """
    images = np.asarray(images, np.float32)
    bases = [model.get_layer(models.BASE_NAME) for model in (first, second)]
    if layer_names is None:
        maps = [layer.name for layer in bases[0].layers
                if not isinstance(layer, keras.layers.InputLayer) and len(layer.output.shape) == 4]
        layer_names = [maps[int(round(index))] for index in np.linspace(0, len(maps) - 1, min(12, len(maps)))]
        layer_names = list(dict.fromkeys(layer_names))
    activations = []
    for model, base in zip((first, second), bases):
        probe = keras.Model(base.inputs, [base.get_layer(name).output for name in layer_names])
        x = images
        for layer in models.layers_before_base(model):
            x = keras.ops.convert_to_numpy(layer(x))
        outputs = models.predict_in_batches(probe, x, batch_size)
        activations.append(outputs if isinstance(outputs, list) else [outputs])
    return [{"depth": index + 1, "layer": name, "cka": round(linear_cka(a, b), 4)}
            for index, (name, a, b) in enumerate(zip(layer_names, *activations))]


def weight_change_by_block(first: keras.Model, second: keras.Model) -> list[dict]:
    """``100 × ‖w₂ − w₁‖ / ‖w₁‖`` over each block of two transfer models of the same architecture.

    A block is the layers whose names share a prefix before the first ``_`` (``stem``, ``block01``,
    ...). BatchNorm is left out (:func:`tltutor.freezing.tuned_layers`): its moving statistics would
    drown the kernels. Rows come from the input up, with ``order`` counting blocks from 1.
    """
    layers = [freezing.tuned_layers(model) for model in (first, second)]
    if [layer.name for layer in layers[0]] != [layer.name for layer in layers[1]]:
        raise validation.InvalidArgumentError("the two models' bases differ: compare two copies of one architecture")
    blocks: dict[str, tuple[list, list]] = {}
    for before, after in zip(*layers):
        old, new = blocks.setdefault(before.name.split("_")[0], ([], []))
        old += before.get_weights()
        new += after.get_weights()
    return [{"order": order, "block": block,
             "change_percent": round(100 * diagnostics.relative_weight_change(old, new), 4)}
            for order, (block, (old, new)) in enumerate(blocks.items(), start=1)]
