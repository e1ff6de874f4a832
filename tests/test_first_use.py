"""What a new user meets first: each case here once surprised someone trying the tool."""

import csv
import json
import re

import numpy as np
import pytest

from conftest import run_cli
from mnistcnn.data import SAMPLE_PATH


@pytest.fixture(scope="module")
def sample_model(tmp_path_factory):
    """A one-epoch baseline on the bundled sample, with its story and report."""
    path = tmp_path_factory.mktemp("first-use") / "models" / "tiny.h5"
    result = run_cli("train-final", "--preset", "baseline", "--epochs", 1, "--filters", 8, "--dense-units", 32,
                     "--data", "sample", "--output", path)
    assert result.exit_code == 0, result.output
    assert "(1 epoch, best 1," in result.output  # not "1 epochs"
    result = run_cli("evaluate", "--model-file", path, "--data", "sample")
    assert result.exit_code == 0, result.output
    return path


def test_evaluating_on_other_data_keeps_the_models_report(sample_model, tmp_path):
    report = sample_model.with_name("tiny-report")
    before = {path.name: path.read_bytes() for path in report.iterdir()}
    other = tmp_path / "other.npz"  # someone's own MNIST-like data
    with np.load(SAMPLE_PATH) as sample:
        np.savez(other, x_train=sample["x_train"][:3000], y_train=sample["y_train"][:3000],
                 x_test=sample["x_test"][:500], y_test=sample["y_test"][:500])
    # The report goes beside the model's own, which stays as it was; the command says where,
    # and why it leaves "valid" out.
    for _ in range(2):  # and again into the same folder: the same report
        result = run_cli("evaluate", "--model-file", sample_model, "--data", other, "--json")
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert "valid" not in document and document["test"]["n"] == 500
        assert any("valid left out" in note for note in document["notes"])
        own = sample_model.with_name("tiny-report-mnist")
        assert document["report"][-1] == str(own / "report.json")
        assert f"{report} holds a report made from data sample" in result.stderr
        assert f"is left as it is; this report of data mnist (2700 train / 300 valid / 500 test) is in {own}" \
            in result.stderr
    assert {path.name: path.read_bytes() for path in report.iterdir()} == before
    # A folder named for it that holds another report is kept, with exit code 3.
    result = run_cli("evaluate", "--model-file", sample_model, "--data", other, "--report-dir", report)
    assert result.exit_code == 3 and "--overwrite" in result.output and "--report-dir" in result.output
    assert {path.name: path.read_bytes() for path in report.iterdir()} == before


def test_plain_evaluate_in_a_fresh_clone_with_only_the_sample(tmp_path, monkeypatch):
    """The committed model's report was made from the full set; evaluating on the sample
    (what `auto` falls back to offline) leaves it as committed."""
    import shutil

    from conftest import PROJECT_ROOT

    models = tmp_path / "models"
    shutil.copytree(PROJECT_ROOT / "models" / "mnistcnn-report", models / "mnistcnn-report")
    for name in ("mnistcnn.h5", "mnistcnn.json"):
        shutil.copy(PROJECT_ROOT / "models" / name, models)
    before = {path: path.read_bytes() for path in models.rglob("*") if path.is_file()}
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MNISTCNN_DATA", raising=False)
    result = run_cli("evaluate")
    assert result.exit_code == 0, result.output
    assert {path: path.read_bytes() for path in before} == before
    assert "is in models/mnistcnn-report-sample" in result.stderr and "test 0.99" in result.stdout
    assert (models / "mnistcnn-report-sample" / "confusion_matrix.png").is_file()


def test_evaluate_on_the_models_own_data_reports_valid_and_the_writers(sample_model):
    result = run_cli("evaluate", "--model-file", sample_model, "--data", "sample", "--json")
    document = json.loads(result.stdout)
    story = json.loads(sample_model.with_suffix(".json").read_text())
    assert document["valid"]["n"] == story["data"]["valid"] and document["notes"] == []
    series = document["test_by_writer"]["series"]
    assert series["employees"]["n"] + series["students"]["n"] == document["test"]["n"] == 2000
    low, high = document["test"]["interval"]
    assert low < document["test"]["accuracy"] < high
    text = run_cli("evaluate", "--model-file", sample_model, "--data", "sample").stdout
    assert "95% CI:" in text and "Test by series: employees" in text and "had at least one digit misread" in text


def test_history_counts_epochs_from_one_like_the_progress_lines(tmp_path):
    result = run_cli("sweep", "pooling", "--values", "max", "--epochs", 2, "--filters", 4, "--dense-units", 8,
                     "--data", "sample", "--output-dir", tmp_path)
    assert result.exit_code == 0, result.output
    with open(tmp_path / "pooling" / "max" / "seed-0" / "history.csv", newline="") as stream:
        assert [row["epoch"] for row in csv.DictReader(stream)] == ["1", "2"]
    # The sweep prints its table and what it decided, not only where the files went; a single
    # value has nothing to race, so it gets its first two repeats and stops.
    assert "against the leader" in result.stdout
    assert re.search(r"^max +2 +[\d.]+ +leader$", result.stdout, flags=re.M), result.stdout
    assert "The race: a single value has nothing to race." in result.stdout


def test_a_sweep_takes_every_other_setting(tmp_path):
    result = run_cli("sweep", "kernel_size", "--values", 3, "--learning-rate", 0.01, "--seed", 3, "--epochs", 1,
                     "--repeats", 1, "--filters", 4, "--dense-units", 8, "--data", "sample", "--output-dir", tmp_path)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "kernel_size" / "3" / "seed-3" / "config.json").read_text())
    assert config["learning_rate"] == 0.01 and config["seed"] == 3 and config["filters"] == 4


@pytest.mark.parametrize("arguments, message", [
    (("sweep", "kernel_size", "--kernel-size", 5), "--kernel-size is what the kernel_size sweep varies"),
    (("sweep", "pooling", "--values", ""), "--values is empty"),
    (("sweep", "pooling", "--values", " "), "--values is empty"),
    (("sweep", "pooling", "--valid-fraction", 0), "a sweep compares its values on the validation split"),
])
def test_sweep_settings_that_cannot_work_are_one_line(arguments, message, tmp_path):
    result = run_cli(*arguments, "--output-dir", tmp_path)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert not any(tmp_path.iterdir())


def test_sweep_list_has_a_header_and_names_each_sweep_once():
    lines = run_cli("sweep", "list").stdout.splitlines()
    assert lines[0].split()[0] == "sweep"
    for line in lines[1:lines.index("")]:  # the table; a note on the other fields follows
        name = line.split()[0]
        assert line.count(name) == 1 or name in line.split("(")[1], line


def test_train_final_help_shows_what_the_default_preset_trains():
    text = " ".join(run_cli("train-final", "--help").stdout.split())
    assert "[final preset: deep]" in text and "[config default" not in text


def test_check_devices_text_says_where_training_runs():
    from mnistcnn.training import check_devices

    text = run_cli("check-devices").stdout
    assert f"Training runs on: {check_devices()['device']}" in text


def test_the_offline_message_gives_the_reason(monkeypatch):
    from mnistcnn.data import sources as data
    from mnistcnn.core import InputError

    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "download_with_keras", offline)
    with pytest.raises(InputError, match="OSError: .Errno -3. Temporary failure in name resolution"):
        data.load_dataset("mnist")


def test_evaluate_on_a_model_with_no_story_leaves_valid_out(sample_model, tmp_path):
    import shutil

    bare = tmp_path / "bare.h5"
    shutil.copy(sample_model, bare)
    result = run_cli("evaluate", "--model-file", bare, "--data", "sample", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "valid" not in document and document["test"]["n"] == 2000
    assert any("no story" in note for note in document["notes"])


def test_a_model_trained_on_every_image_saves_and_evaluates(tmp_path):
    output = tmp_path / "all.h5"
    result = run_cli("train-final", "--preset", "baseline", "--epochs", 1, "--patience", 1, "--valid-fraction", 0,
                     "--filters", 8, "--dense-units", 32, "--data", "sample", "--output", output)
    assert result.exit_code == 0, result.output
    assert "Accuracy: train" in result.stdout and "valid" not in result.stdout
    story = json.loads(output.with_suffix(".json").read_text())
    assert story["data"]["train"] == 10000 and story["data"]["valid"] == 0
    assert set(story["metrics"]) == {"train", "test"} and story["metrics"]["test"]["accuracy"] > 0.8
    # Its TensorBoard run has a training curve and no validation one.
    assert sorted(path.name for path in (tmp_path / "all-tensorboard").iterdir() if path.is_dir()) == ["train"]
    result = run_cli("evaluate", "--model-file", output, "--data", "sample", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert "valid" not in document and document["notes"] == []
    assert document["test"]["accuracy"] == story["metrics"]["test"]["accuracy"]
