"""ImageNet class names (shipped, so they work offline) and top-k classification of photos.

Examples:
    >>> from tltutor import imagenet
    >>> imagenet.class_names()[285]
    'Egyptian cat'
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from tltutor import backbones, validation
from tltutor.errors import DatasetError


@functools.lru_cache(maxsize=1)
def _table() -> tuple[tuple[str, str], ...]:
    text = (resources.files("tltutor") / "assets" / "imagenet_classes.tsv").read_text(encoding="utf-8")
    rows = tuple(tuple(line.split("\t")) for line in text.splitlines() if line)
    if len(rows) != 1000:
        raise DatasetError("the shipped ImageNet class list is damaged: reinstall tltutor")
    return rows


def class_names() -> list[str]:
    """The 1000 ImageNet class names, in the standard index order."""
    return [name for _, name in _table()]


def decode_top_k(probabilities, k: int = 5) -> list[list[tuple[str, float]]]:
    """For each row of ``probabilities`` (N, 1000), the ``k`` most likely ``(class name, probability)``."""
    probabilities = np.atleast_2d(np.asarray(probabilities))
    if probabilities.shape[-1] != 1000:
        raise validation.InvalidArgumentError(
            f"expected 1000 ImageNet probabilities per image, got shape {probabilities.shape}")
    names = class_names()
    return [[(names[index], float(row[index])) for index in np.argsort(row)[::-1][:k]] for row in probabilities]


def load_image(path: str | Path, image_size: int) -> np.ndarray:
    """An image file as a (image_size, image_size, 3) float32 array in 0..255."""
    try:
        with Image.open(path) as image:
            return np.asarray(image.convert("RGB").resize((image_size, image_size), Image.BILINEAR), dtype=np.float32)
    except (UnidentifiedImageError, OSError) as error:
        raise DatasetError(f"{path} is not a readable image: {error}") from error


def resize_array(image, image_size: int) -> np.ndarray:
    """An image array (grey or RGB, 0..255) resized to ``(image_size, image_size, 3)`` float32."""
    array = np.asarray(image)
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    return np.asarray(Image.fromarray(array.astype(np.uint8)).resize((image_size, image_size), Image.BILINEAR),
                      dtype=np.float32)


def classify(images, *, backbone: str = "EfficientNetLite0", k: int = 5, classifier=None):
    """ImageNet top-``k`` for file paths or uint8 arrays, with a real pretrained classifier."""
    classifier = classifier or backbones.build_imagenet_classifier(backbone)
    size = classifier.input_shape[1]
    batch = np.stack([load_image(image, size) if isinstance(image, (str, Path)) else resize_array(image, size)
                      for image in images])
    return decode_top_k(classifier.predict(batch, verbose=0), k)
