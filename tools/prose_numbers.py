"""List the decimal numbers in a lesson's prose that no stored output or results file of that lesson shows.

    python tools/prose_numbers.py notebooks/02_freeze_and_new_head.ipynb [...]

A number in the prose must be printed by a stored output of the notebook or be a value of its
results file (design.md §5, rule 6), or stand in a sentence that cites its source (an author and a
year, such as "Li et al. 2018"): a stale number, left from an earlier run, shows up here.
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.])(\d+\.\d{2,4})(?![\w.]*\d)")
CITATION = re.compile(r"\b[A-Z][a-z]+(?: et al\.| & [A-Z][a-z]+)?,? \(?(?:19|20)\d\d\b")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*])")


def _collect(value, found: set) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found)
    elif isinstance(value, float):
        found.update(f"{value:.{digits}f}" for digits in (2, 3, 4))
    elif isinstance(value, str):
        found.update(NUMBER.findall(value))


def backed_numbers(notebook: dict, results: dict | None) -> set[str]:
    """Every decimal number the notebook's stored outputs print, or its results file holds."""
    found: set[str] = set()
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            found.update(NUMBER.findall("".join(output.get("text", ""))))
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/"):
                    found.update(NUMBER.findall("".join(value)))
    if results is not None:
        _collect(results, found)
    return found


def unbacked_in(notebook: dict, results: dict | None) -> list[str]:
    """The prose's decimal numbers that no output, results value or citation in their sentence backs."""
    seen = backed_numbers(notebook, results)
    missing = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        text = " ".join(line.lstrip("#> ").strip() for line in "".join(cell["source"]).splitlines())
        for sentence in SENTENCE_END.split(text):
            cited = CITATION.search(sentence) is not None
            missing += [number for number in NUMBER.findall(sentence) if number not in seen and not cited]
    return missing


def unbacked(path: Path) -> list[str]:
    notebook = json.loads(path.read_text())
    results_path = ROOT / "notebooks" / "results" / f"{path.stem}.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else None
    return unbacked_in(notebook, results)


if __name__ == "__main__":
    for argument in sys.argv[1:] or sorted(str(path) for path in (ROOT / "notebooks").glob("*.ipynb")):
        missing = unbacked(Path(argument).with_suffix(".ipynb"))
        print(f"{Path(argument).stem}: {', '.join(missing) if missing else 'every number backed'}")
