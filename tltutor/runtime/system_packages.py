"""The Debian packages some lessons need beyond Python: what each provides, who uses it, how to install it.

tltutor's Python dependencies come from PyPI. A few lessons also need a program or data that only
a system package provides (Debian and Ubuntu, so Colab too). This registry is the one place that
says which: the lessons' Colab install cells, ``make test`` (which installs them when it runs as
root) and the tests that skip without them are all made from it.

Examples:
    >>> from tltutor.runtime import system_packages
    >>> system_packages.needed_by("clips = tl.data.audio.synthesize('three', 'en')")
    ('espeak-ng',)
    >>> system_packages.install_command(["espeak-ng"])
    'apt-get install -y espeak-ng'
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DebianPackage:
    """A Debian package: the program or folder it provides, and the tltutor names whose use needs it."""

    name: str
    what: str
    program: str | None = None
    folder: str | None = None
    folder_variable: str | None = None  # an environment variable that points elsewhere (another install)
    used_by: tuple[str, ...] = ()

    def location(self) -> Path | None:
        """Where the package's files are: the folder, or what ``folder_variable`` says.

        The variable may name the folder itself or a folder the ``.deb`` was unpacked into without
        root (``dpkg -x package.deb ~/debs``: the files are then under ``~/debs/usr/share/...``).
        """
        if self.folder is None:
            return None
        if not self.folder_variable or self.folder_variable not in os.environ:
            return Path(self.folder)
        return self.resolve(os.environ[self.folder_variable])

    def resolve(self, given) -> Path:
        """``given`` itself, or the package's folder under it when ``given`` is where its ``.deb`` was unpacked."""
        given = Path(given).expanduser()
        unpacked = given / self.folder.lstrip("/")
        return unpacked if unpacked.is_dir() else given

    def installed(self) -> bool:
        if self.program is not None and shutil.which(self.program) is None:
            return False
        return self.folder is None or self.location().is_dir()


REGISTRY = {package.name: package for package in (
    DebianPackage("espeak-ng", "the espeak-ng speech synthesiser (synthetic voices for the speech lesson)",
                  program="espeak-ng", used_by=("data.audio.synthesize", "lessons.speech.")),
    DebianPackage("tuxpaint-stamps-default", "Tux Paint's stamps (real photographs and recorded speech, GPL-2)",
                  folder="/usr/share/tuxpaint/stamps", folder_variable="TLTUTOR_TUXPAINT_STAMPS",
                  used_by=("tuxpaint_photos", "tuxpaint_recordings", "data.scenes", "lessons.segmentation.")),
)}


def get(name: str) -> DebianPackage:
    from tltutor import validation  # the registry itself needs nothing from tltutor

    return REGISTRY[validation.check_name(name, REGISTRY, "Debian package")]


def needed_by(source: str) -> tuple[str, ...]:
    """The packages that code calling tltutor (a lesson's source) needs, in registry order."""
    return tuple(name for name, package in REGISTRY.items() if any(use in source for use in package.used_by))


def missing(names) -> tuple[str, ...]:
    """Those of ``names`` that are not installed on this machine."""
    return tuple(name for name in names if not get(name).installed())


def install_command(names, *, colab: bool = False) -> str:
    """The command that installs ``names``: ``apt-get install -y ...`` (``!apt-get ...`` in a Colab cell)."""
    return f"{'!' if colab else ''}apt-get install -y {' '.join(names)}"


def require(name: str, what: str) -> None:
    """Raise a clear error before any work when package ``name``, which ``what`` needs, is missing."""
    package = get(name)
    if not package.installed():
        from tltutor.errors import DatasetError

        raise DatasetError(f"{what} needs {package.what}, from the Debian package {name}: "
                           f"{install_command([name])} (on Colab: {install_command([name], colab=True)})")
