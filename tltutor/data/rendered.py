"""A simulator of handwritten digits: digits drawn from fonts, plain or randomised.

The fonts are the TrueType fonts matplotlib ships (DejaVu, STIX and Computer Modern; those whose
digits are real digit glyphs, see :func:`digit_fonts`). Each digit is drawn white on black, scaled
into a 20-pixel box and centred by its centre of mass in a 28 × 28 image, as MNIST's digits were
(LeCun et al. 1998), so the simulator and the real digits differ in what a pen does, not in framing.

:func:`rendered_digits` draws one rendering per class (``randomise=False``), or randomises the
font, size, rotation, stroke width, blur and position (domain randomisation, Tobin et al. 2017),
and with ``warp=True`` also bends each digit with a smooth random displacement field (an elastic
distortion, Simard, Steinkraus & Platt 2003), which stands in for the wobble of a hand.

Examples:
    >>> images, labels = rendered_digits(2, seed=0)
    >>> images.shape, images.dtype, labels.tolist()[:4]
    ((20, 28, 28), dtype('uint8'), [0, 0, 1, 1])
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
# What randomise=True draws from, uniformly.
BOX_RANGE = (16, 22)
ROTATION_DEGREES = 15.0
STROKE_RANGE = (1, 4)  # extra outline, in pixels of the drawing at twice the box size
BLUR_RANGE = (0.0, 0.8)
SHIFT_PIXELS = 1
WARP_STRENGTH = (0.0, 40.0)  # pixels of displacement before smoothing
WARP_SMOOTHING = 4.0


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
    """One ``28 × 28`` ``uint8`` digit, white on black, scaled into a ``box``-pixel square and centred by mass."""
    drawing = Image.new("L", (IMAGE_SIZE * 4, IMAGE_SIZE * 4), 0)
    ImageDraw.Draw(drawing).text((IMAGE_SIZE * 2, IMAGE_SIZE * 2), str(digit), fill=255, anchor="mm",
                                 font=ImageFont.truetype(str(font), box * 2), stroke_width=stroke, stroke_fill=255)
    drawing = drawing.rotate(rotation, resample=Image.BILINEAR)
    glyph = drawing.crop(drawing.getbbox())
    scale = box / max(glyph.size)
    glyph = glyph.resize((max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))), Image.LANCZOS)
    ink = np.asarray(glyph, np.float64)
    rows, columns = np.indices(ink.shape)
    centre_row, centre_column = (rows * ink).sum() / ink.sum(), (columns * ink).sum() / ink.sum()
    image = Image.new("L", (IMAGE_SIZE, IMAGE_SIZE), 0)
    corner = (round(IMAGE_SIZE / 2 - centre_column) + shift[0], round(IMAGE_SIZE / 2 - centre_row) + shift[1])
    image.paste(glyph, corner)
    if blur > 0:
        image = image.filter(ImageFilter.GaussianBlur(blur))
    return np.asarray(image, np.uint8)


def warp(image: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """``image`` bent by a smooth random displacement field (elastic distortion) of the given ``strength``."""
    from scipy.ndimage import gaussian_filter, map_coordinates  # SciPy is imported only where used

    pixels = np.asarray(image, np.float64)
    row_shift, column_shift = (gaussian_filter(rng.uniform(-1, 1, pixels.shape), WARP_SMOOTHING) * strength
                               for _ in range(2))
    rows, columns = np.indices(pixels.shape)
    warped = map_coordinates(pixels, [rows + row_shift, columns + column_shift], order=1)
    return np.clip(np.round(warped), 0, 255).astype(np.uint8)


def rendered_digits(samples_per_class: int, *, randomise: bool = True, warp_digits: bool = False,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)``: ``samples_per_class`` rendered digits per class, ``(N, 28, 28)`` ``uint8``, class by class.

    ``randomise=False`` draws every digit in :data:`PLAIN_FONT` at the standard box, the same
    image ``samples_per_class`` times (``seed`` changes nothing); ``randomise=True`` draws font,
    box size, rotation, stroke, blur and shift at random, and ``warp_digits=True`` bends those
    same digits with an elastic distortion drawn from a generator of its own, so one ``seed``
    gives the same digits with and without warping.
    """
    samples_per_class = validation.check_positive_int(samples_per_class, "samples_per_class")
    seed = validation.check_seed(seed)
    if warp_digits and not randomise:
        raise validation.InvalidArgumentError("warp_digits=True needs randomise=True: warping is part of the "
                                              "randomisation; pass randomise=True or warp_digits=False")
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
            image = render_digit(digit, fonts[rng.integers(len(fonts))],
                                 box=int(rng.integers(BOX_RANGE[0], BOX_RANGE[1] + 1)),
                                 rotation=float(rng.uniform(-ROTATION_DEGREES, ROTATION_DEGREES)),
                                 stroke=int(rng.integers(STROKE_RANGE[0], STROKE_RANGE[1] + 1)),
                                 blur=float(rng.uniform(*BLUR_RANGE)),
                                 shift=tuple(int(value) for value in rng.integers(-SHIFT_PIXELS, SHIFT_PIXELS + 1, 2)))
            images.append(warp(image, float(warp_rng.uniform(*WARP_STRENGTH)), warp_rng) if warp_digits else image)
    return np.stack(images), np.repeat(np.arange(10), samples_per_class).astype(np.int64)
