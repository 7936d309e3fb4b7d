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
from datetime import datetime
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
    _print_slowest_cells(notebook, path.stem)
    nbformat.write(strip(notebook), notebook_path)
    return time.perf_counter() - started


def _print_slowest_cells(notebook, name, count=8):
    """Print the ``count`` slowest code cells, from nbclient's timestamps (which ``strip`` removes)."""
    durations = []
    for index, cell in enumerate(notebook.cells):
        timing = cell.metadata.get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing:
            started = datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
            ended = datetime.fromisoformat(timing["shell.execute_reply"].replace("Z", "+00:00"))
            durations.append(((ended - started).total_seconds(), index, cell.source.splitlines()[0][:70]))
    for seconds, index, first_line in sorted(durations, reverse=True)[:count]:
        print(f"  {name} cell {index:3d}: {seconds:6.1f} s  {first_line}", flush=True)


if __name__ == "__main__":
    os.environ.pop("MPLBACKEND", None)
    for argument in sys.argv[1:]:
        seconds = run(Path(argument))
        print(f"{argument}: {seconds:.0f} s", flush=True)
