"""How well and how fast people's photos are prepared: real photos, generated ones, and time.

    python scripts/benchmark_photos.py --compare-with 12a88ca

For the preparation in this checkout (and, with --compare-with REV, for preprocess.py as
it was at git revision REV, run beside it): the committed model's and ensemble's
accuracy on the labelled folders beside the project (../shared/data/photo-digits, 77
photos and drawings, and ../shared/data/custom-digits, 26 images; test data only, never
copied here), with the lowest probability given to the right digit; the share of
generated photos (tests/photo_fixtures.py, every scene x --digits MNIST sample digits)
whose preparation matches their clean scan's (correlation >= SAME_DIGIT there); and the
median time to prepare a 12-megapixel phone photo and a 280x280 draw-page drawing. Writes benchmarks/photos.json and the photos table in
BENCHMARKS.md.
Not timed here: it trains nothing, but prepares hundreds of photos and runs both models on them.
"""

import argparse
import csv
import importlib.util
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "tests"))  # the photo generator lives with the tests that use it
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402

FOLDERS = {"photo-digits": ROOT.parent / "shared" / "data" / "photo-digits",
           "custom-digits": ROOT.parent / "shared" / "data" / "custom-digits"}
MODELS = {"single": ROOT / "models" / "mnistcnn.h5", "ensemble": ROOT / "models" / "mnistcnn-ensemble.h5"}


def preparation_at(revision: str | None):
    """preprocess.py of this checkout, or as it was at `revision` (loaded from `git show`)."""
    if revision is None:
        from mnistcnn.images import preprocess
        return preprocess
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:src/mnistcnn/preprocess.py"],
                            capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp()) / f"preprocess_{revision}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def folder_accuracy(preparation, models: dict, folder: Path) -> dict:
    labels = {row["file"]: int(row["label"]) for row in csv.DictReader((folder / "LABELS.csv").open())}
    names = sorted(labels)
    inputs = np.stack([preparation.preprocess_image(folder / name) for name in names])[..., np.newaxis]
    results = {}
    for model_name, model in models.items():
        probabilities = model.predict(inputs, verbose=0)
        truth = np.array([labels[name] for name in names])
        right = probabilities.argmax(axis=1) == truth
        given = probabilities[np.arange(len(names)), truth]
        results[model_name] = {"correct": int(right.sum()), "images": len(names),
                               "lowest_probability_of_the_right_digit": float(given.min()),
                               "misread": [name for name, ok in zip(names, right) if not ok]}
    return results


def generated_matches(preparation, digits: int) -> dict:
    from photo_fixtures import SAME_DIGIT, SCENES, clean_scan, correlation, photo, sample_digit

    results = {}
    for name, scene in SCENES.items():
        scores = []
        for index in range(digits):
            digit = sample_digit(index)
            try:
                clean = preparation.preprocess_image(io.BytesIO(clean_scan(digit, scene)), "clean.png")
                seen = preparation.preprocess_image(io.BytesIO(photo(digit, scene, seed=index)), "photo.jpg")
                scores.append(correlation(seen, clean))
            except Exception:  # noqa: BLE001 - a preparation that fails counts as no match
                scores.append(0.0)
        results[name] = {"matching": sum(score >= SAME_DIGIT for score in scores), "photos": digits,
                         "lowest_correlation": min(scores)}
    return results


def test_images(folder: Path) -> dict:
    """A 12-megapixel phone photo (a generated one, enlarged, JPEG 90) and a drawing."""
    from PIL import Image
    from photo_fixtures import SCENES, photo, sample_digit

    from benchmark_serve import canvas_png

    small = Image.open(io.BytesIO(photo(sample_digit(0), SCENES["blue ballpoint on lined paper"], seed=0)))
    phone = folder / "phone-12mp.jpg"
    small.resize((4000, 3000), Image.Resampling.BICUBIC).save(phone, quality=90)
    drawing = folder / "drawing.png"
    drawing.write_bytes(canvas_png())
    return {"12-megapixel photo (4000x3000 JPEG)": phone, "280x280 drawing (PNG)": drawing}


def median_milliseconds(preparation, path: Path, repeats: int) -> float:
    preparation.preprocess_image(path)  # warm
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        preparation.preprocess_image(path)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare-with", metavar="REV", help="Also measure preprocess.py as of this git revision.")
    parser.add_argument("--digits", type=int, default=10, help="Generated photos per scene.")
    parser.add_argument("--repeats", type=int, default=20, help="Timed preparations per image.")
    arguments = parser.parse_args()

    from mnistcnn.core import load_model

    models = {name: load_model(path) for name, path in MODELS.items()}
    variants = {"this checkout": None} if not arguments.compare_with else {
        f"before ({arguments.compare_with})": arguments.compare_with, "this checkout": None}
    load_before = os.getloadavg()[0]
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        images = test_images(Path(folder))
        for label, revision in variants.items():
            preparation = preparation_at(revision)
            results[label] = {
                "folders": {name: folder_accuracy(preparation, models, path)
                            for name, path in FOLDERS.items() if path.is_dir()},
                "generated": generated_matches(preparation, arguments.digits),
                "milliseconds": {name: median_milliseconds(preparation, path, arguments.repeats)
                                 for name, path in images.items()}}
    command = "python scripts/benchmark_photos.py" + (
        f" --compare-with {arguments.compare_with}" if arguments.compare_with else "") + (
        f" --digits {arguments.digits}" if arguments.digits != 10 else "")
    facts = {"cpu": cpu_model(), "cores": os.cpu_count(), "load_average_1min": [load_before, os.getloadavg()[0]],
             "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "command": command}
    (ROOT / "benchmarks" / "photos.json").write_text(json.dumps({"results": results, "machine": facts}, indent=2) + "\n")
    table = render(results, facts)
    replace_block(ROOT / "BENCHMARKS.md", "photos", table)
    print(table)


def render(results: dict, facts: dict) -> str:
    from photo_fixtures import SAME_DIGIT

    labels = list(results)
    rows = []
    for folder in results[labels[-1]]["folders"]:
        for model in MODELS:
            cells = []
            for label in labels:
                figures = results[label]["folders"][folder][model]
                cells.append(f"{figures['correct']}/{figures['images']} "
                             f"(lowest {figures['lowest_probability_of_the_right_digit']:.3f})")
            rows.append([f"{folder}, {model} model: right (lowest probability of the right digit)", *cells])
    for scene in results[labels[-1]]["generated"]:
        cells = [f"{results[label]['generated'][scene]['matching']}/{results[label]['generated'][scene]['photos']}"
                 for label in labels]
        rows.append([f"generated: {scene}", *cells])
    for image in results[labels[-1]]["milliseconds"]:
        rows.append([f"ms to prepare a {image} (median)",
                     *[f"{results[label]['milliseconds'][image]:.0f}" for label in labels]])
    return "\n".join([
        markdown_table(["", *labels], rows), "",
        f"Generated photos match when their preparation correlates with their clean scan's by at least "
        f"{SAME_DIGIT} (tests/photo_fixtures.py). {facts['cpu']}, {facts['cores']} cores; 1-minute load average "
        f"{facts['load_average_1min'][0]:.1f} before and {facts['load_average_1min'][1]:.1f} after; "
        f"{facts['date']}. Command: `{facts['command']}`."])


if __name__ == "__main__":
    main()
