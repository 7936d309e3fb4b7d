"""Stratified, seeded, disjoint splits of labelled arrays."""

from __future__ import annotations

import numpy as np

from tltutor.errors import DatasetError


def per_class_indices(labels: np.ndarray, num_classes: int, rng: np.random.Generator) -> list[np.ndarray]:
    """For each class, its indices in a seeded random order."""
    return [rng.permutation(np.flatnonzero(labels == label)) for label in range(num_classes)]


def stratified_split(labels, num_classes, *, samples_per_class=None, validation_split=0.2,
                     test_per_class=None, seed=0):
    """Indices of train, validation (and test, when ``test_per_class``) with every class in each.

    ``samples_per_class`` training images per class are taken (all, when ``None``), and
    ``validation_split`` × that many more per class for validation. Each class must have enough.
    """
    rng = np.random.default_rng(seed)
    parts = {"train": [], "validation": [], "test": []}
    for label, indices in enumerate(per_class_indices(np.asarray(labels), num_classes, rng)):
        available = len(indices) - (test_per_class or 0)
        if samples_per_class is None:
            validation_count = int(round(available * validation_split))
            train_count = available - validation_count
        else:
            train_count = samples_per_class
            validation_count = max(1, int(round(samples_per_class * validation_split))) if validation_split > 0 else 0
        needed = train_count + validation_count
        if train_count < 1 or needed > available:
            raise DatasetError(
                f"class {label} has {max(available, 0)} usable images, but {needed} are needed "
                f"({train_count} train + {validation_count} validation"
                f"{f', {test_per_class} held out for test' if test_per_class else ''}). "
                "Lower samples_per_class or validation_split, or use a larger dataset."
            )
        parts["train"].append(indices[:train_count])
        parts["validation"].append(indices[train_count:needed])
        if test_per_class:
            parts["test"].append(indices[len(indices) - test_per_class:])
    return tuple(np.sort(np.concatenate(parts[key])) if parts[key] else np.array([], dtype=np.int64)
                 for key in ("train", "validation", "test"))
