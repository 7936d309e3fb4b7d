"""Domain shift made measurable: shifted copies of a test set, the accuracy drop, and AdaBN.

A model trained on one domain meets images that differ in ways its training never showed:
sensor noise, blur, low contrast, inverted polarity, rotation. :func:`shift_images` builds such
copies of real test images at a chosen severity, :func:`shift_report` measures the accuracy on
each, and :func:`tltutor.batchnorm.adapt_batchnorm` (AdaBN) re-estimates the base's BatchNorm statistics on
unlabelled target images, a remedy that needs no labels and no training.

Example::

    report = tl.lessons.shift.shift_report(model, test, kinds=("noise", "blur"), severities=(1, 3))
    print(report.table())
    tl.batchnorm.adapt_batchnorm(model, target_images)        # AdaBN, no labels needed
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from tltutor import training, validation
from tltutor.data import batches
from tltutor.report.results import Comparison

KINDS = ("noise", "blur", "contrast", "inversion", "rotation")
SEVERITIES = (1, 2, 3, 4, 5)
_NOISE_STD = (8.0, 16.0, 32.0, 48.0, 64.0)          # grey levels
_BLUR_FRACTION = (0.01, 0.02, 0.03, 0.045, 0.06)    # of the image side, as Gaussian sigma
_CONTRAST = (0.7, 0.5, 0.35, 0.2, 0.1)               # kept share of the deviation from the mean
_ROTATION_DEGREES = (15.0, 30.0, 45.0, 60.0, 90.0)
_INVERTED_SHARE = (0.2, 0.4, 0.6, 0.8, 1.0)         # blend towards 255 - x


def _check_shift(kind: str, severity: int) -> tuple[str, int]:
    kind = validation.check_name(kind, KINDS, "shift")
    if isinstance(severity, bool) or severity not in SEVERITIES:
        raise validation.InvalidArgumentError(f"severity must be one of {SEVERITIES}, got {severity!r:.40}")
    return kind, severity


def shift_images(images, kind: str, severity: int = 3, seed: int = 0) -> np.ndarray:
    """A shifted copy of ``(N, H, W, C)`` images in 0..255, as float32 in 0..255.

    ``kind`` is one of :data:`KINDS`; ``severity`` runs from 1 (mild) to 5 (strong).

    Examples:
        >>> import numpy as np
        >>> images = np.full((2, 8, 8, 3), 200, np.uint8)
        >>> shift_images(images, "inversion", severity=5)[0, 0, 0].tolist()
        [55.0, 55.0, 55.0]
    """
    kind, severity = _check_shift(kind, severity)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 4:
        raise validation.InvalidArgumentError(f"images must have shape (N, height, width, channels), got {images.shape}")
    level = severity - 1
    if kind == "noise":
        noise = np.random.default_rng(seed).normal(0.0, _NOISE_STD[level], images.shape)
        shifted = images + noise
    elif kind == "blur":
        sigma = max(0.5, _BLUR_FRACTION[level] * images.shape[1] * 2)
        shifted = ndimage.gaussian_filter(images, sigma=(0, sigma, sigma, 0))
    elif kind == "contrast":
        mean = images.mean(axis=(1, 2, 3), keepdims=True)
        shifted = mean + (images - mean) * _CONTRAST[level]
    elif kind == "inversion":
        share = _INVERTED_SHARE[level]
        shifted = (1 - share) * images + share * (255.0 - images)
    else:
        shifted = ndimage.rotate(images, _ROTATION_DEGREES[level], axes=(1, 2), reshape=False, order=1,
                                 mode="constant", cval=float(np.median(images[:, 0, 0])))
    return np.clip(shifted, 0, 255).astype(np.float32)


def shift_report(model, data, *, kinds=KINDS, severities=(3,), seed: int = 0) -> Comparison:
    """Accuracy on the clean data and on each shifted copy, and its drop from clean; keyed by ``"shift"``.

    Rows carry ``severity`` (0 for the clean data) and ``seed`` (the seed of the random shifts).
    """
    kinds = validation.check_choices(kinds, KINDS, "shift")
    images, labels = batches.to_numpy(data)
    validation.check_not_empty(len(images))

    def accuracy(shifted):
        _, logits = training.predict_logits(model, (shifted, labels))
        return float(np.mean(np.argmax(logits, axis=-1) == labels))

    clean = accuracy(images.astype(np.float32))
    report = Comparison("shift", settings={"kinds": list(kinds), "severities": list(severities)})
    report.add("none", seed, severity=0, accuracy=round(clean, 4), drop=0.0)
    for kind in kinds:
        for severity in severities:
            value = accuracy(shift_images(images, kind, severity, seed))
            report.add(kind, seed, severity=severity, accuracy=round(value, 4), drop=round(clean - value, 4))
    return report
