"""The MNIST-style preprocessing on synthetic digits with known answers, and bad images."""

import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image, ImageDraw

from mnistcnn.core import InputError
from mnistcnn.images import preprocess_image


def draw_seven(size=200, ink=0, paper=255, stroke=14, offset=(0, 0), mode="L", canvas=None):
    """A '7' on a square canvas; `size` scales the digit, `canvas` (default size) the paper."""
    canvas = canvas or size
    image = Image.new(mode, (canvas, canvas), paper)
    draw = ImageDraw.Draw(image)
    scale = size / 200
    dx, dy = offset
    points = [(60 * scale + dx, 50 * scale + dy), (140 * scale + dx, 50 * scale + dy),
              (90 * scale + dx, 160 * scale + dy)]
    draw.line(points, fill=ink, width=max(1, round(stroke * scale)), joint="curve")
    return image


@pytest.fixture
def reference(tmp_path):
    path = tmp_path / "reference.png"
    draw_seven().save(path)
    return preprocess_image(path)


def similar(first, second, tolerance=0.05):
    # A shift of 2 px alone differs by about 0.1.
    return np.abs(first - second).mean() < tolerance


def test_result_looks_like_mnist(reference):
    assert reference.shape == (28, 28) and reference.dtype == np.float32
    assert reference.max() == pytest.approx(1.0, abs=0.05) and reference.min() == 0
    rows, columns = np.nonzero(reference > 0.05)
    assert max(rows.max() - rows.min(), columns.max() - columns.min()) + 1 in (20, 21)
    grid_rows, grid_columns = np.indices(reference.shape)
    mass = reference.sum()
    assert abs((grid_rows * reference).sum() / mass - 14) < 0.75
    assert abs((grid_columns * reference).sum() / mass - 14) < 0.75
    # Corners are background.
    assert reference[:3, :3].max() == 0 and reference[-3:, -3:].max() == 0


@pytest.mark.parametrize("name, image", [
    ("white on black", lambda: draw_seven(ink=255, paper=0)),
    ("off centre", lambda: draw_seven(canvas=500, offset=(280, 300))),
    ("tiny", lambda: draw_seven(size=30)),
    ("huge", lambda: draw_seven(size=2000)),
    ("grey pencil on grey paper", lambda: draw_seven(ink=150, paper=200)),
    ("RGB", lambda: draw_seven(ink=(20, 20, 90), paper=(250, 245, 230), mode="RGB")),
])
def test_variants_land_on_the_same_digit(tmp_path, reference, name, image):
    path = tmp_path / "variant.png"
    image().save(path)
    assert similar(preprocess_image(path), reference), name


def test_rgba_with_transparent_background(tmp_path, reference):
    image = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    stroke = draw_seven(ink=255, paper=0)
    image.paste((0, 0, 0, 255), mask=stroke)  # black ink, transparent elsewhere
    path = tmp_path / "transparent.png"
    image.save(path)
    assert similar(preprocess_image(path), reference)


def test_a_speck_of_noise_is_ignored(tmp_path, reference):
    image = draw_seven(canvas=400)
    ImageDraw.Draw(image).ellipse((370, 370, 376, 376), fill=0)  # a dot far from the digit
    path = tmp_path / "speck.png"
    image.save(path)
    assert similar(preprocess_image(path), reference)


def test_uneven_lighting(tmp_path, reference):
    image = np.asarray(draw_seven(), dtype=np.float64)
    shadow = np.linspace(0.55, 1.0, 200)[np.newaxis, :]  # paper darkens to one side
    path = tmp_path / "shadow.png"
    Image.fromarray((image * shadow).astype(np.uint8)).save(path)
    assert similar(preprocess_image(path), reference)


def test_sixteen_bit_and_jpeg(tmp_path, reference):
    sixteen = tmp_path / "deep.png"
    Image.fromarray((np.asarray(draw_seven(), dtype=np.uint16) * 257)).save(sixteen)
    jpeg = tmp_path / "photo.jpg"
    draw_seven().convert("RGB").save(jpeg, quality=60)
    assert similar(preprocess_image(sixteen), reference)
    assert similar(preprocess_image(jpeg), reference)


def test_animated_gif_uses_the_first_frame(tmp_path, reference):
    path = tmp_path / "animated.gif"
    first, second = draw_seven(), Image.new("L", (200, 200), 255)
    first.save(path, save_all=True, append_images=[second], duration=100)
    assert similar(preprocess_image(path), reference)


def huge_png_header(width, height) -> bytes:
    """A PNG that claims enormous dimensions (a decompression bomb), cheaply."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("content, message", [
    (b"", "not an image"),
    (b"hello, I am text", "not an image"),
    (huge_png_header(60000, 60000), "too large"),
    (huge_png_header(5001, 5000), "5001x5000 pixels is too large for a digit image .the limit is 25 megapixels."),
])
def test_bad_files(tmp_path, content, message):
    path = tmp_path / "bad.png"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        preprocess_image(path)


@pytest.mark.parametrize("image, message", [
    (Image.new("L", (100, 100), 255), "no ink"),
    (Image.new("L", (1, 1), 0), "too small"),
])
def test_blank_and_tiny_images(tmp_path, image, message):
    path = tmp_path / "image.png"
    image.save(path)
    with pytest.raises(InputError, match=message):
        preprocess_image(path)


def photo_of(digit28: np.ndarray, seed: int, size: int = 480) -> bytes:
    """A camera-like photo of an MNIST digit: dark-blue ink on grey paper lit unevenly,
    sensor grain on every channel, saved as a JPEG."""
    import io

    rng = np.random.default_rng(seed)
    side = size * 20 // 28
    digit = np.asarray(Image.fromarray(digit28).resize((side, side), Image.Resampling.BICUBIC), dtype=np.float64)
    coverage = np.zeros((size, size))
    offset = (size - side) // 2
    coverage[offset:offset + side, offset:offset + side] = np.clip(digit / 255, 0, 1)
    rows, columns = np.mgrid[0:size, 0:size] / size
    paper = 0.55 + 0.3 * (1 - (rows + columns) / 2)
    ink = np.array([0.12, 0.16, 0.45])
    colour = paper[..., None] * (1 - coverage[..., None]) + ink * coverage[..., None]
    colour += rng.normal(0, 0.06, colour.shape)
    buffer = io.BytesIO()
    Image.fromarray((np.clip(colour, 0, 1) * 255).astype(np.uint8), "RGB").save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def test_a_large_grey_image_with_transparency_is_read(tmp_path, reference):
    # Grey with alpha from 2048 px up is box-reduced band by band (issue 38: Pillow 13 has
    # no conversion from premultiplied "La", and this ended in a traceback).
    stroke = draw_seven(size=2048, ink=255, paper=0)
    image = Image.merge("LA", [Image.new("L", stroke.size, 0), stroke])  # black ink, transparent elsewhere
    path = tmp_path / "large-grey-alpha.png"
    image.save(path)
    assert similar(preprocess_image(path), reference)


def test_a_sliver_too_thin_at_the_working_size_is_refused_in_words(tmp_path):
    path = tmp_path / "sliver.png"
    Image.new("L", (2000, 8), 255).save(path)
    with pytest.raises(InputError, match="2000x8 pixels is too thin to hold a digit; crop it closer"):
        preprocess_image(path)


def test_thirty_two_bit_images_with_negative_values_come_out_in_zero_to_one(tmp_path, reference):
    from mnistcnn.images import load_rgb

    values = np.asarray(draw_seven(), dtype=np.int32) * 3 - 400  # -400 (ink) .. 365 (paper)
    path = tmp_path / "signed.tif"
    Image.fromarray(values).save(path)
    rgb = load_rgb(path)
    assert rgb.min() == 0.0 and rgb.max() == 1.0
    assert similar(preprocess_image(path), reference)


def test_a_phones_mpo_is_decoded_at_reduced_size(tmp_path, monkeypatch):
    from mnistcnn.images import image_input

    path = tmp_path / "photo.mpo"
    first = draw_seven(size=3000, mode="RGB", ink=(0, 0, 0), paper=(255, 255, 255))
    first.save(path, format="MPO", save_all=True, append_images=[first])
    assert Image.open(path).format == "MPO"
    from PIL import JpegImagePlugin

    drafted = []
    real_draft = JpegImagePlugin.JpegImageFile.draft  # MPO's reader is JPEG's
    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda self, mode, size: drafted.append(size) or
                        real_draft(self, mode, size))
    assert max(image_input.load_rgb(path).shape[:2]) == image_input.WORK_SIZE
    # Our draft first, before the whole photo is decoded (Pillow's thumbnail asks for its own later).
    assert drafted[0] == (image_input.WORK_SIZE, image_input.WORK_SIZE)


def test_camera_grain_does_not_widen_the_crop(tmp_path):
    """Grain spread over a photo must not count as ink: the digit fills MNIST's 20 px box."""
    from mnistcnn.data import SAMPLE_PATH

    with np.load(SAMPLE_PATH) as sample:
        digits = sample["x_test"][:8]
    for index, digit in enumerate(digits):
        path = tmp_path / f"photo-{index}.jpg"
        path.write_bytes(photo_of(digit, seed=index))
        seen = preprocess_image(path)
        rows = np.flatnonzero(seen.max(axis=1) > 0.05)
        columns = np.flatnonzero(seen.max(axis=0) > 0.05)
        # MNIST fits the longer side of the digit to 20 px (a pixel more from anti-aliasing).
        assert 19 <= max(np.ptp(rows), np.ptp(columns)) + 1 <= 21, index


# Prepares the image named on the command line and prints by how many MB the process's
# peak resident memory grew, after a warm-up on a small image (imports, first calls).
PEAK_MEMORY = """
import io, resource, sys
from PIL import Image, ImageDraw
from mnistcnn.images import preprocess_image

warm = Image.new("L", (64, 64), 255)
ImageDraw.Draw(warm).line([(10, 10), (50, 50)], fill=0, width=5)
buffer = io.BytesIO()
warm.save(buffer, "PNG")
preprocess_image(io.BytesIO(buffer.getvalue()))
unit = 1024 if sys.platform != "darwin" else 1024 * 1024  # ru_maxrss is KiB on Linux, bytes on macOS
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
preprocess_image(sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / unit)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the resource module is Unix's")
def test_the_largest_accepted_image_costs_at_most_200_mb(tmp_path):
    """Issue 29: any accepted image is prepared within 200 MB. The costliest is a transparent
    PNG at the pixel limit, which Pillow cannot decode at a reduced size (a JPEG it can)."""
    from mnistcnn.images import MAX_PIXELS

    width = MAX_PIXELS // 4000
    image = Image.new("RGBA", (width, 4000), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(width * 0.3, 1000), (width * 0.7, 1000), (width * 0.45, 3300)],
                               fill=(0, 0, 0, 255), width=120)
    path = tmp_path / "huge.png"
    image.save(path, compress_level=1)
    del image
    result = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout) <= 200, f"{result.stdout.strip()} MB"
