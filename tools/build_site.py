"""Build the course site into site/ from the stored notebook outputs; nothing is executed.

    python tools/build_site.py            # or: make site

The lessons are copied into docs/lessons/ (ignored by git), then mkdocs renders them with
mkdocs-jupyter (execute: false), the API pages with mkdocstrings, and the set-up from the README.
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    lessons = ROOT / "docs" / "lessons"
    shutil.rmtree(lessons, ignore_errors=True)
    lessons.mkdir(parents=True)
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        shutil.copy2(notebook, lessons / notebook.name)
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--clean"], cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
