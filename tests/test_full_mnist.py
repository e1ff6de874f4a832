"""End-to-end checks on the full MNIST set; skipped unless MNISTCNN_DATA points at it."""

import json

import pytest
from click.testing import CliRunner

from conftest import PROJECT_ROOT
from mnistcnn.cli import main

COMMITTED_MODEL = PROJECT_ROOT / "models" / "mnistcnn.h5"


def run(*arguments):
    return CliRunner().invoke(main, [str(argument) for argument in arguments])


def test_committed_model_meets_the_bar_and_matches_its_story(full_mnist, tmp_path):
    result = run("evaluate", "--model-file", COMMITTED_MODEL, "--data", full_mnist,
                 "--report-dir", tmp_path / "report", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    story = json.loads(COMMITTED_MODEL.with_suffix(".json").read_text())
    assert report["test"]["n"] == 10000 and report["valid"]["n"] == 6000
    assert report["test"]["accuracy"] >= 0.993
    assert report["test"]["accuracy"] == story["metrics"]["test"]["accuracy"]
    assert story["data"]["source"] == "mnist"


def test_baseline_one_epoch_on_the_full_set(full_mnist, tmp_path):
    output = tmp_path / "baseline.h5"
    result = run("train-final", "--preset", "baseline", "--epochs", 1, "--data", full_mnist, "--output", output)
    assert result.exit_code == 0, result.output
    story = json.loads(output.with_suffix(".json").read_text())
    assert story["data"]["train"] == 54000
    assert story["metrics"]["test"]["accuracy"] >= 0.98
