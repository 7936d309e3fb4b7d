"""Time each lesson's full profile as a plain script (no Jupyter needed), one process per lesson.

    python tools/time_lessons.py                                  # every lesson, results on stdout
    python tools/time_lessons.py 00 03 --json lessons.json        # lessons whose names start so
    KERAS_BACKEND=jax python tools/time_lessons.py --json gpu-lessons.json

The notebooks' percent-format ``.py`` files are Python once their magics (``# %pip``, ``# !apt-get``,
``# %matplotlib``, which jupytext keeps as comments) become ``pass``; each runs so with ``python``
from the ``notebooks`` folder, as the notebook would. A lesson that fails or passes ``--timeout`` is recorded
with its exit status and the last lines of its error output, and the next one runs. Lessons that
write their results file write it as usual; run this on a scratch checkout (the GPU machine's copy)
when the stored runs must stay as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
MAGIC = re.compile(r"^(\s*)# (%pip|%matplotlib|!)")


def script_of(path: Path) -> str:
    """A lesson's source with its magics (kept as comments by jupytext) turned into ``pass``."""
    return "".join(MAGIC.sub(r"\1pass  # ", line) for line in path.read_text().splitlines(keepends=True))


def lesson_files(prefixes: list[str]) -> list[Path]:
    """The lessons' ``.py`` files whose names start with one of ``prefixes`` (all of them when none)."""
    files = sorted(path for path in NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    chosen = [path for path in files if not prefixes or any(path.name.startswith(prefix) for prefix in prefixes)]
    if not chosen:
        raise SystemExit(f"no lesson matches {prefixes}: names start {', '.join(path.name[:2] for path in files)}")
    return chosen


def time_lesson(path: Path, timeout: float, quick: bool = False) -> dict:
    """Run one lesson as a script; its seconds, exit status and (on failure) the end of its error output."""
    environment = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    environment.pop("TLTUTOR_QUICK", None)  # the full profile, as the stored runs, unless asked
    if quick:
        environment["TLTUTOR_QUICK"] = "1"
    started = time.perf_counter()
    try:
        finished = subprocess.run([sys.executable, "-"], input=script_of(path), cwd=path.parent, env=environment,
                                  capture_output=True, text=True, timeout=timeout)
        status, errors = finished.returncode, finished.stderr
    except subprocess.TimeoutExpired as expired:
        status = "timeout"
        errors = expired.stderr.decode(errors="replace") if isinstance(expired.stderr, bytes) else (expired.stderr or "")
    seconds = time.perf_counter() - started
    row = {"lesson": path.stem, "seconds": round(seconds, 1), "status": status}
    if status != 0:
        row["error_tail"] = "\n".join(errors.strip().splitlines()[-6:])
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="name prefixes, e.g. 00 03 (default: every lesson)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds before a lesson is stopped")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    parser.add_argument("--quick", action="store_true", help="the quick profile (CI's), to check that lessons run")
    arguments = parser.parse_args(argv)
    rows = []
    for path in lesson_files(arguments.lessons):
        row = time_lesson(path, arguments.timeout, arguments.quick)
        rows.append(row)
        print(f"{row['lesson']:<42} {row['seconds']:>7.1f} s  {row['status']}", flush=True)
        if "error_tail" in row:
            print("    " + row["error_tail"].replace("\n", "\n    "), flush=True)
        if arguments.json:  # written after every lesson, so a stopped run keeps what it measured
            Path(arguments.json).write_text(json.dumps({
                "backend": os.environ.get("KERAS_BACKEND", "tensorflow"), "machine": platform.node(),
                "python": platform.python_version(),
                "profile": "quick" if arguments.quick else "full", "lessons": rows}, indent=1) + "\n")
    return 0 if all(row["status"] == 0 for row in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
