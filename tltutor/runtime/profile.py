"""The quick profile: small data, few epochs and small images, for tests and CI.

Set ``TLTUTOR_QUICK=1`` to switch it on. Notebooks and the command line read their defaults
from :func:`defaults`, so the same code runs a full lesson or a one-minute smoke run.

Examples:
    >>> from tltutor.runtime import profile
    >>> sorted(profile.defaults(quick=False))[:3]
    ['fine_tune_epochs', 'head_epochs', 'image_size']
    >>> profile.defaults(quick=False)["seeds"]
    (0, 1, 2)
"""

from __future__ import annotations

import os

ENVIRONMENT_VARIABLE = "TLTUTOR_QUICK"

FULL = {
    "image_size": 96,
    "samples_per_class": 100,
    "head_epochs": 60,
    "fine_tune_epochs": 5,
    "scratch_epochs": 200,
    "test_samples_per_class": None,
    "seeds": (0, 1, 2),
}
QUICK = {
    "image_size": 64,
    "samples_per_class": 16,
    "head_epochs": 3,
    "fine_tune_epochs": 1,
    "scratch_epochs": 10,
    "test_samples_per_class": 20,
    "seeds": (0,),
}


def is_quick() -> bool:
    """Whether ``TLTUTOR_QUICK`` is set to a true value."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower() in {"1", "true", "yes", "on"}


def seeds(count: int = 3, quick: bool | None = None) -> tuple[int, ...]:
    """Seeds ``0 .. count-1`` in the full profile; the quick profile's single seed otherwise.

    >>> seeds(5, quick=False), seeds(5, quick=True)
    ((0, 1, 2, 3, 4), (0,))
    """
    return tuple(defaults(quick)["seeds"]) if (is_quick() if quick is None else quick) else tuple(range(count))


def defaults(quick: bool | None = None) -> dict:
    """The default sizes and epochs of the active profile (a copy you may change)."""
    return dict(QUICK if (is_quick() if quick is None else quick) else FULL)
