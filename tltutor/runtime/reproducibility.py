"""One seed for a repeatable run: Python, NumPy and the Keras backend, with deterministic ops.

Examples:
    >>> from tltutor.runtime import reproducibility
    >>> reproducibility.seed_everything(0)
    0

On a CPU, the same seed gives the same metrics in a fresh process (tested in
``tests/test_reproducibility.py``). GPUs can still differ in the last digits for a few ops.
"""

from __future__ import annotations

import os

import keras

from tltutor import validation


def seed_everything(seed: int, *, deterministic_ops: bool = True) -> int:
    """Seed every random generator tltutor's runs use; return the seed."""
    seed = validation.check_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for worker processes started from here
    keras.utils.set_random_seed(seed)  # Python's random, NumPy and the backend
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # only with the TensorFlow backend

        tf.config.experimental.enable_op_determinism()
    return seed
