"""The README says what is true: its lesson table is made from the stored results, its commands exist."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()


def _lesson_table_tool():
    spec = importlib.util.spec_from_file_location("lesson_table", ROOT / "tools" / "lesson_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_lesson_table_is_the_one_made_from_the_stored_results():
    tool = _lesson_table_tool()
    committed = README[README.index(tool.START) + len(tool.START):README.index(tool.END)].strip()
    assert committed == tool.table(), "run `python tools/lesson_table.py --write` after a lesson's full run"
    assert committed.count("\n| [`") == len(list((ROOT / "notebooks").glob("*.ipynb"))), "one row per lesson"


def test_the_two_setup_commands_are_make_targets_and_ci_runs_the_test_one():
    makefile = (ROOT / "Makefile").read_text()
    for command in re.findall(r"^make (\w+)", README, flags=re.MULTILINE)[:2]:
        assert re.search(rf"^{command}:", makefile, flags=re.MULTILINE), f"README's `make {command}` has no target"
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_speed_section_holds_measured_figures():
    speed = README[README.index("<!-- speed:start -->"):README.index("<!-- speed:end -->")]
    assert re.search(r"\d+(\.\d+)?\s*(s|ms|×|x)\b", speed), "the README's speed section has no measured figures"
