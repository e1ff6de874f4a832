"""How long the committed sweeps took to reach their answers, from their own run records.

Writes the table between BENCHMARKS.md's `<!-- sweeps -->` markers: for each sweep, its
values, the runs it trained and the ones it copied (the defaults' run, shared), the
training minutes of the runs it trained, the repeats each value got and why its race
stopped. No training: it reads experiments/*/.

    python scripts/sweep_times.py
"""

import json
import sys
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


def main() -> None:
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
