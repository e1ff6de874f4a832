"""Reading a person's image file, bounded in size and memory, as colour at a working size.

Any mode Pillow reads, transparency flattened, the first frame of an animation, EXIF
orientation applied. The image is reduced to WORK_SIZE inside Pillow (a JPEG already
while it is decoded), so no array of the full photo is ever made: a 24-megapixel photo
costs its decoded bytes once, not their float64 copies (issue 29: a 0.23 MB PNG of
7000x7000 pixels had used 3 GB).
"""

import struct
import warnings
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import ExifTags, Image, ImageChops, UnidentifiedImageError

from mnistcnn.core import InputError

# A phone's largest ordinary photo is 24 megapixels (6000x4000); a little over that
# admits the odd sizes near it (5712x4284). More is a bomb or a scan to crop first.
MAX_PIXELS = 25_000_000
# Longest side the analysis works at: a 0.5 mm ballpoint line in a 12-megapixel photo of
# a 15 mm digit filling a third of its height is still about 4 px wide at this size.
WORK_SIZE = 512
MIN_SIDE = 4  # pixels: fewer, on either side of the image or of its working copy, hold no digit
LUMINANCE = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R 601, as Pillow's "L"
# Modes whose pixels do not average into a smaller image as they are: convert first.
CONVERT_FIRST = {"1": "L", "PA": "RGBA"}
# EXIF orientations (phones store a photo sideways and say so) and how to undo them.
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_90}


def load_rgb(source: Path | BinaryIO, name: str | None = None) -> np.ndarray:
    """Read any image Pillow can, as float32 RGB in [0, 1], longest side at most WORK_SIZE.

    `source` is a path or an open binary file (an upload); `name` is what error messages
    call it (the path by default). Transparent areas become the background: white behind
    dark ink, black behind bright ink, judged from the opaque pixels.

    Raises:
        InputError: not an image, unreadable, too small, or more pixels than MAX_PIXELS.
    """
    if not hasattr(source, "read"):
        source = Path(source)
    path = name or str(source)
    try:
        with warnings.catch_warnings():
            # Pillow's own bomb check (past 89 megapixels) stops the absurd ones inside `open`.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:  # reads the header only
                if image.width * image.height > MAX_PIXELS:
                    raise InputError(f"{path}: {image.width}x{image.height} pixels is too large for a digit image "
                                     f"(the limit is {MAX_PIXELS // 1_000_000} megapixels); crop or shrink it")
                if min(image.size) < MIN_SIDE:
                    raise InputError(f"{path}: {image.width}x{image.height} pixels is too small to hold a digit")
                if min(_fitted(image.size)) < MIN_SIDE:  # a sliver: nothing of it is left at the working size
                    raise InputError(f"{path}: {image.width}x{image.height} pixels is too thin to hold a digit; "
                                     "crop it closer to the digit")
                image.seek(0)  # the first frame of an animated GIF or WebP
                image = _reduced(image)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(f"{path}: the image is too large to be a digit; crop or shrink it") from None
    except UnidentifiedImageError:
        raise InputError(f"{path}: not an image Pillow can read; use PNG, JPEG, GIF, BMP or TIFF") from None
    except InputError:
        raise
    except (OSError, SyntaxError, EOFError, ValueError, struct.error) as error:
        # A damaged file: Pillow's readers say so with any of these (a broken PNG chunk is a
        # SyntaxError, found by fuzzing).
        raise InputError(f"{path}: cannot read the image ({error}); check the file") from None
    return _to_rgb(image)


def _reduced(image: Image.Image) -> Image.Image:
    """The image at most WORK_SIZE on its longest side, upright, still a Pillow image.

    Memory is the decoded image plus at most two of its bands: Pillow's own resize of a
    transparent image would first copy all of it, premultiplied (96 MB for 24 megapixels).
    """
    orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
    if image.format in ("JPEG", "MPO"):  # MPO: a phone's JPEG with a second picture inside
        # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT: the full photo never exists.
        image.draft(image.mode, (WORK_SIZE, WORK_SIZE))
    image.load()  # while the file is open
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    image = image.convert(CONVERT_FIRST[image.mode]) if image.mode in CONVERT_FIRST else image
    factor = max(1, max(image.size) // (2 * WORK_SIZE))  # a box average to twice the size, then Lanczos
    if image.mode in ("RGBA", "LA") and factor > 1:
        image = _reduce_by_band(image, factor)
    elif image.mode.startswith("I;16"):
        # Pillow cannot box-reduce 16-bit images; one Lanczos pass does it without a copy.
        image = image.resize(_fitted(image.size), Image.Resampling.LANCZOS).convert("I")
    image.thumbnail((WORK_SIZE, WORK_SIZE), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image.transpose(UPRIGHT[orientation]) if orientation in UPRIGHT else image


def _reduce_by_band(image: Image.Image, factor: int) -> Image.Image:
    """Box-reduce a transparent image one band at a time, colour premultiplied by alpha
    (so the transparent pixels' colour does not bleed in); fully opaque ones lose alpha."""
    alpha = image.getchannel("A")
    colours = image.getbands()[:-1]
    if alpha.getextrema()[0] == 255:
        return Image.merge("".join(colours), [image.getchannel(band).reduce(factor) for band in colours])
    bands = [ImageChops.multiply(image.getchannel(band), alpha).reduce(factor) for band in colours]
    # Grey as three equal bands: Pillow converts premultiplied RGBa to RGBA, but not La.
    return Image.merge("RGBa", bands * (3 // len(bands)) + [alpha.reduce(factor)])


def _fitted(size: tuple[int, int]) -> tuple[int, int]:
    scale = min(1.0, WORK_SIZE / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


def _to_rgb(image: Image.Image) -> np.ndarray:
    if image.mode in ("I", "F"):
        values = np.asarray(image, dtype=np.float32)
        # Black stays 0 for images of non-negative values; negative ones are shifted up to it.
        low, top = min(float(values.min()), 0.0), float(values.max())
        grey = (values - low) / (top - low) if top > low else np.zeros_like(values)
        return np.repeat(grey[..., np.newaxis], 3, axis=-1)
    if image.mode in ("RGBA", "LA", "RGBa", "PA"):
        rgba = np.asarray(image.convert("RGBA"), dtype=np.float32) / 255.0
        rgb, alpha = rgba[..., :3], rgba[..., 3:]
        opaque = alpha[..., 0] > 0.5
        if opaque.all() or not opaque.any():
            return rgb
        # Opaque strokes on a transparent canvas: put them on a contrasting ground.
        background = 1.0 if (rgb[opaque] @ LUMINANCE).mean() < 0.5 else 0.0
        return rgb * alpha + background * (1 - alpha)
    return np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
