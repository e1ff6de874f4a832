"""Exported twins: `predict` and `serve` run an ONNX or LiteRT file instead of the `.h5` only
while its record's checksums match both files, say why when they pass one over, and then
never import TensorFlow."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import PROJECT_ROOT
from mnistcnn.core import Config
from mnistcnn.models import build_model
from mnistcnn.core import save_model

HAVE_RUNTIMES = all(importlib.util.find_spec(name) for name in ("tf2onnx", "onnxruntime", "ai_edge_litert"))
needs_runtimes = pytest.mark.skipif(not HAVE_RUNTIMES, reason="the export runtimes are not installed (.[export])")
TINY = {"filters": 4, "dense_units": 16, "precision": "float32"}
CUSTOM_DIGITS = PROJECT_ROOT.parent / "shared" / "data" / "custom-digits"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny model with an ONNX and a LiteRT twin, exported and checked on a tiny test set."""
    from conftest import make_arrays, write_idx_folder
    from mnistcnn.export import export_model
    from mnistcnn.core import prepare

    folder = tmp_path_factory.mktemp("twins")
    prepare(0, "float32")
    save_model(build_model(Config(**TINY)), folder / "tiny.h5", {})
    data = write_idx_folder(folder / "mnist", make_arrays())
    for export_format, suffix in (("onnx", ".onnx"), ("litert", ".tflite")):
        export_model(folder / "tiny.h5", export_format, folder / f"tiny{suffix}", str(data), lambda line: None)
    return folder


def copy_of(exported: Path, tmp_path: Path, *names: str) -> Path:
    for name in ("tiny.h5", *names):
        (tmp_path / name).write_bytes((exported / name).read_bytes())
    return tmp_path / "tiny.h5"


@needs_runtimes
def test_export_records_both_checksums(exported):
    from mnistcnn.core import file_sha256

    record = json.loads((exported / "tiny.onnx.json").read_text())
    assert record["model_sha256"] == file_sha256(exported / "tiny.h5")
    assert record["twin_sha256"] == file_sha256(exported / "tiny.onnx")
    assert record["format"] == "onnx" and record["same_digit_as_h5"] == 1.0


@needs_runtimes
@pytest.mark.parametrize("export_format, names", [("onnx", ("tiny.onnx", "tiny.onnx.json")),
                                                  ("litert", ("tiny.tflite", "tiny.tflite.json"))])
def test_an_up_to_date_twin_predicts_as_the_h5_does(exported, tmp_path, export_format, names):
    from mnistcnn.core import load_model
    from mnistcnn.export import Twin, load_predictor

    model_file = copy_of(exported, tmp_path, *names)
    said = []
    predictor = load_predictor(model_file, said.append)
    assert isinstance(predictor, Twin) and predictor.format == export_format
    runtime = {"onnx": "onnxruntime", "litert": "ai_edge_litert"}[export_format]
    assert said == [f"reading with {runtime}: {predictor.path}, the up-to-date twin of {model_file}"]
    images = np.random.default_rng(0).random((7, 28, 28, 1), dtype=np.float32)
    np.testing.assert_allclose(predictor.predict(images), load_model(model_file).predict(images, verbose=0),
                               atol=1e-5)


@needs_runtimes
def test_a_twin_of_another_h5_is_passed_over_and_keras_reads(exported, tmp_path):
    from mnistcnn.core import prepare
    from mnistcnn.export import Twin, load_predictor

    model_file = copy_of(exported, tmp_path, "tiny.onnx", "tiny.onnx.json")
    prepare(1, "float32")
    save_model(build_model(Config(**TINY, seed=1)), model_file, {})  # retrained: the twin is stale
    said = []
    predictor = load_predictor(model_file, said.append)
    assert not isinstance(predictor, Twin)
    assert "not using" in said[0] and "exported from another tiny.h5" in said[0], said
    assert said[-1].startswith("reading with Keras:"), said


@needs_runtimes
def test_a_twin_that_disagreed_on_any_digit_is_passed_over(exported, tmp_path):
    from mnistcnn.export import find_twin

    model_file = copy_of(exported, tmp_path, "tiny.onnx", "tiny.onnx.json")
    record_file = tmp_path / "tiny.onnx.json"
    record_file.write_text(json.dumps({**json.loads(record_file.read_text()), "same_digit_as_h5": 0.9995}))
    said = []
    assert find_twin(model_file, said.append) is None
    assert said[0].startswith(f"not using {tmp_path / 'tiny.onnx'}: at its export it gave the .h5's digit for only "
                              "99.95% of the test images"), said


@needs_runtimes
def test_a_twin_changed_since_its_check_is_passed_over(exported, tmp_path):
    from mnistcnn.export import find_twin

    model_file = copy_of(exported, tmp_path, "tiny.onnx", "tiny.onnx.json")
    (tmp_path / "tiny.onnx").write_bytes((exported / "tiny.onnx").read_bytes() + b"\0")
    said = []
    assert find_twin(model_file, said.append) is None
    assert "changed since `mnistcnn export` checked it" in said[0], said


@needs_runtimes
def test_a_twin_without_its_runtime_is_passed_over(exported, tmp_path, monkeypatch):
    from mnistcnn.export import twins

    model_file = copy_of(exported, tmp_path, "tiny.onnx", "tiny.onnx.json", "tiny.tflite", "tiny.tflite.json")
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(twins.importlib.util, "find_spec",
                        lambda name: None if name == "onnxruntime" else real_find_spec(name))
    said = []
    twin = twins.find_twin(model_file, said.append)
    assert twin is not None and twin.format == "litert"
    assert said == [f"not using {tmp_path / 'tiny.onnx'}: its runtime onnxruntime is not installed"]


def test_without_a_twin_keras_reads_and_says_so(tmp_path):
    from mnistcnn.core import prepare
    from mnistcnn.export import load_predictor

    prepare(0, "float32")
    save_model(build_model(Config(**TINY)), tmp_path / "plain.h5", {})
    said = []
    assert hasattr(load_predictor(tmp_path / "plain.h5", said.append), "layers")
    assert len(said) == 1 and "has no up-to-date exported twin" in said[0]


def _in_a_fresh_process(*arguments) -> tuple[list | dict, bool, str]:
    """`mnistcnn ARGUMENTS --json` in its own interpreter: what it printed, whether
    TensorFlow was imported, and what went to stderr."""
    program = ("import sys; from mnistcnn.cli import main\n"
               "try:\n    main([*sys.argv[1:], '--json'])\n"
               "except SystemExit:\n    pass\n"
               "print('tensorflow' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", program, *map(str, arguments)], capture_output=True, text=True,
                            cwd=PROJECT_ROOT, timeout=300)
    *status, imported = result.stderr.strip().splitlines()
    return json.loads(result.stdout), imported == "True", "\n".join(status)


@needs_runtimes
def test_evaluate_through_a_twin_imports_no_tensorflow_and_measures_as_keras_does(exported, tmp_path):
    model_file = copy_of(exported, tmp_path, "tiny.onnx", "tiny.onnx.json")
    data = exported / "mnist"
    through_twin, imported, status = _in_a_fresh_process("evaluate", "--model-file", model_file, "--data", data,
                                                         "--report-dir", tmp_path / "twin-report")
    assert not imported and "Keras" not in status, status
    assert through_twin["read_by"] == "onnxruntime" and "reading with onnxruntime:" in status, status
    (tmp_path / "tiny.onnx.json").unlink()  # no record: no twin, so Keras reads the .h5
    through_keras, imported, status = _in_a_fresh_process("evaluate", "--model-file", model_file, "--data", data,
                                                          "--report-dir", tmp_path / "keras-report")
    assert imported and "reading with Keras" in status and through_keras["read_by"] == "keras", status
    assert through_twin["test"]["n"] == through_keras["test"]["n"] > 0 and "train" not in through_twin
    assert through_twin["test"]["accuracy"] == through_keras["test"]["accuracy"]
    assert through_twin["test"]["loss"] == pytest.approx(through_keras["test"]["loss"], abs=1e-5)
    assert ((tmp_path / "twin-report" / "confusion_matrix.csv").read_text()
            == (tmp_path / "keras-report" / "confusion_matrix.csv").read_text())


@needs_runtimes
def test_predict_through_the_committed_twin_imports_no_tensorflow_and_reads_the_same_digits():
    from mnistcnn.predicting import calibration_for
    from mnistcnn.predicting import expand_paths, predict_images
    from mnistcnn.core import load_model

    model_file = PROJECT_ROOT / "models" / "mnistcnn.h5"
    folders = [PROJECT_ROOT / "examples" / "digits"] + ([CUSTOM_DIGITS] if CUSTOM_DIGITS.is_dir() else [])
    predictions, imported, status = _in_a_fresh_process("predict", "--model-file", model_file, *folders)
    assert not imported and "Keras" not in status, status
    files, _ = expand_paths(folders)
    keras_predictions, _ = predict_images(load_model(model_file), files, calibration=calibration_for(model_file))
    assert len(predictions) == len(keras_predictions) >= 6
    assert [row["digit"] for row in predictions] == [prediction.digit for prediction in keras_predictions]
    np.testing.assert_allclose([row["probabilities"] for row in predictions],
                               [prediction.probabilities for prediction in keras_predictions], atol=1e-4)


@needs_runtimes
@pytest.mark.parametrize("model", ["mnistcnn", "mnistcnn-ensemble"])
def test_the_committed_models_have_up_to_date_twins(model):
    from mnistcnn.export import find_twin

    said = []
    twin = find_twin(PROJECT_ROOT / "models" / f"{model}.h5", said.append)
    assert twin is not None and twin.format == "onnx" and said == [], said
    # The check export ran before writing the record: the full test set, the .h5's digit on every image.
    record = json.loads((PROJECT_ROOT / "models" / f"{model}.onnx.json").read_text())
    assert record["checked_on_images"] == 10000 and record["same_digit_as_h5"] == 1.0, record
