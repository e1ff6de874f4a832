"""A sweep's comparison, summary, plots and README, drawn only from the files its runs saved.

`mnistcnn plot experiments/NAME` redoes every comparison from the saved predictions
(paired.py), so it gives the same labels as the sweep did, without training. Only the
runs of the sweep's own plan count; any other finished run in its folder is named, never
averaged in.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.core import Config
from mnistcnn.core import InputError
from mnistcnn.core import atomic_write_text, write_csv
from mnistcnn.sweeps.paired import TIE_POINTS, compare_all
from mnistcnn.sweeps.race import RaceSettings, next_round
from mnistcnn.sweeps.runs import (differences, planned_identity, planned_runs, read_finished, sweep_info,
                                  trained_seconds)


@dataclass(frozen=True)
class SweepResults:
    info: dict
    runs: dict  # value -> {repeat: FinishedRun}, the plan's finished runs, in the sweep's order
    stale: list  # folders of finished runs that are not the plan's
    leader: object
    comparisons: dict  # value -> Comparison with the leader
    stopped: str | None  # why the race stopped, or None while it goes on

    def row_of(self, value) -> dict:
        """One value's figures: repeats, errors, the comparison and the run means."""
        finished = self.runs[value]
        records = [run.record for run in finished.values()]
        errors = sum(run.outcome.errors for run in finished.values())
        images = sum(len(run.outcome.index) for run in finished.values())
        row = {"value": value, "repeats": len(finished), "errors": errors, "images": images,
               "error_rate": 100.0 * errors / images if images else float("nan")}
        comparison = self.comparisons.get(value)
        if comparison is None:
            row.update(verdict="leader", label="leader", decided=True, difference=0, low=0.0, high=0.0,
                       p_beats_leader=float("nan"), sign_test_p=float("nan"), compared_images=images,
                       only_value=0, only_leader=0)
        else:
            label = comparison.label()
            if not comparison.decided and self.stopped:
                # The race is over and this value never got inside ±TIE_POINTS: say so, with the bound it reached.
                label = f"undecided after {comparison.repeats} repeats, {label}"
            row.update(verdict=comparison.verdict, label=label, decided=comparison.decided,
                       difference=comparison.difference, low=comparison.low, high=comparison.high,
                       p_beats_leader=comparison.p_beats_leader, sign_test_p=comparison.sign_test_p,
                       compared_images=comparison.images, only_value=comparison.only_value,
                       only_leader=comparison.only_leader)
        for column, figure in (("valid_accuracy", "final_valid_accuracy"), ("best_valid_accuracy", "best_valid_accuracy"),
                               ("test_accuracy", "test_accuracy"), ("seconds", "seconds"), ("parameters", "parameters")):
            numbers = [record.sweep_figures()[figure] for record in records]
            row[column] = float(np.mean([np.nan if n is None else n for n in numbers]))
        return row

    def rows(self) -> list[dict]:
        return [self.row_of(value) for value in self.runs]


def read_results(sweep_dir: Path) -> SweepResults:
    """The sweep's plan, its finished runs, and every comparison redone from the predictions.

    Raises:
        InputError: not a sweep folder, no finished run of its plan yet, or two runs of
            one repeat that saw different validation images.
    """
    sweep_dir = Path(sweep_dir)
    info = sweep_info(sweep_dir)
    runs, counted = {}, set()
    for value, planned in planned_runs(sweep_dir, info).items():
        for run in planned:
            if differences(run.folder, planned_identity(run, info)) == []:
                runs.setdefault(value, {})[run.repeat] = read_finished(run)
                counted.add(run.folder.resolve())
    stale = [folder.parent for folder in sorted(sweep_dir.glob("*/seed-*/metrics.json"))
             if folder.parent.resolve() not in counted]
    if not runs:
        raise InputError(f"{sweep_dir} has no complete runs of its plan yet; run `mnistcnn sweep {info['name']}`")
    outcomes = {value: {repeat: run.outcome for repeat, run in finished.items()} for value, finished in runs.items()}
    try:
        leader, comparisons = compare_all(outcomes) if len(runs) > 1 else (next(iter(runs)), {})
    except ValueError as error:  # runs of one repeat on other images: each passed its own check
        raise InputError(f"{sweep_dir}: {error}") from None
    race = info.get("race", {})
    settings = RaceSettings(race.get("repeats"), race.get("max_repeats", 2), race.get("budget_minutes"))
    seconds = {(value, repeat): trained_seconds(run.record)
               for value, finished in runs.items() for repeat, run in finished.items()}
    state = next_round(list(info["values"]), outcomes, settings, seconds)
    return SweepResults(info, runs, stale, leader, comparisons, state.stopped)


SUMMARY_COLUMNS = ("value", "repeats", "errors", "images", "error_rate", "verdict", "label", "decided",
                   "difference", "low", "high", "compared_images", "only_value", "only_leader", "p_beats_leader",
                   "sign_test_p", "valid_accuracy", "best_valid_accuracy", "test_accuracy", "seconds", "parameters")


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def write_sweep_report(sweep_dir: Path) -> list[Path]:
    """Write summary.csv, accuracy.png, loss.png, difference.png and README.md from the saved runs."""
    from mnistcnn.reports import plots

    sweep_dir = Path(sweep_dir)
    results = read_results(sweep_dir)
    rows = results.rows()
    # A value is written as its folder is named (0.0, not 0), so the two always match.
    write_csv(sweep_dir / "summary.csv", [list(SUMMARY_COLUMNS)] + [
        [str(row[key]) if key == "value" else _format(row[key]) for key in SUMMARY_COLUMNS] for row in rows])
    written = [sweep_dir / "summary.csv"]
    info = results.info
    for metric in ("accuracy", "loss"):
        curves = {
            str(value): {
                "train": _mean_std([run.history[metric] for run in finished.values()]),
                "valid": _mean_std([run.history[f"val_{metric}"] for run in finished.values()]),
            }
            for value, finished in results.runs.items()
        }
        title = f"{info['label']} ({info['base_config']['architecture']}): {metric} over epochs"
        written.append(plots.plot_curves(curves, metric, title, sweep_dir / f"{metric}.png"))
    written.append(plots.plot_differences(
        [{"label": str(row["value"]), "difference": _points(row, row["difference"]), "low": _points(row, row["low"]),
          "high": _points(row, row["high"]), "kind": _kind(row)} for row in rows],
        TIE_POINTS, f"{info['label']}: validation error against the leader, {results.leader}",
        sweep_dir / "difference.png"))
    atomic_write_text(sweep_dir / "README.md", sweep_readme(results, rows))
    written.append(sweep_dir / "README.md")
    written.append(write_tensorboard_logs(results))
    return written


def _points(row: dict, errors: float) -> float:
    return 100.0 * errors / row["compared_images"] if row["compared_images"] else float("nan")


def _kind(row: dict) -> str:
    """leader, decided (worse or better), tie (within the threshold) or open (not decided yet)."""
    if row["verdict"] == "leader":
        return "leader"
    if row["verdict"] != "tie":
        return "decided"
    return "tie" if row["decided"] else "open"


def _label_words(row: dict) -> str:
    """The label, marked while the race may still decide it (once over, the label says so itself)."""
    if row["decided"] or row["label"].startswith("undecided"):
        return row["label"]
    return f"{row['label']} (not decided)"


def _mean_std(series: list[list[float]]) -> tuple[list, list | None]:
    """Mean (and std when repeated) per epoch over runs, cut to the shortest run."""
    length = min(len(values) for values in series)
    stacked = np.array([values[:length] for values in series])
    std = stacked.std(axis=0).tolist() if len(series) > 1 else None
    return stacked.mean(axis=0).tolist(), std


def write_tensorboard_logs(results: SweepResults) -> str:
    """Each run's TensorBoard folder, HParams session included (see tensorboard_logs.py).
    A finished run never changes, so a folder already written is left as it is: redrawing
    a sweep leaves its event files, names and all, untouched."""
    from mnistcnn.reports import LOG_FOLDER, write_run_logs

    written = 0
    for finished in results.runs.values():
        for run in finished.values():
            if (run.run.folder / LOG_FOLDER).is_dir():
                continue
            record = run.record
            write_run_logs(run.run.folder / LOG_FOLDER, run.history, Config.from_dict(record.config),
                           record.data.train if record.data else 0, record.sweep_figures())
            written += 1
    return f"{LOG_FOLDER}/ in {written} new run folder{'s' if written != 1 else ''}"


def verdict_sentence(results: SweepResults, rows: list[dict]) -> str:
    """What the sweep decided, in words: the leader, the values decided against it, the ties."""
    leader = next(row for row in rows if row["verdict"] == "leader")
    sentence = (f"Leader: **{leader['value']}** ({leader['errors']} validation errors in {leader['images']} images "
                f"over {leader['repeats']} repeat{'s' if leader['repeats'] != 1 else ''}, "
                f"{leader['error_rate']:.2f}%).")
    decided = [row for row in rows if _kind(row) == "decided"]
    ties = [row for row in rows if _kind(row) in ("tie", "open")]
    if decided:
        sentence += " Decided: " + "; ".join(f"{row['value']} {row['label']}" for row in decided) + "."
    if ties:
        sentence += " " + "; ".join(f"{row['value']}: {_label_words(row)}"
                                    for row in ties) + "."
    return sentence + " Differences are in points of validation error; test accuracy is reported, never used to choose."


def _probability(value: float) -> str:
    return "" if np.isnan(value) else f"{value:.2f}"


def sweep_readme(results: SweepResults, rows: list[dict]) -> str:
    info = results.info
    hardware = info.get("hardware", {})
    total_seconds = sum(run.record.training_seconds or 0.0 for finished in results.runs.values()
                        for run in finished.values() if "copied_from" not in run.record.provenance)
    lines = [
        f"# Sweep: {info['label']} (`{info['field']}`)",
        "",
        verdict_sentence(results, rows),
        "",
        "| value | repeats | valid errors | error % | against the leader | P(beats leader) | sign test p "
        "| valid acc | test acc | s/run | parameters |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        lines.append(
            f"| {row['value']} | {row['repeats']} | {row['errors']} / {row['images']} | {row['error_rate']:.2f} "
            f"| {_label_words(row)} | {_probability(row['p_beats_leader'])} "
            f"| {_probability(row['sign_test_p'])} | {row['valid_accuracy']:.4f} "
            f"| {'n/a' if np.isnan(row['test_accuracy']) else format(row['test_accuracy'], '.4f')} "
            f"| {row['seconds']:.0f} | {row['parameters']:.0f} |")
    lines += ["", f"The race: {results.stopped or 'still going: rerun the command to go on'}."]
    if results.stale:
        lines += ["", "Not counted (finished runs of another plan): "
                  + ", ".join(str(folder.relative_to(Path(folder).parents[1])) for folder in results.stale) + "."]
    lines += [
        "",
        "![difference from the leader](difference.png)",
        "![accuracy](accuracy.png)",
        "![loss](loss.png)",
        "",
        f"Made by: `{info.get('command') or 'mnistcnn sweep ' + info['name']}`",
        f"on {hardware.get('device', 'unknown hardware')}, TensorFlow {hardware.get('tensorflow', '?')}; "
        f"training time {total_seconds / 60:.1f} min in all.",
        "",
    ]
    return "\n".join(lines)


def summary_text(sweep_dir: Path) -> str:
    """What `mnistcnn sweep` prints when a sweep is done: its table and what it decided."""
    results = read_results(sweep_dir)
    rows = results.rows()
    width = max(len("value"), *(len(str(row["value"])) for row in rows)) + 2
    lines = [f"{results.info['name']}: results in {sweep_dir}",
             f"{'value':{width}}repeats  error %  against the leader"]
    for row in rows:
        words = "leader" if row["verdict"] == "leader" else (
            row["label"] if row["label"].startswith("undecided") else
            f"{'decided: ' if row['decided'] else 'not decided: '}{row['label']}")
        lines.append(f"{str(row['value']):{width}}{row['repeats']:<9}{row['error_rate']:<9.2f}{words}")
    lines.append(f"The race: {results.stopped or 'still going: rerun the command to go on'}.")
    if results.stale:
        lines.append(f"Not counted: {len(results.stale)} finished run(s) of another plan (see README.md).")
    return "\n".join(lines)
