"""The test suite as CI runs it: `.ci/run` in fresh clones, timed, with its slowest tests.

    python scripts/benchmark_suite.py --runs 3

Clones the repository's HEAD beside it (so `../shared/data/mnist` is found as CI finds
it), runs `.ci/run` (a new virtual environment, the install and the README's test
command) and times it from start to exit, `--runs` times one after another. 9.5 to 9.8
minutes a run here (benchmarks/suite.json). Writes benchmarks/suite.json and the suite table in BENCHMARKS.md.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "suite.json"
COMMAND = "python scripts/benchmark_suite.py --runs 3"


def one_run(index: int) -> dict:
    clone = ROOT.parent / f"suite-clone-{index}"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    start = time.perf_counter()
    finished = subprocess.run([str(clone / ".ci" / "run")], cwd=clone, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = finished.stdout + finished.stderr
    (ROOT.parent / f"suite-clone-{index}.log").write_text(output)  # beside the clone, for a failure's story
    summary = re.findall(r"=+ (.*?) in ([\d.]+)s", output)
    slowest = re.findall(r"^([\d.]+)s (call|setup|teardown)\s+(\S+)$", output, flags=re.M)
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    shutil.rmtree(clone, ignore_errors=True)
    return {"seconds": round(seconds, 1), "exit_code": finished.returncode, "commit": commit,
            "pytest": summary[-1][0] if summary else "no summary",
            "pytest_seconds": float(summary[-1][1]) if summary else None,
            "failed": re.findall(r"^_{3,} (test\S+) _{3,}$", output, flags=re.M),
            "slowest": [{"seconds": float(took), "test": name} for took, _, name in slowest[:10]]}


def write_markdown(record: dict) -> None:
    runs = record["runs"]
    rows = [[index + 1, run["commit"], f"{run['seconds'] / 60:.1f}", f"{run['pytest_seconds'] / 60:.1f}",
             run["pytest"], run["exit_code"]] for index, run in enumerate(runs)]
    text = markdown_table(["run", "commit", "minutes, .ci/run start to exit", "minutes in pytest", "pytest says",
                           "exit code"], rows)
    text += "\n\nThe ten slowest tests of the last run:\n\n" + markdown_table(
        ["seconds", "test"], [[f"{test['seconds']:.1f}", f"`{test['test']}`"] for test in runs[-1]["slowest"]])
    text += (f"\n\nFresh clones, one after another, on {record['cpu']}, {record['made']}. "
             f"Command: `{record['command']}`.")
    replace_block(ROOT / "BENCHMARKS.md", "suite", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="Fresh-clone runs of .ci/run, one after another.")
    arguments = parser.parse_args()
    runs = []
    for index in range(arguments.runs):
        runs.append(one_run(index))
        shown = {key: runs[-1][key] for key in ("seconds", "exit_code", "pytest", "failed")}
        print(json.dumps(shown), file=sys.stderr)
    record = {"runs": runs, "cpu": cpu_model(), "command": COMMAND,
              "made": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    OUTPUT.write_text(json.dumps(record, indent=2) + "\n")
    write_markdown(record)


if __name__ == "__main__":
    main()
