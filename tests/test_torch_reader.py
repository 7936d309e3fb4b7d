import io
import pickle
import struct

import numpy as np
import pytest

from tltutor.io import torch_reader
from tltutor.backbones import efficientnet_lite
from tltutor.errors import CorruptWeightsError, UnsafePickleError, WeightsIntegrityError


@pytest.fixture(scope="module")
def package_file():
    return efficientnet_lite.package_weights_path()


def test_reads_the_real_efficientnet_lite0_state_dict(package_file):
    state = torch_reader.read_state_dict(package_file)
    assert len(state) == 296
    floats = sum(value.size for value in state.values() if value.dtype == np.float32)
    assert floats == 4_694_024
    assert state["_conv_stem.weight"].shape == (32, 3, 3, 3)
    assert state["_fc.weight"].shape == (1000, 1280)
    assert np.isfinite(state["_fc.weight"]).all() and state["_fc.weight"].std() > 0


def _legacy_file(main_pickle: bytes) -> bytes:
    header = b"".join(pickle.dumps(value, protocol=2) for value in
                      (torch_reader.LEGACY_MAGIC_NUMBER, 1001, {"little_endian": True}))
    return header + main_pickle + pickle.dumps([], protocol=2)


class _RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_malicious_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pth"
    path.write_bytes(_legacy_file(pickle.dumps({"weight": _RunsCode(marker)}, protocol=2)))
    with pytest.raises(UnsafePickleError, match="posix.system|os.system"):
        torch_reader.read_state_dict(path)
    assert not marker.exists()
    # the same file really would run code with an ordinary unpickler
    stream = io.BytesIO(path.read_bytes())
    for _ in range(3):
        pickle.load(stream)
    pickle.load(stream)
    assert marker.exists()


def test_malicious_global_in_header_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil_header.pth"
    path.write_bytes(pickle.dumps(_RunsCode(marker), protocol=2))
    with pytest.raises(UnsafePickleError):
        torch_reader.read_state_dict(path)
    assert not marker.exists()


def test_truncated_file_is_reported_as_corrupt(tmp_path, package_file):
    path = tmp_path / "truncated.pth"
    path.write_bytes(package_file.read_bytes()[:5_000_000])
    with pytest.raises(CorruptWeightsError, match="truncated"):
        torch_reader.read_state_dict(path)


def test_not_a_pytorch_file(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_bytes(b"hello, these are not weights")
    with pytest.raises(CorruptWeightsError):
        torch_reader.read_state_dict(path)


def test_tampered_weights_file_is_refused_by_checksum(tmp_path, package_file):
    data = bytearray(package_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path = tmp_path / "tampered.pth"
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsIntegrityError, match="sha256"):
        efficientnet_lite.verify_sha256(path, efficientnet_lite.PACKAGE_WEIGHTS_SHA256)
    efficientnet_lite.verify_sha256(package_file, efficientnet_lite.PACKAGE_WEIGHTS_SHA256)


def test_tampered_package_file_stops_the_offline_backbone(tmp_path, monkeypatch, package_file):
    data = bytearray(package_file.read_bytes())
    data[-10] ^= 0x01
    tampered = tmp_path / "efficientnet-lite0.pth"
    tampered.write_bytes(bytes(data))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setattr(efficientnet_lite, "package_weights_path", lambda variant_name="lite0": tampered)
    with pytest.raises(WeightsIntegrityError):
        efficientnet_lite.build((64, 64, 3), weights="imagenet")
    assert not efficientnet_lite.cache_path().exists()


class _FakeStorage:
    def __init__(self, key, values):
        self.key, self.values = key, np.asarray(values, dtype="<f4")


class _FakeTensor:
    def __init__(self, storage, offset, shape, strides):
        self.storage, self.offset, self.shape, self.strides = storage, offset, shape, strides

    def __reduce__(self):
        import torch._utils as fake_utils

        return (fake_utils._rebuild_tensor_v2, (self.storage, self.offset, self.shape, self.strides, False, {}))


def _write_legacy(path, tensors, storages, monkeypatch):
    """Write a legacy-format file as torch.save would, with stand-in torch modules."""
    import sys
    import types

    torch_module, utils_module = types.ModuleType("torch"), types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise AssertionError("never called while writing")

    class FloatStorage:
        pass

    _rebuild_tensor_v2.__module__, FloatStorage.__module__ = "torch._utils", "torch"
    _rebuild_tensor_v2.__qualname__, FloatStorage.__qualname__ = "_rebuild_tensor_v2", "FloatStorage"
    utils_module._rebuild_tensor_v2, torch_module.FloatStorage, torch_module._utils = _rebuild_tensor_v2, FloatStorage, utils_module
    monkeypatch.setitem(sys.modules, "torch", torch_module)
    monkeypatch.setitem(sys.modules, "torch._utils", utils_module)

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, _FakeStorage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.values.size, None)
            return None

    import collections

    stream = io.BytesIO()
    for value in (torch_reader.LEGACY_MAGIC_NUMBER, 1001, {"little_endian": True}):
        pickle.dump(value, stream, protocol=2)
    Pickler(stream, protocol=2).dump(collections.OrderedDict(tensors))
    pickle.dump([storage.key for storage in storages], stream, protocol=2)
    for storage in storages:
        stream.write(struct.pack("<q", storage.values.size) + storage.values.tobytes())
    path.write_bytes(stream.getvalue())


def test_strided_views_are_rebuilt_exactly(tmp_path, monkeypatch):
    storage = _FakeStorage("0", np.arange(12))
    tensors = {"matrix": _FakeTensor(storage, 0, (3, 4), (4, 1)),
               "transposed": _FakeTensor(storage, 0, (4, 3), (1, 4)),
               "tail": _FakeTensor(storage, 8, (4,), (1,))}
    path = tmp_path / "views.pth"
    _write_legacy(path, tensors, [storage], monkeypatch)
    state = torch_reader.read_state_dict(path)
    expected = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_array_equal(state["matrix"], expected)
    np.testing.assert_array_equal(state["transposed"], expected.T)
    np.testing.assert_array_equal(state["tail"], [8, 9, 10, 11])


def test_tensor_reaching_outside_its_storage_is_corrupt(tmp_path, monkeypatch):
    storage = _FakeStorage("0", np.arange(4))
    path = tmp_path / "short.pth"
    _write_legacy(path, {"too_long": _FakeTensor(storage, 0, (8,), (1,))}, [storage], monkeypatch)
    with pytest.raises(CorruptWeightsError, match="outside its storage"):
        torch_reader.read_state_dict(path)
