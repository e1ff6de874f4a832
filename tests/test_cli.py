"""The command line through click's CliRunner: help, errors, and train-final -> evaluate."""

import json

import pytest

from conftest import run_cli as run
from mnistcnn import __version__
from mnistcnn.cli import main

COMMANDS = sorted(main.commands)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


@pytest.mark.parametrize("command", [[], *[[name] for name in COMMANDS]])
def test_help_of_every_command(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Usage: " in result.output


def test_cli_imports_no_tensorflow():
    import subprocess
    import sys

    code = "import sys, mnistcnn.cli; print('tensorflow' in sys.modules, 'numpy' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert output.split() == ["False", "False"]


def one_line_error(result, code):
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(lines) == 1 and "Traceback" not in result.output
    return lines[0]


# The many bad-input cases are in test_bad_input.py, one per README table row.


def test_impossible_geometry_before_training(tmp_path):
    line = one_line_error(run("train-final", "--architecture", "m3", "--kernel-size", "7",
                              "--data", "sample", "--output", tmp_path / "m.h5"), 2)
    assert "too small" in line


def test_train_final_then_evaluate_on_the_sample(tmp_path):
    output = tmp_path / "models" / "m.h5"
    result = run("train-final", "--data", "sample", "--epochs", 3, "--output", output)
    assert result.exit_code == 0, result.output
    assert "Accuracy: train" in result.output and "Loss: train" in result.output
    story = json.loads(output.with_suffix(".json").read_text())
    data = story["data"]
    assert data["source"] == "sample" and data["valid_split"] == "writers" and story["config"]["valid_split"] == "writers"
    assert data["train"] + data["valid"] == 10000 and abs(data["valid"] - 1000) < 100 and data["test"] == 2000
    assert data["valid_writers"] > 20
    assert story["config"]["epochs"] == 3 and story["epochs_run"] <= 3
    # A real bar for 3 epochs on 9,000 images.
    assert story["metrics"]["test"]["accuracy"] >= 0.95

    report_dir = tmp_path / "report"
    result = run("evaluate", "--model-file", output, "--data", "sample", "--report-dir", report_dir, "--train", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["test"]["accuracy"] == pytest.approx(story["metrics"]["test"]["accuracy"], abs=1e-9)
    assert report["valid"]["n"] == data["valid"] and report["train"]["n"] == data["train"]
    assert {path.name for path in report_dir.iterdir()} == {
        "confusion_matrix.csv", "confusion_matrix.png", "per_class.csv",
        "hardest_mistakes.csv", "hardest_mistakes.png", "report.json"}
    confusion = (report_dir / "confusion_matrix.csv").read_text().splitlines()
    assert len(confusion) == 11
    assert sum(int(cell) for line in confusion[1:] for cell in line.split(",")[1:]) == 2000

    # A story that does not describe the model (as after a kill between the two renames)
    # is noticed, not trusted.
    output.with_suffix(".json").write_text(json.dumps({**story, "h5_sha256": "0" * 64}))
    result = run("evaluate", "--model-file", output, "--data", "sample", "--report-dir", tmp_path / "report-2")
    assert result.exit_code == 0 and "does not describe" in result.output


def test_train_final_refuses_to_replace_a_model_trained_on_more_data(tmp_path):
    output = tmp_path / "m.h5"
    output.write_bytes(b"pretend model")
    output.with_suffix(".json").write_text(json.dumps(
        {"data": {"source": "mnist", "train": 54000, "valid": 6000, "test": 10000}}))
    line = one_line_error(run("train-final", "--data", "sample", "--epochs", 1, "--output", output), 3)
    assert "--overwrite" in line
    assert output.read_bytes() == b"pretend model"


def test_train_final_refuses_to_replace_a_model_without_a_story(tmp_path):
    output = tmp_path / "m.h5"
    output.write_bytes(b"someone's model")
    line = one_line_error(run("train-final", "--data", "sample", "--epochs", 1, "--output", output), 3)
    assert "no story" in line and "--overwrite" in line
    assert output.read_bytes() == b"someone's model" and not output.with_suffix(".json").exists()


def test_check_devices_reports_what_tensorflow_sees_and_where_the_product_ran():
    import tensorflow as tf

    report = json.loads(run("check-devices", "--json").output)
    assert report["tensorflow"] == tf.__version__
    visible = {device.name.replace("/physical_device:", "") for device in tf.config.list_physical_devices()}
    assert {device["name"].replace("/physical_device:", "") for device in report["devices"]} == visible
    assert report["gpu_available"] == bool(tf.config.list_physical_devices("GPU"))
    cpu = next(placement for placement in report["placements"] if "CPU" in placement["device"])
    assert cpu["ran_on"].endswith("CPU:0") and cpu["seconds"] > 0

    text = run("check-devices").output
    assert f"TensorFlow {tf.__version__}" in text and "CPU" in text
