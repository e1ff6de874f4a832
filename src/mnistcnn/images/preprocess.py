"""Turning a person's digit image into the 28x28 input MNIST digits were made as.

MNIST's recipe (LeCun et al.): the digit is size-normalised to fit a 20x20 box
keeping its aspect ratio, with anti-aliasing, then placed in a 28x28 field so
that its centre of mass is at the centre; ink is bright on a dark background.
Real photos and drawings need more first: reading any image within bounded memory
(image_input.py), and telling ink from paper, light and grain (ink.py).
"""

from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image
from scipy import ndimage

from mnistcnn.core import InputError
from mnistcnn.images.image_input import load_rgb
from mnistcnn.images.ink import ink_map

DIGIT_BOX = 20
FIELD = 28
TARGET_STROKE = 2.0  # MNIST strokes are about 2-3 px wide in the 20 px box


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (width, height), as MNIST's was."""
    image = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS if min(size) > 1 else Image.Resampling.BOX),
                      dtype=np.float64)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width: area over half the boundary length (a stroke is long and thin)."""
    boundary = np.count_nonzero(mask & ~ndimage.binary_erosion(mask, border_value=0))
    return 2.0 * np.count_nonzero(mask) / max(boundary, 1)


def _bounding_box(ink: np.ndarray) -> tuple[slice, slice]:
    rows, columns = np.nonzero(ink > 0.05)
    return slice(rows.min(), rows.max() + 1), slice(columns.min(), columns.max() + 1)


def to_mnist(ink: np.ndarray) -> np.ndarray:
    """Crop, thicken thin strokes, fit in 20x20 and centre by mass in 28x28."""
    rows, columns = _bounding_box(ink)
    longest = max(rows.stop - rows.start, columns.stop - columns.start)
    scale = DIGIT_BOX / longest
    width = _stroke_width(ink[rows, columns] > 0.3)
    if width * scale < TARGET_STROKE:
        # A thin pen line would vanish at 20 px: widen it to MNIST's stroke first.
        size = int(np.ceil(TARGET_STROKE / scale - width)) | 1
        ink = ndimage.grey_dilation(np.pad(ink, size), size=(size, size))
        rows, columns = _bounding_box(ink)
        longest = max(rows.stop - rows.start, columns.stop - columns.start)
        scale = DIGIT_BOX / longest
    digit = ink[rows, columns]
    height, width = digit.shape
    small = np.clip(_resize(digit, (max(1, round(width * scale)), max(1, round(height * scale)))), 0, 1)

    field = np.zeros((FIELD, FIELD))
    centre_row, centre_column = ndimage.center_of_mass(small)
    # MNIST puts the centre of mass at (14, 14); the digit must still fit the field.
    top = int(np.clip(round(FIELD / 2 - centre_row), 0, FIELD - small.shape[0]))
    left = int(np.clip(round(FIELD / 2 - centre_column), 0, FIELD - small.shape[1]))
    field[top:top + small.shape[0], left:left + small.shape[1]] = small
    return field.astype(np.float32)


def preprocess_image(source: Path | BinaryIO, name: str | None = None) -> np.ndarray:
    """A 28x28 float32 array in [0, 1], bright digit on black, as MNIST made them.

    `source` and `name` as for `image_input.load_rgb`.

    Raises:
        InputError: not an image, unreadable, too small or too large, or blank.
    """
    ink = ink_map(load_rgb(source, name))
    if ink.max() <= 0:
        raise InputError(f"{name or source}: no ink found (the image is blank or has no contrast)")
    return to_mnist(ink)


def prepare_image(source: Path | BinaryIO, name: str | None = None) -> np.ndarray:
    """`preprocess_image`, with any failure it did not foresee made the InputError of that
    image (chained to its cause), so one file never costs a batch, or a server, its answers.

    Raises:
        InputError: as preprocess_image, or "could not be prepared" for anything else.
    """
    try:
        return preprocess_image(source, name)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - the boundary between a person's file and the rest
        raise InputError(f"{name or source}: could not be prepared ({type(error).__name__}: {error}); "
                         "please report it with the file") from error
