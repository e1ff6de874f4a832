"""Every row of the "Bad input" table (docs/bad-input.md): one line, the right exit code, nothing written.

Each case builds what it needs in a fresh folder, runs the command there and checks
that the folder holds exactly what it held before.
"""

import re
import struct
import zlib

import h5py
import numpy as np
import pytest
from PIL import Image

from conftest import PROJECT_ROOT, make_arrays, write_idx_folder, run_cli


def idx_folder(arrays=None, drop=None, corrupt=None):
    def build(folder):
        mnist = write_idx_folder(folder / "my-mnist", arrays or make_arrays())
        if drop:
            (mnist / drop).unlink()
        if corrupt:
            name, change = corrupt
            (mnist / name).write_bytes(change((mnist / name).read_bytes()))
        return ["train-final", "--data", mnist]
    return build


def with_arrays(**changes):
    arrays = make_arrays()
    for key, change in changes.items():
        arrays[key] = change(arrays[key])
    return arrays


def npz_missing_keys(folder):
    arrays = make_arrays()
    del arrays["x_test"]
    np.savez(folder / "mnist.npz", **arrays)
    return ["train-final", "--data", folder / "mnist.npz"]


def npz_with_pixels_above_255(folder):
    arrays = make_arrays()
    arrays["x_train"] = arrays["x_train"].astype(np.int16) + 45  # up to 300: a cast would wrap it to 44
    np.savez(folder / "mnist.npz", **arrays)
    return ["train-final", "--data", folder / "mnist.npz"]


def raw_idx_with_bad_magic(data):
    import gzip
    raw = bytearray(gzip.decompress(data))
    raw[0] = 7
    return gzip.compress(bytes(raw))


def model_file(make):
    def build(folder):
        path = folder / "model.h5"
        make(path)
        return ["evaluate", "--model-file", path, "--data", "sample", "--report-dir", folder / "report"]
    return build


def keras_model(path, input_shape=(28, 28, 1), lambda_layer=False):
    import keras

    inputs = keras.Input(input_shape)
    x = keras.layers.Lambda(lambda tensor: tensor * 2)(inputs) if lambda_layer else inputs
    keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(x))).save(path)


def hdf5_without_model(path):
    with h5py.File(path, "w") as handle:
        handle["weights"] = np.zeros(3)


def committed_story_beside(fake_model):
    def build(folder):
        (folder / "models").mkdir()
        (folder / "models" / "mnistcnn.h5").write_bytes(fake_model)
        (folder / "models" / "mnistcnn.json").write_text((PROJECT_ROOT / "models" / "mnistcnn.json").read_text())
        return ["train-final", "--data", "sample", "--output", folder / "models" / "mnistcnn.h5"]
    return build


def model_without_story(folder):
    (folder / "model.h5").write_bytes(b"someone's model")
    return ["train-final", "--data", "sample", "--output", folder / "model.h5"]


def report_of_other_data(folder):
    keras_model(folder / "model.h5")
    (folder / "report").mkdir()
    (folder / "report" / "report.json").write_text(
        '{"model_sha256": "0", "data": "mnist (60000 train / 0 valid / 10000 test)"}\n')
    return ["evaluate", "--model-file", folder / "model.h5", "--data", "sample", "--report-dir", folder / "report"]


def image(make, name="digit.png"):
    def build(folder):
        path = folder / name
        make(path)
        return ["predict", path, "--model-file", PROJECT_ROOT / "models" / "mnistcnn.h5"]
    return build


def bomb_png(path):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 80000, 80000, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0"))
                     + chunk(b"IEND", b""))


def kaggle_csv(change_line):
    def build(folder):
        header = "label," + ",".join(f"pixel{i}" for i in range(784))
        rows = ["1," + ",".join(["0"] * 784), "2," + ",".join(["0"] * 784)]
        rows[1] = change_line(rows[1])
        (folder / "train.csv").write_text("\n".join([header, *rows]) + "\n")
        return ["train-final", "--data", folder / "train.csv"]
    return build


def options(*arguments):
    return lambda folder: list(arguments)


CASES = {
    # data
    "data: missing folder": (lambda folder: ["train-final", "--data", folder / "nowhere"], 2, "does not exist"),
    "data: empty folder": (lambda folder: ["train-final", "--data", (folder / "empty-folder").mkdir() or
                                           folder / "empty-folder"], 1, "missing train-images"),
    "data: one of four files missing": (idx_folder(drop="t10k-labels-idx1-ubyte.gz"), 1, "missing t10k-labels"),
    "data: truncated gzip": (idx_folder(corrupt=("train-images-idx3-ubyte.gz", lambda data: data[:100])), 1,
                             "cannot decompress"),
    "data: wrong IDX magic": (idx_folder(corrupt=("train-labels-idx1-ubyte.gz", raw_idx_with_bad_magic)), 1,
                              "wrong magic"),
    "data: image/label count mismatch": (idx_folder(with_arrays(y_test=lambda labels: labels[:-2])), 1,
                                         "20 test images but 18 labels"),
    "data: label out of range": (idx_folder(with_arrays(y_train=lambda labels: labels + 5)), 1, "expected 0-9"),
    "data: mnist.npz missing keys": (npz_missing_keys, 1, "missing arrays x_test"),
    "data: mnist.npz pixels above 255": (npz_with_pixels_above_255, 1, "x_train holds values 45..300"),
    "data: writer split of images that are not MNIST's": (
        lambda folder: idx_folder()(folder) + ["--valid-split", "writers"], 2, "use --valid-split random"),
    # model
    "model: missing file": (lambda folder: ["evaluate", "--model-file", folder / "absent.h5"], 1, "check the path"),
    "model: missing file to export": (lambda folder: ["export", folder / "absent.h5", "--format", "onnx"], 1,
                                      "check the path"),
    "model: an exported twin given": (lambda folder: ["predict", "digit.png", "--model-file", "models/my-model.onnx"],
                                      2, "pass the .h5 it was exported from"),
    "model: not HDF5": (model_file(lambda path: path.write_text("weights?")), 1, "not an HDF5 file"),
    "model: HDF5 but not a Keras model": (model_file(hdf5_without_model), 1, "not a Keras model"),
    "model: wrong input shape": (model_file(lambda path: keras_model(path, (32, 32, 3))), 1,
                                 "expected (None, 28, 28, 1)"),
    "model: Lambda layer": (model_file(lambda path: keras_model(path, lambda_layer=True)), 1, "Lambda layer"),
    # images
    "image: not an image": (image(lambda path: path.write_text("hello")), 1, "not an image"),
    "image: zero bytes": (image(lambda path: path.write_bytes(b"")), 1, "not an image"),
    "image: blank": (image(lambda path: Image.new("L", (80, 80), 255).save(path)), 1, "no ink found"),
    "image: 1x1 pixel": (image(lambda path: Image.new("L", (1, 1), 0).save(path)), 1, "too small"),
    "image: decompression bomb": (image(bomb_png), 1, "too large"),
    "image: no image given": (options("predict"), 2, "no images given"),
    # options
    "option: zero epochs": (options("train-final", "--epochs", 0), 2, "epochs must be"),
    "option: negative epochs": (options("train-final", "--epochs", -3), 2, "epochs must be"),
    "option: zero batch size": (options("train-final", "--batch-size", 0), 2, "batch_size must be"),
    "option: unknown sweep": (options("sweep", "colour"), 2, "unknown sweep 'colour'"),
    "option: misspelt sweep": (options("sweep", "poolng"), 2, "unknown sweep 'poolng'; did you mean pooling? "),
    "option: unknown architecture": (options("train-final", "--architecture", "resnet"), 2, "'resnet' is not one of"),
    "option: unknown loss": (options("train-final", "--loss", "l1"), 2, "'l1' is not one of"),
    "option: valid fraction 0 with early stopping": (options("train-final", "--valid-fraction", 0, "--patience", 3),
                                                     2, "valid_fraction 0 leaves no validation split"),
    "option: valid fraction 1": (options("train-final", "--valid-fraction", 1), 2, "valid_fraction must be"),
    "option: malformed --values": (options("sweep", "learning_rate", "--values", "1e-3,,x"), 2, "empty item"),
    "option: empty --values": (options("sweep", "pooling", "--values", ""), 2, "--values is empty"),
    "option: the swept field set too": (options("sweep", "kernel_size", "--kernel-size", 5), 2,
                                        "is what the kernel_size sweep varies"),
    "option: --output not .h5": (options("train-final", "--data", "sample", "--output", "model.keras"), 2,
                                 "must end in .h5"),
    # results a command would replace unasked
    "overwrite: a model trained on more data": (committed_story_beside(b"the committed model"), 3,
                                                "was trained on mnist (60000 images) and this run has sample"),
    "overwrite: a model without its story": (model_without_story, 3, "exists with no story"),
    "overwrite: a report of other data": (report_of_other_data, 3, "holds a report made from data mnist"),
    # Kaggle CSV
    "kaggle: wrong column count": (kaggle_csv(lambda line: line + ",0"), 1, "line 3 has 786 columns"),
    "kaggle: a non-number": (kaggle_csv(lambda line: line.replace(",0,", ",x,", 1)), 1, "'x' is not a whole number"),
    "kaggle: a value above 255": (kaggle_csv(lambda line: line.replace(",0,", ",300,", 1)), 1, "outside 0-255"),
}


def snapshot(folder):
    return {path: path.read_bytes() if path.is_file() else None for path in folder.rglob("*")}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input(case, tmp_path, monkeypatch):
    build, exit_code, message = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    arguments = [str(argument) for argument in build(work)]
    monkeypatch.chdir(work)
    before = snapshot(work)
    result = run_cli(*arguments)
    assert result.exit_code == exit_code, result.output
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1 and message in error_lines[0], result.output
    assert "Traceback" not in result.output
    assert snapshot(work) == before  # nothing written, nothing overwritten
    # The table's row quotes the whole message, as printed (paths relative to the folder).
    printed = error_lines[0].removeprefix("Error: ").replace(f"{work}/", "")
    assert TABLE_MESSAGES[case] == printed


def table_messages() -> dict:
    """{case: the message its row of the Bad input table quotes}."""
    table = (PROJECT_ROOT / "docs" / "bad-input.md").read_text()
    return {case: message.replace("\\|", "|") for case, message in
            re.findall(r"^\| ([a-z]+: [^|]+?) \| `[^`]*` \| \d \| (.*) \|$", table, flags=re.M)}


TABLE_MESSAGES = table_messages()


def test_the_table_lists_every_case():
    table = (PROJECT_ROOT / "docs" / "bad-input.md").read_text()
    rows = re.findall(r"^\| ([a-z]+: [^|]+?) \|", table, flags=re.M)
    assert sorted(rows) == sorted(CASES)
    assert len(rows) >= 25
