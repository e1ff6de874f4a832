"""A sweep run is known by its data's images and its split, not by the source's name or
sizes: one answer (runs.differences) for the runner, `plot` and the defaults' run."""

import json
import shutil

import numpy as np
from conftest import run_cli as run

from fake_sweeps import make_sweep, outcome, write_run

from mnistcnn.data import Source
from mnistcnn.core import get_preset
from mnistcnn.core import read_sweep_run
from mnistcnn.sweeps.runs import describe_differences, identity, trained_seconds


def a_source(seed: int) -> Source:
    """An IDX-shaped set of MNIST's sizes (as Fashion-MNIST or KMNIST are), its own images."""
    rng = np.random.default_rng(seed)
    arrays = {"x_train": rng.integers(0, 256, (600, 28, 28), dtype=np.uint8), "y_train": rng.integers(0, 10, 600),
              "x_test": rng.integers(0, 256, (100, 28, 28), dtype=np.uint8), "y_test": rng.integers(0, 10, 100)}
    return Source(arrays, "mnist", f"/data/set-{seed}", None)


def test_two_data_sets_of_equal_sizes_and_other_images_are_other_runs():
    mnist_like, fashion_like = a_source(0), a_source(1)
    assert mnist_like.fingerprint == a_source(0).fingerprint  # the same images read again, from anywhere
    assert mnist_like.fingerprint != fashion_like.fingerprint
    config = get_preset("sweep")
    mine, theirs = identity(config, mnist_like.fingerprint, "split"), identity(config, fashion_like.fingerprint, "split")
    assert mine != theirs
    [difference] = describe_differences(theirs, mine)
    assert difference.startswith("other images (data fingerprint ")


def test_a_finished_run_of_other_images_is_refused_in_one_line(tmp_path, monkeypatch):
    # The sweep's runs were made of other images of the sample's sizes: a rerun on the
    # sample must not resume or average them; it ends in one Error line (exit 3).
    monkeypatch.chdir(tmp_path)
    base = get_preset("sweep").with_changes(valid_split="writers", epochs=1, patience=1)
    write_run(tmp_path / "experiments" / "pooling", base, {"pooling": "max"}, "max", 0, outcome(0.02, 0, 0))
    result = run("sweep", "pooling", "--values", "max", "--data", "sample", "--epochs", "1", "--repeats", "1",
                 "--output-dir", "experiments")
    assert result.exit_code == 3, result.output
    assert "Error: experiments/pooling/max/seed-0 holds a finished run with other settings: other images" in result.output
    assert "Traceback" not in result.output


def test_plot_does_not_count_a_run_whose_split_was_changed(tmp_path):
    sweep_dir = make_sweep(tmp_path, "dropout", {0.5: 0.012, 0.25: 0.011}, repeats=2)
    assert run("plot", sweep_dir).exit_code == 0
    summary = (sweep_dir / "summary.csv").read_text()
    # Repeat 1 of 0.25 replaced by a run whose config is repeat 1's but whose split is repeat 0's.
    moved = write_run(tmp_path / "elsewhere", get_preset("sweep").with_changes(valid_split="writers"),
                      {"dropout": 0.25}, 0.25, 1, outcome(0.011, 0, 1))
    shutil.rmtree(sweep_dir / "0.25" / "seed-1")
    shutil.copytree(moved, sweep_dir / "0.25" / "seed-1")
    result = run("plot", sweep_dir)
    assert result.exit_code == 0, result.output
    assert "Not counted (finished runs of another plan): 0.25/seed-1" in (sweep_dir / "README.md").read_text()
    assert "0.25,1," in (sweep_dir / "summary.csv").read_text() and summary != (sweep_dir / "summary.csv").read_text()


def test_the_budget_counts_only_what_the_sweep_trained(tmp_path):
    # The defaults' run copied from another sweep cost this sweep nothing: its recorded
    # seconds are the other sweep's, and --budget must not spend them again.
    sweep_dir = make_sweep(tmp_path, "dropout", {0.5: 0.012, 0.25: 0.011}, repeats=2)
    metrics = sweep_dir / "0.5" / "seed-0" / "metrics.json"
    record = json.loads(metrics.read_text())
    metrics.write_text(json.dumps({**record, "copied_from": "pooling/max/seed-0"}))

    assert trained_seconds(read_sweep_run(sweep_dir / "0.5" / "seed-0")) == 0.0
    assert trained_seconds(read_sweep_run(sweep_dir / "0.5" / "seed-1")) == 60.0
