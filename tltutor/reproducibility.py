"""One seed for a repeatable run: Python, NumPy and the Keras backend, with deterministic ops.

Example:
    >>> from tltutor import reproducibility
    >>> reproducibility.seed_everything(0)   # doctest: +SKIP

On a CPU, the same seed gives the same metrics in a fresh process (tested in
``tests/test_reproducibility.py``). GPUs can still differ in the last digits for a few ops.
"""

from __future__ import annotations

import os

from tltutor import validation


def seed_everything(seed: int, *, deterministic_ops: bool = True) -> int:
    """Seed every random generator tltutor's runs use; return the seed."""
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise validation.InvalidArgumentError(f"seed must be a whole number >= 0, got {seed!r:.60}")
    import keras

    os.environ["PYTHONHASHSEED"] = str(seed)  # for worker processes started from here
    keras.utils.set_random_seed(seed)  # Python's random, NumPy and the backend
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return seed
