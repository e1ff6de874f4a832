"""Make the example digits in `examples/digits/`, to try `mnistcnn predict` on.

    python scripts/make_example_digits.py

Each is a test digit of the bundled sample (never a training one) drawn as a person's
image would be, not as MNIST stores it: dark ink on white paper, 160 px wide, so that
`predict` has the MNIST preparation to do. `photo-*.jpg` is made to look like a phone
photo of a note: warm paper lit unevenly, blue pen, a slight tilt, sensor noise, blur
and JPEG compression. Every run writes the same files. The sample is a subset of MNIST
(Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0), and so these are
too.
Not timed here; short: it draws six images from the bundled sample.
"""

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from mnistcnn.data import SAMPLE_PATH  # noqa: E402

OUTPUT = Path(__file__).resolve().parents[1] / "examples" / "digits"
# The first test digit of each label in the sample, for the labels shown; a handful is
# enough to try, and each name says the digit, so a test can check what predict reads.
DRAWN = (0, 2, 3, 7, 9)
PHOTO = 4
SCALE, MARGIN = 4, 24  # 28 px -> 112 px of digit on a 160 px page
SEED = 27


def first_test_digit(images: np.ndarray, labels: np.ndarray, label: int) -> np.ndarray:
    return images[np.flatnonzero(labels == label)[0]]


def drawn(digit: np.ndarray) -> Image.Image:
    """MNIST's bright ink on black, as dark ink on white paper, enlarged smoothly."""
    size = 28 * SCALE
    ink = Image.fromarray(digit).resize((size, size), Image.LANCZOS)
    page = Image.new("L", (size + 2 * MARGIN, size + 2 * MARGIN), 0)
    page.paste(ink, (MARGIN, MARGIN))
    return Image.fromarray(255 - np.asarray(page))


def photographed(digit: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """The digit in blue pen on warm paper, lit from the top left, tilted, noisy, blurred."""
    size = 28 * 6
    ink = Image.fromarray(digit).resize((size, size), Image.BICUBIC).rotate(-6, resample=Image.BICUBIC)
    mask = Image.new("L", (size + 80, size + 80), 0)
    mask.paste(ink, (40, 40))
    coverage = np.asarray(mask, dtype=np.float64)[..., np.newaxis] / 255 * 0.9
    height, width = coverage.shape[:2]
    rows, columns = np.mgrid[0:height, 0:width]
    light = 1.0 - 0.16 * (rows + columns) / (height + width)  # a darker corner, as under a lamp
    paper = np.array([238.0, 231.0, 214.0]) * light[..., np.newaxis]
    pen = np.array([38.0, 46.0, 92.0])
    pixels = paper * (1 - coverage) + pen * coverage + rng.normal(0, 4, (height, width, 3))
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return image.filter(ImageFilter.GaussianBlur(0.8))


def main() -> None:
    with np.load(SAMPLE_PATH) as sample:
        images, labels = sample["x_test"], sample["y_test"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for label in DRAWN:
        path = OUTPUT / f"digit-{label}.png"
        drawn(first_test_digit(images, labels, label)).save(path, optimize=True)
        print(f"wrote {path}")
    path = OUTPUT / f"photo-{PHOTO}.jpg"
    photographed(first_test_digit(images, labels, PHOTO), np.random.default_rng(SEED)).save(path, quality=85)
    print(f"wrote {path}")


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    main()
