"""Sweeps made of synthetic runs, written as the runner writes them, with no training:
per-image errors drawn so that values share each image's difficulty, as trained
networks do."""

import json
from pathlib import Path

import numpy as np

from mnistcnn.core import Config
from mnistcnn.sweeps.paired import RepeatOutcome
from mnistcnn.core import get_preset
from mnistcnn.core import DataRecord, RunRecord
from mnistcnn.sweeps.runs import RUN_FORMAT, Run, kept_weights, plan_run, split_fingerprint, write_predictions
from mnistcnn.sweeps.catalog import get_sweep

IMAGES, WRITERS = 3000, 60
DATA_FINGERPRINT = "synthetic"  # what a run's identity holds of its images (runs.identity)


def split_of(repeat: int, images: int = IMAGES, writers: int = WRITERS) -> tuple[np.ndarray, np.ndarray]:
    """(indices, writers) of repeat `repeat`'s validation images: its own images."""
    rng = np.random.default_rng(1000 + repeat)
    index = np.sort(rng.choice(60000, images, replace=False))
    return index, rng.integers(0, writers, images) + 100 * repeat


def outcome(value_rate: float, repeat: int, value_seed: int, images: int = IMAGES) -> RepeatOutcome:
    """A run's errors: an image is wrong when its difficulty (shared by every value of the
    repeat) or the run's own noise says so, at about `value_rate` overall."""
    index, writer = split_of(repeat, images)
    difficulty = np.random.default_rng(repeat).random(images)
    noise = np.random.default_rng(10_000 * repeat + value_seed).random(images)
    wrong = (difficulty < value_rate * 0.7) | (noise < value_rate * 0.3)
    return RepeatOutcome(index=index, wrong=wrong, writer=writer)


def write_run(sweep_dir: Path, base: Config, changes: dict, value, repeat: int, wrong: RepeatOutcome,
              seconds: float = 60.0, folder: Path | None = None) -> Path:
    """The run's files, in its folder or in `folder` (a shared race's claim folder)."""
    run = plan_run(sweep_dir, base, changes, value, repeat)
    if folder is not None:
        run = Run(run.value, run.repeat, run.config, Path(folder))
    run.folder.mkdir(parents=True)
    (run.folder / "config.json").write_text(run.config.to_json() + "\n")
    accuracy = 1 - wrong.wrong.mean()
    epochs = run.config.epochs
    rows = ["accuracy,epoch,loss,seconds,val_accuracy,val_loss"] + [
        f"{accuracy},{epoch},0.1,{seconds / epochs},{accuracy},0.1" for epoch in range(epochs)]
    (run.folder / "history.csv").write_text("\n".join(rows) + "\n")
    labels = np.zeros(len(wrong.index), np.uint8)
    write_predictions(run.folder, wrong.index, labels, wrong.wrong.astype(np.uint8), wrong.writer)
    record = RunRecord(
        config=run.config.to_dict(), data=DataRecord("mnist", "synthetic", "writers", WRITERS, 57000, IMAGES, 10000),
        metrics={"valid": {"n": len(wrong.index), "accuracy": accuracy, "loss": 0.1, "best_accuracy": accuracy,
                           "errors": int(wrong.wrong.sum())},
                 "test": {"n": 10000, "accuracy": accuracy, "loss": 0.1}},
        epochs_run=epochs, best_epoch=epochs, training_seconds=seconds, precision="float32",
        provenance={"value": value, "repeat": repeat, "run_format": RUN_FORMAT, "data_fingerprint": DATA_FINGERPRINT,
                    "split": split_fingerprint(wrong.index),
                    "weights": kept_weights(run.config), "parameters": 1000})
    (run.folder / "metrics.json").write_text(json.dumps(record.to_json(), indent=2) + "\n")
    return run.folder


def make_sweep(output_dir: Path, name: str, rates: dict, repeats: int, base: Config | None = None,
               max_repeats: int = 5) -> Path:
    """A finished sweep `name` with `repeats` runs of each value, at the given error rates."""
    sweep = get_sweep(name)
    base = (base or get_preset("sweep")).with_changes(valid_split="writers")
    sweep_dir = Path(output_dir) / name
    changes = {value: sweep.changes(value, {}) for value in rates}
    for value_seed, (value, rate) in enumerate(rates.items()):
        for repeat in range(repeats):
            write_run(sweep_dir, base, changes[value], value, repeat, outcome(rate, repeat, value_seed))
    (sweep_dir / "sweep.json").write_text(json.dumps({
        "name": name, "field": sweep.field, "label": sweep.label, "values": list(rates),
        "changes": {str(value): change for value, change in changes.items()}, "base_config": base.to_dict(),
        "race": {"repeats": None, "max_repeats": max_repeats, "budget_minutes": None},
        "data_fingerprint": DATA_FINGERPRINT,
        "splits": {str(base.seed + repeat): split_fingerprint(split_of(repeat)[0]) for repeat in range(max_repeats)},
        "command": f"mnistcnn sweep {name}", "hardware": {}}))
    return sweep_dir


def make_judged_search(search_dir: Path, candidates: dict, repeats: int = 3, base: Config | None = None) -> Path:
    """A search folder (search.json) with a finished judging race of `candidates`
    ({name: (changes, error rate)}), as `mnistcnn search NAME --judge` leaves it."""
    base = (base or get_preset("sweep")).with_changes(valid_split="writers")
    search_dir = Path(search_dir)
    search_dir.mkdir(parents=True)
    (search_dir / "search.json").write_text(json.dumps({
        "name": search_dir.name, "base_config": base.to_dict(), "data_fingerprint": DATA_FINGERPRINT}))
    race = search_dir / "judged"
    judge_base = base.with_changes(seed=2000)
    for value_seed, (name, (changes, rate)) in enumerate(candidates.items()):
        for repeat in range(repeats):
            write_run(race, judge_base, changes, name, repeat, outcome(rate, repeat, value_seed))
    (race / "sweep.json").write_text(json.dumps({
        "name": "judged", "field": "candidate", "label": "Candidate", "values": list(candidates),
        "changes": {name: changes for name, (changes, _) in candidates.items()}, "base_config": judge_base.to_dict(),
        "race": {"repeats": repeats, "max_repeats": repeats, "budget_minutes": None},
        "data_fingerprint": DATA_FINGERPRINT,
        "splits": {str(judge_base.seed + repeat): split_fingerprint(split_of(repeat)[0]) for repeat in range(repeats)},
        "command": f"mnistcnn search {search_dir.name} --judge", "hardware": {}}))
    return search_dir
