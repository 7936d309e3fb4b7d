"""Every decimal number in a lesson's prose is printed by its stored run, held in its results file, or cited."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
_SPEC = importlib.util.spec_from_file_location("prose_numbers", ROOT / "tools" / "prose_numbers.py")
prose_numbers = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(prose_numbers)
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_every_number_in_the_prose_is_backed(path):
    assert prose_numbers.unbacked(path) == [], "a number the stored run does not show: re-run or correct the prose"


def test_a_stale_number_and_an_uncited_one_are_caught_and_a_cited_one_is_not():
    notebook = json.loads(NOTEBOOKS[0].read_text())
    notebook["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [
        "Fine-tuning reached 0.9137 on every seed. Kornblith et al. (2019) report 0.8812 on Food-101."]})
    results = json.loads((ROOT / "notebooks" / "results" / f"{NOTEBOOKS[0].stem}.json").read_text())
    assert prose_numbers.unbacked_in(notebook, results) == ["0.9137"]
