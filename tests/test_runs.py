"""`mnistcnn runs`: the table of every saved run, read from files alone."""

import csv
import io
import json
import shutil
import subprocess
import sys

import pytest

from conftest import PROJECT_ROOT, run_cli


@pytest.fixture
def results(tmp_path):
    """A copy of one committed sweep and the committed models' stories, plus a broken run
    and a half-written one."""
    experiments, models = tmp_path / "experiments", tmp_path / "models"
    shutil.copytree(PROJECT_ROOT / "experiments" / "pooling", experiments / "pooling")
    models.mkdir()
    for name in ("mnistcnn", "mnistcnn-ensemble"):
        shutil.copy(PROJECT_ROOT / "models" / f"{name}.json", models)
        (models / f"{name}.h5").write_bytes(b"")  # runs reads stories, never the weights
    broken = experiments / "pooling" / "max" / "seed-7"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    half = experiments / "pooling" / "none" / "seed-9"
    half.mkdir()
    (half / "config.json").write_text((experiments / "pooling" / "none" / "seed-0" / "config.json").read_text())
    return experiments, models


# The committed pooling sweep's runs, as `runs` names them (sweep/value, one per repeat).
POOLING_RUNS = sorted(f"pooling/{path.parts[-3]}"
                      for path in (PROJECT_ROOT / "experiments" / "pooling").glob("*/seed-*/metrics.json"))


def runs(results, *options):
    experiments, models = results
    return run_cli("runs", "--experiments", experiments, "--models", models, *options)


def test_every_run_is_listed_and_broken_ones_are_skipped_with_a_note(results):
    result = runs(results, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(POOLING_RUNS) >= 6
    assert sorted(row["run"] for row in rows) == sorted(["mnistcnn.h5", "mnistcnn-ensemble.h5"] + POOLING_RUNS)
    single = next(row for row in rows if row["run"] == "mnistcnn.h5")
    story = json.loads((PROJECT_ROOT / "models" / "mnistcnn.json").read_text())
    assert single["test_accuracy"] == story["metrics"]["test"]["accuracy"] and single["architecture"] == "strided"
    # Trained on all 60,000 training images: no validation figures, and no empty ones invented.
    assert single["epochs"] == 45 and single["valid_split"] == "none"
    assert single["best_valid_accuracy"] is None and single["final_valid_accuracy"] is None
    metrics = json.loads((PROJECT_ROOT / "experiments" / "pooling" / "max" / "seed-1" / "metrics.json").read_text())
    swept = next(row for row in rows if row["run"] == "pooling/max" and row["seed"] == 1)
    assert swept["best_valid_accuracy"] == metrics["metrics"]["valid"]["best_accuracy"]
    assert swept["final_valid_accuracy"] == metrics["metrics"]["valid"]["accuracy"]
    assert "Traceback" not in result.output
    notes = [line for line in result.stderr.splitlines() if line.startswith("note: skipped")]
    assert len(notes) == 2 and any("seed-9" in note and "no metrics.json" in note for note in notes)


def test_sort_and_where(results):
    rows = json.loads(runs(results, "--json", "--sort", "test_accuracy").stdout)
    tests = [row["test_accuracy"] for row in rows]
    assert tests == sorted(tests, reverse=True) and rows[0]["run"] == "mnistcnn-ensemble.h5"
    rows = json.loads(runs(results, "--json", "--where", "architecture=baseline", "--where", "seed=0").stdout)
    assert sorted(row["run"] for row in rows) == ["pooling/average", "pooling/max", "pooling/none"]
    result = runs(results, "--where", "colour=blue")
    assert result.exit_code == 2 and "FIELD=VALUE" in result.output


def test_csv_and_text(results):
    table = list(csv.DictReader(io.StringIO(runs(results, "--csv").stdout)))
    assert len(table) == 2 + len(POOLING_RUNS) and set(table[0]) == {"run", "seed", "architecture", "epochs", "valid_split",
                                                 "best_valid_accuracy", "final_valid_accuracy", "test_accuracy",
                                                 "seconds", "date"}
    text = runs(results).stdout.splitlines()
    assert text[0].split()[:3] == ["run", "seed", "architecture"] and len(text) == 3 + len(POOLING_RUNS)


def test_runs_never_imports_tensorflow(results):
    experiments, models = results
    code = ("import sys; from mnistcnn.cli import main\n"
            f"main(['runs', '--experiments', {str(experiments)!r}, '--models', {str(models)!r}], "
            "standalone_mode=False)\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert output.splitlines()[-1] == "False False"


def test_runs_where_there_are_no_results_says_so(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run_cli("runs")
    assert result.exit_code == 0 and result.stdout.split()[:2] == ["run", "seed"]
    notes = [line for line in result.stderr.splitlines() if line.startswith("note:")]
    assert notes == ["note: no folder experiments/ (--experiments) nor models/ (--models) here, so no runs from "
                     "them; run mnistcnn runs where the results are (the repository's root) or pass the folders"]
    (tmp_path / "models").mkdir()
    assert "no folder experiments/ (--experiments) here, so no runs from it" in run_cli("runs").stderr


def test_a_run_trained_on_kaggle_data_is_marked(results):
    """Kaggle's train.csv re-splits all 70,000 MNIST images: a model trained on it may have
    seen MNIST's test digits, and its row says so; the other rows are as they were."""
    experiments, models = results
    story = json.loads((models / "mnistcnn.json").read_text())
    story["data"] = {**story["data"], "source": "kaggle", "location": "train.csv", "train": 42000, "test": 0}
    (models / "kaggle.json").write_text(json.dumps(story))
    (models / "kaggle.h5").write_bytes(b"")

    result = runs(results)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "kaggle.h5*" in lines and "mnistcnn.h5" in lines and not any(
        name.endswith("*") for name in lines if name != "kaggle.h5*")
    notes = [line for line in result.stderr.splitlines() if "cannot be trusted" in line]
    assert len(notes) == 1 and notes[0].startswith("note: 1 run was (marked * in the table) trained on other data")
    assert "re-splits all 70,000 MNIST images" in notes[0]

    rows = {row["run"]: row for row in json.loads(runs(results, "--json").stdout)}
    assert "70,000" in rows["kaggle.h5"]["test_untrusted"]
    assert [run for run, row in rows.items() if "test_untrusted" in row] == ["kaggle.h5"]
    table = list(csv.DictReader(io.StringIO(runs(results, "--csv").stdout)))
    assert len(table) == 3 + len(POOLING_RUNS) and "test_untrusted" not in table[0]
    assert runs(results, "--where", "architecture=baseline").stderr.count("cannot be trusted") == 0


def test_a_run_trained_on_the_sample_is_marked(results):
    """The sample's figures come from 2,000 test images and a tenth of the training set:
    ranked beside full-set runs with no mark, they would mislead."""
    experiments, models = results
    story = json.loads((models / "mnistcnn.json").read_text())
    story["data"] = {**story["data"], "source": "sample", "location": "bundled", "train": 9000, "test": 2000}
    (models / "my-model.json").write_text(json.dumps(story))
    (models / "my-model.h5").write_bytes(b"")
    result = runs(results)
    lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert "my-model.h5~" in lines and "mnistcnn.h5" in lines
    assert [name for name in lines if name.endswith("~")] == ["my-model.h5~"]
    assert ("note: 1 run was (marked ~ in the table) trained and tested on the bundled sample: their figures do "
            "not rank against the full set's") in result.stderr
    rows = {row["run"]: row for row in json.loads(runs(results, "--json").stdout)}
    assert rows["my-model.h5"]["sample"].endswith("tested on its 2,000 test images, not MNIST's 10,000")


def test_a_searchs_trials_and_its_judging_race_are_rows(tmp_path):
    from mnistcnn.reports import find_runs

    search = PROJECT_ROOT / "experiments" / "search" / "joint"
    experiments = tmp_path / "experiments"
    shutil.copytree(search, experiments / "search" / "joint",
                    ignore=shutil.ignore_patterns("study.journal", "*.png", "tensorboard"))
    rows, notes = find_runs(experiments, tmp_path / "models")
    trials = [row for row in rows if row["run"].startswith("search/joint/trial ")]
    with open(search / "summary.csv", newline="") as stream:
        summary = {f"search/joint/trial {row['trial']}": row for row in csv.DictReader(stream)}
    assert {row["run"] for row in trials} == set(summary)  # every trial, pruned ones too
    for row in trials:
        assert row["epochs"] == int(summary[row["run"]]["epochs_run"]), row
    judged = {row["run"] for row in rows if row["run"].startswith("search/joint/judged/")}
    assert judged == {f"search/joint/judged/{name}" for name in ("from-sweeps", "recipe", "trial-1", "trial-6",
                                                                 "trial-18")}
    assert not [note for note in notes if "skipped" in note]
