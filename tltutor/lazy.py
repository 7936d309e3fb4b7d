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
import re
import sys
import tempfile

# TensorFlow's start-up lines that say nothing is wrong. Anything else written in that window (a CUDA
# driver mismatch, no memory on the GPU) is printed back.
KNOWN_NOISE = tuple(re.compile(pattern) for pattern in (
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR",
    r"oneDNN custom operations are on",
    r"Could not find cuda drivers on your machine, GPU will not be used",
    r"This TensorFlow binary is optimized to use available CPU instructions",
    r"To enable the following instructions: .* rebuild TensorFlow",
    r"Unable to register cu(DNN|FFT|BLAS) factory",
    r"computation placer already registered",
    r"TF-TRT Warning: Could not find TensorRT",
    r"failed call to cuInit: .*(UNKNOWN ERROR \(303\)|CUDA_ERROR_NO_DEVICE)",  # no GPU driver at all
    r"Attempting to register factory for plugin .* when one has already been registered",
))


def is_known_noise(line: str) -> bool:
    """Whether a line on stderr is one of TensorFlow's harmless start-up lines (:data:`KNOWN_NOISE`)."""
    return any(pattern.search(line) for pattern in KNOWN_NOISE)


@contextlib.contextmanager
def _stderr_file_descriptor_filtered():
    """Catch what is written to file descriptor 2 inside the block; print back what is not known noise."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, AttributeError, ValueError):  # no real file descriptor 2 (some embedded interpreters)
        yield
        return
    with tempfile.TemporaryFile() as caught:
        os.dup2(caught.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            caught.seek(0)
            kept = [line for line in caught.read().decode(errors="replace").splitlines()
                    if line.strip() and not is_known_noise(line)]
            if kept:
                print("\n".join(kept), file=sys.stderr)


def import_backend_quietly() -> None:
    """Import Keras (and its backend) once, keeping the backend's known start-up noise off stderr."""
    if "keras" in sys.modules:
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with _stderr_file_descriptor_filtered():
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
