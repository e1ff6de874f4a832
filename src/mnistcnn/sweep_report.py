"""A sweep's summary, plots and README, drawn only from the files its runs saved.

`mnistcnn plot experiments/NAME` calls `write_sweep_report` without TensorFlow.
"""

import json
from pathlib import Path

import numpy as np

from mnistcnn.errors import InputError
from mnistcnn.files import atomic_write_text, read_csv_columns, write_csv
from mnistcnn.records import RunRecord, read_sweep_run
from mnistcnn.statistics import format_interval, wilson_interval

SUMMARY_COLUMNS = ("best_valid_accuracy", "final_valid_accuracy", "final_valid_loss",
                   "test_accuracy", "epochs", "seconds", "parameters")


def read_runs(sweep_dir: Path) -> dict:
    """Complete runs grouped by value: {value: [{"record", "history", "folder"}, ...]}."""
    runs = {}
    for metrics_path in sorted(Path(sweep_dir).glob("*/seed-*/metrics.json")):
        history_path = metrics_path.with_name("history.csv")
        if not history_path.is_file():
            continue
        record = read_sweep_run(metrics_path.parent)
        runs.setdefault(record.provenance["value"], []).append(
            {"record": record, "history": read_csv_columns(history_path), "folder": metrics_path.parent}
        )
    return runs


def _mean_std(series: list[list[float]]) -> tuple[list, list | None]:
    """Mean (and std when repeated) per epoch over runs, cut to the shortest run."""
    length = min(len(values) for values in series)
    stacked = np.array([values[:length] for values in series])
    std = stacked.std(axis=0).tolist() if len(series) > 1 else None
    return stacked.mean(axis=0).tolist(), std


def valid_images(record: RunRecord) -> int:
    """How many validation images a run was scored on."""
    return record.data.valid if record.data else 0


def summarise(runs: dict) -> list[dict]:
    """Each value's mean and spread of every summary column, and the 95% interval of its
    mean final validation accuracy. A sweep's seeds share one validation split, so the
    interval counts its images once: repeats steady the mean, they add no new images."""
    rows = []
    for value, group in runs.items():
        row = {"value": value, "repeats": len(group)}
        for column in SUMMARY_COLUMNS:
            numbers = np.array([run["record"].sweep_figures()[column] for run in group], dtype=float)
            row[f"{column}_mean"] = float(numbers.mean())
            row[f"{column}_std"] = float(numbers.std())
        count = min(valid_images(run["record"]) for run in group)
        correct = round(row["final_valid_accuracy_mean"] * count)
        row["final_valid_accuracy_low"], row["final_valid_accuracy_high"] = wilson_interval(correct, count)
        rows.append(row)
    return rows


def _ordered(runs: dict, declared: list) -> dict:
    order = [value for value in declared if value in runs] + [v for v in runs if v not in declared]
    return {value: runs[value] for value in order}


def write_sweep_report(sweep_dir: Path) -> list[Path]:
    """Write summary.csv, accuracy.png, loss.png and README.md from the saved runs."""
    from mnistcnn import plots

    sweep_dir = Path(sweep_dir)
    try:
        info = json.loads((sweep_dir / "sweep.json").read_text())
    except (OSError, ValueError):
        raise InputError(f"{sweep_dir} has no readable sweep.json; pass a folder made by `mnistcnn sweep`") from None
    runs = _ordered(read_runs(sweep_dir), info["values"])
    if not runs:
        raise InputError(f"{sweep_dir} has no complete runs yet; run `mnistcnn sweep {info['name']}`")
    rows = summarise(runs)
    header = ["value", "repeats"] + [f"{c}_{s}" for c in SUMMARY_COLUMNS for s in ("mean", "std")] + [
        "final_valid_accuracy_low", "final_valid_accuracy_high"]
    write_csv(sweep_dir / "summary.csv", [header] + [[_format(row[key]) for key in header] for row in rows])

    written = [sweep_dir / "summary.csv"]
    for metric in ("accuracy", "loss"):
        curves = {
            str(value): {
                "train": _mean_std([run["history"][metric] for run in group]),
                "valid": _mean_std([run["history"][f"val_{metric}"] for run in group]),
            }
            for value, group in runs.items()
        }
        title = f"{info['label']} ({info['base_config']['architecture']}): {metric} over epochs"
        written.append(plots.plot_curves(curves, metric, title, sweep_dir / f"{metric}.png"))
    atomic_write_text(sweep_dir / "README.md", sweep_readme(info, rows))
    written.append(sweep_dir / "README.md")
    written.append(write_tensorboard_logs(runs))
    return written


def write_tensorboard_logs(runs: dict) -> str:
    """Each run's TensorBoard folder, HParams session included (see tensorboard_logs.py)."""
    from mnistcnn.config import Config
    from mnistcnn.tensorboard_logs import LOG_FOLDER, write_run_logs

    count = 0
    for group in runs.values():
        for run in group:
            record = run["record"]
            write_run_logs(run["folder"] / LOG_FOLDER, run["history"], Config.from_dict(record.config),
                           record.data.train if record.data else 0, record.sweep_figures())
            count += 1
    return f"{LOG_FOLDER}/ in each of {count} run folders"


def _mean_and_spread(row: dict, column: str) -> str:
    """'0.9890 ± 0.0004' over several seeds, '0.9890' for one, or 'n/a' where the data had no
    such split (Kaggle's train.csv)."""
    mean, std = row[f"{column}_mean"], row[f"{column}_std"]
    if np.isnan(mean):
        return "n/a"
    return f"{mean:.4f} ± {std:.4f}" if row["repeats"] > 1 else f"{mean:.4f}"


def _interval(row: dict) -> str:
    return format_interval((row["final_valid_accuracy_low"], row["final_valid_accuracy_high"]))


def winner_and_ties(rows: list[dict]) -> tuple[dict, list[dict]]:
    """The winner by mean best validation accuracy, and the other values whose final
    validation interval overlaps the winner's: at this size the sweep cannot tell them apart."""
    winner = max(rows, key=lambda row: row["best_valid_accuracy_mean"])
    ties = [row for row in rows if row is not winner
            and row["final_valid_accuracy_high"] >= winner["final_valid_accuracy_low"]
            and row["final_valid_accuracy_low"] <= winner["final_valid_accuracy_high"]]
    return winner, ties


def _winner_sentence(rows: list[dict]) -> str:
    winner, ties = winner_and_ties(rows)
    sentence = (f"Winner by mean best validation accuracy: **{winner['value']}** "
                f"({winner['best_valid_accuracy_mean']:.4f}). ")
    if ties:
        sentence += (f"Within its 95% interval of final validation accuracy: {', '.join(str(row['value']) for row in ties)}, "
                     "so this sweep cannot tell them apart. ")
    return sentence + "Test accuracy is reported, never used to choose."


def summary_text(sweep_dir: Path) -> str:
    """What `mnistcnn sweep` prints when a sweep is done: its table and its winner."""
    sweep_dir = Path(sweep_dir)
    info = json.loads((sweep_dir / "sweep.json").read_text())
    rows = summarise(_ordered(read_runs(sweep_dir), info["values"]))
    width = max(len(str(row["value"])) for row in rows) + 2
    lines = [f"{info['name']}: results in {sweep_dir}",
             f"{'value':{width}}runs  final valid acc   95% interval        test acc"]
    for row in rows:
        lines.append(f"{str(row['value']):{width}}{row['repeats']:<6}{_mean_and_spread(row, 'final_valid_accuracy'):18}"
                     f"{_interval(row):20}{_mean_and_spread(row, 'test_accuracy')}")
    return "\n".join(lines + [_winner_sentence(rows).replace("**", "")])


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def sweep_readme(info: dict, rows: list[dict]) -> str:
    """A table of the results and the winner, chosen by validation accuracy, never test."""
    total_seconds = sum(row["seconds_mean"] * row["repeats"] for row in rows)
    lines = [
        f"# Sweep: {info['label']} (`{info['field']}`)",
        "",
        _winner_sentence(rows),
        "",
        "| value | runs | best valid acc | final valid acc | its 95% interval | final valid loss "
        "| test acc | epochs | s/run | parameters |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['value']} | {row['repeats']} "
            f"| {_mean_and_spread(row, 'best_valid_accuracy')} "
            f"| {_mean_and_spread(row, 'final_valid_accuracy')} | {_interval(row)} "
            f"| {row['final_valid_loss_mean']:.4f} "
            f"| {_mean_and_spread(row, 'test_accuracy')} "
            f"| {row['epochs_mean']:.0f} | {row['seconds_mean']:.0f} | {row['parameters_mean']:.0f} |"
        )
    hardware = info.get("hardware", {})
    lines += [
        "",
        "![accuracy](accuracy.png)",
        "![loss](loss.png)",
        "",
        f"Made by: `{info.get('command') or 'mnistcnn sweep ' + info['name']}`",
        f"on {hardware.get('device', 'unknown hardware')}, TensorFlow {hardware.get('tensorflow', '?')}; "
        f"training time {total_seconds / 60:.1f} min in all.",
        "",
    ]
    return "\n".join(lines)
