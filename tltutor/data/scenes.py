"""Scenes with exact masks and boxes: Tux Paint's cut-out photographs composited onto textures.

The photo lessons' stamps (:func:`tltutor.data.sources.tuxpaint_photos`) are photographs cut out on
a transparent background, so pasting one onto another picture gives its outline exactly: a
per-pixel class mask and a tight box, with no human labelling. That turns the course's photographs
into data for localisation and segmentation (issue #35's lesson 20). The stamps are GPL-2 or later
(© Bill Kendrick and the Tux Paint contributors), read from Debian's ``tuxpaint-stamps-default`` and
never copied; the backgrounds are texture crops of scikit-image's photographs (:func:`textures`).

Held out means held out: each class's stamps are split once, so ``split="test"`` scenes use only
stamps (and texture crops) that ``split="train"`` scenes never show, and a score on them measures
generalisation, not memory of a cut-out.

Online, :func:`oxford_pets` gives the same :class:`Scenes` from real photographs with hand-drawn
masks: the Oxford-IIIT pets (via tfds, for Colab), whose classes are the two species. :func:`draw`
takes either by name (:data:`DATASETS`).

Example (needs the Debian package)::

    train = tl.data.scenes.scenes(50, seed=0)
    train.images.shape, train.masks.shape, train.boxes.shape     # (50, 96, 96, 3) (50, 96, 96) (50, 1, 4)
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from tltutor import state, validation
from tltutor.data import sources, tfds_source
from tltutor.errors import DatasetError

SPLITS = ("train", "test")
TEST_SHARE = 0.3  # of each class's stamps, held out for the test scenes
OBJECT_SIDE = (0.35, 0.7)  # an object's longer side, as a share of the scene's
ALPHA_THRESHOLD = 128  # a pixel belongs to the object where its stamp's alpha reaches this
MINIMUM_STAMPS = 4  # per class, so that both splits have some
DISTRACTOR_MANIFEST = "tuxpaint_distractors.tsv"  # photographed stamps of none of the classes: tools, vehicles, signs
DISTRACTORS = 2
DATASETS = ("tuxpaint_scenes", tfds_source.PETS)  # what :func:`draw` takes: offline composites, or the pets online
DRAW_SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class Scenes:
    """Images with masks and boxes: ``images`` (N, S, S, 3) uint8, ``masks`` (N, S, S) int32 with 0 for the background
    and ``class + 1`` for an object's pixels, ``boxes`` (N, objects, 4) float32 ``x1, y1, x2, y2`` in pixels
    (``x2``, ``y2`` exclusive) and ``labels`` (N, objects) int32."""

    images: np.ndarray
    masks: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    class_names: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


@functools.lru_cache(maxsize=2)
def _stamps(folder: str) -> tuple[tuple[tuple[Path, ...], ...], tuple[str, ...]]:
    """Each class's stamp files, in the manifest's order."""
    found, skipped, class_names = sources.manifest_files(folder, sources.PHOTO_MANIFEST)
    by_class = tuple(tuple(path for path, label in found if label == index) for index in range(len(class_names)))
    if skipped:
        warnings.warn(f"{len(skipped)} stamps are missing or differ from tltutor's manifest and were left out, "
                      f"e.g. {skipped[0]}", stacklevel=3)
    if min(len(stamps) for stamps in by_class) < MINIMUM_STAMPS:
        raise DatasetError(f"only {dict(zip(class_names, map(len, by_class)))} stamps per class match tltutor's "
                           f"manifest: install Debian's {sources.PHOTO_PACKAGE} 2022.06.04 "
                           f"(apt-get install -y {sources.PHOTO_PACKAGE})")
    return by_class, class_names


@functools.lru_cache(maxsize=2)
def _distractors(folder: str) -> tuple[tuple[Path | None, ...], int]:
    """The manifest's distractors in its order, ``None`` where one is missing or differs; and how many were found."""
    found, skipped, _ = sources.manifest_files(folder, DISTRACTOR_MANIFEST)
    if skipped:
        warnings.warn(f"{len(skipped)} distractor stamps are missing or differ from tltutor's manifest and were left "
                      f"out, e.g. {skipped[0]}", stacklevel=3)
    if len(found) < MINIMUM_STAMPS:
        raise DatasetError(f"only {len(found)} distractor stamps match tltutor's manifest: install Debian's "
                           f"{sources.PHOTO_PACKAGE} 2022.06.04 (apt-get install -y {sources.PHOTO_PACKAGE})")
    present = {path.relative_to(folder).as_posix(): path for path, _ in found}
    return tuple(present.get(row[0]) for row in sources.manifest_rows(DISTRACTOR_MANIFEST)), len(found)


def distractor_paths(split: str = "train", folder: Path | str | None = None) -> list[Path]:
    """The distractor stamps a ``split`` draws from (photographs of none of the classes), held out as the
    classes' are: the split is made on the manifest's rows, so a missing stamp moves no other."""
    split = validation.check_name(split, SPLITS, "scene split")
    stamps, _ = _distractors(str(sources._photo_folder(folder)))
    order = np.random.default_rng(len(stamps)).permutation(len(stamps))
    held_out = max(1, round(TEST_SHARE * len(stamps)))
    chosen = order[:held_out] if split == "test" else order[held_out:]
    return [stamps[index] for index in sorted(chosen) if stamps[index] is not None]


def stamp_paths(split: str = "train", folder: Path | str | None = None) -> tuple[list[Path], np.ndarray, tuple[str, ...]]:
    """``(paths, labels, class names)`` of the stamps a ``split`` draws from: a fixed :data:`TEST_SHARE` of each
    class is the test split's, the rest the train split's."""
    split = validation.check_name(split, SPLITS, "scene split")
    by_class, class_names = _stamps(str(sources._photo_folder(folder)))
    paths, labels = [], []
    for label, stamps in enumerate(by_class):
        order = np.random.default_rng(label).permutation(len(stamps))
        held_out = max(1, round(TEST_SHARE * len(stamps)))
        chosen = order[:held_out] if split == "test" else order[held_out:]
        paths += [stamps[index] for index in sorted(chosen)]
        labels += [label] * len(chosen)
    return paths, np.asarray(labels, np.int32), class_names


@functools.lru_cache(maxsize=256)
def _cut_out(path: Path) -> Image.Image:
    with Image.open(path) as image:
        rgba = image.convert("RGBA")
    return rgba.crop(rgba.getbbox())  # the stamp's own transparent margin carries nothing


def _background(crops: np.ndarray, size: int, rng: np.random.Generator) -> Image.Image:
    """A texture crop at ``size``, tinted with a random colour so that backgrounds are not all grey."""
    grey = Image.fromarray(crops[int(rng.integers(len(crops)))]).resize((size, size), Image.BILINEAR)
    tint = rng.uniform(0.6, 1.2, 3)
    coloured = np.clip(np.asarray(grey, np.float64)[..., None] * tint, 0, 255).astype(np.uint8)
    return Image.fromarray(coloured).convert("RGBA")


def _paste(canvas: Image.Image, path: Path, rng: np.random.Generator) -> tuple[np.ndarray, int, int]:
    """Paste a stamp's cut-out at a random size and place; ``(its opaque pixels, left, top)``."""
    stamp = _cut_out(path)
    image_size = canvas.width
    longer = rng.uniform(*OBJECT_SIDE) * image_size
    scale = longer / max(stamp.size)
    width, height = max(1, round(stamp.width * scale)), max(1, round(stamp.height * scale))
    resized = stamp.resize((width, height), Image.LANCZOS)
    left, top = int(rng.integers(0, image_size - width + 1)), int(rng.integers(0, image_size - height + 1))
    canvas.alpha_composite(resized, (left, top))
    inside = np.asarray(resized)[..., 3] >= ALPHA_THRESHOLD
    if not inside.any():  # a stamp shrunk to nothing opaque: mark its whole rectangle, so mask and box agree
        inside[:] = True
    return inside, left, top


def scenes(count: int, *, split: str = "train", objects: int = 1, distractors: int = DISTRACTORS, image_size: int = 96,
           seed: int = 0, folder: Path | str | None = None) -> Scenes:
    """``count`` scenes of ``objects`` stamps each, pasted at random sizes and places onto texture crops.

    ``distractors`` photographed stamps of none of the classes (a hammer, a bus, a road sign) are pasted
    first, as clutter that belongs to the background: finding "something that is not the background"
    is then not enough, a model must know what the classes look like.

    Each object's longer side is :data:`OBJECT_SIDE` of the scene's, and it lies wholly inside the
    scene; a later object covers an earlier one where they overlap (the mask keeps what is visible,
    a box the object's whole extent). The same arguments give the same scenes. Refused before any
    work: a ``count`` or ``objects`` below 1, an ``image_size`` below 32, an unknown ``split``.
    """
    count = validation.check_positive_int(count, "count")
    if not isinstance(objects, (int, np.integer)) or isinstance(objects, bool) or objects < 1:
        raise validation.InvalidArgumentError(f"objects={objects!r}: a scene needs at least one object, e.g. objects=1")
    if not isinstance(distractors, (int, np.integer)) or isinstance(distractors, bool) or distractors < 0:
        raise validation.InvalidArgumentError(f"distractors={distractors!r}: give a count of clutter stamps, 0 or more")
    image_size = validation.check_positive_int(image_size, "image_size", minimum=32)
    paths, labels, class_names = stamp_paths(split, folder)
    texture_source = sources.textures()
    crops = texture_source.x_pool if split == "train" else texture_source.x_test
    rng = np.random.default_rng([seed, SPLITS.index(split)])
    images = np.empty((count, image_size, image_size, 3), np.uint8)
    masks = np.zeros((count, image_size, image_size), np.int32)
    boxes = np.empty((count, objects, 4), np.float32)
    chosen_labels = np.empty((count, objects), np.int32)
    clutter = distractor_paths(split, folder) if distractors else []
    for scene in range(count):
        canvas = _background(crops, image_size, rng)
        for _ in range(distractors):
            _paste(canvas, clutter[int(rng.integers(len(clutter)))], rng)
        for slot in range(objects):
            label = int(rng.integers(len(class_names)))
            inside, left, top = _paste(canvas, paths[int(rng.choice(np.flatnonzero(labels == label)))], rng)
            height, width = inside.shape
            rows, columns = np.nonzero(inside)
            masks[scene, top:top + height, left:left + width][inside] = label + 1
            boxes[scene, slot] = (left + columns.min(), top + rows.min(), left + columns.max() + 1,
                                  top + rows.max() + 1)
            chosen_labels[scene, slot] = label
        images[scene] = np.asarray(canvas.convert("RGB"))
    return Scenes(images, masks, boxes, chosen_labels, class_names)


def check_masks(masks, num_classes: int, image_shape) -> np.ndarray:
    """``masks`` as int32 ``(N, height, width)`` if they fit images of ``image_shape`` and a head of
    ``num_classes`` classes (ids 0 for the background to ``num_classes``); a clear error otherwise."""
    masks = np.asarray(masks)
    height, width = tuple(image_shape)[:2]
    if masks.ndim != 3 or masks.shape[1:] != (height, width):
        raise validation.InvalidArgumentError(
            f"masks have shape {masks.shape}, the images {height}×{width}: give one (height, width) mask per image")
    if not np.issubdtype(masks.dtype, np.integer):
        raise validation.InvalidArgumentError(f"masks hold {masks.dtype} values: give integer class ids")
    if masks.size and (masks.min() < 0 or masks.max() > num_classes):
        raise validation.InvalidArgumentError(
            f"masks hold class ids {int(masks.min())} to {int(masks.max())}, but the head has {num_classes} classes "
            f"(ids 1 to {num_classes}, 0 for the background)")
    return masks.astype(np.int32)


def check_boxes(boxes, image_size: int) -> np.ndarray:
    """``boxes`` as float32 ``(..., 4)`` ``x1, y1, x2, y2`` if each lies inside a square image of ``image_size``
    pixels with ``x1 < x2`` and ``y1 < y2``; a clear error naming the first bad box otherwise."""
    boxes = np.asarray(boxes, np.float32)
    if boxes.ndim < 2 or boxes.shape[-1] != 4:
        raise validation.InvalidArgumentError(f"boxes have shape {boxes.shape}: give x1, y1, x2, y2 in the last axis")
    flat = boxes.reshape(-1, 4)
    bad = np.flatnonzero(~np.isfinite(flat).all(axis=1) | (flat[:, 0] >= flat[:, 2]) | (flat[:, 1] >= flat[:, 3])
                         | (flat[:, :2] < 0).any(axis=1) | (flat[:, 2:] > image_size).any(axis=1))
    if bad.size:
        raise validation.InvalidArgumentError(
            f"box {flat[bad[0]].tolist()} (number {int(bad[0])}) is not inside a {image_size}-pixel image with "
            f"x1 < x2 and y1 < y2: boxes are x1, y1, x2, y2 in pixels")
    return boxes


def pets_from_trimaps(images, trimaps, species, species_names) -> Scenes:
    """Oxford-IIIT pets as :class:`Scenes`: a pet's pixels, its outline included, take its species' class
    (``species + 1``), the rest is background; its box is its mask's extent. A photograph whose trimap
    holds no pet pixel (at a small size, resizing can lose a thin outline) is left out, with a warning."""
    images, trimaps, species = np.asarray(images, np.uint8), np.asarray(trimaps), np.asarray(species, np.int32)
    if trimaps.shape != images.shape[:3] or species.shape != images.shape[:1]:
        raise validation.InvalidArgumentError(
            f"{images.shape[0]} images of {images.shape[1:3]} need as many trimaps of that size and species; "
            f"got {trimaps.shape} and {species.shape}")
    pet = np.isin(trimaps, (tfds_source.PET_TRIMAP["pet"], tfds_source.PET_TRIMAP["outline"]))
    kept = pet.any(axis=(1, 2))
    if not kept.any():
        raise DatasetError(f"no trimap holds a pet pixel (values {sorted(np.unique(trimaps).tolist())[:8]}); "
                           f"expected {tfds_source.PET_TRIMAP}")
    if not kept.all():
        warnings.warn(f"{int((~kept).sum())} of {len(kept)} pets have no pet pixel at {images.shape[1]} px and were "
                      f"left out (e.g. number {int(np.flatnonzero(~kept)[0])}); a larger image_size keeps them",
                      stacklevel=2)
        images, trimaps, species, pet = images[kept], trimaps[kept], species[kept], pet[kept]
    masks = np.where(pet, species[:, None, None] + 1, 0).astype(np.int32)
    boxes = np.empty((len(images), 1, 4), np.float32)
    for index, inside in enumerate(pet):
        rows, columns = np.nonzero(inside)
        boxes[index, 0] = (columns.min(), rows.min(), columns.max() + 1, rows.max() + 1)
    return Scenes(images, masks, boxes, species[:, None].copy(), tuple(species_names))


@functools.lru_cache(maxsize=3)
def _pets(split: str, image_size: int, data_dir: str | None) -> Scenes:
    return pets_from_trimaps(*tfds_source.load_pet_masks(split, image_size, data_dir))


state.register_cache(_pets.cache_clear)


def oxford_pets(count: int, *, split: str = "train", image_size: int = 96, seed: int = 0,
                data_dir: str | None = None) -> Scenes:
    """``count`` of the Oxford-IIIT pets of ``split`` (``train``, ``validation`` or ``test``), drawn by ``seed``:
    real photographs with hand-drawn masks, in two classes, cat and dog (CC BY-SA 4.0; Parkhi et al. 2012).

    Downloaded by tfds (about 800 MB) at first use and kept in memory per split and size; offline, a
    DownloadError within seconds, with the offline alternative. The three splits share no photograph.
    """
    count = validation.check_positive_int(count, "count")
    image_size = validation.check_positive_int(image_size, "image_size", minimum=32)
    split = validation.check_name(split, tfds_source.PET_SPLITS, "pets split")
    seed = validation.check_seed(seed)
    pets = _pets(split, image_size, data_dir)
    if count > len(pets.images):
        raise validation.InvalidArgumentError(
            f"count={count}: the pets' {split} split has {len(pets.images)} photographs; ask for at most that many")
    order = np.random.default_rng([seed, list(tfds_source.PET_SPLITS).index(split)]).permutation(len(pets.images))
    chosen = order[:count]
    return Scenes(pets.images[chosen], pets.masks[chosen], pets.boxes[chosen], pets.labels[chosen], pets.class_names)


def draw(dataset: str, count: int, *, split: str = "train", image_size: int = 96, seed: int = 0,
         distractors: int = DISTRACTORS) -> Scenes:
    """``count`` scenes of ``dataset`` (:data:`DATASETS`) for ``split``: ``train``, ``validation`` or ``test``.

    ``tuxpaint_scenes`` (offline) are :func:`scenes`, validation ones drawn from the training stamps
    with ``distractors`` clutter each; ``oxford_iiit_pet`` (online) are :func:`oxford_pets`, where
    ``distractors`` does not apply.
    """
    dataset = validation.check_name(dataset, DATASETS, "scene dataset")
    split = validation.check_name(split, DRAW_SPLITS, "scene split")
    if dataset == tfds_source.PETS:
        return oxford_pets(count, split=split, image_size=image_size, seed=seed)
    return scenes(count, split="test" if split == "test" else "train", image_size=image_size, seed=seed,
                  distractors=distractors)
