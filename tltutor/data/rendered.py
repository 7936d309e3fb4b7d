"""A simulator of handwritten digits: digits drawn from fonts, plain or randomised.

The fonts are the TrueType fonts matplotlib ships (DejaVu, STIX and Computer Modern; those whose
digits are real digit glyphs, see :func:`digit_fonts`). Each digit is drawn white on black, scaled
into a 20-pixel box and centred by its centre of mass in a 28 × 28 image, as MNIST's digits were
(LeCun et al. 1998), so the simulator and the real digits differ in what a pen does, not in framing.

:func:`rendered_digits` draws one rendering per class (``randomise=False``), or randomises each
factor of :data:`FACTORS` (domain randomisation, Tobin et al. 2017): the font, size, rotation,
stroke width (thinner and thicker than the font's own), blur, position, and a smooth random
displacement field that bends the digit (an elastic distortion, Simard, Steinkraus & Platt 2003),
which stands in for the wobble of a hand. ``without`` holds factors at their plain value, to
ablate them one at a time; :func:`stroke_widths` measures whether the strokes bracket reality's.

Examples:
    >>> images, labels = rendered_digits(2, seed=0)
    >>> images.shape, images.dtype, labels.tolist()[:4]
    ((20, 28, 28), dtype('uint8'), [0, 0, 1, 1])
    >>> unwarped, _ = rendered_digits(2, without=("warp",), seed=0)   # the same draws, not bent
    >>> len(digit_fonts()) >= 10
    True
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tltutor import state, validation

IMAGE_SIZE = 28
BOX_SIZE = 20  # MNIST scaled each digit into a 20 × 20 box, then centred its mass in 28 × 28
PLAIN_FONT = "DejaVuSans.ttf"
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DRAWING_SCALE = 4  # glyphs are drawn at this many times the box, then scaled down into it
# What randomise=True draws from, uniformly; each factor of FACTORS, unless held plain by `without`.
FACTORS = ("font", "size", "rotation", "stroke", "blur", "shift", "warp")
BOX_RANGE = (16, 22)
ROTATION_DEGREES = 15.0
STROKE_RANGE = (-5, 4)  # pixels of the drawing added to each side of a stroke (below 0: eroded), at DRAWING_SCALE
THICK_STROKES = (2, 8)  # strokes only as thick as the font's or thicker: the range before issue #33, for contrast
BLUR_RANGE = (0.0, 0.8)
SHIFT_PIXELS = 1
WARP_STRENGTH = (0.0, 40.0)  # pixels of displacement before smoothing
WARP_SMOOTHING = 4.0
MINIMUM_INK_KEPT = 0.25  # an eroded glyph keeps at least this share of its ink: thinner, never erased
INK_THRESHOLD = 128  # a pixel is ink from here, for stroke_widths


@functools.lru_cache(maxsize=1)
def digit_fonts() -> tuple[Path, ...]:
    """matplotlib's TrueType fonts whose ten digit characters are digit glyphs (not symbols or boxes)."""
    import matplotlib
    from matplotlib import ft2font

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    chosen = []
    for path in sorted(folder.glob("*.ttf")):
        font = ft2font.FT2Font(str(path))
        charmap = font.get_charmap()
        if all(ord(str(digit)) in charmap and font.get_glyph_name(charmap[ord(str(digit))]).startswith(name)
               for digit, name in enumerate(DIGIT_NAMES)):
            chosen.append(path)
    return tuple(chosen)


state.register_cache(digit_fonts.cache_clear)


def render_digit(digit: int, font: Path | str, *, box: int = BOX_SIZE, rotation: float = 0.0, stroke: int = 0,
                 blur: float = 0.0, shift: tuple[int, int] = (0, 0)) -> np.ndarray:
    """One ``28 × 28`` ``uint8`` digit, white on black, scaled into a ``box``-pixel square and centred by mass.

    ``stroke`` widens every stroke by that many pixels of the drawing (at :data:`DRAWING_SCALE` times
    the box) on each side, or thins it where negative, as far as the glyph keeps
    :data:`MINIMUM_INK_KEPT` of its ink.
    """
    glyph = _glyph(int(digit), str(font), int(box), float(rotation), int(stroke))
    rows, columns = np.indices(glyph.shape)
    ink = glyph.astype(np.float64)
    centre_row, centre_column = (rows * ink).sum() / ink.sum(), (columns * ink).sum() / ink.sum()
    image = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
    corner = (round(IMAGE_SIZE / 2 - centre_column) + shift[0], round(IMAGE_SIZE / 2 - centre_row) + shift[1])
    image.paste(Image.fromarray(glyph), corner)
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(image, np.uint8)


@functools.lru_cache(maxsize=20_000)
def _glyph(digit: int, font: str, box: int, rotation: float, stroke: int) -> np.ndarray:
    """The digit drawn large, thickened or thinned, rotated and scaled into the box: the costly part, kept, since the
    ablations of one seed draw most glyphs again."""
    side = IMAGE_SIZE * 2 * DRAWING_SCALE
    drawing = Image.new("L", (side, side), 0)
    ImageDraw.Draw(drawing).text((side // 2, side // 2), str(digit), fill=255, anchor="mm",
                                 font=ImageFont.truetype(font, box * DRAWING_SCALE),
                                 stroke_width=max(stroke, 0), stroke_fill=255)
    if stroke < 0:
        drawing = _eroded(drawing, -stroke)
    drawing = drawing.rotate(rotation, resample=Image.BILINEAR)
    glyph = drawing.crop(drawing.getbbox())
    scale = box / max(glyph.size)
    glyph = glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))), Image.LANCZOS)
    pixels = np.asarray(glyph, np.uint8)
    pixels.setflags(write=False)
    return pixels


state.register_cache(_glyph.cache_clear)


def _eroded(drawing: Image.Image, pixels: int) -> Image.Image:
    """``drawing`` with ``pixels`` peeled off each side of every stroke, fewer where that would leave less than
    :data:`MINIMUM_INK_KEPT` of the ink (hairlines of a serif font vanish first)."""
    from scipy.ndimage import minimum_filter  # SciPy is imported only where used

    left, top, right, bottom = drawing.getbbox()
    ink = np.asarray(drawing.crop((left, top, right, bottom)), np.uint8)
    total = ink.astype(np.float64).sum()
    for size in range(pixels, 0, -1):
        thinner = minimum_filter(ink, size=2 * size + 1, mode="constant", cval=0)
        if thinner.astype(np.float64).sum() >= MINIMUM_INK_KEPT * total:
            eroded = Image.new("L", drawing.size, 0)
            eroded.paste(Image.fromarray(thinner), (left, top))
            return eroded
    return drawing


def stroke_widths(images) -> np.ndarray:
    """Each image's mean stroke width in pixels: its ink (pixels of at least :data:`INK_THRESHOLD`) divided by the
    length of its skeleton, the line one pixel wide down the middle of its strokes.

    >>> stroke_widths(rendered_digits(1, randomise=False)[0]).round(1)[:3]
    array([2.7, 2.5, 2.6])
    """
    from skimage.morphology import skeletonize  # scikit-image is imported only where used

    images = np.asarray(images)
    if images.ndim != 3 or images.shape[0] == 0:
        raise validation.InvalidArgumentError(f"images have shape {images.shape}: give (N, height, width) grey images, "
                                              "e.g. images[None] for one")
    widths = []
    for image in images:
        ink = image >= INK_THRESHOLD
        widths.append(ink.sum() / max(int(skeletonize(ink).sum()), 1))
    return np.asarray(widths, np.float64)


def warp(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` bent by a smooth random displacement field (elastic distortion) of the given ``strength``."""
    from scipy.ndimage import gaussian_filter, map_coordinates  # SciPy is imported only where used

    pixels = np.asarray(image, np.float64)
    row_shift, column_shift = (gaussian_filter(rng.uniform(-1, 1, pixels.shape), WARP_SMOOTHING) * strength
                               for _ in range(2))
    rows, columns = np.indices(pixels.shape)
    warped = map_coordinates(pixels, [rows + row_shift, columns + column_shift], order=1)
    return np.clip(np.round(warped), 0, 255).astype(np.uint8)


def rendered_digits(samples_per_class: int, *, randomise: bool = True, without=(), stroke_range=STROKE_RANGE,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: ``samples_per_class`` rendered digits per class, ``(N, 28, 28)`` ``uint8``, class by class.

    ``randomise=False`` draws every digit in :data:`PLAIN_FONT` at the standard box, the same
    image ``samples_per_class`` times (``seed`` changes nothing). ``randomise=True`` draws every
    factor of :data:`FACTORS` at random, ``stroke`` from ``stroke_range`` (e.g. :data:`THICK_STROKES`);
    the factors named in ``without`` keep their plain value (the plain font, the standard box, no
    rotation, the font's own stroke, no blur, centred, not warped). Every factor is drawn whether
    or not it is used, so one ``seed`` gives the same digits with and without any factor: an ablation
    changes that factor alone.
    """
    samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    seed = validation.check_seed(seed)
    without = validation.check_choices(without, FACTORS, "rendering factor") if without else ()
    if without and not randomise:
        raise validation.InvalidArgumentError(f"without={list(without)} holds factors of the randomisation plain, "
                                              "but randomise=False holds them all: pass randomise=True")
    if (not isinstance(stroke_range, (tuple, list)) or len(stroke_range) != 2
            or not all(isinstance(value, (int, np.integer)) and not isinstance(value, bool) for value in stroke_range)
            or stroke_range[0] > stroke_range[1]):
        raise validation.InvalidArgumentError(f"stroke_range={stroke_range!r}: give (low, high), whole pixels with "
                                              f"low <= high, e.g. {STROKE_RANGE}")
    if not randomise and tuple(stroke_range) != STROKE_RANGE:
        raise validation.InvalidArgumentError("stroke_range applies to randomised strokes, but randomise=False draws "
                                              "the font's own: pass randomise=True")
    low, high = (int(value) for value in stroke_range)
    fonts = digit_fonts()
    if not fonts:
        raise validation.InvalidArgumentError("matplotlib ships no font with digit glyphs here: reinstall matplotlib")
    rng, warp_rng = np.random.default_rng(seed), np.random.default_rng([seed, 1])
    plain_font = Path(fonts[0]).with_name(PLAIN_FONT)
    images = []
    for digit in range(10):
        if not randomise:
            images.extend([render_digit(digit, plain_font)] * samples_per_class)
            continue
        for _ in range(samples_per_class):
            drawn = dict(font=fonts[rng.integers(len(fonts))], box=int(rng.integers(BOX_RANGE[0], BOX_RANGE[1] + 1)),
                         rotation=float(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES)),
                         stroke=int(rng.integers(low, high + 1)), blur=float(rng.uniform(*BLUR_RANGE)),
                         shift=tuple(int(value) for value in rng.integers(-SHIFT_PIXELS, SHIFT_PIXELS + 1, 2)))
            strength = float(warp_rng.uniform(*WARP_STRENGTH))
            plain = dict(font=plain_font, box=BOX_SIZE, rotation=0.0, stroke=0, blur=0.0, shift=(0, 0))
            for factor, key in (("font", "font"), ("size", "box"), ("rotation", "rotation"), ("stroke", "stroke"),
                                ("blur", "blur"), ("shift", "shift")):
                if factor in without:
                    drawn[key] = plain[key]
            image = render_digit(digit, **drawn)
            images.append(image if "warp" in without else warp(image, strength, warp_rng))
    return np.stack(images), np.repeat(np.arange(10), samples_per_class).astype(np.int64)
