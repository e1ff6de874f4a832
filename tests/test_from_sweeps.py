"""`train-final --from-sweeps`: decided winners set their fields, ties leave the recipe's,
and the combination trains only once a judging race chose it (experiments/search/RULE.md)."""

import json

import pytest
from conftest import run_cli
from fake_sweeps import make_judged_search, make_sweep

from mnistcnn.core import InputError, UsageError
from mnistcnn.sweeps.recipe import config_from_sweeps
from mnistcnn.core import get_preset


@pytest.fixture
def sweeps(tmp_path):
    experiments = tmp_path / "experiments"
    make_sweep(experiments, "pooling", {"max": 0.020, "none": 0.010}, repeats=3)  # none decided better
    make_sweep(experiments, "kernel_size", {3: 0.0135, 5: 0.0120}, repeats=3)  # 5 leads, too close to call
    make_sweep(experiments, "optimizer", {"adam": 0.025, "sgd": 0.010}, repeats=3)  # sgd, with its own rate
    return experiments


COMBINATION = {"pooling": "none", "optimizer": "sgd", "learning_rate": 0.01}  # what the sweeps above decide


def judge(experiments, winner: str):
    """A judging race in experiments/search/joint where `winner` has the fewest errors."""
    rates = {"trial-4": 0.014, "from-sweeps": 0.014, "recipe": 0.030}
    rates[winner] = 0.008
    changes = {"trial-4": {"dropout": 0.25}, "from-sweeps": COMBINATION, "recipe": {}}
    return make_judged_search(experiments / "search" / "joint",
                              {name: (changes[name], rate) for name, rate in rates.items()})


def test_decided_winners_set_their_fields_and_ties_keep_the_recipes(sweeps):
    config, origins = config_from_sweeps(get_preset("sweep"), sweeps)
    assert config == get_preset("sweep").with_changes(pooling="none", optimizer="sgd", learning_rate=0.01)
    assert origins["pooling"].startswith("none: the leader of ") and "max was decided worse by" in origins["pooling"]
    assert origins["kernel_size"].startswith("3: the recipe's value, tie within ±")
    assert origins["optimizer"].startswith("sgd: the leader of ")


def test_sweeps_of_another_recipe_are_refused(sweeps):
    with pytest.raises(UsageError, match="was swept with another recipe .*pass the preset and options"):
        config_from_sweeps(get_preset("final"), sweeps)


def test_a_folder_without_sweeps_is_refused(tmp_path):
    with pytest.raises(InputError, match="holds no sweep"):
        config_from_sweeps(get_preset("sweep"), tmp_path)


def test_the_command_refuses_before_training_in_one_line(sweeps, tmp_path):
    result = run_cli("train-final", "--from-sweeps", sweeps, "--data", "sample", "--output", tmp_path / "m.h5")
    assert result.exit_code == 2 and "was swept with another recipe" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "m.h5").exists()


def test_an_unjudged_combination_is_refused_in_one_line_naming_the_race_to_run(sweeps, tmp_path):
    result = run_cli("train-final", "--preset", "sweep", "--from-sweeps", sweeps, "--data", "sample",
                     "--output", tmp_path / "m.h5")
    assert result.exit_code == 1 and not (tmp_path / "m.h5").exists()
    assert result.output.strip().splitlines()[-1].startswith("Error: the sweeps' combination in ")
    assert "has not won a judging race; run `mnistcnn search NAME` and `mnistcnn search NAME --judge`" in result.output


def test_a_combination_that_lost_its_race_is_refused_naming_the_winner(sweeps, tmp_path):
    judge(sweeps, "trial-4")
    result = run_cli("train-final", "--preset", "sweep", "--from-sweeps", sweeps, "--data", "sample",
                     "--output", tmp_path / "m.h5")
    assert result.exit_code == 1 and "the sweeps' combination lost its judging race: trial-4 led the race" in result.output
    assert f"train the winner with --from-search {sweeps / 'search' / 'joint'}" in result.output


def test_the_story_says_where_each_field_came_from(sweeps, tmp_path):
    race = judge(sweeps, "from-sweeps") / "judged"
    result = run_cli("train-final", "--preset", "sweep", "--from-sweeps", sweeps, "--epochs", 1, "--patience", 1,
                     "--filters", 4, "--dense-units", 8, "--data", "sample", "--output", tmp_path / "m.h5")
    # --epochs and the others are the command line's own: the sweeps' recipe had 4 epochs and 32 filters.
    assert result.exit_code == 2 and "epochs 4 (here 1)" in result.output
    result = run_cli("train-final", "--preset", "sweep", "--from-sweeps", sweeps, "--data", "sample",
                     "--output", tmp_path / "m.h5")
    assert result.exit_code == 0, result.output
    story = json.loads((tmp_path / "m.json").read_text())
    assert story["config"]["pooling"] == "none" and story["config"]["optimizer"] == "sgd"
    assert set(story["from_sweeps"]) == {"pooling", "kernel_size", "optimizer", "judged_by"}
    assert story["from_sweeps"]["judged_by"].startswith(f"from-sweeps led the race {race}, where the recipe was "
                                                        "decided worse by")
    assert "pooling = none: the leader of" in result.output
    # The fake sweeps were not made on the sample: the command says their winners need not hold.
    assert ("note: the sweeps behind --from-sweeps were made on other data than sample here; their winners were "
            "chosen there and need not hold on this data") in result.output
