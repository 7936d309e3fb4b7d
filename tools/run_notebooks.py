"""Execute notebooks in place (full profile unless TLTUTOR_QUICK=1) and strip stderr outputs.

    python tools/run_notebooks.py notebooks/00_quickstart.ipynb
"""

import sys
import time

import nbclient
import nbformat

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from strip_stderr import strip  # noqa: E402

for path in sys.argv[1:]:
    started = time.perf_counter()
    notebook = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": "notebooks"}}).execute()
    nbformat.write(strip(notebook), path)
    print(f"{path}: {time.perf_counter() - started:.0f} s")
