"""Atomic writes and checksums: an interrupted run never leaves a half-written file.

Every file tltutor writes goes to a temporary name in the same folder first and is then renamed,
which is atomic on the same file system.

Examples:
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> path = write_json({"accuracy": 0.81}, folder / "result.json")
    >>> read_json(path)
    {'accuracy': 0.81}
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp's 0600 would make results private to their writer
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def save_atomically(path: str | Path, save) -> Path:
    """Call ``save(temporary_path)`` and rename the result to ``path``; nothing is left on failure.

    The temporary name keeps ``path``'s suffix, so Keras's ``save_weights`` and ``save`` accept it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".partial-{os.getpid()}-{path.name}")
    try:
        save(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def sha256_of(path: str | Path) -> str:
    """The hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_json(data, path: str | Path) -> Path:
    """``data`` as indented JSON, written atomically; values JSON does not know are written as text."""
    return atomic_write_bytes(path, (json.dumps(data, indent=2, default=str) + "\n").encode())


def read_json(path: str | Path):
    """The JSON value stored in ``path``."""
    return json.loads(Path(path).read_text(encoding="utf-8"))
