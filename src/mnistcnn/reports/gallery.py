"""What `mnistcnn serve` shows of the results: every sweep and every model, read from
the files they left (like `plot` and `runs`), never recomputed, without TensorFlow.

Paths of images are given relative to their root folder, so the server can hand them
out through its one guarded file route.
"""

import csv
import json
from pathlib import Path

from mnistcnn.core import RunRecord


def list_sweeps(experiments: Path) -> tuple[list[dict], list[str]]:
    """(sweeps, notes): each sweep with a summary, its table rows, leader and ties; a note
    for each folder that has a sweep.json but no readable summary yet."""
    sweeps, notes = [], []
    for info_path in sorted(Path(experiments).glob("*/sweep.json")):
        folder = info_path.parent
        try:
            info = json.loads(info_path.read_text())
            with open(folder / "summary.csv", newline="") as stream:
                rows = [_numbers(row) for row in csv.DictReader(stream)]
            leader = next(row["value"] for row in rows if row["verdict"] == "leader")
        except (OSError, ValueError, KeyError) as error:
            notes.append(f"skipped {folder}: no readable summary yet ({type(error).__name__}); "
                         f"run `mnistcnn plot {folder}`")
            continue
        sweeps.append({
            "name": folder.name,
            "label": info.get("label", folder.name),
            "field": info.get("field", folder.name),
            "architecture": info.get("base_config", {}).get("architecture"),
            "command": info.get("command"),
            "plots": {plot: f"{folder.name}/{plot}.png" for plot in ("difference", "accuracy", "loss")
                      if (folder / f"{plot}.png").is_file()},
            "rows": rows,
            "leader": leader,
            "ties": [row["value"] for row in rows if row["verdict"] == "tie"],
        })
    return sweeps, notes


SEARCH_PLOTS = ("importance", "history", "slices")
BEST_SHOWN = 5


def list_searches(experiments: Path) -> tuple[list[dict], list[str]]:
    """(searches, notes): each search under experiments/search/ with its best trials, the
    importance of each setting, its plots, and the race that judged it (or None)."""
    searches, notes = [], []
    for info_path in sorted(Path(experiments).glob("search/*/search.json")):
        folder = info_path.parent
        try:
            info = json.loads(info_path.read_text())
            with open(folder / "summary.csv", newline="") as stream:
                trials = list(csv.DictReader(stream))
            importance = json.loads((folder / "importance.json").read_text())
        except (OSError, ValueError) as error:
            notes.append(f"skipped {folder}: no readable summary yet ({type(error).__name__}); "
                         f"run `mnistcnn plot {folder}`")
            continue
        complete = sorted((row for row in trials if row["state"] == "complete"),
                          key=lambda row: float(row["valid_error_percent"]))
        relative = folder.relative_to(experiments)
        searches.append({
            "name": folder.name,
            "command": info.get("command"),
            "budget_minutes": info.get("budget_minutes"),
            "states": {state: sum(row["state"] == state for row in trials) for state in ("complete", "pruned")},
            "best": complete[:BEST_SHOWN],
            "importance": importance,
            "plots": {plot: f"{relative}/{plot}.png" for plot in SEARCH_PLOTS if (folder / f"{plot}.png").is_file()},
            "judged": _judged(folder / "judged"),
        })
    return searches, notes


def _judged(folder: Path) -> dict | None:
    """The judging race's leader and rows, from its summary.csv; None before it ran."""
    try:
        with open(folder / "summary.csv", newline="") as stream:
            rows = [_numbers(row) for row in csv.DictReader(stream)]
        return {"leader": next(row["value"] for row in rows if row["verdict"] == "leader"), "rows": rows}
    except (OSError, ValueError, StopIteration):
        return None


TEXT_COLUMNS = ("value", "verdict", "label")


def _numbers(row: dict) -> dict:
    """A summary.csv row with its figures as numbers (the value and the verdict stay text)."""
    return {key: (text if key in TEXT_COLUMNS else text == "True" if key == "decided"
                  else float(text) if text not in ("", "nan") else None)
            for key, text in row.items()}


def list_models(models: Path) -> tuple[list[dict], list[str]]:
    """(models, notes): each `.h5` with its story under `models` (trials included): recipe,
    data, split, epochs, minutes, accuracies, and its report's images when it has one."""
    found, notes = [], []
    models = Path(models)
    for story_path in sorted(models.rglob("*.json")):
        model_path = story_path.with_suffix(".h5")
        if story_path.name.startswith(".") or not model_path.is_file():
            continue  # work in progress, or a report's record
        try:
            found.append(_model_entry(RunRecord.from_json(json.loads(story_path.read_text())), model_path, models))
        except (OSError, ValueError, KeyError, TypeError) as error:
            notes.append(f"skipped {story_path}: not a model's story ({type(error).__name__}: {error})")
    return found, notes


def _model_entry(story: RunRecord, model_path: Path, models: Path) -> dict:
    data = story.data
    report = model_path.with_name(f"{model_path.stem}-report")
    return {
        "name": str(model_path.relative_to(models)),
        "recipe": {key: story.config.get(key) for key in ("architecture", "filters", "kernel_size", "activation",
                                                          "pooling", "dropout", "optimizer", "learning_rate",
                                                          "schedule", "batch_size", "epochs")},
        "data": data.summary() if data else None,
        "valid_split": data.valid_split if data else story.config.get("valid_split", "random"),
        "epochs_run": story.epochs_run,
        "minutes": round(story.training_seconds / 60, 1) if story.training_seconds is not None else None,
        "accuracy": {split: story.accuracy(split) for split in ("train", "valid", "test") if split in story.metrics},
        "member_of": story.provenance.get("member_of"),
        "command": story.provenance.get("command"),
        "date": story.provenance.get("date"),
        "report": {image: str((report / f"{image}.png").relative_to(models))
                   for image in ("confusion_matrix", "hardest_mistakes") if (report / f"{image}.png").is_file()},
    }
