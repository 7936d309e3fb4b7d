"""The lessons as files: text twins in sync, every figure stored, headers from pyproject, a quiz, an exercise.

Each check runs over the committed notebooks and is shown to fail on a deliberately broken one.
"""

import dataclasses
import importlib.util
import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = [path.stem for path in NOTEBOOKS]
DRAWS = re.compile(r"\bplot_\w+\s*\(|\.imshow\(|\bplots\.")

_SPEC = importlib.util.spec_from_file_location("notebook_headers", ROOT / "tools" / "notebook_headers.py")
headers = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(headers)
_QUIZ_SPEC = importlib.util.spec_from_file_location("refresh_quiz_outputs", ROOT / "tools" / "refresh_quiz_outputs.py")
quiz_outputs = importlib.util.module_from_spec(_QUIZ_SPEC)
_QUIZ_SPEC.loader.exec_module(quiz_outputs)


def _cells(notebook):
    return [(cell.cell_type, cell.source.strip()) for cell in notebook.cells]


def test_there_are_lessons_and_each_has_a_text_twin():
    assert len(NOTEBOOKS) >= 13
    assert [path.stem for path in sorted((ROOT / "notebooks").glob("*.py"))] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_text_twin_is_in_sync(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    twin = jupytext.read(ROOT / "notebooks" / f"{name}.py")
    assert _cells(twin) == _cells(notebook), f"run: jupytext --sync notebooks/{name}.py"


def test_an_edited_twin_is_caught():
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    twin = jupytext.read(NOTEBOOKS[0].with_suffix(".py"))
    twin.cells[0].source += "\nan edit made only in the text twin"
    assert _cells(twin) != _cells(notebook)


def cells_missing_a_figure(notebook) -> list[int]:
    """Code cells that call a plotting function but store no image."""
    return [index for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and DRAWS.search(cell.source)
            and not any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))]


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_is_stored(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    assert sum(bool(DRAWS.search(cell.source)) for cell in notebook.cells if cell.cell_type == "code") >= 1
    assert cells_missing_a_figure(notebook) == [], "a cell draws a figure that the notebook does not store"


def test_a_missing_figure_is_caught():
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    drawing = next(cell for cell in notebook.cells if cell.cell_type == "code" and DRAWS.search(cell.source))
    drawing.outputs = [output for output in drawing.outputs if "image/png" not in output.get("data", {})]
    assert cells_missing_a_figure(notebook) != []


@pytest.mark.parametrize("name", NAMES)
def test_stored_quiz_shows_the_questions_of_the_bank(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    recognised = [cell for cell in notebook.cells if cell.cell_type == "code"
                  and quiz_outputs.quiz_outputs(cell, name) is not None]
    assert len(recognised) == 3, "the predictions, the quiz and its check: each in the cell the tool recognises"
    stale = quiz_outputs.refresh(ROOT / "notebooks" / f"{name}.ipynb", check_only=True)
    assert stale == [], f"run: python tools/refresh_quiz_outputs.py notebooks/{name}.ipynb"


def test_an_edited_question_is_caught(monkeypatch):
    notebook = nbformat.read(NOTEBOOKS[0], as_version=4)
    shown = next(cell for cell in notebook.cells if cell.cell_type == "code" and cell.source.startswith("quiz = "))
    assert quiz_outputs.quiz_outputs(shown, NOTEBOOKS[0].stem) == shown.outputs
    bank = quiz_outputs.quizzes.for_lesson(NOTEBOOKS[0].stem)
    bank.questions[0] = dataclasses.replace(bank.questions[0], text=bank.questions[0].text + " (edited)")
    monkeypatch.setattr(quiz_outputs.quizzes, "for_lesson", lambda stem: bank)
    assert quiz_outputs.quiz_outputs(shown, NOTEBOOKS[0].stem) != shown.outputs


@pytest.mark.parametrize("name", NAMES)
def test_badge_and_install_cell_agree_with_pyproject(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    assert headers.badge(name) in notebook.cells[0].source
    assert notebook.cells[1].source.strip() == "\n".join(headers.install_lines(name)).strip()
    assert headers.repository_url() == "https://github.com/tltutor/tltutor"


def test_install_cells_follow_what_each_lesson_calls(monkeypatch):
    from tltutor.runtime import system_packages

    speech = headers.install_lines("14_speech_transfer")
    assert "    !apt-get install -y -qq espeak-ng tuxpaint-stamps-default" in speech  # synthetic and recorded speech
    assert 'if "google.colab" in sys.modules:' in "\n".join(speech)
    assert not any("apt-get" in line for line in headers.install_lines("02_freeze_and_new_head"))
    # A lesson that starts synthesising speech needs espeak-ng on Colab: its stored cell would then disagree.
    code = headers.lesson_code("02_freeze_and_new_head") + "\nclip = tl.data.audio.synthesize('three', 'en')\n"
    monkeypatch.setattr(headers, "lesson_code", lambda name: code)
    assert any("apt-get install -y -qq espeak-ng" in line for line in headers.install_lines("02_freeze_and_new_head"))
    assert system_packages.needed_by(code) == ("espeak-ng",)


def test_make_test_installs_every_package_the_lessons_need():
    from tltutor.runtime import system_packages

    script = (ROOT / "tools" / "install_debian_packages.sh").read_text()
    listed = re.search(r"^lesson_packages=\((.*)\)$", script, flags=re.MULTILINE).group(1).split()
    assert listed == list(system_packages.REGISTRY)
    assert "install_debian_packages.sh" in (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("name", NAMES)
def test_each_lesson_has_prose_a_quiz_an_exercise_and_its_time(name):
    notebook = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    prose = " ".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    assert len(re.findall(r"[A-Za-z]{2,}", prose)) >= 600, "explain the mechanism, not only the recipe"
    assert any(f'quiz.for_lesson("{name}")' in source for source in code)
    predicted = [index for index, source in enumerate(code) if ".predictions()" in source]
    quizzed = [index for index, source in enumerate(code) if source.startswith("quiz = tl.lessons.quiz.for_lesson")]
    assert predicted and quizzed and predicted[0] < quizzed[0], "ask for a prediction before the cells that measure it"
    assert any("tl.lessons.exercises.check_" in source for source in code)
    assert f'Lesson("{name}")' in code[1] and code[-1].strip().startswith("lesson.finish()")
    outputs = notebook.cells[-1].outputs
    assert any(re.match(r"lesson time: \d+ s", output.get("text", "")) for output in outputs), "no stored full run"


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_hold_no_noise(name):
    text = json.dumps(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4).cells)
    for noise in ("cudart_stub", "WARNING:tensorflow", "absl::InitializeLog", "Traceback"):
        assert noise not in text


def _time_lessons():
    spec = importlib.util.spec_from_file_location("time_lessons", ROOT / "tools" / "time_lessons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")), ids=lambda path: path.stem)
def test_every_lesson_runs_as_a_plain_script_once_its_magics_are_passed(path):
    """tools/time_lessons.py times lessons where Jupyter is missing (the GPU machine): each must compile."""
    script = _time_lessons().script_of(path)
    compile(script, str(path), "exec")
    with pytest.raises(SyntaxError):  # the magics really are what breaks the raw file
        compile(path.read_text(), str(path), "exec")


def test_timing_a_lesson_records_its_failure_and_goes_on(tmp_path, monkeypatch):
    timing = _time_lessons()
    broken = tmp_path / "98_broken.py"
    broken.write_text("raise SystemExit('this lesson failed on purpose')\n")
    monkeypatch.setattr(timing, "NOTEBOOKS", tmp_path)
    row = timing.time_lesson(broken, timeout=60)
    assert row["status"] == 1 and "failed on purpose" in row["error_tail"]
    with pytest.raises(SystemExit, match="no lesson matches"):
        timing.lesson_files(["77"])
