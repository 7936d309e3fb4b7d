"""Write tltutor/assets/tuxpaint_recordings.tsv: recorded spoken descriptions from Debian's tuxpaint-stamps-default.

    apt-get install tuxpaint-stamps-default && python tools/make_recording_manifest.py

Many of the package's stamps (GPL-2 or later) come with a recording of a person reading the
stamp's one-line description aloud, ``<stamp>_desc_<language>.ogg``. The package's changelog
credits them to named speakers, mostly one per language. Eight languages have recordings for
hundreds of the same stamps; this tool takes the stamps recorded in all eight, sorted by path, and
keeps 60 spread evenly over that list, so every language says the same 60 descriptions. The
recordings are not copied into tltutor; the manifest lists each file's path, language and sha256,
so the loader reads exactly these files.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
STAMPS = Path("/usr/share/tuxpaint/stamps")
LANGUAGES = {"fr": "French", "ru": "Russian", "ro": "Romanian", "ca": "Catalan", "bg": "Bulgarian",
             "es": "Spanish", "be": "Belarusian", "el": "Greek"}
STAMPS_KEPT = 60


def main() -> int:
    if not STAMPS.is_dir():
        print("install Debian's tuxpaint-stamps-default first: apt-get install -y tuxpaint-stamps-default")
        return 1
    recorded = {}
    for path in STAMPS.rglob("*_desc_*.ogg"):
        stem, _, language = path.stem.rpartition("_desc_")
        recorded.setdefault(path.with_name(stem).relative_to(STAMPS).as_posix(), set()).add(language)
    complete = sorted(stamp for stamp, languages in recorded.items() if set(LANGUAGES) <= languages)
    if len(complete) < STAMPS_KEPT:
        print(f"only {len(complete)} stamps are recorded in all of {sorted(LANGUAGES)}: another package version?")
        return 1
    kept = [complete[index] for index in np.linspace(0, len(complete) - 1, STAMPS_KEPT).round().astype(int)]
    rows = []
    for code, language in LANGUAGES.items():
        for stamp in kept:
            path = STAMPS / f"{stamp}_desc_{code}.ogg"
            rows.append(f"{path.relative_to(STAMPS).as_posix()}\t{language}\t"
                        f"{hashlib.sha256(path.read_bytes()).hexdigest()}")
    target = ROOT / "tltutor" / "assets" / "tuxpaint_recordings.tsv"
    target.write_text("path\tlanguage\tsha256\n" + "\n".join(rows) + "\n")
    print(f"{len(rows)} recordings ({STAMPS_KEPT} stamps of {len(complete)} recorded in all "
          f"{len(LANGUAGES)} languages) written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
