"""The printed lines of lined and squared paper, found so the ink finder can take them away.

A ruling line is straight, runs across much of the page, and comes with more of its kind
at a regular spacing; a digit has at most two long straight strokes in one direction.
Lines are found by scikit-image's Hough transform of the skeleton of whatever stands out
from the paper (so a thick marker stroke counts as one line, not many), at any angle.
"""

import numpy as np
from scipy import ndimage
from skimage.morphology import skeletonize
from skimage.transform import hough_line, hough_line_peaks

ANGLES = np.deg2rad(np.arange(-90, 90, 0.5))
PARALLEL = np.deg2rad(2)  # lines of one ruling agree in angle within this, perspective included
ALONG = 21  # px: how much of a line judges its darkness, longer than a stroke crossing it


def ruling(contrast: np.ndarray, floor: float) -> np.ndarray:
    """How dark the ruling is at each pixel (0 off it), in the units of `contrast`.

    Args:
        contrast: how much darker than its paper each pixel is, in [0, 1].
        floor: the contrast the paper's grain reaches; anything above may be a line.
    """
    skeleton = skeletonize(contrast > floor)
    shortest = min(contrast.shape)
    if np.count_nonzero(skeleton) < 1.5 * shortest:  # not enough line for three rules: a drawing
        return np.zeros_like(contrast)
    accumulator, angles, distances = hough_line(skeleton, theta=ANGLES)

    def peaks(votes):
        found = hough_line_peaks(accumulator, angles, distances, min_distance=5, min_angle=4, threshold=votes)
        return found[1], found[2]

    across, down = np.zeros(contrast.shape, bool), np.zeros(contrast.shape, bool)
    # Lines across at least half the page, three or more in parallel, make a ruling. It
    # goes on at its spacing where a digit, a shadow or faint print hides its lines: there
    # the line is put where a straight fit of the found lines' places says.
    found_angles, found_distances = peaks(0.5 * shortest)
    for angle in np.unique(found_angles):
        family = _turn(found_angles, angle) <= PARALLEL
        if np.count_nonzero(family) < 3 or angle != found_angles[family].min():
            continue  # fewer than three, or a family already drawn
        angle = np.median(found_angles[family])
        known = np.sort(found_distances[family])
        spacing = np.median(np.diff(known))
        steps = np.round((known - known[0]) / spacing)
        start, step = np.polynomial.polynomial.polyfit(steps, known, 1)
        first, last = np.floor((distances.min() - start) / step), np.ceil((distances.max() - start) / step)
        for number in np.arange(first, last + 1):
            distance = known[steps == number][0] if number in steps else start + number * step
            line = _line_mask(contrast.shape, angle, distance)
            if abs(np.sin(angle)) > abs(np.cos(angle)):
                across |= line
            else:
                down |= line
    lines = across | down
    if not lines.any():
        return np.zeros_like(contrast)
    # Along a line, an opening ALONG px long gives the line's own darkness at each pixel
    # (its blurred edges too) and skips the short bump where a stroke crosses it; capped
    # at the lines' typical darkness, so a stroke written along a line keeps what it adds.
    level = np.percentile(contrast[lines & skeleton], 90) if (lines & skeleton).any() else 0.0
    found = np.zeros_like(contrast)
    for mask, size in ((across, (1, ALONG)), (down, (ALONG, 1))):
        if mask.any():
            band = ndimage.binary_dilation(mask, iterations=3)
            found = np.maximum(found, np.where(band, ndimage.grey_opening(contrast, size=size), 0.0))
    return np.clip(found, 0.0, min(level, 0.9))


def _turn(angles, angle):
    """How far apart two line directions are, the Hough angles -90 and 90 being one."""
    return np.abs((angles - angle + np.pi / 2) % np.pi - np.pi / 2)


def _line_mask(shape: tuple[int, int], angle: float, distance: float) -> np.ndarray:
    """The pixels of the line x cos(angle) + y sin(angle) = distance (Hough's form)."""
    height, width = shape
    mask = np.zeros(shape, bool)
    if abs(np.sin(angle)) > abs(np.cos(angle)):  # closer to horizontal: one row per column
        columns = np.arange(width)
        rows = np.round((distance - columns * np.cos(angle)) / np.sin(angle)).astype(int)
    else:
        rows = np.arange(height)
        columns = np.round((distance - rows * np.sin(angle)) / np.cos(angle)).astype(int)
    inside = (rows >= 0) & (rows < height) & (columns >= 0) & (columns < width)
    mask[rows[inside], columns[inside]] = True
    return mask
