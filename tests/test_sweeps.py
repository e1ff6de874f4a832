import csv
import json
from pathlib import Path

import numpy as np

import pytest
from conftest import PROJECT_ROOT, run_cli as run, start_cli

from fake_sweeps import make_sweep

from mnistcnn.sweeps import runner as sweep_runner
from mnistcnn.core import Config, field_names
from mnistcnn.core import UsageError
from mnistcnn.models import build_model
from mnistcnn.core import get_preset
from mnistcnn.core import read_sweep_run
from mnistcnn.sweeps.catalog import all_sweeps, catalog_sweeps, get_sweep, sweep_names

REQUIRED = {"pooling", "learning_rate", "loss", "activation", "kernel_size",
            "optimizer", "batch_size", "dropout", "filters"}


def test_every_required_sweep_exists():
    assert REQUIRED <= set(sweep_names())


@pytest.mark.parametrize("sweep", catalog_sweeps(), ids=lambda sweep: sweep.name)
def test_each_sweep_module_is_valid(sweep):
    assert sweep.field in field_names() and sweep.label and len(sweep.values) >= 2
    for value in sweep.values:
        build_model(Config().with_changes(**sweep.changes(value, {})))


def test_unknown_sweep_lists_the_known_ones():
    with pytest.raises(UsageError, match="pooling"):
        get_sweep("colour")


def test_all_and_the_search_keep_the_sweeps_their_rules_fixed():
    from mnistcnn.search.space import search_space

    assert {sweep.name for sweep in all_sweeps()} == REQUIRED
    assert set(search_space()) == REQUIRED | {"augment"}
    assert {"architecture", "augment", "dense_units", "schedule", "epochs"} <= set(sweep_names())


def test_an_epochs_sweep_trains_each_length_to_its_end():
    from mnistcnn.sweeps.plan import plan_sweeps

    plan = plan_sweeps("epochs", None, "sweep", {})
    assert plan.values["epochs"] == (1, 2, 4, 8)
    for epochs in plan.values["epochs"]:
        config = plan.base.with_changes(**plan.sweeps[0].changes(epochs, plan.given))
        assert config.epochs == config.patience == epochs


def test_any_config_field_can_be_swept_with_values(tmp_path):
    result = run("sweep", "crop_width", "--values", "0,2", "--epochs", 1, "--repeats", 1, "--filters", 4,
                 "--dense-units", 16, "--data", "sample", "--output-dir", tmp_path)
    assert result.exit_code == 0, result.output
    for value in (0, 2):
        assert read_sweep_run(tmp_path / "crop_width" / str(value) / "seed-0").config["crop_width"] == value
    assert json.loads((tmp_path / "crop_width" / "sweep.json").read_text())["field"] == "crop_width"
    assert "Crop width" in (tmp_path / "crop_width" / "README.md").read_text()


def test_sweep_list_names_every_entry_and_the_open_fields():
    output = run("sweep", "list").output
    assert "architecture" in output and "[not in all]" in output
    assert "Any other config field can be swept with --values" in output


def test_sweep_on_the_sample_writes_every_file_and_resumes(tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    arguments = ("sweep", "pooling", "--values", "max,average", "--epochs", 1, "--repeats", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    result = run(*arguments)
    assert result.exit_code == 0, result.output
    sweep_dir = tmp_path / "pooling"
    for value in ("max", "average"):
        assert {path.name for path in (sweep_dir / value / "seed-0").iterdir()} == {
            "config.json", "history.csv", "metrics.json", "predictions.npz", "tensorboard"}
        record = read_sweep_run(sweep_dir / value / "seed-0")
        assert record.epochs_run == 1 and record.metrics["valid"]["best_accuracy"] > 0.8
        assert record.provenance["value"] == value and record.config["pooling"] == value
        assert record.provenance["run_format"] == 2 and record.provenance["weights"] == "last"
        assert record.data.source == "sample" and record.accuracy("test") > 0.5
        # Validation is measured on the weights the run keeps, as test is: its own errors.
        valid = record.metrics["valid"]
        assert valid["accuracy"] == pytest.approx(1 - valid["errors"] / valid["n"])
    for name in ("summary.csv", "accuracy.png", "loss.png", "difference.png", "README.md", "sweep.json"):
        assert (sweep_dir / name).is_file()
    summary = (sweep_dir / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("value,repeats,errors,images,error_rate,verdict,label") and len(summary) == 3
    assert "Leader: **" in (sweep_dir / "README.md").read_text()
    assert "The race: every value has its 1 repeat" in result.output
    assert len(trainings) == 2

    # Resume: a complete run is skipped; a run with no metrics.json (killed) is redone.
    (sweep_dir / "average" / "seed-0" / "metrics.json").unlink()
    result = run(*arguments)
    assert result.exit_code == 0, result.output
    assert [run.value for run in trainings[2:]] == ["average"]

    # A rerun that trains nothing leaves the record of what made the results (command, machine).
    info = json.loads((sweep_dir / "sweep.json").read_text())
    (sweep_dir / "sweep.json").write_text(json.dumps({**info, "command": "made on another machine"}))
    result = run(*arguments)
    assert result.exit_code == 0 and len(trainings) == 3
    assert json.loads((sweep_dir / "sweep.json").read_text())["command"] == "made on another machine"


def test_a_preset_is_the_base_of_every_run(tmp_path):
    result = run("sweep", "dropout", "--values", "0.1", "--preset", "fast", "--repeats", 1, "--data", "sample",
                 "--output-dir", tmp_path)
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "dropout" / "0.1" / "seed-0" / "config.json").read_text())
    fast = get_preset("fast")
    assert (config["kernel_size"], config["batch_size"], config["epochs"]) == (
        fast.kernel_size, fast.batch_size, fast.epochs)
    assert config["dropout"] == 0.1


def test_repeats_share_their_split_across_values_and_not_across_repeats():
    from mnistcnn.data import read_source

    splits = sweep_runner.Splits(read_source("sample"), 0.2, "auto")
    runs = sweep_runner.SweepRuns(get_sweep("pooling"), get_preset("sweep"), ["max", "none"], {}, Path("pooling"), splits)
    split = {(value, repeat): splits.identity(runs.run(value, repeat))["split"]
             for value in ("max", "none") for repeat in (0, 1, 2)}
    for repeat in (0, 1, 2):
        assert split["max", repeat] == split["none", repeat]
        assert runs.run("max", repeat).config.seed == runs.run("none", repeat).config.seed == repeat
    assert len({split["max", repeat] for repeat in (0, 1, 2)}) == 3
    # Writer-disjoint on every repeat: no writer of validation wrote a training digit.
    dataset = splits.for_seed(1)
    assert splits.valid_split == "writers" and len(dataset.y_valid) == pytest.approx(2000, rel=0.05)


def test_the_defaults_run_is_trained_once_and_shared(tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    # Plumbing, not learning: a network of a few filters.
    common = ("--epochs", 1, "--repeats", 1, "--filters", 4, "--dense-units", 16, "--data", "sample",
              "--output-dir", tmp_path)
    assert run("sweep", "pooling", "--values", "max,none", *common).exit_code == 0
    result = run("sweep", "kernel_size", "--values", "3,5", *common)
    assert result.exit_code == 0, result.output
    assert [(run.value, run.folder.parts[-3]) for run in trainings] == [
        ("max", "pooling"), ("none", "pooling"), (5, "kernel_size")]
    assert "the same run as" in result.output
    shared = read_sweep_run(tmp_path / "kernel_size" / "3" / "seed-0")
    assert shared.provenance["copied_from"] == "pooling/max/seed-0" and shared.provenance["value"] == 3
    # The copy counts as kernel 3's own: the comparison is made, and plot redraws it.
    assert run("plot", tmp_path / "kernel_size").exit_code == 0


def test_the_committed_sweeps_are_the_sweep_recipe_and_redraw_to_their_own_labels():
    from mnistcnn.sweeps.report import read_results

    folders = sorted(path.parent for path in (PROJECT_ROOT / "experiments").glob("*/sweep.json"))
    for folder in folders:
        info = json.loads((folder / "sweep.json").read_text())
        assert Config.from_dict(info["base_config"]) == get_preset("sweep").with_changes(valid_split="writers")
        results = read_results(folder)
        with open(folder / "summary.csv", newline="") as stream:
            committed = {row["value"]: row["label"] for row in csv.DictReader(stream)}
        assert committed == {str(row["value"]): row["label"] for row in results.rows()}, folder.name
        assert results.stopped and not results.stale, folder.name


def test_the_committed_sweeps_labels_do_not_depend_on_a_random_seed():
    # The interval is analytic (paired.py): whatever state NumPy's generators are in, 20
    # draws of every committed sweep's comparison give the labels summary.csv holds.
    from mnistcnn.sweeps.paired import compare_all
    from mnistcnn.sweeps.report import read_results

    for folder in sorted(path.parent for path in (PROJECT_ROOT / "experiments").glob("*/sweep.json")):
        results = read_results(folder)
        outcomes = {value: {repeat: run.outcome for repeat, run in finished.items()}
                    for value, finished in results.runs.items()}
        with open(folder / "summary.csv", newline="") as stream:
            committed = {row["value"]: (row["verdict"], row["low"], row["high"]) for row in csv.DictReader(stream)}
        for seed in range(20):
            np.random.seed(seed)
            leader, comparisons = compare_all(outcomes)
            drawn = {str(value): (comparison.verdict, f"{comparison.low:.6g}", f"{comparison.high:.6g}")
                     for value, comparison in comparisons.items()}
            assert drawn == {value: row for value, row in committed.items() if value != str(leader)}, (folder.name, seed)


def count_trainings(monkeypatch) -> list:
    trainings = []
    real_execute = sweep_runner.execute_run
    monkeypatch.setattr(sweep_runner, "execute_run", lambda run, *rest: trainings.append(run) or real_execute(run, *rest))
    return trainings


def test_finished_runs_with_other_settings_are_kept_unless_forced(tmp_path, monkeypatch):
    trainings = count_trainings(monkeypatch)
    arguments = ("sweep", "dropout", "--values", "0.5", "--repeats", 1, "--filters", 4, "--dense-units", 16,
                 "--data", "sample", "--output-dir", tmp_path)
    assert run(*arguments, "--epochs", 1).exit_code == 0
    metrics = tmp_path / "dropout" / "0.5" / "seed-0" / "metrics.json"
    before = metrics.read_text()

    result = run(*arguments, "--epochs", 2)
    assert result.exit_code == 3 and "Traceback" not in result.output
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
    result = run(*arguments, "--epochs", 1, "--repeats", 1, "--data", "sample", "--output-dir", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert trainings == [] and not list(tmp_path.glob("*/*/seed-*"))


def test_a_sweep_on_kaggle_data_reports_no_test_accuracy(tmp_path):
    from test_predict import write_kaggle

    rng = __import__("numpy").random.default_rng(0)
    write_kaggle(tmp_path / "train.csv", rng.integers(0, 256, (100, 28, 28)), [index % 10 for index in range(100)])
    result = run("sweep", "dropout", "--values", "0.5", "--epochs", 1, "--repeats", 1, "--data", tmp_path / "train.csv",
                 "--output-dir", tmp_path / "experiments")
    assert result.exit_code == 0, result.output
    record = read_sweep_run(tmp_path / "experiments" / "dropout" / "0.5" / "seed-0")
    assert record.sweep_figures()["test_accuracy"] is None and "test" not in record.metrics
    assert "| n/a |" in (tmp_path / "experiments" / "dropout" / "README.md").read_text()


def test_plot_redoes_the_comparison_from_the_saved_predictions(tmp_path):
    sweep_dir = make_sweep(tmp_path, "pooling", {"max": 0.012, "average": 0.013, "none": 0.020}, repeats=3)
    assert run("plot", sweep_dir).exit_code == 0
    first = {name: (sweep_dir / name).read_bytes() for name in ("summary.csv", "README.md")}
    assert "none,3," in first["summary.csv"].decode() and "worse by" in first["summary.csv"].decode()
    for name in ("summary.csv", "accuracy.png", "loss.png", "difference.png", "README.md"):
        (sweep_dir / name).unlink()
    result = run("plot", sweep_dir)
    assert result.exit_code == 0, result.output
    assert {name: (sweep_dir / name).read_bytes() for name in first} == first
    for name in ("accuracy.png", "loss.png", "difference.png"):
        assert (sweep_dir / name).stat().st_size > 0


def test_runs_of_another_plan_are_named_not_counted(tmp_path):
    from fake_sweeps import outcome, write_run

    sweep_dir = make_sweep(tmp_path, "dropout", {0.5: 0.012, 0.25: 0.011}, repeats=2)
    assert run("plot", sweep_dir).exit_code == 0
    summary = (sweep_dir / "summary.csv").read_text()
    # A run left by an earlier plan (other epochs) in the same folder must not move the results.
    write_run(tmp_path / "elsewhere", get_preset("sweep").with_changes(epochs=9, patience=9, valid_split="writers"),
              {"dropout": 0.25}, 0.25, 2, outcome(0.5, 2, 7))
    (tmp_path / "elsewhere" / "0.25" / "seed-2").rename(sweep_dir / "0.25" / "seed-2")
    assert run("plot", sweep_dir).exit_code == 0
    assert (sweep_dir / "summary.csv").read_text() == summary
    assert "Not counted (finished runs of another plan): 0.25/seed-2" in (sweep_dir / "README.md").read_text()


def test_plot_of_a_folder_that_is_not_a_sweep(tmp_path):
    result = run("plot", tmp_path)
    assert result.exit_code == 1 and "sweep.json" in result.output
    result = run("plot", tmp_path / "pooling")
    assert result.exit_code == 1 and "does not exist" in result.output


@pytest.mark.parametrize("arguments, message", [
    (("sweep", "learning_rate", "--values", "fast"), "not a valid float"),
    (("sweep", "pooling", "--values", "max,median"), "unknown pooling 'median'"),
    (("sweep", "pooling", "--architecture", "m3", "--data", "sample"), "has no pooling"),
    (("sweep", "pooling", "--repeats", 0, "--data", "sample"), "--repeats"),
    (("sweep", "pooling", "--repeats", "many"), "--repeats 'many' is not auto or a whole number"),
    (("sweep", "pooling", "--shard", "1/2"), "--shard needs a fixed --repeats N"),
    (("sweep", "pooling", "--epochs", 0), "epochs must be a whole number >= 1, got 0"),
    (("sweep", "pooling", "--max-repeats", 1), "--max-repeats"),
    (("sweep", "seed"), "seed cannot be swept: the repeats already vary the seed"),
    (("sweep", "valid_fraction", "--values", "0.1,0.2"), "the same validation images"),
    (("sweep", "crop_width"), "give them with --values, e.g. mnistcnn sweep crop_width --values 0,2"),
    (("sweep", "learning_rat"), "did you mean learning_rate?"),
    (("sweep", "augment", "--values", "yes"), "'yes' is not true or false for augment"),
])
def test_sweep_usage_errors(arguments, message, tmp_path):
    result = run(*arguments, "--output-dir", tmp_path)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


# Each child tries to take the sweep folder's lock; the one that gets it holds it until its
# standard input closes, so the test, not the machine's speed, decides when it lets go.
TAKE_THE_LOCK = """
import sys
from pathlib import Path
from mnistcnn.core import UsageError
from mnistcnn.sweeps.runner import sweep_lock
try:
    with sweep_lock(Path(sys.argv[1])):
        print("got", flush=True)
        sys.stdin.read()
except UsageError as error:
    print("refused", error, flush=True)
"""


def take_the_lock(sweep_dir):
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-c", TAKE_THE_LOCK, str(sweep_dir)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def test_two_processes_racing_for_one_sweep_folder_never_both_run(tmp_path):
    for attempt in range(6):
        racers = [take_the_lock(tmp_path / f"race-{attempt}") for _ in range(2)]
        # Both have answered before the holder is let go, so both raced for a held lock.
        outcomes = sorted(racer.stdout.readline().split()[0] for racer in racers)
        for racer in racers:
            racer.communicate(timeout=60)
        assert outcomes == ["got", "refused"], attempt


def test_a_killed_holder_releases_the_sweep_lock(tmp_path):
    import signal

    sweep_dir = tmp_path / "pooling"
    holder = take_the_lock(sweep_dir)
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


def test_sharded_sweep_merges_and_plots(tmp_path):
    import shutil

    # Two processes at once, as on two machines. Each is its own process, as a user's command is:
    # a MirroredStrategy run inside this long test process once crashed TensorFlow (a segfault
    # in a worker thread while fit's validation iterator was made), taking the suite with it.
    machines = [start_cli("sweep", "pooling", "--values", "max,none", "--epochs", 1, "--repeats", 1,
                          "--data", "sample", "--shard", f"{index}/2", "--strategy", "mirrored",
                          "--output-dir", tmp_path / f"machine{index}") for index in (1, 2)]
    for machine in machines:
        _, errors = machine.communicate(timeout=300)
        assert machine.returncode == 0, errors[-3000:]
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


def test_a_users_sweep_beside_committed_ones_made_otherwise_goes_to_their_own_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    committed = make_sweep(tmp_path / "experiments", "pooling", {"max": 0.012, "none": 0.011}, repeats=2)
    assert run("plot", committed).exit_code == 0
    before = {path: path.read_bytes() for path in committed.rglob("*") if path.is_file()}
    result = run("sweep", "pooling", "--values", "max", "--epochs", 1, "--repeats", 1, "--data", "sample")
    assert result.exit_code == 0, result.output
    assert "yours goes to my-experiments/pooling" in result.output
    assert (tmp_path / "my-experiments" / "pooling" / "max" / "seed-0" / "metrics.json").is_file()
    assert {path: path.read_bytes() for path in committed.rglob("*") if path.is_file()} == before
