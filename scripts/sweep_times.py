"""How long the committed sweeps took to reach their answers, from their own run records.

Writes the table between BENCHMARKS.md's `<!-- sweeps -->` markers: for each sweep, its
values, the runs it trained and the ones it copied (the defaults' run, shared), the
training minutes of the runs it trained, the repeats each value got and why its race
stopped. No training: it reads experiments/*/.

    python scripts/sweep_times.py
    python scripts/sweep_times.py --since 2026-12-06   # also: the wall time of the runs trained since then

`--since DATE` adds, for the runs trained (not copied) from DATE on, sweeps and replications
alike, how many there are, the wall time from the first one's start to the last one's end,
and their mean training seconds (issue 36's runs: BENCHMARKS.md's "Two lanes" reading).
Instant: it reads the runs' records.
"""

import argparse
import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

from markdown_blocks import markdown_table, replace_block

from mnistcnn.sweeps.report import read_results

ROOT = Path(__file__).resolve().parents[1]


def sweep_row(folder: Path) -> tuple[list, float]:
    results = read_results(folder)
    runs = [run for finished in results.runs.values() for run in finished.values()]
    trained = [run for run in runs if "copied_from" not in run.record.provenance]
    seconds = sum(run.record.training_seconds or 0.0 for run in trained)
    repeats = ", ".join(f"{value} {len(finished)}" for value, finished in results.runs.items())
    return [f"[{folder.name}](experiments/{folder.name}/)", len(results.runs), len(trained), len(runs) - len(trained),
            f"{seconds / 60:.1f}", f"{seconds / len(trained):.0f}" if trained else "n/a", repeats,
            results.stopped or "not finished"], seconds


def runs_since(day: str) -> str:
    """One line: the runs trained from `day` on, their wall time and mean training seconds."""
    runs = []
    for path in (ROOT / "experiments").glob("**/seed-*/metrics.json"):
        record = json.loads(path.read_text())
        if record.get("date", "") >= day and "copied_from" not in record:
            end = datetime.fromisoformat(record["date"])
            runs.append((end - timedelta(seconds=record["training_seconds"]), end, record["training_seconds"]))
    if not runs:
        return f"no runs trained since {day}"
    wall = max(end for _, end, _ in runs) - min(start for start, _, _ in runs)
    return (f"{len(runs)} runs trained since {day}: {wall.total_seconds() / 60:.1f} min of wall time "
            f"({min(start for start, _, _ in runs):%H:%M} to {max(end for _, end, _ in runs):%H:%M} UTC), "
            f"{sum(seconds for _, _, seconds in runs) / len(runs):.0f} s of training a run")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--since", metavar="DATE", help="also report the runs trained from DATE (YYYY-MM-DD) on")
    arguments = parser.parse_args()
    if arguments.since:
        print(runs_since(arguments.since))
    folders = sorted(path.parent for path in (ROOT / "experiments").glob("*/summary.csv"))
    if not folders:
        sys.exit("no committed sweeps under experiments/")
    rows, total = [], 0.0
    for folder in folders:
        row, seconds = sweep_row(folder)
        rows.append(row)
        total += seconds
    devices = sorted({json.loads((folder / "sweep.json").read_text()).get("hardware", {}).get("device", "?")
                      for folder in folders})
    table = markdown_table(["sweep", "values", "runs trained", "runs copied", "training min", "s a run",
                            "repeats a value", "the race"], rows)
    replace_block(ROOT / "BENCHMARKS.md", "sweeps", table + f"\n\n{total / 60:.1f} training minutes in all, on "
                  f"{'; '.join(devices)}. Command: `python scripts/sweep_times.py` (reads the runs' records).")


if __name__ == "__main__":
    main()
