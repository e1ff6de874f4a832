"""End-to-end checks on the full MNIST set; skipped unless MNISTCNN_DATA points at it."""

import json

import pytest

from conftest import PROJECT_ROOT, run_cli as run

COMMITTED_MODEL = PROJECT_ROOT / "models" / "mnistcnn.h5"
COMMITTED_ENSEMBLE = PROJECT_ROOT / "models" / "mnistcnn-ensemble.h5"
# The ensembles trained to choose a recipe; models/RESULTS.md quotes every figure of theirs.
TRIAL_ENSEMBLES = sorted((PROJECT_ROOT / "models" / "trials").glob("*.h5"))
# Issue 7's target for a single model on the 10,000 test images, which both committed
# models pass by a few images (0.9971 and 0.9972, models/RESULTS.md): a model that
# scores below it is not the one committed.
COMMITTED_BAR = 0.9965
# Every recipe tried on the full set beats the Keras seed's 0.99; one that does not is broken.
TRIAL_BAR = 0.99
# Most trial ensembles compute in bfloat16, whose kernels round differently on different
# CPUs (AVX-512 BF16 hardware or emulation), and float32 kernels differ a little too: a
# near-tie can flip, so another machine reproduces a story's figures to within a few
# images, not to the last one.
IMAGES_OF_ROUNDING = 3


def same_within_rounding(measured: float, recorded: float, images: int) -> bool:
    return abs(measured - recorded) * images <= IMAGES_OF_ROUNDING + 1e-9


def evaluate_committed(model_file, full_mnist, report_dir) -> tuple[dict, dict]:
    """`mnistcnn evaluate --json` of a committed model, and the story beside it."""
    result = run("evaluate", "--model-file", model_file, "--data", full_mnist, "--report-dir", report_dir, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), json.loads(model_file.with_suffix(".json").read_text())


def test_committed_model_meets_the_bar_and_matches_its_story(full_mnist, tmp_path):
    report, story = evaluate_committed(COMMITTED_MODEL, full_mnist, tmp_path / "report")
    # A model trained on all 60,000 training images (--valid-fraction 0) has no validation split.
    assert report["test"]["n"] == 10000 and report.get("valid", {}).get("n", 0) == story["data"]["valid"]
    assert report["test"]["accuracy"] >= COMMITTED_BAR
    assert same_within_rounding(report["test"]["accuracy"], story["metrics"]["test"]["accuracy"], 10000)
    assert story["data"]["source"] == "mnist" and report["notes"] == []
    # By writer: the two series hold all 10,000 test digits, written by MNIST's 297 test writers.
    by_writer = report["test_by_writer"]
    assert sum(series["n"] for series in by_writer["series"].values()) == 10000 and by_writer["writers"] == 297
    assert 0 < by_writer["writers_with_errors"] <= round(10000 * (1 - report["test"]["accuracy"]))


ENSEMBLES = [pytest.param(COMMITTED_ENSEMBLE, COMMITTED_BAR, id="committed")] + [
    pytest.param(trial, TRIAL_BAR, id=f"trials/{trial.stem}") for trial in TRIAL_ENSEMBLES]


@pytest.mark.parametrize("ensemble, bar", ENSEMBLES)
def test_an_ensemble_matches_its_story_member_by_member(ensemble, bar, full_mnist):
    # Through the library, on the two held-out splits only, each member run once: the
    # ensemble is the mean of its members' probabilities (ensemble.py), taken here in NumPy.
    import numpy as np

    from mnistcnn.core import Config
    from mnistcnn.data import load_dataset
    from mnistcnn.models import members
    from mnistcnn.reports import predict_probabilities, split_metrics
    from mnistcnn.core import load_model

    story = json.loads(ensemble.with_suffix(".json").read_text())
    config = Config.from_dict(story["config"])
    dataset = load_dataset(full_mnist, config.valid_fraction, config.seed, config.valid_split)
    networks = members(load_model(ensemble))
    assert len(networks) == len(story["members"])
    for split in [name for name in ("valid", "test") if name in story["metrics"]]:
        images, labels = dataset.split(split)
        each = [predict_probabilities(network, images) for network in networks]
        for probabilities, recorded in zip(each, story["members"]):
            measured = split_metrics(probabilities, labels)["accuracy"]
            assert same_within_rounding(measured, recorded["metrics"][split]["accuracy"], len(labels)), split
        combined = split_metrics(np.mean(each, axis=0), labels)["accuracy"]
        assert same_within_rounding(combined, story["metrics"][split]["accuracy"], len(labels)), split
    tests = [member["metrics"]["test"]["accuracy"] for member in story["members"]]
    assert story["metrics"]["test"]["accuracy"] >= bar
    # Averaging probabilities does at least as well as the members do on average.
    assert story["metrics"]["test"]["accuracy"] >= sum(tests) / len(tests)


def test_baseline_one_epoch_on_the_full_set(full_mnist, tmp_path):
    output = tmp_path / "baseline.h5"
    result = run("train-final", "--preset", "baseline", "--epochs", 1, "--data", full_mnist, "--output", output)
    assert result.exit_code == 0, result.output
    story = json.loads(output.with_suffix(".json").read_text())
    # The full set is split by writers by default: about 6,000 validation digits by unseen writers.
    assert story["data"]["valid_split"] == "writers" and abs(story["data"]["train"] - 54000) < 200
    # One epoch of the baseline reads about 0.98 in float32; in bfloat16 (the automatic
    # choice on CPUs with AMX) it read 0.9797 here. A broken pipeline reads far below either.
    assert story["metrics"]["test"]["accuracy"] >= 0.975


def test_the_readmes_commands_leave_the_committed_results_as_they_are(full_mnist, monkeypatch):
    # As a user runs them, from the repository's root on the full set: evaluate the committed
    # model into its committed report, export its twin, redraw a committed sweep. Every
    # committed file under models/ and experiments/ keeps its bytes (issue 38: the report's
    # picture and the twin were rewritten).
    import hashlib
    import subprocess

    listed = subprocess.run(["git", "ls-files", "models", "experiments"], cwd=PROJECT_ROOT, capture_output=True,
                            text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: which files are committed is unknown")
    committed = [PROJECT_ROOT / name for name in listed.stdout.splitlines()]

    def snapshot() -> dict:
        return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in committed if path.is_file()}

    before = snapshot()
    monkeypatch.chdir(PROJECT_ROOT)
    for command in (["evaluate", "--data", full_mnist], ["export", "models/mnistcnn.h5", "--format", "onnx",
                                                         "--data", full_mnist], ["plot", "experiments/pooling"]):
        result = run(*command)
        assert result.exit_code == 0, (command, result.output)
    changed = [str(path.relative_to(PROJECT_ROOT)) for path, digest in snapshot().items() if before[path] != digest]
    assert changed == []
