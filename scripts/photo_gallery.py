"""The picture of the `predict` section (docs/commands.md): generated photos and what the network is shown.

    python scripts/photo_gallery.py --compare-with 12a88ca

One generated photo per scene of tests/photo_fixtures.py (the MNIST sample digit that
tests/test_photos.py first uses with the scene, else the scene's number, as the seed),
beside its prepared 28x28 image as this checkout makes it and, with --compare-with REV,
as preprocess.py made it at git revision REV. Generated, so that nothing without a
licence is copied into the project. Writes docs/prepared-photos.png.
Not timed here; short: it generates a handful of photos and prepares them; it trains nothing.
"""

import argparse
import io
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))  # the photo generator lives with the tests that use it
from benchmark_photos import preparation_at  # noqa: E402

PHOTO = (160, 120)  # each photo's thumbnail, width x height
PREPARED = 84  # each 28x28 image, enlarged 3 times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare-with", metavar="REV", help="Also show preprocess.py as of this git revision.")
    arguments = parser.parse_args()

    from PIL import Image, ImageDraw
    from photo_fixtures import SCENES, photo, sample_digit
    from test_photos import CASES

    preparations = [("now", preparation_at(None))]
    if arguments.compare_with:
        preparations.insert(0, (f"before ({arguments.compare_with})", preparation_at(arguments.compare_with)))
    width = PHOTO[0] + len(preparations) * (PREPARED + 8) + 8
    row = PHOTO[1] + 24
    sheet = Image.new("RGB", (2 * width, 20 + row * ((len(SCENES) + 1) // 2)), "white")
    draw = ImageDraw.Draw(sheet)
    for column in range(2):
        for number, (label, _) in enumerate(preparations):
            draw.text((column * width + PHOTO[0] + 8 + number * (PREPARED + 8), 4), label, fill="black")
    for index, (name, scene) in enumerate(SCENES.items()):
        left, top = (index % 2) * width, 20 + (index // 2) * row
        digit = next((number for case, number in CASES if case == name), index)
        data = photo(sample_digit(digit), scene, seed=digit)
        sheet.paste(Image.open(io.BytesIO(data)).convert("RGB").resize(PHOTO), (left, top))
        for number, (_, preparation) in enumerate(preparations):
            try:
                prepared = preparation.preprocess_image(io.BytesIO(data), "photo.jpg")
            except Exception:  # noqa: BLE001 - a preparation that fails shows as black
                prepared = np.zeros((28, 28))
            image = Image.fromarray((prepared * 255).round().astype(np.uint8)).resize((PREPARED, PREPARED), Image.Resampling.NEAREST)
            sheet.paste(image, (left + PHOTO[0] + 8 + number * (PREPARED + 8), top))
        draw.text((left, top + PHOTO[1] + 4), name, fill="black")
    path = ROOT / "docs" / "prepared-photos.png"
    sheet.save(path, optimize=True)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
