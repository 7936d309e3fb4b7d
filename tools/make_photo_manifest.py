"""Write tltutor/assets/tuxpaint_photos.tsv: the curated real photographs of Debian's tuxpaint-stamps-default.

    apt-get install tuxpaint-stamps-default && python tools/make_photo_manifest.py

The package (GPL-2 or later; Debian main and Ubuntu) holds photographs cut out on transparent
backgrounds, filed by subject. Five subjects have enough photographs to make classes; among their
PNGs are drawings and cartoons (Tux, teddy bears, clip-art fruit), which are left out by name
below, each with its reason. The images themselves are not copied into tltutor: their licence is
not tltutor's. The manifest lists, for each photograph, its path under the stamps folder, its
class and its sha256, so the loader reads exactly these files.
"""

import hashlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAMPS = Path("/usr/share/tuxpaint/stamps")
CLASSES = {  # class name: folder under the stamps folder
    "mammal": "animals/mammals",
    "bird": "animals/birds",
    "fruit": "food/fruit",
    "vegetable": "food/vegetables",
    "flower": "plants/flowers",
}
# Not photographs (checked by eye on a contact sheet of every PNG of the five folders): the
# package files its drawings under cartoon/ and toys/ sub-folders, except these three.
DRAWING_FOLDERS = {"cartoon", "toys"}
DRAWINGS = {
    "animals/mammals/echidna.png": "silhouette",
    "animals/mammals/hedgehog.png": "cartoon",
    "animals/mammals/aquatic/whale.png": "drawing",
}
# Left out as a class: animals/insects has 8 photographs among 20 PNGs, too few to train and test on.

def main() -> int:
    if not STAMPS.is_dir():
        print("install Debian's tuxpaint-stamps-default first: apt-get install -y tuxpaint-stamps-default")
        return 1
    rows, left_out = [], []
    for class_name, folder in CLASSES.items():
        for path in sorted((STAMPS / folder).rglob("*.png")):
            relative = path.relative_to(STAMPS).as_posix()
            if relative in DRAWINGS or DRAWING_FOLDERS & set(path.relative_to(STAMPS).parts):
                left_out.append(relative)
                continue
            rows.append(f"{relative}\t{class_name}\t{hashlib.sha256(path.read_bytes()).hexdigest()}")
    missing = sorted(set(DRAWINGS) - set(left_out))
    if missing:
        print(f"names in DRAWINGS that the package does not have: {missing}")
        return 1
    target = ROOT / "tltutor" / "assets" / "tuxpaint_photos.tsv"
    target.write_text("path\tclass\tsha256\n" + "\n".join(rows) + "\n")
    print(f"{len(rows)} photographs ({len(left_out)} drawings left out) written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
