"""Carry prose edits from a lesson's text twin into its stored notebook, without running anything.

    python tools/update_markdown.py notebooks/15_types_of_transfer.py [more ...]

Only markdown cells change. The twin's code cells must equal the stored notebook's, cell for cell;
otherwise the stored outputs would no longer come from the code shown, and the script refuses,
writing nothing: re-run the lesson with ``tools/run_notebooks.py`` instead.
"""

import sys
from pathlib import Path

import jupytext
import nbformat


def update(path: Path, check_only: bool = False) -> int:
    twin, notebook_path = path.with_suffix(".py"), path.with_suffix(".ipynb")
    edited, stored = jupytext.read(twin), nbformat.read(notebook_path, as_version=4)
    kinds = ([cell.cell_type for cell in edited.cells], [cell.cell_type for cell in stored.cells])
    if kinds[0] != kinds[1]:
        raise SystemExit(f"{twin}: its cells (kinds {kinds[0]}) no longer line up with {notebook_path} "
                         f"({kinds[1]}): re-run the lesson")
    changed_code = [index for index, (new, old) in enumerate(zip(edited.cells, stored.cells))
                    if new.cell_type == "code" and new.source != old.source]
    if changed_code:
        raise SystemExit(f"{twin}: code cells {changed_code} differ from the stored run: re-run the lesson")
    changed = 0
    for new, old in zip(edited.cells, stored.cells):
        if new.cell_type == "markdown" and new.source != old.source:
            old.source, changed = new.source, changed + 1
    if changed and not check_only:
        nbformat.write(stored, notebook_path)
    return changed


if __name__ == "__main__":
    paths = [Path(argument) for argument in sys.argv[1:]]
    for path in paths:  # every file is checked before any is written
        update(path, check_only=True)
    for path in paths:
        print(f"{path}: {update(path)} markdown cells updated")
