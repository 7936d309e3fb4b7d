"""For the notebooks as for the tests: a lesson whose Debian packages are missing is skipped, not failed."""

import json
from pathlib import Path

import pytest


def pytest_collection_modifyitems(config, items):
    """Skip every cell of a lesson whose Debian packages are missing, with one reason (make test installs them as root)."""
    from tltutor.runtime import system_packages

    missing_by_notebook = {}
    for item in items:
        path = Path(str(item.fspath))
        if path.suffix != ".ipynb":
            continue
        if path not in missing_by_notebook:
            cells = json.loads(path.read_text())["cells"]
            code = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "code")
            missing_by_notebook[path] = system_packages.missing(system_packages.needed_by(code))
        if missing_by_notebook[path]:
            names = " ".join(missing_by_notebook[path])
            item.add_marker(pytest.mark.skip(reason=f"{path.stem} needs the Debian package(s) {names}: "
                                                    f"{system_packages.install_command(missing_by_notebook[path])}"))
