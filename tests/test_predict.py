"""`mnistcnn predict`: images, errors, JSON, Kaggle CSVs, and the committed model's accuracy."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import PROJECT_ROOT, run_cli as run
from mnistcnn.data import SAMPLE_PATH

CUSTOM_DIGITS = PROJECT_ROOT.parent / "shared" / "data" / "custom-digits"
PHOTO_DIGITS = PROJECT_ROOT.parent / "shared" / "data" / "photo-digits"  # test data only: no licence
COMMITTED_MODEL = PROJECT_ROOT / "models" / "mnistcnn.h5"
EXAMPLE_DIGITS = PROJECT_ROOT / "examples" / "digits"  # made by scripts/make_example_digits.py


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory):
    """A small model trained on the bundled sample (2 epochs of baseline)."""
    path = tmp_path_factory.mktemp("model") / "sample.h5"
    result = run("train-final", "--preset", "baseline", "--data", "sample", "--epochs", 2, "--output", path)
    assert result.exit_code == 0, result.output
    return path


def sample_digit_png(folder, index=0):
    with np.load(SAMPLE_PATH) as sample:
        image, label = sample["x_test"][index], int(sample["y_test"][index])
    path = folder / f"digit{index}.png"
    Image.fromarray(255 - image).save(path)  # as a person would draw it: dark on white
    return path, label


def test_predict_json_and_top_k(tmp_path, sample_model):
    path, _ = sample_digit_png(tmp_path)
    result = run("predict", path, "--model-file", sample_model, "--json", "--top-k", 3)
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)
    assert set(entry) == {"file", "digit", "answer", "unsure", "probability", "top", "probabilities"}
    assert len(entry["probabilities"]) == 10 and abs(sum(entry["probabilities"]) - 1) < 1e-4
    assert entry["probability"] == max(entry["probabilities"])
    # --top-k holds in JSON too: the three most likely digits, most likely first.
    assert [choice["digit"] for choice in entry["top"]] == list(np.argsort(entry["probabilities"])[::-1][:3])
    assert entry["top"][0] == {"digit": entry["digit"], "probability": entry["probability"]}
    result = run("predict", path, "--model-file", sample_model, "--top-k", 3)
    assert result.stdout.count("(") == 3


def test_errors_do_not_stop_the_other_files(tmp_path, sample_model):
    good, _ = sample_digit_png(tmp_path)
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    result = run("predict", tmp_path, "--model-file", sample_model, "--save-preprocessed", tmp_path / "seen")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 3 and "Traceback" not in result.output
    assert f"{good}:" in result.stdout
    assert [p.name for p in (tmp_path / "seen").iterdir()] == ["digit0.png"]
    assert Image.open(tmp_path / "seen" / "digit0.png").size == (28, 28)


def test_json_names_each_file_that_failed_and_why(tmp_path, sample_model):
    good, _ = sample_digit_png(tmp_path)
    (tmp_path / "notes.png").write_text("not an image")
    result = run("predict", good, tmp_path / "notes.png", "--model-file", sample_model, "--json")
    assert result.exit_code == 1
    entries = json.loads(result.stdout)
    assert [entry["file"] for entry in entries] == [str(good), str(tmp_path / "notes.png")]
    assert "digit" in entries[0] and entries[1]["error"].endswith("not an image Pillow can read; use PNG, JPEG, GIF, "
                                                                  "BMP or TIFF")


def test_a_file_that_fails_unforeseen_costs_only_itself(tmp_path, sample_model, monkeypatch):
    # Whatever goes wrong inside the preparation of one file, the others are still read.
    from mnistcnn.images import preprocess

    good, _ = sample_digit_png(tmp_path)
    other, _ = sample_digit_png(tmp_path, 1)
    real = preprocess.preprocess_image

    def fragile(path, *rest, **options):
        if Path(path) == other:
            raise RuntimeError("a library's own bug")
        return real(path, *rest, **options)

    monkeypatch.setattr(preprocess, "preprocess_image", fragile)
    from mnistcnn.predicting import predict_images
    from mnistcnn.core import import_keras

    predictions, failures = predict_images(import_keras().models.load_model(sample_model), [good, other])
    assert [prediction.file for prediction in predictions] == [str(good)]
    assert failures == [(str(other), f"{other}: could not be prepared (RuntimeError: a library's own bug); "
                                     "please report it with the file")]


def test_saved_preprocessed_images_do_not_overwrite_each_other(tmp_path, sample_model):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        sample_digit_png(tmp_path / folder)
    result = run("predict", tmp_path / "a", tmp_path / "b", "--model-file", sample_model,
                 "--save-preprocessed", tmp_path / "seen")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "seen").iterdir()) == ["digit0-2.png", "digit0.png"]


def test_missing_image_and_missing_model(tmp_path, sample_model):
    path, _ = sample_digit_png(tmp_path)
    result = run("predict", tmp_path / "absent.png", path, "--model-file", sample_model)
    # The missing file is one error line; the one that exists is still predicted.
    assert result.exit_code == 1 and "absent.png does not exist" in result.stderr
    assert f"{path}:" in result.stdout and "Traceback" not in result.output
    result = run("predict", path, "--model-file", tmp_path / "absent.h5")
    assert result.exit_code == 1 and "train-final" in result.output


def test_the_committed_model_is_found_from_any_folder(tmp_path, monkeypatch):
    path, _ = sample_digit_png(tmp_path)
    monkeypatch.chdir(tmp_path)  # no models/ here
    monkeypatch.delenv("MNISTCNN_MODEL", raising=False)
    result = run("predict", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{path}: ")


def test_with_no_model_anywhere_the_error_says_where_it_looked(tmp_path, monkeypatch):
    from mnistcnn.core import storage

    path, _ = sample_digit_png(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(storage, "CHECKOUT_MODEL", tmp_path / "nowhere" / "mnistcnn.h5")
    result = run("predict", path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "models/mnistcnn.h5 nor" in result.output and "nowhere" in result.output and "--model-file" in result.output


def write_kaggle(path, images, labels=None):
    with open(path, "w", newline="") as stream:
        writer = csv.writer(stream)
        header = [f"pixel{i}" for i in range(784)]
        writer.writerow((["label"] if labels is not None else []) + header)
        for index, image in enumerate(images):
            row = image.reshape(-1).tolist()
            writer.writerow(([int(labels[index])] if labels is not None else []) + row)


def test_kaggle_round_trip(tmp_path):
    with np.load(SAMPLE_PATH) as sample:
        x_train, y_train = sample["x_train"][:3000], sample["y_train"][:3000]
        x_test, y_test = sample["x_test"][:200], sample["y_test"][:200]
    write_kaggle(tmp_path / "train.csv", x_train, y_train)
    write_kaggle(tmp_path / "test.csv", x_test)
    model = tmp_path / "kaggle.h5"
    result = run("train-final", "--preset", "baseline", "--epochs", 3, "--data", tmp_path / "train.csv",
                 "--output", model)
    assert result.exit_code == 0, result.output
    assert "data: kaggle (2700 train / 300 valid / 0 test)" in result.output
    submission = tmp_path / "submission.csv"
    result = run("predict", "--kaggle-csv", tmp_path / "test.csv", "--model-file", model, "--output", submission)
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(submission.open()))
    assert rows[0] == ["ImageId", "Label"] and [row[0] for row in rows[1:]] == [str(i) for i in range(1, 201)]
    predicted = np.array([int(row[1]) for row in rows[1:]])
    assert (predicted == y_test).mean() > 0.85


@pytest.mark.parametrize("mutate, message", [
    (lambda row: row[:-1], "line 3 has 784 columns, expected 785"),
    (lambda row: row[:5] + ["x"] + row[6:], "line 3: 'x' is not a whole number"),
    (lambda row: row[:5] + ["256"] + row[6:], "line 3: pixel value outside 0-255"),
])
def test_kaggle_malformed_rows_name_the_line(tmp_path, mutate, message):
    path = tmp_path / "train.csv"
    write_kaggle(path, np.zeros((3, 28, 28), np.uint8), np.array([1, 2, 3]))
    lines = path.read_text().splitlines()
    lines[2] = ",".join(mutate(lines[2].split(",")))
    path.write_text("\n".join(lines) + "\n")
    result = run("train-final", "--data", path, "--output", tmp_path / "m.h5")
    assert result.exit_code == 1 and message in result.output, result.output


def labelled_folder_accuracy(folder, model_file, count) -> float:
    """`mnistcnn predict FOLDER --json` against the folder's LABELS.csv; all `count` images read."""
    result = run("predict", folder, "--model-file", model_file, "--json")
    assert result.exit_code == 0, result.output
    labels = {row["file"]: int(row["label"]) for row in csv.DictReader((folder / "LABELS.csv").open())}
    predictions = json.loads(result.stdout)
    assert len(predictions) == len(labels) == count
    correct = [entry["digit"] == labels[entry["file"].split("/")[-1]] for entry in predictions]
    return sum(correct) / len(correct)


@pytest.mark.skipif(not CUSTOM_DIGITS.is_dir(), reason="the person-made digits are not beside the project")
def test_committed_model_reads_person_made_digits():
    assert labelled_folder_accuracy(CUSTOM_DIGITS, COMMITTED_MODEL, 26) == 1.0  # 26 of 26


@pytest.mark.skipif(not PHOTO_DIGITS.is_dir(), reason="the photographed digits are not beside the project")
def test_committed_model_reads_photographed_digits():
    """Issue 26: camera photos of pen, marker and pencil on white, grey, beige, pink and
    blue paper (67), and tablet drawings (10), from nine public repositories."""
    assert labelled_folder_accuracy(PHOTO_DIGITS, COMMITTED_MODEL, 77) == 1.0  # 77 of 77


def test_committed_model_reads_the_example_digits():
    """The README's predict examples: sample test digits drawn dark on white, one as a photo."""
    result = run("predict", EXAMPLE_DIGITS, "--model-file", COMMITTED_MODEL, "--json")
    assert result.exit_code == 0, result.output
    predictions = json.loads(result.stdout)
    names = sorted(path.name for path in EXAMPLE_DIGITS.iterdir() if path.suffix in (".png", ".jpg"))
    assert [entry["file"].split("/")[-1] for entry in predictions] == names and len(names) == 6
    for entry in predictions:  # each name ends in its digit: digit-7.png, photo-4.jpg
        assert entry["digit"] == int(entry["file"].rsplit(".", 1)[0][-1]), entry
