"""`mnistcnn runs`: one table of every run saved under the experiments and models folders.

Read from the files the runs left (a sweep run's `config.json` and `metrics.json`, a
model's `.json` story), never recomputed, and without TensorFlow, so it is instant.
A folder or file that is not a complete run is skipped with a note. A run trained on other
data than MNIST's own training set is marked, since its test figures cannot be trusted: the
text table puts UNTRUSTED_MARK after its name, JSON adds `test_untrusted` (why) to its row,
and a note (`untrusted_notes`) says why, whatever the format.
"""

import csv
import io
import json
from pathlib import Path

from mnistcnn.core import UsageError
from mnistcnn.core import RunRecord, read_sweep_run

COLUMNS = ("run", "seed", "architecture", "epochs", "valid_split", "best_valid_accuracy",
           "final_valid_accuracy", "test_accuracy", "seconds", "date")
NUMERIC = {"seed", "epochs", "best_valid_accuracy", "final_valid_accuracy", "test_accuracy", "seconds"}
UNTRUSTED_MARK = "*"
SAMPLE_MARK = "~"  # figures of the bundled sample: 2,000 test images, not ranked against the full set's


def find_runs(experiments: Path, models: Path) -> tuple[list[dict], list[str]]:
    """(rows, notes): a row per complete run, a note per folder or file skipped, and one
    when a folder to read is not there (run elsewhere than the repository's root, an empty
    table alone would not say why)."""
    rows, notes = [], []
    missing = [f"{folder}/ ({option})" for folder, option in ((experiments, "--experiments"), (models, "--models"))
               if not Path(folder).is_dir()]
    if missing:
        notes.append(f"no folder {' nor '.join(missing)} here, so no runs from "
                     f"{'it' if len(missing) == 1 else 'them'}; run mnistcnn runs where the results are "
                     "(the repository's root) or pass the folders")
    # A sweep's runs (NAME/VALUE/seed-N), a search's judging race's (search/NAME/judged/...),
    # and a search's trials (search/NAME/trials/NNNN, named "search/NAME/trial N").
    patterns = ("*/*/seed-*/config.json", "search/*/judged/*/seed-*/config.json", "search/*/trials/*/config.json")
    for config_path in sorted(path for pattern in patterns for path in Path(experiments).glob(pattern)):
        try:
            rows.append(_sweep_row(config_path.parent, Path(experiments)))
        except (OSError, ValueError, KeyError, TypeError) as error:
            notes.append(f"skipped {config_path.parent}: not a complete sweep run ({_reason(error)})")
    for story_path in sorted(Path(models).rglob("*.json")):
        if story_path.name.startswith(".") or not story_path.with_suffix(".h5").is_file():
            continue  # work in progress, or a report's record
        try:
            rows.append(_model_row(story_path, Path(models)))
        except (OSError, ValueError, KeyError, TypeError) as error:
            notes.append(f"skipped {story_path}: not a model's story ({_reason(error)})")
    return rows, notes


def _reason(error: Exception) -> str:
    if isinstance(error, FileNotFoundError):
        return f"no {Path(error.filename).name}"
    return f"{type(error).__name__}: {error}"


def _untrusted(data) -> dict:
    """The `test_untrusted` field of a row trained on data holding MNIST test digits, and
    the `sample` field of one trained and tested on the bundled sample; else nothing."""
    why = data.test_not_held_out() if data else None
    marks = {"test_untrusted": why} if why else {}
    if data and data.source == "sample":
        marks["sample"] = (f"trained on the bundled sample ({data.train:,} training images) and tested on its "
                           f"{data.test:,} test images, not MNIST's 10,000")
    return marks


def _sweep_row(folder: Path, experiments: Path) -> dict:
    record = read_sweep_run(folder)
    figures, data = record.sweep_figures(), record.data
    return {
        "run": _run_name(folder, experiments),
        "seed": record.config["seed"],
        "architecture": record.config["architecture"],
        "epochs": figures["epochs"],
        "valid_split": data.valid_split if data else record.config.get("valid_split", "random"),
        "best_valid_accuracy": figures["best_valid_accuracy"],
        "final_valid_accuracy": figures["final_valid_accuracy"],
        "test_accuracy": figures["test_accuracy"],
        "seconds": figures["seconds"],
        "date": record.provenance.get("date", ""),
        **_untrusted(data),
    }


def _run_name(folder: Path, experiments: Path) -> str:
    if folder.parent.name == "trials" and (folder.parents[1] / "search.json").is_file():
        return f"{folder.parents[1].relative_to(experiments)}/trial {int(folder.name)}"
    return str(folder.parent.relative_to(experiments))


def _model_row(story_path: Path, models: Path) -> dict:
    story = RunRecord.from_json(json.loads(story_path.read_text()))
    config, data = story.config, story.data
    histories = [member.history or {} for member in story.members] or [story.history or {}]
    best = [max(history["val_accuracy"]) for history in histories if history.get("val_accuracy")]
    return {
        "run": str(story_path.with_suffix(".h5").relative_to(models)),
        "seed": ",".join(str(member.seed) for member in story.members) if story.members else config["seed"],
        "architecture": config["architecture"] + (f" x{len(story.members)}" if story.members else ""),
        "epochs": story.epochs_run or config["epochs"],
        "valid_split": ("none" if data and data.valid == 0 else data.valid_split) if data else "",
        "best_valid_accuracy": max(best) if len(best) == 1 else None,
        "final_valid_accuracy": story.accuracy("valid"),
        "test_accuracy": story.accuracy("test"),
        "seconds": story.training_seconds,
        "date": story.provenance.get("date", ""),
        **_untrusted(data),
    }


def untrusted_notes(rows: list[dict]) -> list[str]:
    """A note for the runs shown whose test figures cannot be trusted, one for each reason."""
    notes = []
    for why in dict.fromkeys(row["test_untrusted"] for row in rows if "test_untrusted" in row):
        marked = sum(row.get("test_untrusted") == why for row in rows)
        notes.append(f"{marked} run{' was' if marked == 1 else 's were'} (marked {UNTRUSTED_MARK} in the table) trained "
                     f"on other data than MNIST's own training set: test figures cannot be trusted ({why})")
    sampled = sum("sample" in row for row in rows)
    if sampled:
        notes.append(f"{sampled} run{' was' if sampled == 1 else 's were'} (marked {SAMPLE_MARK} in the table) "
                     "trained and tested on the bundled sample: their figures do not rank against the full set's")
    return notes


def select(rows: list[dict], where: tuple[str, ...] = (), sort: str | None = None) -> list[dict]:
    """Rows matching every FIELD=VALUE of `where` (as text), sorted by `sort` (numbers
    highest first, text A-Z; runs missing the field last)."""
    for condition in where:
        field, separator, value = condition.partition("=")
        if not separator or field not in COLUMNS:
            raise UsageError(f"--where '{condition}' is not FIELD=VALUE with FIELD one of: {', '.join(COLUMNS)}; "
                             "e.g. --where architecture=deep")
        rows = [row for row in rows if _text(row[field]) == value]
    if sort is not None:
        if sort not in COLUMNS:
            raise UsageError(f"--sort {sort}: choose one of {', '.join(COLUMNS)}")
        present = [row for row in rows if row[sort] not in (None, "")]
        missing = [row for row in rows if row[sort] in (None, "")]
        numeric = sort in NUMERIC and all(isinstance(row[sort], (int, float)) for row in present)
        present.sort(key=lambda row: -row[sort] if numeric else _text(row[sort]))
        rows = present + missing
    return rows


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}" if value <= 1 else f"{value:.1f}"
    return str(value)


def as_text(rows: list[dict]) -> str:
    headers = ["run", "seed", "architecture", "epochs", "split", "best valid", "final valid", "test", "seconds",
               "date"]
    cells = [[_text(row[column]) or "-" for column in COLUMNS] for row in rows]
    for line, row in zip(cells, rows):
        line[0] += (UNTRUSTED_MARK if "test_untrusted" in row else "") + (SAMPLE_MARK if "sample" in row else "")
    widths = [max(len(header), *(len(line[index]) for line in cells)) if cells else len(header)
              for index, header in enumerate(headers)]
    lines = ["  ".join(header.ljust(width) for header, width in zip(headers, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in cells]
    return "\n".join(lines)


def as_csv(rows: list[dict]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().rstrip("\n")


def as_json(rows: list[dict]) -> str:
    return json.dumps(rows, indent=2)
