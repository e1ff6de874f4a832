"""One race shared by 1, 2 and 3 worker processes: its runs per hour against one process.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_shared_race.py

Each worker count gets a fresh folder and journal file, and starts that many
`mnistcnn sweep pooling --storage journal:FOLDER/study.journal` processes at once, as a
user would on one machine (or on several sharing a disk). The race is the real one
(`--repeats auto`), on the full MNIST set at 2 epochs a run, so the race decides how
many runs it needs; the time is from the first start to the last exit. About 15 minutes
here. Writes benchmarks/shared-race.json and the shared-race table in BENCHMARKS.md.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from wall_clock import mnistcnn_command  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402

SWEEP = "pooling"
EPOCHS = 2
OUTPUT = ROOT / "benchmarks" / "shared-race.json"
COMMAND = "MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_shared_race.py"


def race_once(workers: int, data: str) -> dict:
    """Start `workers` processes on one fresh race; the seconds until the last one exits,
    and the runs and verdicts the race ended with."""
    with tempfile.TemporaryDirectory(prefix="shared-race-") as folder:
        command = mnistcnn_command("sweep", SWEEP, "--data", data, "--epochs", EPOCHS, "--output-dir", folder,
                                   "--storage", f"journal:{folder}/study.journal")
        start = time.perf_counter()
        processes = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                     for _ in range(workers)]
        for process in processes:
            _, error = process.communicate()
            if process.returncode != 0:
                raise RuntimeError(f"a worker failed ({process.returncode}): {error.decode()[-2000:]}")
        seconds = time.perf_counter() - start
        with open(Path(folder) / SWEEP / "summary.csv", newline="") as summary:
            labels = {row["value"]: row["label"] for row in csv.DictReader(summary)}
        runs = len(list((Path(folder) / SWEEP).glob("*/seed-*/config.json")))
        return {"workers": workers, "seconds": round(seconds, 1), "runs": runs,
                "runs_per_hour": round(runs * 3600 / seconds, 1), "labels": labels}


def table(results: list[dict]) -> str:
    alone = results[0]["runs_per_hour"]
    rows = [[result["workers"], f"{result['seconds']:.0f}", result["runs"], f"{result['runs_per_hour']:.0f}",
             f"{result['runs_per_hour'] / alone:.2f}x"] for result in results]
    return markdown_table(["worker processes", "seconds, start to last exit", "runs", "runs per hour",
                           "speed-up against one"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", default="1,2,3", help="Worker counts to time, e.g. 1,2,3.")
    parser.add_argument("--data", default=os.environ.get("MNISTCNN_DATA", "auto"),
                        help="Data source of the race (default: MNISTCNN_DATA, the full set).")
    parser.add_argument("--no-markdown", action="store_true", help="Write the JSON only, not BENCHMARKS.md.")
    parser.add_argument("--markdown-only", action="store_true",
                        help="Rewrite BENCHMARKS.md's table from benchmarks/shared-race.json, training nothing.")
    arguments = parser.parse_args()
    if arguments.markdown_only:
        write_markdown(json.loads(OUTPUT.read_text()))
        return
    results = []
    for workers in (int(count) for count in arguments.workers.split(",")):
        results.append(race_once(workers, arguments.data))
        print(json.dumps(results[-1]), file=sys.stderr)
    record = {"results": results, "sweep": SWEEP, "epochs": EPOCHS, "data": arguments.data,
              "cpu": cpu_model(), "cores": os.cpu_count(), "command": COMMAND,
              "made": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    OUTPUT.write_text(json.dumps(record, indent=2) + "\n")
    if not arguments.no_markdown:
        write_markdown(record)


def write_markdown(record: dict) -> None:
    labels = {json.dumps(result["labels"], sort_keys=True) for result in record["results"]}
    same = "the same labels for every worker count" if len(labels) == 1 else "DIFFERENT labels between worker counts"
    text = (table(record["results"]) + f"\n\n`mnistcnn sweep {record['sweep']} --epochs {record['epochs']} "
            f"--storage journal:…` on the full set ({record['data']}), {record['cores']} cores, {record['cpu']}, "
            f"{record['made']}: {same}. Command: `{record['command']}`.")
    replace_block(ROOT / "BENCHMARKS.md", "shared-race", text)


if __name__ == "__main__":
    main()
