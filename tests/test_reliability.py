"""Interruption, faults and reproducibility, with real signals and real faults."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import start_cli

from mnistcnn.core import load_model
from mnistcnn.sweeps.runner import sweep_lock

TIMEOUT = 300


def ctrl_c_as_in_a_terminal():
    """A shell that starts jobs in the background (as CI runners may) starts them with
    SIGINT ignored, and Python then never raises KeyboardInterrupt; a person at a terminal
    always has Ctrl-C, so the children under test get its default back."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def mnistcnn(*arguments):
    return start_cli(*arguments, preexec_fn=ctrl_c_as_in_a_terminal)


# The finished model's temporary file lives for milliseconds before its rename, too briefly
# to catch by polling; this child holds that rename back so the kill lands inside it.
HOLD_THE_MODEL_RENAME = """
import os, sys, time
real_replace = os.replace
def held_replace(source, target):
    if ".partial-" in str(source) and str(source).endswith(".h5"):
        time.sleep(600)
    real_replace(source, target)
os.replace = held_replace
from mnistcnn.cli import main
main(sys.argv[1:], prog_name="mnistcnn")
"""


def mnistcnn_holding_the_model_rename(*arguments):
    return subprocess.Popen([sys.executable, "-c", HOLD_THE_MODEL_RENAME, *map(str, arguments)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, process, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"process ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def visible(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if not path.name.startswith("."))


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    process = mnistcnn("train-final", "--preset", "baseline", "--epochs", 1, "--data", "sample",
                       "--output", folder / "m.h5")
    assert process.wait(TIMEOUT) == 0, process.communicate()
    return folder / "m.h5"


@pytest.mark.parametrize("moment", ["training", "saving"])
def test_sigkill_during_train_final_keeps_the_previous_model(tmp_path, trained_model, moment):
    tmp_path = tmp_path / "models"
    tmp_path.mkdir()
    output = tmp_path / "m.h5"
    output.write_bytes(trained_model.read_bytes())
    output.with_suffix(".json").write_text(trained_model.with_suffix(".json").read_text())
    before = output.read_bytes(), output.with_suffix(".json").read_text()

    arguments = ("train-final", "--preset", "baseline", "--epochs", 2, "--data", "sample",
                 "--overwrite", "--output", output)
    process = mnistcnn(*arguments) if moment == "training" else mnistcnn_holding_the_model_rename(*arguments)
    if moment == "training":
        wait_for(lambda: any(tmp_path.glob(".m.checkpoint*")), process)
    else:
        wait_for(lambda: any(tmp_path.glob(".m.partial-*.h5")), process)
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)

    assert (output.read_bytes(), output.with_suffix(".json").read_text()) == before
    assert load_model(output).input_shape == (None, 28, 28, 1)
    assert visible(tmp_path) == ["m.h5", "m.json"]


def test_ctrl_c_during_a_sweep_stops_and_the_rerun_resumes(tmp_path):
    arguments = ("sweep", "dropout", "--values", "0.0,0.25,0.5", "--epochs", 2, "--repeats", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    process = mnistcnn(*arguments)
    wait_for(lambda: (tmp_path / "dropout" / "0.0" / "seed-0" / "metrics.json").exists(), process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "interrupted. Finished this time: 0.0/seed-0" in stderr
    with sweep_lock(tmp_path / "dropout"):  # released by the interrupted process
        pass

    rerun = mnistcnn(*arguments)
    _, stderr = rerun.communicate(timeout=TIMEOUT)
    assert rerun.returncode == 0, stderr
    assert "0.0/seed-0" not in stderr.split("to train: ")[1].splitlines()[0] and "0.0, seed 0" not in stderr


def test_sigkill_during_a_sweep_redoes_the_interrupted_value(tmp_path):
    arguments = ("sweep", "dropout", "--values", "0.0,0.5", "--epochs", 3, "--repeats", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    process = mnistcnn(*arguments)
    partial = tmp_path / "dropout" / "0.0" / "seed-0" / ".history.csv.partial"
    wait_for(lambda: partial.exists() and partial.read_text().count("\n") >= 2, process)
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)
    assert not (partial.parent / "metrics.json").exists()

    rerun = mnistcnn(*arguments)
    _, stderr = rerun.communicate(timeout=TIMEOUT)
    assert rerun.returncode == 0, stderr
    assert "2 runs to train: 0.0/seed-0, 0.5/seed-0" in stderr  # the killed value is redone
    history = (partial.parent / "history.csv").read_text().splitlines()
    assert len(history) == 1 + 3  # a whole history, not the partial one


def test_a_second_sweep_on_the_same_folder_is_refused_and_the_first_goes_on(tmp_path):
    arguments = ("sweep", "dropout", "--values", "0.0,0.5", "--epochs", 3, "--repeats", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    first = mnistcnn(*arguments)
    try:
        partial = tmp_path / "dropout" / "0.0" / "seed-0" / ".history.csv.partial"
        wait_for(partial.exists, first)
        second = mnistcnn(*arguments)
        _, stderr = second.communicate(timeout=TIMEOUT)
        assert second.returncode == 2 and "Traceback" not in stderr
        assert "is in use by another mnistcnn process" in stderr.strip().splitlines()[-1]
        _, stderr = first.communicate(timeout=TIMEOUT)
        assert first.returncode == 0, stderr
    finally:
        first.kill()
        first.wait()
    for value in ("0.0", "0.5"):
        history = (tmp_path / "dropout" / value / "seed-0" / "history.csv").read_text().splitlines()
        assert len(history) == 1 + 3
    assert (tmp_path / "dropout" / "summary.csv").read_text().count("\n") == 3


def test_unwritable_output_is_one_line_and_damages_nothing(tmp_path, trained_model):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    process = mnistcnn("train-final", "--preset", "baseline", "--epochs", 1, "--data", "sample",
                       "--output", blocker / "m.h5")
    _, stderr = process.communicate(timeout=TIMEOUT)
    assert process.returncode == 1
    assert stderr.strip().splitlines()[-1].startswith("Error: ") and "Traceback" not in stderr
    assert blocker.read_text() == "a file where a folder should be"


def test_full_disk_while_saving_leaves_the_old_model(tmp_path, trained_model, monkeypatch):
    from mnistcnn.core import files

    tmp_path = tmp_path / "models"
    tmp_path.mkdir()
    output = tmp_path / "m.h5"
    output.write_bytes(trained_model.read_bytes())
    before = output.read_bytes()

    def no_space(*args, **kwargs):
        raise OSError(28, "No space left on device", str(output))

    monkeypatch.setattr(files.os, "replace", no_space)
    from mnistcnn.core import save_model

    with pytest.raises(OSError):
        save_model(load_model(trained_model), output, {"note": "new"})
    assert output.read_bytes() == before and visible(tmp_path) == ["m.h5"]


def test_deterministic_runs_are_identical(tmp_path):
    # Two separate runs of the same command, as a user would make them.
    stories = []
    for name in ("first", "second"):
        # A network of a few filters: determinism does not depend on its size.
        process = mnistcnn("train-final", "--preset", "baseline", "--epochs", 2, "--deterministic", "--filters", 4,
                           "--dense-units", 16, "--data", "sample", "--output", tmp_path / f"{name}.h5")
        assert process.wait(timeout=TIMEOUT) == 0, process.communicate()
        stories.append(json.loads((tmp_path / f"{name}.json").read_text()))
    first, second = stories
    # Every metric of every epoch is identical; only the wall-clock column may differ.
    del first["history"]["seconds"], second["history"]["seconds"]
    assert first["history"] == second["history"] and len(first["history"]["val_accuracy"]) == 2
    assert first["metrics"] == second["metrics"]
    # The story says the run was deterministic, with its seed and the versions that made it.
    assert first["config"]["deterministic"] is True and first["config"]["seed"] == 0
    assert {"tensorflow", "keras", "mnistcnn", "python"} <= set(first["versions"])


def test_ctrl_c_during_train_final_says_so_in_one_line(tmp_path):
    output = tmp_path / "m.h5"
    process = mnistcnn("train-final", "--preset", "baseline", "--epochs", 50, "--data", "sample",
                       "--output", output)
    wait_for(lambda: any(tmp_path.glob(".m.checkpoint*")), process)
    process.send_signal(signal.SIGINT)
    _, error = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Interrupted" in error and "Traceback" not in error
    assert not output.exists()
