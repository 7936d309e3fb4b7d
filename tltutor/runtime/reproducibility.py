"""Repeatable runs without global side effects: local seeds, and deterministic kernels inside a block.

tltutor's own randomness is local: each call that draws takes a ``seed`` and seeds what it draws
with (a head's initialiser, the dropout layers' random state, the order of shuffled examples), so
its result does not depend on what ran before it in the process, and it leaves the process's
global generators alone. :func:`seed_everything` is for a student's own script: it seeds every
global generator (Python, NumPy and the backend) at once.

Examples:
    >>> from tltutor.runtime import reproducibility
    >>> with reproducibility.deterministic_ops():
    ...     pass                                  # TensorFlow's deterministic kernels inside only
    >>> reproducibility.op_determinism_enabled()
    False

On a CPU, the same seed gives the same metrics in a fresh process (tested in
``tests/test_reproducibility.py``). GPUs can still differ in the last digits for a few ops.
"""

from __future__ import annotations

import contextlib
import os
import random

import keras
import numpy as np

from tltutor import validation


def seed_everything(seed: int, *, deterministic_ops: bool = True) -> int:
    """Seed every global random generator (Python, NumPy, the Keras backend) for a script; return the seed.

    tltutor's functions do not call it: they seed locally. With ``deterministic_ops`` TensorFlow's
    deterministic kernels are switched on for the rest of the process.
    """
    seed = validation.check_seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)  # for worker processes started from here
    keras.utils.set_random_seed(seed)  # Python's random, NumPy and the backend
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        import tensorflow as tf  # only with the TensorFlow backend

        tf.config.experimental.enable_op_determinism()
    return seed


def _tensorflow_determinism():
    """TensorFlow's switch for deterministic kernels as ``(is_enabled, enable, disable)``.

    TensorFlow exports ``enable_op_determinism`` only; reading and undoing it is private API,
    kept in this one function (tests/test_reproducibility.py fails loudly if it moves).
    """
    from tensorflow.python.framework import config  # private: no public way to read or undo the switch

    return config.is_op_determinism_enabled, config.enable_op_determinism, config.disable_op_determinism


def op_determinism_enabled() -> bool:
    """Whether TensorFlow's deterministic kernels are on (always ``False`` off TensorFlow)."""
    if keras.backend.backend() != "tensorflow":
        return False
    return bool(_tensorflow_determinism()[0]())


@contextlib.contextmanager
def deterministic_ops():
    """TensorFlow's deterministic kernels inside the block; the setting before it is restored after it."""
    if keras.backend.backend() != "tensorflow":
        yield
        return
    is_enabled, enable, disable = _tensorflow_determinism()
    was_enabled = is_enabled()
    enable()
    try:
        yield
    finally:
        if not was_enabled:
            disable()


@contextlib.contextmanager
def seeded_globally(seed: int):
    """Every global generator seeded from ``seed`` inside the block, for code that draws from them.

    After the block Python's and NumPy's generators are put back as they were. The backend's
    global seed stays set: TensorFlow has no public way to read it back. tltutor uses this only
    where Keras draws from the global generators itself (DigitsCNN's one-off pretraining).
    """
    seed = validation.check_seed(seed)
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield seed
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
