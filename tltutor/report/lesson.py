"""A lesson's measured results, written where its claims are tested, and its wall time.

Every notebook starts a :class:`Lesson` in its first code cell and calls :meth:`Lesson.finish`
in its last. In the full profile, ``finish`` writes everything the notebook recorded (per seed)
to ``results/<notebook>.json`` beside the notebook; ``tests/test_lesson_claims.py`` checks the
prose's claims against that file. The quick profile (CI) writes nothing there, so a smoke run
never overwrites the numbers of a real run.

Examples:
    >>> import tempfile
    >>> lesson = Lesson("00_example", results_folder=tempfile.mkdtemp(), write=True)
    >>> lesson.record("head_accuracy", [0.81, 0.80, 0.82])
    >>> path = lesson.finish(output=None)
    >>> sorted(read(path)["values"])
    ['head_accuracy']
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from pathlib import Path

import keras

from tltutor import validation
from tltutor.io import files
from tltutor.runtime import profile

RESULTS_FOLDER = "results"


def _plain(value):
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:  # NumPy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


class Lesson:
    """Collects a notebook's measured values and times it from its first cell to its last.

    Args:
        name: the notebook's name without ``.ipynb``.
        results_folder: where ``<name>.json`` goes (``results`` beside the notebook by default).
        write: ``None`` writes in the full profile only; ``True`` or ``False`` decide.
    """

    def __init__(self, name: str, *, results_folder=None, write: bool | None = None):
        if not isinstance(name, str) or not name:
            raise validation.InvalidArgumentError(f"a lesson needs a name, got {name!r:.60}")
        self.name = name
        self.results_folder = Path(results_folder or RESULTS_FOLDER)
        self.write = (not profile.is_quick()) if write is None else bool(write)
        self.values: dict = {}
        self.started = time.perf_counter()

    def record(self, key: str, value) -> None:
        """Keep ``value`` (numbers, lists, dicts, a :class:`~tltutor.report.results.Comparison`) under ``key``."""
        self.values[str(key)] = _plain(value)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def finish(self, output=print) -> Path | None:
        """Print ``lesson time: <seconds> s``; in the full profile write ``<results_folder>/<name>.json``."""
        seconds = self.seconds
        if output is not None:
            output(f"lesson time: {seconds:.0f} s")
        if not self.write:
            return None
        document = {
            "notebook": self.name,
            "lesson_seconds": round(seconds, 1),
            "profile": "quick" if profile.is_quick() else "full",
            "settings": _plain(profile.defaults()),
            "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "keras": keras.__version__, "backend": keras.backend.backend()},
            "values": self.values,
        }
        return files.write_json(document, self.results_folder / f"{self.name}.json")


def read(path) -> dict:
    """A lesson's results file."""
    return files.read_json(path)
