"""Telling ink from paper in a photo, scan or drawing: a model of the paper, then a threshold.

Light falls on paper and ink alike, so a pixel is (light) x (what is there). A local
estimate of the bare paper, per colour channel, divides the light out: what is left is
how much darker than its own paper each pixel is, in whichever channel the ink absorbs
(blue ballpoint is dark in red and green, red pen in green and blue, pencil in all three).
Shadows, gradients and coloured or streaked paper then read as nothing; printed ruling
is taken away too (ruling.py).

The filters, morphology and labelling are scipy.ndimage's, the thresholds, skeleton and
Hough transform scikit-image's: the field's tested implementations, compiled, where this
module had its own minimum filter, blur and component labelling (issue 26). OpenCV has
them too, but would be one more large binary for nothing these lack here.
"""

import numpy as np
from PIL import Image
from scipy import ndimage
from skimage.filters import apply_hysteresis_threshold, threshold_otsu

from mnistcnn.images.image_input import LUMINANCE
from mnistcnn.images.ruling import ruling

SPECK_FRACTION = 0.05  # ink components smaller than this share of the largest are dirt
NOISE_SIGMAS = 5.0  # ink must stand this many standard deviations of the paper's grain above it
# Contrast (0-1) spread over less than this is flat: nothing to split, and in float32 near 1
# Otsu's 256 bins may not even fit (a spread of 1e-5 did not).
OTSU_LEAST_RANGE = 1e-3
MIN_CONTRAST = 0.06  # darker than the paper by less than this share is no ink at all
EIGHT_CONNECTED = np.ones((3, 3), bool)
PAPER_SIZE = 256  # the paper is modelled on a copy at most this long


def ink_map(rgb: np.ndarray) -> np.ndarray:
    """Ink as bright on dark in [0, 1] (1 for a full stroke), paper, light and grain removed.

    Args:
        rgb: float RGB in [0, 1], as `image_input.load_rgb` returns it.
    """
    if _bright_ink(rgb @ LUMINANCE):
        rgb = 1.0 - rgb  # white on black: make it dark ink on light paper, as photos are
    # The paper varies slowly: it is modelled on a copy at most PAPER_SIZE long (a quarter
    # of the pixels of a 512-px photo), smoothed, as grain would bias the closing upwards.
    step = -(-max(rgb.shape[:2]) // PAPER_SIZE)  # rounded up
    coarse = ndimage.gaussian_filter(ndimage.uniform_filter(rgb, (step, step, 1))[step // 2::step, step // 2::step],
                                     (1, 1, 0))
    paper = _paper(coarse, _stroke_width_guess(coarse @ LUMINANCE))
    paper = np.stack([_resized(paper[..., channel], rgb.shape[:2]) for channel in range(3)], axis=-1)
    darker = 1.0 - rgb / paper  # per channel: 0 on bare paper, 1 where no light comes back
    contrast = darker.max(axis=-1)
    floor = _grain_floor(contrast)
    # Printed lines and ink on them absorb in turn: what the ink alone leaves is the share
    # of the light that the line let through and the ink did not.
    return _threshold(1.0 - (1.0 - contrast) / (1.0 - ruling(contrast, floor)), floor)


def _bright_ink(luminance: np.ndarray) -> bool:
    """Whether the ink is brighter than its ground: the ground is the bulk of the image
    and the ink whichever tail lies farther from it, once the ground's own unevenness (a
    shadow over half the page would be a tail of its own) is taken away. The ground is a
    median a third of the image wide, on a 32-pixel copy; the tails are the 0.2% extremes
    of a 128-pixel copy, as a thin digit may cover under 1% of a photo."""
    small = _shrunk(luminance, 128)
    coarse = _shrunk(small, 32)
    ground = _resized(ndimage.median_filter(coarse, size=max(3, max(coarse.shape) // 3)), small.shape)
    low, middle, high = np.percentile(small - ground, [0.2, 50, 99.8])
    return high - middle > middle - low


def _shrunk(values: np.ndarray, longest: int) -> np.ndarray:
    """A copy about `longest` pixels on its longer side: box-averaged, then subsampled."""
    step = max(1, max(values.shape) // longest)
    return ndimage.uniform_filter(values, step)[step // 2::step, step // 2::step]


def _resized(values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear enlargement of a smooth float image to `shape` (Pillow's: 40 times
    faster here than scipy's zoom, which interpolates the general way)."""
    image = Image.fromarray(values.astype(np.float32), mode="F")
    return np.asarray(image.resize((shape[1], shape[0]), Image.Resampling.BILINEAR))


def _paper(rgb: np.ndarray, width: float) -> np.ndarray:
    """The bare paper's colour at every pixel: a grey closing per channel, which fills in
    every dark line narrower than its window (ink) and follows whatever is wider (shadows,
    the light's gradient) or lighter (streaks), then a blur to soften the window's corners."""
    size = int(np.clip(1.5 * width, 5, max(5, max(rgb.shape[:2]) // 3))) | 1
    paper = np.stack([_closing(rgb[..., channel], size) for channel in range(3)], axis=-1)
    paper = ndimage.gaussian_filter(paper, (2, 2, 0))
    # Where the "paper" is a dark table or background, dividing by it would blow grain up.
    return np.maximum(paper, 0.5 * np.median(paper, axis=(0, 1)) + 1e-3)


def _closing(values: np.ndarray, size: int) -> np.ndarray:
    """A grey closing with a `size` square that also holds at the image's edges.

    Past an edge the image is continued both ways, by point reflection (light that fades
    towards the edge goes on fading) and by mirroring (ink near the edge stays dark ink),
    taking the darker: a plain mirror would turn a fade into a valley the closing fills,
    a plain point reflection would turn ink beside the edge into a bright rim."""
    padded = np.minimum(np.pad(values, size, mode="reflect", reflect_type="odd"), np.pad(values, size, mode="reflect"))
    return ndimage.grey_closing(padded, size=(size, size))[size:-size, size:-size]


def _stroke_width_guess(luminance: np.ndarray) -> float:
    """The strokes' width in pixels, to size the paper's window, by a granulometry: a
    closing fills in the dark lines narrower than its window, so the dark mass it fills
    grows quickly while the window is narrower than the strokes, stalls once it is wider,
    and grows again when it reaches shadows. The width is where it stalls most (the least
    relative growth to the next window); grain is left out (only what stands 3 deviations
    of it above the pixel counts), and windows stop at a quarter of the image."""
    grain = 3 * 1.4826 * np.median(np.abs(luminance - ndimage.median_filter(luminance, 3)))
    widest = max(5, max(luminance.shape) // 4)
    sizes = [size for size in (3, 5, 9, 17, 33, 65, 129) if size < widest] + [widest]
    filled = np.array([np.clip(_closing(luminance, size) - luminance - grain, 0, None).sum() for size in sizes])
    growth = np.where(filled[:-1] > 0.05 * filled.max(), filled[1:] / np.maximum(filled[:-1], 1e-9), np.inf)
    return float(sizes[int(np.argmin(growth))]) if np.isfinite(growth).any() else float(widest)


def _grain_floor(contrast: np.ndarray) -> float:
    """The contrast bare paper's grain reaches: NOISE_SIGMAS robust deviations above its
    middle, measured on the pixels Otsu's threshold puts on the paper's side (in a tight
    crop a third of the pixels may be ink)."""
    split = _otsu(contrast)
    paper = contrast[contrast <= split] if split is not None else contrast.ravel()
    centre = np.median(paper)
    return max(centre + NOISE_SIGMAS * 1.4826 * np.median(np.abs(paper - centre)), MIN_CONTRAST)


def _otsu(values: np.ndarray) -> float | None:
    """Otsu's threshold of the values, or None when they are all but equal (found by fuzzing:
    a clean drawn stroke whose ink contrast spread over 1e-5)."""
    return threshold_otsu(values) if np.ptp(values) > OTSU_LEAST_RANGE else None


def _threshold(contrast: np.ndarray, floor: float) -> np.ndarray:
    """Ink from contrast: strong seeds above the middle of the strokes' contrast, grown
    along whatever is connected to them down to a lower mark (hysteresis), so a faint
    pencil stroke joined to its firmer part survives and grain and fibres, as faint but
    alone, do not. The marks follow each image's own strokes and grain."""
    ink = contrast[contrast > floor]
    if ink.size == 0:
        return np.zeros_like(contrast)
    split = _otsu(ink)
    stroke = np.median(ink[ink >= split]) if split is not None else ink[0]
    low, high = max(floor, 0.3 * stroke), max(floor, 0.6 * stroke)
    mask = remove_specks(apply_hysteresis_threshold(contrast, low, high))
    # Anti-aliased edges below the low mark belong to the stroke they touch.
    near = ndimage.binary_dilation(mask, EIGHT_CONNECTED)
    return np.where(near, np.clip(contrast / stroke, 0, 1), 0.0)


def remove_specks(mask: np.ndarray) -> np.ndarray:
    """Keep the ink components at least SPECK_FRACTION the size of the largest; drop dust,
    dots of noise and stray fibres, which would otherwise widen the crop around the digit."""
    labels, count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    if count == 0:
        return mask
    areas = np.bincount(labels.ravel())[1:]
    return np.isin(labels, np.flatnonzero(areas >= SPECK_FRACTION * areas.max()) + 1)
