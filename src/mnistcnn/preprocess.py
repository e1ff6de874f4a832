"""Turning a person's digit image into the 28x28 input MNIST digits were made as.

MNIST's recipe (LeCun et al.): the digit is size-normalised to fit a 20x20 box
keeping its aspect ratio, with anti-aliasing, then placed in a 28x28 field so
that its centre of mass is at the centre; ink is bright on a dark background.
Real photos and drawings need more first: any Pillow mode, transparency, either
polarity, uneven paper, faint or thin strokes, and specks of dirt.
"""

import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

from mnistcnn.errors import InputError

MAX_PIXELS = 50_000_000  # refuse decompression bombs long before memory runs out
WORK_SIZE = 256  # longest side images are reduced to before the analysis
DIGIT_BOX = 20
FIELD = 28
SPECK_FRACTION = 0.05  # ink components smaller than this share of the largest are dirt
TARGET_STROKE = 2.0  # MNIST strokes are about 2-3 px wide in the 20 px box


def load_grayscale(source: Path | BinaryIO, name: str | None = None) -> np.ndarray:
    """Read any image Pillow can, as float luminance in [0, 1], transparency flattened.

    `source` is a path or an open binary file (an upload); `name` is what error messages
    call it (the path by default). Transparent areas become the background: white behind
    dark ink, black behind bright ink, judged from the opaque pixels. Animated images use
    their first frame.
    """
    if not hasattr(source, "read"):
        source = Path(source)
    path = name or str(source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = MAX_PIXELS
            with Image.open(source) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise InputError(f"{path}: {image.width}x{image.height} pixels is too large; "
                                     "crop or shrink the image")
                image.seek(0)  # the first frame of an animated GIF or WebP
                image = ImageOps.exif_transpose(image)  # phone photos stand upright
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: the image is too large to be a digit; crop or shrink it") from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image Pillow can read; use PNG, JPEG, GIF, BMP or TIFF") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the image ({error}); check the file") from None
    if min(image.size) < 4:
        raise InputError(f"{path}: {image.width}x{image.height} pixels is too small to hold a digit")
    return _to_luminance(image)


def _to_luminance(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        values = np.asarray(image, dtype=np.float64)
        top = values.max()
        return values / top if top > 0 else values
    if image.mode == "P" or image.mode == "PA":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0
        luminance = rgba[..., :3] @ np.array([0.299, 0.587, 0.114])
        alpha = rgba[..., 3]
        opaque = alpha > 0.5
        if opaque.all() or not opaque.any():
            return luminance
        # Opaque strokes on a transparent canvas: put them on a contrasting ground.
        background = 1.0 if luminance[opaque].mean() < 0.5 else 0.0
        return luminance * alpha + background * (1 - alpha)
    return np.asarray(image.convert("L"), dtype=np.float64) / 255.0


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Anti-aliased resize of a float image to (width, height)."""
    image = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS if min(size) > 1 else Image.Resampling.BOX),
                      dtype=np.float64)


def _filter(values: np.ndarray, image_filter) -> np.ndarray:
    return np.asarray(Image.fromarray(values.astype(np.float32), mode="F").filter(image_filter), dtype=np.float64)


def _minimum_filter(values: np.ndarray, window: int) -> np.ndarray:
    """The minimum over a `window` x `window` square around each pixel, edges repeated, as
    Pillow's MinFilter computes it, but as two passes of one dimension each: a square's
    minimum is the minimum of its rows' minima, and that costs `window`, not its square."""
    from numpy.lib.stride_tricks import sliding_window_view

    half = window // 2
    padded = np.pad(values.astype(np.float32), half, mode="edge")
    rows = sliding_window_view(padded, window, axis=0).min(axis=-1)
    return sliding_window_view(rows, window, axis=1).min(axis=-1).astype(np.float64)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Blur over about `window` pixels: shrink, then enlarge bilinearly (Pillow's blurs refuse floats)."""
    height, width = values.shape
    small = _resize(values, (max(1, width // window), max(1, height // window)))
    image = Image.fromarray(small.astype(np.float32), mode="F")
    return np.asarray(image.resize((width, height), Image.Resampling.BILINEAR), dtype=np.float64)


def ink_map(luminance: np.ndarray) -> np.ndarray:
    """Ink as bright on dark in [0, 1], with the background (uneven paper) removed.

    Works on a copy reduced to WORK_SIZE on its longest side.
    """
    height, width = luminance.shape
    scale = WORK_SIZE / max(height, width)
    if scale < 1:
        luminance = _resize(luminance, (max(1, round(width * scale)), max(1, round(height * scale))))
    # The background is the bulk of the image; ink is whichever tail lies farther from it.
    low, middle, high = np.percentile(luminance, [1, 50, 99])
    if middle - low > high - middle:
        luminance = 1.0 - luminance  # dark ink on light paper
    # A floor under the ink (a minimum wider than any stroke, then smoothed) is the
    # background, shadows and uneven paper included; what rises above it is ink.
    window = max(3, (min(luminance.shape) // 6) | 1)
    floor = _smooth(_minimum_filter(luminance, window), window)
    ink = np.clip(luminance - floor, 0, None)
    if ink.max() < 0.1:
        return np.zeros_like(ink)
    # The typical stroke brightness becomes 1 (faint pencil as bright as marker);
    # what is below a fifth of it is paper grain.
    stroke = np.median(ink[ink > 0.5 * ink.max()])
    return np.clip((ink / stroke - 0.2) / 0.6, 0, 1)


def _components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """Label 8-connected components of a boolean mask; returns (labels, count).

    Works on runs of ink along each row, joining runs of neighbouring rows that touch
    (a union-find over runs): a digit is a few hundred runs, where pixel by pixel it
    would be tens of thousands of steps in Python.
    """
    runs = []  # (row, first column, last column + 1)
    for row, line in enumerate(mask):
        edges = np.flatnonzero(np.diff(np.concatenate(([0], line.view(np.int8), [0]))))
        runs.extend((row, start, end) for start, end in zip(edges[::2].tolist(), edges[1::2].tolist()))
    parent = list(range(len(runs)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    previous_row, current_row = [], []  # indices of the runs of the row above and of this row
    for index, (row, start, end) in enumerate(runs):
        if current_row and runs[current_row[0]][0] != row:
            previous_row, current_row = (current_row if runs[current_row[0]][0] == row - 1 else []), []
        for other in previous_row:
            _, other_start, other_end = runs[other]
            if other_start <= end and start <= other_end:  # within one column: 8-connected
                parent[root(other)] = root(index)
        current_row.append(index)
    labels = np.zeros(mask.shape, dtype=np.int32)
    numbers = {}
    for index, (row, start, end) in enumerate(runs):
        labels[row, start:end] = numbers.setdefault(root(index), len(numbers) + 1)
    return labels, len(numbers)


def remove_specks(ink: np.ndarray) -> np.ndarray:
    """Keep the ink components near the largest in size and what touches them; drop the
    rest: dust, dots of noise, and the faint camera grain spread over the whole photo,
    which would otherwise widen the crop even when the digit is the only component."""
    labels, count = _components(ink > 0.3)
    if count == 0:
        return ink
    areas = np.bincount(labels.ravel())[1:]
    keep = np.flatnonzero(areas >= SPECK_FRACTION * areas.max()) + 1
    # Anti-aliased edges below the 0.3 mark belong to whatever component they touch.
    near_kept = _filter(np.isin(labels, keep).astype(np.float64), ImageFilter.MaxFilter(3)) > 0
    return np.where(near_kept, ink, 0.0)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width: area over half the boundary length (a stroke is long and thin)."""
    padded = np.pad(mask, 1)
    interior = padded[1:-1, 1:-1] & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    boundary = np.count_nonzero(mask & ~interior)
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
        ink = _filter(np.pad(ink, size), ImageFilter.MaxFilter(size))
        rows, columns = _bounding_box(ink)
        longest = max(rows.stop - rows.start, columns.stop - columns.start)
        scale = DIGIT_BOX / longest
    digit = ink[rows, columns]
    height, width = digit.shape
    small = np.clip(_resize(digit, (max(1, round(width * scale)), max(1, round(height * scale)))), 0, 1)

    field = np.zeros((FIELD, FIELD))
    mass = small.sum()
    grid_rows, grid_columns = np.indices(small.shape)
    centre_row = (grid_rows * small).sum() / mass
    centre_column = (grid_columns * small).sum() / mass
    # MNIST puts the centre of mass at (14, 14); the digit must still fit the field.
    top = int(np.clip(round(FIELD / 2 - centre_row), 0, FIELD - small.shape[0]))
    left = int(np.clip(round(FIELD / 2 - centre_column), 0, FIELD - small.shape[1]))
    field[top:top + small.shape[0], left:left + small.shape[1]] = small
    return field.astype(np.float32)


def preprocess_image(source: Path | BinaryIO, name: str | None = None) -> np.ndarray:
    """A 28x28 float32 array in [0, 1], bright digit on black, as MNIST made them.

    `source` and `name` as for `load_grayscale`.

    Raises:
        InputError: not an image, unreadable, too small or too large, or blank.
    """
    ink = remove_specks(ink_map(load_grayscale(source, name)))
    if ink.max() <= 0:
        raise InputError(f"{name or source}: no ink found (the image is blank or has no contrast)")
    return to_mnist(ink)
