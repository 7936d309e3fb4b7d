"""Write tltutor/assets/tuxpaint_distractors.tsv: photographed stamps of none of lesson 20's classes, as clutter.

    apt-get install tuxpaint-stamps-default && python tools/make_distractor_manifest.py

The scenes of :mod:`tltutor.data.scenes` paste two of these under each object, as background: tools,
vehicles, road signs, instruments, sports balls, clothes and seasonal things. A stamp counts as a
photograph when its opaque pixels hold more than 300 distinct colours at 5 bits per channel (drawings
and clip-art have far fewer); mirrored copies and cartoon folders are left out, and so is anything that
shows one of the five classes (a chick, a roast turkey, a daffodil, a pumpkin, a tree or wreath) or a
near copy of another distractor (six of nine gravestones). As for the photo manifest, the images are
not copied into tltutor: the manifest lists each path, the class "distractor" and its sha256.
"""

import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
STAMPS = Path("/usr/share/tuxpaint/stamps")
FOLDERS = ("household", "town", "vehicles", "clothes", "sports", "hobbies", "seasonal")
MINIMUM_COLOURS = 300
LEFT_OUT = ("Roast_turkey", "bunny", "butterfly", "chick-", "daffodil", "jackolantern", "Christmas_Tree", "xmaswreath",
            "grave-b", "grave-c", "grave-d", "grave-f", "grave-g", "grave-h")


def is_photograph(path: Path) -> bool:
    with Image.open(path) as image:
        rgba = np.asarray(image.convert("RGBA"))
    opaque = rgba[..., :3][rgba[..., 3] >= 128]
    return len(opaque) > 0 and len(np.unique(opaque // 8, axis=0)) > MINIMUM_COLOURS


def main() -> int:
    if not STAMPS.is_dir():
        print("install Debian's tuxpaint-stamps-default first: apt-get install -y tuxpaint-stamps-default")
        return 1
    rows = []
    for folder in FOLDERS:
        for path in sorted((STAMPS / folder).rglob("*.png")):
            relative = path.relative_to(STAMPS).as_posix()
            if "cartoon" in relative or "mirror" in relative or any(name in relative for name in LEFT_OUT):
                continue
            if is_photograph(path):
                rows.append(f"{relative}\tdistractor\t{hashlib.sha256(path.read_bytes()).hexdigest()}")
    target = ROOT / "tltutor" / "assets" / "tuxpaint_distractors.tsv"
    target.write_text("path\tclass\tsha256\n" + "\n".join(rows) + "\n")
    print(f"{len(rows)} distractors written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
