"""What a sweep run is on disk, and when two runs are the same one (no TensorFlow).

Repeat k of a value is the folder `SWEEP/VALUE/seed-S/` (S = the base seed + k) with
`config.json` (written first), `history.csv`, `predictions.npz` (the predicted digit of
every validation image, with the images' indices and writers) and `metrics.json` (written
last: its presence means the run is complete). A finished run is the planned one only if
its config, data (by a fingerprint of its images, not the source's name or sizes),
validation split, kept weights and run format all match; anything else is a conflict,
never silently reused or averaged in. `differences` is the one answer to "is this the
planned run?", for the runner, for `plot` (from what the sweep's `sweep.json` recorded of
its data and splits) and for the defaults' run copied between sweeps.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.core import Config
from mnistcnn.core import InputError, OverwriteRefused, UsageError
from mnistcnn.core import atomic_path, read_csv_columns
from mnistcnn.sweeps.paired import RepeatOutcome
from mnistcnn.core import RunRecord, read_sweep_run

# What a sweep run means. 2: validation and test measured on the same (kept) weights, the
# prediction of every validation image saved, the split drawn with the run's own seed.
RUN_FORMAT = 2
PREDICTIONS = "predictions.npz"


@dataclass(frozen=True)
class Run:
    value: object
    repeat: int
    config: Config
    folder: Path


def plan_run(sweep_dir: Path, base: Config, changes: dict, value, repeat: int) -> Run:
    """Repeat `repeat` of `value`: the value's changes to the base, seed base + repeat."""
    config = base.with_changes(**changes, seed=base.seed + repeat)
    return Run(value, repeat, config, Path(sweep_dir) / str(value) / f"seed-{config.seed}")


def kept_weights(config: Config) -> str:
    return "last" if config.fixed_schedule else "best validation loss"


def split_fingerprint(valid_index: np.ndarray) -> str:
    """SHA-256 of a validation split's image indices, in increasing order."""
    return hashlib.sha256(np.sort(np.asarray(valid_index, dtype=np.int64)).tobytes()).hexdigest()


def identity(config: Config, data_fingerprint: str, split: str) -> dict:
    """Everything that makes two runs the same run."""
    return {"run_format": RUN_FORMAT, "config": config.to_dict(), "data": data_fingerprint, "split": split,
            "weights": kept_weights(config)}


def saved_identity(record: RunRecord) -> dict:
    provenance = record.provenance
    return {"run_format": provenance.get("run_format", 1), "config": Config.from_dict(record.config).to_dict(),
            "data": provenance.get("data_fingerprint", "unrecorded"),
            "split": provenance.get("split"), "weights": provenance.get("weights", "unknown")}


def planned_identity(run: Run, info: dict) -> dict:
    """The identity the sweep's plan asks of `run`, from what its `sweep.json` recorded of
    the data's fingerprint and each seed's split (a seed not drawn yet has none)."""
    return identity(run.config, info.get("data_fingerprint", "unrecorded"),
                    info.get("splits", {}).get(str(run.config.seed), "not drawn"))


def describe_differences(saved: dict, wanted: dict) -> list[str]:
    """The settings in which a saved run's identity differs from the wanted one."""
    if saved["run_format"] != wanted["run_format"]:
        return [f"made by an older mnistcnn (run format {saved['run_format']}, now {wanted['run_format']}: "
                "it kept no per-image predictions)"]
    changed = [f"{field} {value} (now {wanted['config'][field]})"
               for field, value in saved["config"].items() if wanted["config"].get(field) != value]
    if saved["data"] != wanted["data"]:
        changed.append(f"other images (data fingerprint {_short(saved['data'])}, now {_short(wanted['data'])})")
    if saved["split"] != wanted["split"]:
        changed.append(f"another validation split ({_short(saved['split'])}, now {_short(wanted['split'])})")
    if saved["weights"] != wanted["weights"]:
        changed.append(f"kept weights {saved['weights']} (now {wanted['weights']})")
    return changed


def trained_seconds(record: RunRecord) -> float:
    """The seconds this sweep spent training the run: none for a run copied from another
    sweep (the defaults' run), whose recorded seconds that sweep spent."""
    return 0.0 if "copied_from" in record.provenance else record.training_seconds or 0.0


def _short(fingerprint: str | None) -> str:
    return str(fingerprint)[:12]


def is_finished(folder: Path) -> bool:
    return all((Path(folder) / name).is_file() for name in ("metrics.json", "history.csv", PREDICTIONS))


def differences(folder: Path, wanted: dict) -> list[str] | None:
    """Is the run in `folder` the one `wanted` names? None if no run finished there, [] if
    it is that run, else how it differs."""
    if not is_finished(folder):
        return None
    try:
        return describe_differences(saved_identity(read_sweep_run(folder)), wanted)
    except (OSError, ValueError, KeyError, TypeError, UsageError) as error:
        return [f"an unreadable record ({type(error).__name__})"]


def refuse_conflicts(conflicts: dict, force: bool) -> None:
    """Refuse to replace finished runs made with other settings ({folder: differences}), unless `force`."""
    if conflicts and not force:
        folder, changed = next(iter(conflicts.items()))
        raise OverwriteRefused(
            f"{folder} holds a finished run with other settings: {', '.join(changed)}; "
            "rerun with the same settings to resume, pass another --output-dir, or --force to replace "
            + ("it" if len(conflicts) == 1 else f"all {len(conflicts)} such runs")
        )


def write_predictions(folder: Path, valid_index: np.ndarray, labels: np.ndarray, predicted: np.ndarray,
                      writers: np.ndarray | None) -> None:
    """Save a run's verdict on every validation image, in increasing index order, compressed
    (about 20 KB for 12,000 images)."""
    order = np.argsort(valid_index, kind="stable")
    index = np.asarray(valid_index)[order]
    writer = np.full(len(index), -1, np.int16) if writers is None else np.asarray(writers)[order].astype(np.int16)
    with atomic_path(Path(folder) / PREDICTIONS) as temporary:
        with open(temporary, "wb") as stream:
            np.savez_compressed(stream, index=index.astype(np.uint32), label=np.asarray(labels)[order].astype(np.uint8),
                                predicted=np.asarray(predicted)[order].astype(np.uint8), writer=writer)


def read_outcome(folder: Path) -> RepeatOutcome:
    with np.load(Path(folder) / PREDICTIONS) as saved:
        return RepeatOutcome(index=saved["index"].astype(np.int64), wrong=saved["predicted"] != saved["label"],
                             writer=saved["writer"].astype(np.int64))


@dataclass(frozen=True)
class FinishedRun:
    run: Run
    record: RunRecord
    history: dict
    outcome: RepeatOutcome


def read_finished(run: Run) -> FinishedRun:
    """A finished run's files; OSError, ValueError or KeyError if they are not all there."""
    record = read_sweep_run(run.folder)
    return FinishedRun(run, record, read_csv_columns(run.folder / "history.csv"), read_outcome(run.folder))


def sweep_info(sweep_dir: Path) -> dict:
    """A sweep folder's `sweep.json`: its field, values, base config, each value's changes
    and the race's settings."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise InputError(f"{sweep_dir} does not exist; pass a sweep folder such as experiments/pooling")
    try:
        info = json.loads((sweep_dir / "sweep.json").read_text())
        info["base_config"], info["values"]
    except (OSError, ValueError, KeyError, TypeError):
        raise InputError(f"{sweep_dir} has no readable sweep.json; pass a folder made by `mnistcnn sweep`") from None
    return info


def planned_runs(sweep_dir: Path, info: dict) -> dict:
    """{value: [Run of repeat 0, 1, ...]} for every repeat the sweep's plan allows."""
    base = Config.from_dict(info["base_config"])
    race = info.get("race", {})
    most = race.get("repeats") or race.get("max_repeats") or info.get("repeats", 1)
    changes = info.get("changes", {})
    return {value: [plan_run(sweep_dir, base, changes.get(str(value), {info["field"]: value}), value, repeat)
                    for repeat in range(most)]
            for value in info["values"]}
