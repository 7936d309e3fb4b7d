"""Argument checks in one place, each with a message that says what was wrong and what to do.

Examples:
    >>> from tltutor import validation
    >>> validation.check_name("mobilenetv2", {"MobileNetV2": 1}, "backbone")
    'MobileNetV2'
"""

from __future__ import annotations

import difflib
import math
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from tltutor.errors import DatasetError, InvalidArgumentError, UnknownNameError


def closest_names(name: str, candidates) -> list[str]:
    """Valid names ordered by similarity to ``name``, the closest first."""
    lowered = {candidate.lower(): candidate for candidate in candidates}
    scored = sorted(
        candidates,
        key=lambda candidate: -difflib.SequenceMatcher(None, str(name).lower(), candidate.lower()).ratio(),
    )
    close = difflib.get_close_matches(str(name).lower(), list(lowered), n=3, cutoff=0.5)
    first = [lowered[match] for match in close]
    return first + [candidate for candidate in scored if candidate not in first]


def check_name(name, candidates, kind: str) -> str:
    """Return the registered spelling of ``name`` (case-insensitive) or raise UnknownNameError."""
    if not isinstance(name, str):
        raise InvalidArgumentError(f"{kind} name must be a string, got {type(name).__name__} {name!r:.60}")
    for candidate in candidates:
        if candidate.lower() == name.lower():
            return candidate
    suggestions = closest_names(name, list(candidates))
    raise UnknownNameError(
        f"Unknown {kind} {name!r}. Did you mean {suggestions[0]!r}? Valid {kind} names, closest first: "
        + ", ".join(suggestions)
    )


def check_positive_int(value, name: str, minimum: int = 1) -> int:
    """A whole number of at least ``minimum`` (``bool`` is refused: ``True`` is not a count)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise InvalidArgumentError(f"{name} must be a whole number, got {value!r:.60}")
    if value < minimum:
        raise InvalidArgumentError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def check_number(value, name: str, *, low: float, high: float, low_inclusive: bool = True,
                 high_inclusive: bool = True, hint: str = "") -> float:
    """A finite real number in the interval from ``low`` to ``high``.

    >>> check_number(2.6, "layerwise_decay", low=1, high=100)
    2.6
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a finite number, got {value!r:.60}")
    above = value >= low if low_inclusive else value > low
    below = value <= high if high_inclusive else value < high
    if not (above and below):
        interval = f"{'[' if low_inclusive else '('}{low:g}, {high:g}{']' if high_inclusive else ')'}"
        raise InvalidArgumentError(f"{name} must be in {interval}, got {value:g}" + (f". {hint}" if hint else ""))
    return float(value)


def check_seed(seed) -> int:
    """A seed: a whole number >= 0."""
    return check_positive_int(seed, "seed", minimum=0)


def check_seeds(seeds) -> tuple[int, ...]:
    """One seed or several distinct ones, as a tuple.

    >>> check_seeds(3), check_seeds([0, 1, 2])
    ((3,), (0, 1, 2))
    """
    if isinstance(seeds, Integral) and not isinstance(seeds, bool):
        return (check_seed(seeds),)
    try:
        values = tuple(check_seed(seed) for seed in seeds)
    except TypeError:
        raise InvalidArgumentError(f"seeds must be a seed or a list of seeds, got {seeds!r:.60}") from None
    if not values:
        raise InvalidArgumentError("seeds is empty: give at least one seed, e.g. seeds=(0, 1, 2)")
    if len(set(values)) != len(values):
        raise InvalidArgumentError(f"seeds must be distinct, got {values}: a repeated seed repeats the same run")
    return values


def check_not_empty(count: int, what: str = "dataset") -> int:
    """Refuse an empty dataset, saying there is nothing to learn from."""
    if not count:
        raise DatasetError(f"the {what} is empty: there is nothing to train on or to measure")
    return count


def check_choices(values, choices, kind: str) -> tuple[str, ...]:
    """A non-empty selection of registered names, in the given order, each checked by :func:`check_name`."""
    if isinstance(values, str):
        values = (values,)
    selected = tuple(check_name(value, choices, kind) for value in values)
    if not selected:
        raise InvalidArgumentError(f"no {kind} chosen; choose from {list(choices)}")
    return selected


def check_image_size(image_size, spec=None) -> int:
    """A square input size that the backbone can take."""
    size = check_positive_int(image_size, "image_size")
    if spec is not None and size < spec.min_image_size:
        raise InvalidArgumentError(
            f"image_size={size} is below {spec.name}'s minimum of {spec.min_image_size} px. "
            f"Use at least {spec.min_image_size}; its ImageNet weights were trained at {spec.default_image_size}."
        )
    return size


def check_learning_rate(learning_rate) -> float:
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, Real) or not math.isfinite(learning_rate):
        raise InvalidArgumentError(f"learning_rate must be a finite number, got {learning_rate!r:.60}")
    if not 0 < learning_rate <= 1:
        raise InvalidArgumentError(
            f"learning_rate={learning_rate} makes no sense: use a value in (0, 1]; "
            "1e-3 is a good start for a new head, and for fine-tuning with a warm-up (lesson 03); 1e-4 without one."
        )
    return float(learning_rate)


def check_epochs(epochs) -> int:
    epochs = check_positive_int(epochs, "epochs")
    if epochs > 10_000:
        raise InvalidArgumentError(f"epochs={epochs} is far too many; early stopping ends training when it stops improving")
    return epochs


def check_fraction(value, name: str, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvalidArgumentError(f"{name} must be a number between 0 and 1, got {value!r:.60}")
    low_ok = value >= 0 if allow_zero else value > 0
    if not (low_ok and value < 1):
        raise InvalidArgumentError(f"{name} must be in {'[0' if allow_zero else '(0'}, 1), got {value}")
    return float(value)


def check_num_classes(num_classes) -> int:
    if isinstance(num_classes, bool) or not isinstance(num_classes, Integral) or num_classes < 2:
        raise InvalidArgumentError(
            f"num_classes must be a whole number of at least 2 (a classifier chooses between classes), "
            f"got {num_classes!r:.60}"
        )
    return int(num_classes)


def check_weights_argument(weights):
    """``"imagenet"``, ``"digits"``, ``"pretrained"``, ``None`` or an existing file path."""
    if weights is None or weights in ("imagenet", "digits", "pretrained"):
        return weights
    if isinstance(weights, (str, Path)):
        if not Path(weights).exists():
            raise InvalidArgumentError(
                f"weights={str(weights)!r} is neither 'imagenet', 'pretrained', None, nor an existing file path"
            )
        return str(weights)
    raise InvalidArgumentError(f"weights must be 'imagenet', None or a file path, got {weights!r:.60}")


def check_labels(labels, num_classes: int):
    """Integer labels in ``[0, num_classes)``; returns them as an int64 NumPy array."""
    array = np.asarray(labels)
    if array.ndim != 1:
        raise InvalidArgumentError(f"labels must be a 1-D array of class indices, got shape {array.shape}")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise InvalidArgumentError("labels must be whole class indices; found fractions or NaN")
        if array.size and np.abs(array).max() >= 2**62:
            raise InvalidArgumentError(f"labels must be class indices 0..{num_classes - 1}; found {array.max():.3g}")
    elif array.dtype.kind not in "iub":
        raise InvalidArgumentError(
            f"labels must be integer class indices, got dtype {array.dtype}. Map class names to 0..n-1 first."
        )
    array = array.astype("int64")
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise InvalidArgumentError(
            f"labels must lie in [0, {num_classes}), found values from {array.min()} to {array.max()}. "
            "Check num_classes, or re-number the classes from 0."
        )
    return array


def check_images(images, what: str = "images"):
    """A stack of images as a NumPy array: ``(N, H, W)`` or ``(N, H, W, 1|3)``, finite, 0..255.

    Images scaled to [0, 1] are refused with a hint: tltutor models scale pixels themselves.
    """
    try:
        array = np.asarray(images)
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError(f"{what} must be an array of images: {error}") from error
    if array.dtype.kind not in "uif" or array.dtype.kind == "b":
        raise InvalidArgumentError(f"{what} must hold numbers, got dtype {array.dtype}")
    if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[-1] not in (1, 3)):
        raise InvalidArgumentError(
            f"{what} must have shape (N, height, width) for grey or (N, height, width, 3) for RGB, got "
            f"{array.shape}. Stack single images with np.stack; drop an alpha channel with images[..., :3]."
        )
    if array.shape[0] == 0 or array.shape[1] < 1 or array.shape[2] < 1:
        raise InvalidArgumentError(f"{what} are empty (shape {array.shape}): there is nothing to learn from")
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)):
            raise InvalidArgumentError(f"{what} contain NaN or infinite values")
        low, high = float(array.min()), float(array.max())
        if low < 0 or high > 255:
            raise InvalidArgumentError(
                f"{what} must be pixel values in 0..255, found {low:.3g}..{high:.3g}. Undo any normalisation: "
                "tltutor models scale pixels for their backbone themselves."
            )
        if high <= 1.0 and array.size > 1:
            raise InvalidArgumentError(
                f"{what} look scaled to [0, 1] (max {high:.3g}); tltutor expects 0..255 pixels. Multiply by 255."
            )
    elif array.dtype.kind in "iu" and array.size and (array.min() < 0 or array.max() > 255):
        raise InvalidArgumentError(f"{what} must be pixel values in 0..255, found {array.min()}..{array.max()}")
    return array
