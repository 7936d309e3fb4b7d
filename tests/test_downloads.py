import socket
import threading
import time
import urllib.request

import pytest

from tltutor.io import downloads
from tltutor.errors import DownloadError


@pytest.fixture
def silent_server():
    """A server on loopback that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/weights.h5"
    stop.set()
    thread.join(timeout=2)
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_is_bounded_and_partial_files_are_removed(silent_server, tmp_path):
    started = time.perf_counter()
    with pytest.raises(DownloadError) as caught:
        with downloads.guarded_download("test weights", cache_folder=tmp_path, url=silent_server, timeout=1.0):
            (tmp_path / "weights.h5.partial").write_bytes(b"half")
            urllib.request.urlretrieve(silent_server, tmp_path / "weights.h5")
    assert time.perf_counter() - started < 10
    assert silent_server in str(caught.value) and "EfficientNetLite0" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_keras_get_file_against_a_silent_server_is_bounded(silent_server, tmp_path):
    import keras

    started = time.perf_counter()
    with pytest.raises(DownloadError):
        with downloads.guarded_download("test file", cache_folder=tmp_path, timeout=1.0):
            keras.utils.get_file("weights.h5", silent_server, cache_dir=str(tmp_path))
    assert time.perf_counter() - started < 10
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_files_that_existed_before_are_kept(tmp_path):
    kept = tmp_path / "old.h5"
    kept.write_bytes(b"complete")
    with pytest.raises(DownloadError):
        with downloads.guarded_download("x", cache_folder=tmp_path):
            (tmp_path / "new.h5").write_bytes(b"partial")
            raise ConnectionError("connection reset")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["old.h5"]


def test_other_errors_pass_through_unchanged(tmp_path):
    with pytest.raises(KeyError):
        with downloads.guarded_download("x", cache_folder=tmp_path):
            raise KeyError("not a network problem")


def test_socket_timeout_is_restored():
    before = socket.getdefaulttimeout()
    with downloads.socket_timeout(3):
        assert socket.getdefaulttimeout() == 3
    assert socket.getdefaulttimeout() == before


def test_unreachable_host_fails_fast():
    started = time.perf_counter()
    with pytest.raises(DownloadError, match="unreachable"):
        downloads.check_reachable("127.0.0.1", port=1, timeout=2, what="a dataset")
    assert time.perf_counter() - started < 5
