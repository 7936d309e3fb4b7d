"""Load Keras weights files with an error that names the first layer that does not fit.

Keras reports a mismatched ``.weights.h5`` file with a long, generic message. Here the file is
compared with the model's own layout first (the model writes its weights to a temporary file
and the two are compared variable by variable), so a student learns *which* layer differs.

Example::

    from tltutor import weights_files
    weights_files.load_weights_checked(model, "my_run/best.weights.h5")
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import h5py
import keras

from tltutor.io import files
from tltutor.errors import CorruptWeightsError, WeightsError


def weights_layout(path) -> dict[str, tuple[str, tuple[int, ...]]]:
    """``{variable path: (layer name, shape)}`` of a Keras 3 ``.weights.h5`` file, optimizer left out."""
    layout = {}
    try:
        with h5py.File(path, "r") as store:
            def visit(name, item):
                if isinstance(item, h5py.Dataset) and not name.startswith("optimizer"):
                    owner = item.parent.attrs.get("name", item.parent.name)
                    layout[name] = (str(owner), tuple(item.shape))

            store.visititems(visit)
    except OSError as error:
        raise CorruptWeightsError(f"{path} is not a readable Keras weights file (.weights.h5): {error}") from error
    return layout


def model_layout(model: keras.Model) -> dict[str, tuple[str, tuple[int, ...]]]:
    """The layout ``model.save_weights`` would write, read back from a temporary file."""
    descriptor, temporary = tempfile.mkstemp(suffix=".weights.h5")
    os.close(descriptor)
    try:
        model.save_weights(temporary, overwrite=True)
        return weights_layout(temporary)
    finally:
        Path(temporary).unlink(missing_ok=True)


def first_mismatch(model: keras.Model, path) -> str | None:
    """A sentence naming the first variable of ``model`` that the file lacks or shapes differently."""
    expected, found = model_layout(model), weights_layout(path)
    for variable, (layer, shape) in expected.items():
        if variable not in found:
            return f"layer {layer!r} ({variable}, shape {shape}) is missing from the file"
        if found[variable][1] != shape:
            return (f"layer {layer!r} ({variable}) has shape {found[variable][1]} in the file "
                    f"but {shape} in the model")
    extra = [variable for variable in found if variable not in expected]
    if extra:
        return f"the file has {len(extra)} variable(s) the model lacks, the first in layer {found[extra[0]][0]!r}"
    return None


def load_weights_checked(model: keras.Model, path) -> keras.Model:
    """``model.load_weights(path)``, but a file for another architecture names the first mismatch."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"weights file {path} does not exist")
    if not path.name.endswith(".weights.h5"):
        raise WeightsError(f"{path} is not a Keras weights file: the name must end in .weights.h5")
    mismatch = first_mismatch(model, path)
    if mismatch:
        raise WeightsError(
            f"{path} was saved from another architecture than {model.name!r}: {mismatch}. Load a file saved "
            "from the same backbone, image size and number of classes, or rebuild the model to match it."
        )
    model.load_weights(path)
    return model


def _checksum_path(path: Path) -> Path:
    return Path(f"{path}.sha256")


def cache_is_valid(path) -> bool:
    """Whether a cached weights file exists and matches the sha256 recorded beside it."""
    path = Path(path)
    checksum = _checksum_path(path)
    return path.exists() and checksum.exists() and files.sha256_of(path) == checksum.read_text().strip()


def write_cached_weights(model: keras.Model, path) -> Path:
    """Save ``model``'s weights to a cache file atomically, with a ``.sha256`` sidecar written first."""
    path = Path(path)

    def save_with_checksum(temporary):
        model.save_weights(temporary)
        files.atomic_write_bytes(_checksum_path(path), files.sha256_of(temporary).encode())

    return files.save_atomically(path, save_with_checksum)


def load_cached_weights(model: keras.Model, path) -> bool:
    """Load a valid cache into ``model``; ``False`` when it is missing, damaged, stale or foreign."""
    if not cache_is_valid(path):
        return False
    try:
        model.load_weights(path)
    except Exception:  # a stale or foreign cache is rebuilt by the caller
        return False
    return True
