"""Run lessons for their stored outputs: text twin → notebook → executed in place, stderr stripped.

    python tools/run_notebooks.py notebooks/03_lower_learning_rate.py [more ...]

Each argument may be the ``.py`` twin or the ``.ipynb``. The notebook is rebuilt from the twin
(jupytext), executed in ``notebooks/`` with the full profile unless ``TLTUTOR_QUICK=1`` is set,
its stderr streams and TensorFlow log lines removed, and written back. Matplotlib figures are
stored because every lesson's set-up cell runs ``%matplotlib inline``; ``MPLBACKEND`` is removed
from the kernel's environment, since a non-interactive backend there would keep figures out of
the notebook.
"""

import os
import sys
import time
from pathlib import Path

import jupytext
import nbclient
import nbformat

sys.path.insert(0, str(Path(__file__).parent))
from strip_stderr import strip  # noqa: E402


def run(path: Path) -> float:
    twin, notebook_path = path.with_suffix(".py"), path.with_suffix(".ipynb")
    notebook = jupytext.read(twin)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata["language_info"] = {"name": "python"}
    started = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook_path.parent)}}).execute()
    nbformat.write(strip(notebook), notebook_path)
    return time.perf_counter() - started


if __name__ == "__main__":
    os.environ.pop("MPLBACKEND", None)
    for argument in sys.argv[1:]:
        seconds = run(Path(argument))
        print(f"{argument}: {seconds:.0f} s", flush=True)
