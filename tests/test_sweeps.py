import json

import pytest
from conftest import PROJECT_ROOT, run_cli as run

from mnistcnn import sweep_runner
from mnistcnn.config import Config, field_names
from mnistcnn.errors import UsageError
from mnistcnn.models import build_model
from mnistcnn.presets import get_preset
from mnistcnn.records import DataRecord, read_sweep_run
from mnistcnn.sweeps import all_sweeps, get_sweep, sweep_names

REQUIRED = {"pooling", "learning_rate", "loss", "activation", "kernel_size",
            "optimizer", "batch_size", "dropout", "filters"}


def test_every_required_sweep_exists():
    assert REQUIRED <= set(sweep_names())


@pytest.mark.parametrize("sweep", all_sweeps(), ids=lambda sweep: sweep.name)
def test_each_sweep_module_is_valid(sweep):
    assert sweep.field in field_names() and sweep.label and len(sweep.values) >= 2
    for value in sweep.values:
        build_model(Config().with_changes(**{sweep.field: value}))


def test_unknown_sweep_lists_the_known_ones():
    with pytest.raises(UsageError, match="pooling"):
        get_sweep("colour")


def test_sweep_on_the_sample_writes_every_file_and_resumes(tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    arguments = ("sweep", "pooling", "--values", "max,average", "--epochs", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    result = run(*arguments)
    assert result.exit_code == 0, result.output
    sweep_dir = tmp_path / "pooling"
    for value in ("max", "average"):
        assert {path.name for path in (sweep_dir / value / "seed-0").iterdir()} == {
            "config.json", "history.csv", "metrics.json", "tensorboard"}
        record = read_sweep_run(sweep_dir / value / "seed-0")
        assert record.epochs_run == 1 and record.metrics["valid"]["best_accuracy"] > 0.8
        assert record.provenance["value"] == value and record.config["pooling"] == value
        assert record.data.source == "sample" and record.accuracy("test") > 0.5
    for name in ("summary.csv", "accuracy.png", "loss.png", "README.md", "sweep.json"):
        assert (sweep_dir / name).is_file()
    summary = (sweep_dir / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("value,repeats,best_valid_accuracy_mean") and len(summary) == 3
    assert "Winner by mean best validation accuracy" in (sweep_dir / "README.md").read_text()
    assert len(trainings) == 2

    # Resume: a complete run is skipped; a run with no metrics.json (killed) is redone.
    (sweep_dir / "average" / "seed-0" / "metrics.json").unlink()
    result = run(*arguments)
    assert result.exit_code == 0, result.output
    assert [run.value for run in trainings[2:]] == ["average"]
    assert "1 already complete, 1 to train" in result.output

    # A rerun that trains nothing leaves the record of what made the results (command, machine).
    info = json.loads((sweep_dir / "sweep.json").read_text())
    (sweep_dir / "sweep.json").write_text(json.dumps({**info, "command": "made on another machine"}))
    result = run(*arguments)
    assert "2 already complete, 0 to train" in result.output and len(trainings) == 3
    assert json.loads((sweep_dir / "sweep.json").read_text())["command"] == "made on another machine"


def test_a_preset_is_the_base_of_every_run(tmp_path):
    result = run("sweep", "dropout", "--values", "0.1", "--preset", "fast", "--data", "sample",
                 "--output-dir", tmp_path)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "dropout" / "0.1" / "seed-0" / "config.json").read_text())
    fast = get_preset("fast")
    assert (config["kernel_size"], config["batch_size"], config["epochs"]) == (
        fast.kernel_size, fast.batch_size, fast.epochs)
    assert config["dropout"] == 0.1


def test_the_committed_sweeps_differ_from_the_default_sweep_only_by_their_random_split():
    # Any other change would make every committed sweep look incomplete and retrain it. They
    # predate writer splits: `--valid-split random` resumes them as complete (next test).
    committed = json.loads((PROJECT_ROOT / "experiments" / "pooling" / "sweep.json").read_text())["base_config"]
    assert Config.from_dict(committed) == get_preset("baseline").with_changes(epochs=8, patience=8,
                                                                               valid_split="random")


@pytest.mark.parametrize("name", ["pooling", "learning_rate", "loss", "activation", "kernel_size"])
def test_the_committed_sweeps_resume_as_complete(name):
    # Rerunning the command that made them must train nothing, wherever MNIST lies,
    # although their config.json files predate fields added to the config since.
    info = json.loads((PROJECT_ROOT / "experiments" / name / "sweep.json").read_text())
    runs = sweep_runner.plan_runs(get_sweep(name), Config.from_dict(info["base_config"]), info["values"],
                              info["repeats"], PROJECT_ROOT / "experiments" / name)
    data = DataRecord("mnist", "/somewhere/else/mnist", "random", 0, 54000, 6000, 10000)
    assert len(runs) == len(info["values"]) * info["repeats"]
    assert [run.differences(data) for run in runs] == [[]] * len(runs)
    sample = DataRecord("sample", "the bundled sample", "random", 0, 9000, 1000, 2000)
    assert all(run.differences(sample) for run in runs)


def count_trainings(monkeypatch) -> list:
    trainings = []
    real_execute = sweep_runner.execute_run
    monkeypatch.setattr(sweep_runner, "execute_run", lambda run, *rest: trainings.append(run) or real_execute(run, *rest))
    return trainings


def test_finished_runs_with_other_settings_are_kept_unless_forced(tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    arguments = ("sweep", "dropout", "--values", "0.5", "--data", "sample", "--output-dir", tmp_path)
    assert run(*arguments, "--epochs", 1).exit_code == 0
    metrics = tmp_path / "dropout" / "0.5" / "seed-0" / "metrics.json"
    before = metrics.read_text()

    result = run(*arguments, "--epochs", 2)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "holds a finished run with other settings: epochs 1 (now 2)" in result.output
    assert "--force" in result.output and metrics.read_text() == before and len(trainings) == 1

    result = run(*arguments, "--epochs", 2, "--force")
    assert result.exit_code == 0, result.output
    assert read_sweep_run(metrics.parent).epochs_run == 2 and len(trainings) == 2


@pytest.mark.parametrize("arguments, message", [
    # dropout, the third sweep of `all`, has no layer in m3: refused before activation trains.
    (("sweep", "all", "--architecture", "m3"), "architecture 'm3' has no dropout"),
    # Ten valid 7x7 convolutions do not fit 28x28; 2 and 3 would have trained first.
    (("sweep", "kernel_size", "--architecture", "m3"), "too small for a"),
])
def test_a_sweep_that_cannot_finish_trains_nothing(arguments, message, tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    result = run(*arguments, "--epochs", 1, "--data", "sample", "--output-dir", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert trainings == [] and not list(tmp_path.glob("*/*/seed-*"))


def test_a_sweep_on_kaggle_data_reports_no_test_accuracy(tmp_path):
    from test_predict import write_kaggle

    rng = __import__("numpy").random.default_rng(0)
    write_kaggle(tmp_path / "train.csv", rng.integers(0, 256, (100, 28, 28)), [index % 10 for index in range(100)])
    result = run("sweep", "dropout", "--values", "0.5", "--epochs", 1, "--data", tmp_path / "train.csv",
                 "--output-dir", tmp_path / "experiments")
    assert result.exit_code == 0, result.output
    record = read_sweep_run(tmp_path / "experiments" / "dropout" / "0.5" / "seed-0")
    assert record.sweep_figures()["test_accuracy"] is None and "test" not in record.metrics
    assert "| n/a |" in (tmp_path / "experiments" / "dropout" / "README.md").read_text()


def test_plot_redraws_from_files_alone(tmp_path):
    assert run("sweep", "dropout", "--values", "0.0,0.5", "--epochs", 1, "--data", "sample",
               "--output-dir", tmp_path).exit_code == 0
    sweep_dir = tmp_path / "dropout"
    for name in ("summary.csv", "accuracy.png", "loss.png", "README.md"):
        (sweep_dir / name).unlink()
    result = run("plot", sweep_dir)
    assert result.exit_code == 0, result.output
    for name in ("summary.csv", "accuracy.png", "loss.png", "README.md"):
        assert (sweep_dir / name).stat().st_size > 0


def test_plot_of_a_folder_that_is_not_a_sweep(tmp_path):
    result = run("plot", tmp_path)
    assert result.exit_code == 1 and "sweep.json" in result.output


@pytest.mark.parametrize("arguments, message", [
    (("sweep", "learning_rate", "--values", "fast"), "not a valid float"),
    (("sweep", "pooling", "--values", "max,median"), "unknown pooling 'median'"),
    (("sweep", "pooling", "--architecture", "m3", "--data", "sample"), "has no pooling"),
    (("sweep", "pooling", "--repeats", 0, "--data", "sample"), "--repeats"),
])
def test_sweep_usage_errors(arguments, message, tmp_path):
    result = run(*arguments, "--output-dir", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


# Each child tries to take the sweep folder's lock; the one that gets it holds it a moment.
TAKE_THE_LOCK = """
import sys, time
from pathlib import Path
from mnistcnn.errors import UsageError
from mnistcnn.sweep_runner import sweep_lock
try:
    with sweep_lock(Path(sys.argv[1])):
        print("got", flush=True)
        time.sleep(float(sys.argv[2]))
except UsageError as error:
    print("refused", error, flush=True)
"""


def take_the_lock(sweep_dir, hold_seconds):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", TAKE_THE_LOCK, str(sweep_dir), str(hold_seconds)],
                            stdout=subprocess.PIPE, text=True)


def test_two_processes_racing_for_one_sweep_folder_never_both_run(tmp_path):
    for attempt in range(12):
        racers = [take_the_lock(tmp_path / f"race-{attempt}", 0.5) for _ in range(2)]
        outcomes = sorted(racer.communicate(timeout=60)[0].split()[0] for racer in racers)
        assert outcomes == ["got", "refused"], attempt


def test_a_killed_holder_releases_the_sweep_lock(tmp_path):
    import signal

    sweep_dir = tmp_path / "pooling"
    holder = take_the_lock(sweep_dir, 60)
    try:
        assert holder.stdout.readline().strip() == "got"
        with pytest.raises(UsageError, match="in use by another mnistcnn process"):
            with sweep_runner.sweep_lock(sweep_dir):
                pass
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    with sweep_runner.sweep_lock(sweep_dir):  # the kernel let go of it with the process
        pass


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_partition_the_runs_exactly(tmp_path, count):
    sweep = get_sweep("learning_rate")
    every = sweep_runner.plan_runs(sweep, Config(), sweep.values, 2, tmp_path)
    shards = [sweep_runner.plan_runs(sweep, Config(), sweep.values, 2, tmp_path, (index, count))
              for index in range(1, count + 1)]
    folders = [run.folder for shard in shards for run in shard]
    assert sorted(folders) == sorted(run.folder for run in every) and len(set(folders)) == len(every)


def test_sharded_sweep_merges_and_plots(tmp_path):
    import shutil

    for index in (1, 2):
        result = run("sweep", "pooling", "--values", "max,none", "--epochs", 1, "--data", "sample",
                     "--shard", f"{index}/2", "--strategy", "mirrored", "--output-dir", tmp_path / f"machine{index}")
        assert result.exit_code == 0, result.output
    assert [p.name for p in (tmp_path / "machine1" / "pooling").glob("*/seed-0")] == ["seed-0"]
    merged = tmp_path / "merged" / "pooling"
    shutil.copytree(tmp_path / "machine1" / "pooling", merged)
    shutil.copytree(tmp_path / "machine2" / "pooling", merged, dirs_exist_ok=True)
    assert run("plot", merged).exit_code == 0
    summary = (merged / "summary.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in summary[1:]] == ["max", "none"]


@pytest.mark.parametrize("shard", ["3/2", "0/2", "a/b", "2"])
def test_bad_shard(shard, tmp_path):
    result = run("sweep", "pooling", "--shard", shard, "--output-dir", tmp_path)
    assert result.exit_code == 2 and "--shard" in result.output


def test_a_sweep_summary_with_two_seeds_has_their_mean_and_spread(tmp_path):
    from mnistcnn.sweep_report import summarise

    from mnistcnn.records import RunRecord

    def run_of(seed, accuracy):
        record = RunRecord(config={"seed": seed}, data=DataRecord("mnist", valid=1000), epochs_run=2,
                           training_seconds=10.0, provenance={"value": "max", "parameters": 1000},
                           metrics={"valid": {"accuracy": accuracy, "loss": 0.05, "best_accuracy": accuracy + 0.001},
                                    "test": {"accuracy": accuracy}})
        return {"record": record}

    [row] = summarise({"max": [run_of(0, 0.980), run_of(1, 0.990)]})
    assert row["repeats"] == 2
    assert row["final_valid_accuracy_mean"] == pytest.approx(0.985)
    assert row["final_valid_accuracy_std"] == pytest.approx(0.005)  # population std of two values
    # The seeds share one validation split: its 1,000 images are counted once.
    assert (row["final_valid_accuracy_low"], row["final_valid_accuracy_high"]) == pytest.approx((0.9754, 0.9909),
                                                                                                 abs=1e-4)
