"""Submodules loaded on first attribute access, and a quiet first import of the Keras backend.

``import tltutor`` must not import TensorFlow; each package lists its submodules here and
imports one only when a user reaches for it (``tl.training``, ``tl.report.plots``). The first
such import also imports Keras, and with it TensorFlow, whose C++ start-up lines (``cudart_stub
... Could not find cuda drivers``) ignore ``TF_CPP_MIN_LOG_LEVEL``: they are written before its
logging starts, or when its first operation looks for GPUs. :func:`import_backend_quietly` sends
the process's stderr to ``/dev/null`` for that import and that first operation.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import sys


@contextlib.contextmanager
def _stderr_file_descriptor_muted():
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no real file descriptor 2 (some embedded interpreters)
        yield
        return
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def import_backend_quietly() -> None:
    """Import Keras (and its backend) once, without the backend's start-up noise on stderr."""
    if "keras" in sys.modules:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_file_descriptor_muted():
        keras = importlib.import_module("keras")
        if keras.backend.backend() == "tensorflow":
            # TensorFlow looks for GPUs (and says so on stderr) when its first operation runs.
            keras.ops.convert_to_numpy(keras.ops.zeros(()))
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def attach(package: str, names: tuple[str, ...], namespace: dict, *, light: tuple[str, ...] = ()):
    """``(__getattr__, __dir__)`` for ``package`` that import ``package.<name>`` on first use.

    Modules named in ``light`` need no Keras; every other first import imports Keras quietly first.
    """

    def __getattr__(name):
        if name in names:
            if name not in light:
                import_backend_quietly()
            module = importlib.import_module(f"{package}.{name}")
            namespace[name] = module
            return module
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
