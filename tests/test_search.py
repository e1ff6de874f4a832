"""`mnistcnn search`: the embedded default in a fresh folder, three workers sharing one
search on PostgreSQL, options refused before TensorFlow loads, importance that finds the one
setting that matters, and `train-final --from-search` trained only from a judged search."""

import json
import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from conftest import make_arrays, run_cli, write_idx_folder
from fake_sweeps import make_judged_search

from mnistcnn.core import InputError
from mnistcnn.core import get_preset
from mnistcnn.search.judge import config_from_search
from mnistcnn.search.report import parameter_importance, write_search_report

SMALL = ("--epochs", 1, "--data", "sample")


def summary_rows(folder: Path) -> list[str]:
    return (folder / "summary.csv").read_text().splitlines()[1:]


def test_a_fresh_folder_searches_with_the_embedded_journal(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a fresh clone: no experiments/, no server, no storage given
    result = run_cli("search", "tiny", "--trials", 3, *SMALL)
    assert result.exit_code == 0, result.output
    folder = tmp_path / "experiments" / "search" / "tiny"
    assert (folder / "study.journal").is_file()
    rows = summary_rows(folder)
    assert len(rows) == 3 and all(row.split(",")[1] in ("complete", "pruned") for row in rows)
    for row in rows:
        assert (folder / row.split(",")[4] / "config.json").is_file()
    assert "# Search: tiny" in result.output and "3 trials" in result.output
    # A rerun goes on from the study: it already has its trials and trains none.
    again = run_cli("search", "tiny", "--trials", 3, *SMALL)
    assert again.exit_code == 0 and len(summary_rows(folder)) == 3
    # Each trial is a TensorBoard HParams session, a row of `runs`, and `plot` redraws the
    # report from the study alone, to the same bytes.
    assert all((trial / "tensorboard").is_dir() for trial in (folder / "trials").iterdir())
    before = {name: (folder / name).read_bytes() for name in ("summary.csv", "README.md", "importance.json")}
    replotted = run_cli("plot", folder)
    assert replotted.exit_code == 0, replotted.output
    assert {name: (folder / name).read_bytes() for name in before} == before
    runs = json.loads(run_cli("runs", "--json", "--experiments", tmp_path / "experiments").stdout)
    assert sorted(row["run"] for row in runs) == [f"search/tiny/trial {number}" for number in range(3)]


def test_three_workers_share_one_search_on_postgresql(tmp_path, postgres_url):
    data = write_idx_folder(tmp_path / "mnist", make_arrays(train_count=200, test_count=20))
    command = [sys.executable, "-m", "mnistcnn.cli", "search", "shared", "--trials", 3, "--epochs", 1,
               "--data", data, "--storage", postgres_url, "--output-dir", tmp_path / "out"]
    workers = [subprocess.Popen(list(map(str, command)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""}) for _ in range(3)]
    for worker in workers:
        _, errors = worker.communicate(timeout=600)
        assert worker.returncode == 0, errors
    study = optuna.load_study(study_name="search", storage=postgres_url)
    trials = study.get_trials(deepcopy=False)
    # Each worker stops once 3 trials have finished; a trial another worker began by then is
    # still finished, so there are 3 to 5, each trained once into its own folder.
    assert 3 <= len(trials) <= 5 and {trial.state.name for trial in trials} <= {"COMPLETE", "PRUNED"}
    folders = sorted(folder.name for folder in (tmp_path / "out" / "shared" / "trials").iterdir())
    assert folders == [f"{trial.number:04d}" for trial in sorted(trials, key=lambda trial: trial.number)]


@pytest.mark.parametrize("arguments, message", [
    (("joint", "--pooling", "average"), "--pooling is one of the settings the search chooses"),
    (("../joint",), "must be a folder name"),
    (("joint", "--storage", "mysql:/oops"), "storage"),
    (("joint", "--valid-fraction", 0), "pass a --valid-fraction above 0"),
])
def test_bad_options_are_refused_before_tensorflow_loads(arguments, message):
    code = ("import sys; from mnistcnn.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as end:\n"
            "    assert 'tensorflow' not in sys.modules, 'TensorFlow was loaded'\n    raise")
    result = subprocess.run([sys.executable, "-c", code, "search", *map(str, arguments)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_the_one_setting_that_decides_comes_out_on_top(tmp_path):
    """A fake objective: the error is set by `decisive` alone; the other settings are noise."""
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))

    def objective(trial):
        decisive = trial.suggest_categorical("decisive", ["a", "b", "c", "d"])
        for name in ("noise_1", "noise_2", "noise_3"):
            trial.suggest_categorical(name, [1, 2, 3])
        return {"a": 0.01, "b": 0.05, "c": 0.10, "d": 0.20}[decisive]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study.optimize(objective, n_trials=60)
    importance = parameter_importance(study)
    assert list(importance)[0] == "decisive" and importance["decisive"] > 0.5
    # The report draws the same ranking into the folder's importance.json and README.
    (tmp_path / "search.json").write_text(json.dumps({"name": "fake", "space": {
        "decisive": ["a", "b", "c", "d"], "noise_1": [1, 2, 3], "noise_2": [1, 2, 3], "noise_3": [1, 2, 3]},
        "base_config": get_preset("sweep").to_dict(), "command": "", "storage": "memory"}))
    write_search_report(tmp_path, study)
    assert list(json.loads((tmp_path / "importance.json").read_text()))[0] == "decisive"
    assert (tmp_path / "importance.png").is_file() and "| decisive |" in (tmp_path / "README.md").read_text()


def test_from_search_refuses_an_unjudged_search_and_names_the_race_to_run(tmp_path):
    folder = tmp_path / "search" / "joint"
    folder.mkdir(parents=True)
    (folder / "search.json").write_text(json.dumps({"name": "joint", "base_config": get_preset("sweep").to_dict()}))
    with pytest.raises(InputError, match="mnistcnn search joint --judge"):
        config_from_search(get_preset("sweep"), folder)


def test_from_search_trains_the_judged_winner_and_the_story_names_the_race(tmp_path):
    small = {"epochs": 1, "patience": 1, "filters": 4, "dense_units": 8}
    folder = make_judged_search(tmp_path / "search" / "joint", {
        "trial-3": ({"kernel_size": 5}, 0.010), "from-sweeps": ({"filters": 8}, 0.030), "recipe": ({}, 0.032)},
        base=get_preset("sweep").with_changes(**small))
    options = [item for field, value in small.items() for item in (f"--{field.replace('_', '-')}", value)]
    result = run_cli("train-final", "--preset", "sweep", *options, "--from-search", folder, "--data", "sample",
                     "--output", tmp_path / "m.h5")
    assert result.exit_code == 0, result.output
    story = json.loads((tmp_path / "m.json").read_text())
    assert story["config"]["kernel_size"] == 5 and story["config"]["filters"] == 4
    assert story["from_sweeps"]["kernel_size"].startswith("5: trial-3, the winner of ")
    assert story["from_sweeps"]["judged_by"].startswith(f"trial-3 led the race {folder / 'judged'}")
