"""Seeded camera photos of known digits, to judge the preparation against a clean scan.

A clean MNIST test digit (from the bundled sample) becomes a pen's line (its skeleton,
drawn at a pen's width), is laid on paper of a chosen colour and texture, lit unevenly,
blurred, grained, sharpened as phones do and saved as a JPEG of quality 60-80.
`clean_scan` gives the same line, black on white, as a lossless PNG: what the
preparation of the photo should come close to. Everything random comes from the seed.
"""

import io
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import unsharp_mask
from skimage.morphology import skeletonize

# Reflectances (RGB in [0, 1]) measured loosely off real photos: what matters is that
# ballpoint blue is dark mainly in red and green, and pencil is grey and faint.
INKS = {
    "blue": (0.16, 0.22, 0.55), "black": (0.10, 0.10, 0.12), "green": (0.12, 0.42, 0.22),
    "red": (0.75, 0.15, 0.18), "pencil": (0.50, 0.50, 0.52), "marker": (0.05, 0.05, 0.07),
}
PAPERS = {
    "white": (0.93, 0.93, 0.92), "grey": (0.66, 0.66, 0.63), "beige": (0.86, 0.78, 0.64),
    "yellow": (0.96, 0.90, 0.52), "lined": (0.95, 0.95, 0.93), "squared": (0.95, 0.95, 0.93),
}
PEN_WIDTH = {"marker": 0.10, "pencil": 0.035}  # share of the digit's height; a ballpoint 0.04


@dataclass(frozen=True)
class Scene:
    """What the generator draws; every field is one of the issue's photo conditions."""
    ink: str = "blue"
    paper: str = "grey"
    light: float = 0.45  # how much darker the far side of the page is than the near one
    shadow: bool = False  # a soft shadow (a hand or a phone) across a part of the page
    fibres: bool = False  # paper fibres and lighter streaks
    size: tuple[int, int] = (640, 480)  # width, height: a phone photo, shrunk for tests
    digit_share: float = 0.6  # the digit's height as a share of the photo's
    focus: float = 1.0  # the blur's standard deviation in pixels: more is softer
    sharpen: float = 0.0  # a phone's unsharp mask (its amount): bright rims beside dark lines
    grain: float = 0.025  # camera noise, standard deviation at full brightness
    ruling: float = 0.7  # how much of lined or squared paper's printed lines is their blue ink


# The two failure classes (a halo of paper round a thin ballpoint line in soft,
# uneven light; streaks and fibres of coloured paper), and the other kinds of photo the
# preparation must read: each a scene of its own, named for what it shows.
HALO = Scene(ink="blue", paper="grey", digit_share=0.35, focus=1.5, sharpen=1.0)
STREAKS = Scene(ink="green", paper="yellow", fibres=True, digit_share=0.35, focus=1.5)
SCENES = {
    "blue ballpoint on grey paper, soft uneven light": HALO,
    "blue ballpoint on beige paper, soft uneven light": replace(HALO, paper="beige"),
    "green ink on yellow paper with fibres and lighter streaks": STREAKS,
    "black ink on yellow paper with fibres and lighter streaks": replace(STREAKS, ink="black"),
    "red pen on white paper, half in shadow": Scene(ink="red", paper="white", shadow=True),
    "pencil on grey paper, half in shadow": Scene(ink="pencil", paper="grey", shadow=True),
    "marker on white paper, half in shadow": Scene(ink="marker", paper="white", shadow=True),
    "pencil on squared paper": Scene(ink="pencil", paper="squared"),
    "pencil on squared paper, dark ruling": Scene(ink="pencil", paper="squared", ruling=1.0),
    "blue ballpoint on lined paper": Scene(paper="lined"),
    "blue ballpoint on grey paper, even light": Scene(light=0.1),
    "black pen on white paper": Scene(ink="black", paper="white", light=0.2),
}


def sample_digit(index: int) -> np.ndarray:
    """MNIST test digit `index` of the bundled sample (28x28 uint8, bright on dark)."""
    from mnistcnn.data import SAMPLE_PATH

    with np.load(SAMPLE_PATH) as sample:
        return sample["x_test"][index]


def pen_coverage(digit28: np.ndarray, height: int, pen: float) -> np.ndarray:
    """The digit as a pen line `height` px tall: MNIST's stroke thinned to its skeleton,
    then drawn `pen` (share of the height) wide, anti-aliased."""
    scale = height / 20  # MNIST's digits are 20 px tall in their 28 px field
    big = ndimage.zoom(digit28.astype(np.float32) / 255, scale, order=3)
    line = skeletonize(big > 0.5)
    radius = max(pen * height / 2, 0.7)
    coverage = ndimage.distance_transform_edt(~line) <= radius
    return np.clip(ndimage.gaussian_filter(coverage.astype(np.float32), 0.6), 0, 1)


def _place(coverage: np.ndarray, size: tuple[int, int], rng) -> np.ndarray:
    width, height = size
    field = np.zeros((height, width), np.float32)
    rows, columns = coverage.shape
    top = int(rng.integers(0, max(1, height - rows)))
    left = int(rng.integers(width // 5, max(width // 5 + 1, width - columns - width // 5)))
    field[top:top + rows, left:left + columns] = coverage[:height - top, :width - left]
    return field


def _paper(scene: Scene, rng) -> np.ndarray:
    width, height = scene.size
    paper = np.ones((height, width, 3), np.float32) * np.array(PAPERS[scene.paper], np.float32)
    if scene.fibres:
        # Fibres: grain stretched along one direction; streaks: a few broad lighter bands.
        grain = ndimage.gaussian_filter(rng.standard_normal((height, width), np.float32), (0.8, 6))
        streaks = ndimage.gaussian_filter(rng.normal(0, 1, width), width / 60)[np.newaxis, :]
        texture = 0.06 * grain / grain.std() + 0.05 * np.clip(streaks / streaks.std(), 0, None)
        paper = paper * (1 + texture[..., np.newaxis])
    spacing = height // 12
    if scene.paper in ("lined", "squared"):
        rule = np.array((0.35, 0.5, 0.8), np.float32)  # printed blue
        rows = np.arange(spacing // 2, height, spacing)
        paper[rows] = paper[rows] * (1 - scene.ruling) + rule * scene.ruling
        if scene.paper == "squared":
            columns = np.arange(spacing // 2, width, spacing)
            paper[:, columns] = paper[:, columns] * (1 - scene.ruling) + rule * scene.ruling
    return paper


def _light(scene: Scene, rng) -> np.ndarray:
    width, height = scene.size
    rows, columns = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * columns / width + np.sin(angle) * rows / height)
    ramp = (ramp - ramp.min()) / np.ptp(ramp)
    light = 1.0 - scene.light * ramp
    if scene.shadow:
        # A soft-edged shadow over one side, its edge blurred over a tenth of the photo.
        edge = rng.uniform(0.25, 0.45) * width
        shade = 1 / (1 + np.exp(-(columns - edge) / (width / 25)))
        light *= 1 - 0.35 * shade
    return light[..., np.newaxis]


def photo(digit28: np.ndarray, scene: Scene, seed: int) -> bytes:
    """A JPEG photo of `digit28` (an MNIST image, bright on dark) as `scene` describes."""
    rng = np.random.default_rng(seed)
    height = int(scene.size[1] * scene.digit_share)
    pen = PEN_WIDTH.get(scene.ink, 0.04)
    coverage = _place(pen_coverage(digit28, height, pen), scene.size, rng)
    if scene.ink == "pencil":
        coverage *= rng.uniform(0.55, 1.0, coverage.shape)  # graphite leaves paper showing
    ink = np.array(INKS[scene.ink], np.float32)
    paper = _paper(scene, rng)
    colour = paper * (1 - coverage[..., np.newaxis]) + ink * coverage[..., np.newaxis]
    colour = ndimage.gaussian_filter(colour * _light(scene, rng), (scene.focus,) * 2 + (0,))
    noise = rng.standard_normal(colour.shape, np.float32) * scene.grain
    colour += noise * np.sqrt(np.clip(colour, 0, 1))  # shot noise: brighter is noisier
    if scene.sharpen:
        # channel_axis=2, not -1: scikit-image 0.26 blacks out most of the image with -1.
        colour = unsharp_mask(colour, radius=2, amount=scene.sharpen, channel_axis=2, preserve_range=True)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(colour, 0, 1) * 255).astype(np.uint8), "RGB").save(
        buffer, "JPEG", quality=int(rng.integers(60, 81)))
    return buffer.getvalue()


def clean_scan(digit28: np.ndarray, scene: Scene) -> bytes:
    """The same pen line as `photo` draws, black on white, lossless: the reference."""
    height = int(scene.size[1] * scene.digit_share)
    coverage = pen_coverage(digit28, height, PEN_WIDTH.get(scene.ink, 0.04))
    buffer = io.BytesIO()
    Image.fromarray(((1 - coverage) * 255).astype(np.uint8), "L").save(buffer, "PNG")
    return buffer.getvalue()


# A photo's preparation matches its clean scan's when they correlate by at least this much.
# Two MNIST test digits of different classes correlate at 0.36 (median) and 0.66 (99th
# percentile) even at their best one-pixel alignment (200 digits of the bundled sample),
# so a preparation above 0.8 is nearer its own digit than almost any other digit is.
# The preparation of issue 26 scores 0.86-1.00 on 360 photos (every scene x 30 digits,
# BENCHMARKS.md), the 0.1 below 1 being half-pixel differences in a thin stroke's
# placement; the one before it scored under 0.8 on 139 of them (a halo of paper, a streak
# or shadow beside the digit, printed squares), down to 0.
SAME_DIGIT = 0.8


def correlation(first: np.ndarray, second: np.ndarray) -> float:
    """Pearson correlation of two prepared 28x28 images, pixel by pixel, at the best of
    the nine placements one pixel apart: MNIST places a digit by rounding its centre of
    mass to a whole pixel, so two near-equal preparations may land a pixel apart, which
    alone costs up to 0.2 of correlation for a thin digit."""
    padded = np.pad(second, 1)
    return max(float(np.corrcoef(first.ravel(), padded[1 + dy:29 + dy, 1 + dx:29 + dx].ravel())[0, 1])
               for dy in (-1, 0, 1) for dx in (-1, 0, 1))
