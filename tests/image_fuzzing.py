"""Images of every kind Pillow writes, for fuzzing the preparation of people's images.

A drawn case is a file's bytes: one of Pillow's modes (1, L, LA, P with and without
transparency, RGB, RGBA, CMYK, I (with negative values), I;16, F), a size from 1x1 to past the pixel cap with
extreme aspect ratios, content from blank to noise to a stroke, saved as PNG, JPEG, MPO,
GIF, TIFF, BMP or WebP (multi-frame where the format has frames), with an EXIF
orientation where JPEG carries one, and sometimes truncated or with bytes flipped. Used by
tests/test_fuzz_images.py (a short, fixed budget) and scripts/fuzz_images.py (a long one).
"""

import io

import numpy as np
from hypothesis import strategies as st
from PIL import Image, ImageDraw

# Which formats can hold which modes (Pillow converts nothing on save).
FORMATS = {
    "PNG": {"1", "L", "LA", "P", "RGB", "RGBA", "I;16"},
    "JPEG": {"L", "RGB", "CMYK"},
    "MPO": {"L", "RGB"},
    "GIF": {"L", "P"},
    "TIFF": {"1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F"},
    "BMP": {"1", "L", "P", "RGB"},
    "WEBP": {"RGB", "RGBA"},
}
SIDES = st.one_of(st.integers(1, 64), st.integers(65, 700), st.sampled_from([2047, 2048, 2049, 4000, 5200, 7000]))


def drawn_content(kind: str, size: tuple[int, int], seed: int) -> np.ndarray:
    """Grey values 0-255 of the image's size: blank, noise, or a dark stroke on paper."""
    rng = np.random.default_rng(seed)
    if kind == "blank":
        return np.full(size[::-1], rng.integers(0, 256), np.uint8)
    if kind == "noise":  # drawn small and scaled up, so a large image costs little to make
        small = rng.integers(0, 256, (min(size[1], 32), min(size[0], 32)), dtype=np.uint8)
        return np.asarray(Image.fromarray(small).resize(size, Image.Resampling.NEAREST))
    canvas = Image.new("L", size, 235)
    width, height = size
    ImageDraw.Draw(canvas).line([(width * 0.3, height * 0.2), (width * 0.7, height * 0.2), (width * 0.45, height * 0.8)],
                                fill=20, width=max(1, min(size) // 12))
    return np.asarray(canvas)


def _in_mode(grey: np.ndarray, mode: str, transparent: bool) -> Image.Image:
    image = Image.fromarray(grey)
    if mode in ("I", "F"):
        return Image.fromarray(grey.astype(np.int32 if mode == "I" else np.float32) * 3 - 200)
    if mode == "I;16":
        return Image.fromarray(grey.astype(np.uint16) * 257)
    if mode in ("LA", "RGBA"):  # ink opaque; the paper transparent, or opaque too
        base = image.convert(mode[:-1])
        base.putalpha(Image.fromarray(np.where(grey < 128, 255, 0 if transparent else 255).astype(np.uint8)))
        return base
    converted = image.convert(mode)
    if mode == "P" and transparent:
        converted.info["transparency"] = 0
    return converted


@st.composite
def image_files(draw) -> tuple[bytes, str]:
    """(the file's bytes, what it is): a drawn image file, sometimes damaged."""
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(sorted(FORMATS[fmt])))
    size = (draw(SIDES), draw(SIDES))
    kind = draw(st.sampled_from(["blank", "noise", "stroke"]))
    transparent = draw(st.booleans())
    image = _in_mode(drawn_content(kind, size, draw(st.integers(0, 2 ** 16))), mode, transparent)
    buffer = io.BytesIO()
    options = {}
    if fmt in ("JPEG", "MPO") and draw(st.booleans()):
        exif = Image.Exif()
        exif[0x0112] = draw(st.integers(1, 8))  # Orientation
        options["exif"] = exif
    frames = draw(st.integers(1, 3)) if fmt in ("GIF", "TIFF", "MPO", "WEBP") else 1
    if frames > 1:
        options.update(save_all=True, append_images=[image.copy() for _ in range(frames - 1)])
    if "transparency" in image.info:
        options["transparency"] = image.info["transparency"]
    image.save(buffer, format=fmt, **options)
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "none", "truncated", "flipped"]))
    if damage == "truncated":
        data = data[:draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "flipped" and len(data) > 16:
        position = draw(st.integers(8, len(data) - 1))
        data = data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1:]
    return data, f"{fmt} {mode} {size[0]}x{size[1]} {kind}{' transparent' if transparent else ''}" \
                 f"{f' {frames} frames' if frames > 1 else ''} {damage}"
