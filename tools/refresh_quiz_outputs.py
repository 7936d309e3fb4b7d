"""Re-render a stored lesson's quiz cells after an edit to its questions, without re-running the lesson.

    python tools/refresh_quiz_outputs.py notebooks/12_deployment_size_and_speed.ipynb [more ...]

A quiz cell's output is the quiz bank (``tltutor/assets/quizzes.json``) rendered, not a measurement:
re-running a five-minute lesson to show an edited question would also re-draw every timing in it.
Only three cells are touched, each recognised by its exact source: the predictions shown before the
experiment, the quiz, and ``quiz.check(answers)`` with no answers. Every other output, and every
execution count, stays as the full run stored it. ``--check`` writes nothing and fails when a stored
quiz output differs from the bank (the test suite runs it).
"""

import contextlib
import io
import sys
from pathlib import Path

import nbformat
from IPython.core.formatters import DisplayFormatter

from tltutor.lessons import quiz as quizzes


def _rendered(value, execution_count):
    data, metadata = DisplayFormatter().format(value)
    return nbformat.v4.new_output("execute_result", data=data, metadata=metadata, execution_count=execution_count)


def quiz_outputs(cell, stem: str):
    """The outputs ``cell`` should store, or ``None`` when it is not one of the lesson's quiz cells."""
    source = cell.source.strip()
    bank = quizzes.for_lesson(stem)
    if source == f'tl.lessons.quiz.for_lesson("{stem}").predictions()':
        return [_rendered(bank.predictions(), cell.execution_count)]
    if source == f'quiz = tl.lessons.quiz.for_lesson("{stem}")\nquiz':
        return [_rendered(bank, cell.execution_count)]
    if source.startswith("answers = {}") and source.endswith("quiz.check(answers);"):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            bank.check({})
        return [nbformat.v4.new_output("stream", name="stdout", text=printed.getvalue())]
    return None


def refresh(path: Path, check_only: bool = False) -> list[int]:
    """Indices of the quiz cells whose stored output differed from the bank (rewritten unless ``check_only``)."""
    notebook = nbformat.read(path, as_version=4)
    stale = []
    for index, cell in enumerate(notebook.cells):
        expected = quiz_outputs(cell, path.stem) if cell.cell_type == "code" else None
        if expected is not None and expected != cell.outputs:
            stale.append(index)
            cell.outputs = expected
    if stale and not check_only:
        nbformat.write(notebook, path)
    return stale


if __name__ == "__main__":
    check_only = "--check" in sys.argv
    paths = [Path(argument).with_suffix(".ipynb") for argument in sys.argv[1:] if argument != "--check"]
    stale = {path: refresh(path, check_only) for path in paths}
    for path, cells in stale.items():
        print(f"{path}: quiz cells {cells} {'differ from the bank' if check_only else 're-rendered'}" if cells
              else f"{path}: quiz cells match the bank")
    sys.exit(1 if check_only and any(stale.values()) else 0)
