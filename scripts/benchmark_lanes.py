"""How a sweep's runs train fastest on this machine: one at a time on every core, or two
at once each pinned to a core (the lanes of scripts/run_sweeps.sh), in float32; and one at
a time in bfloat16, for scale (a sweep keeps float32: precision is part of a run's identity).

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_lanes.py

Each arrangement trains the same two sweep runs (pooling max and average, repeat 0: the
sweep recipe, 4 epochs on 48,000 images) with `mnistcnn sweep` in fresh processes and
output folders, and is timed from start to end (TensorFlow's start-up included, as a
sweep pays it once per process). About 5 minutes here. Writes benchmarks/lanes.json and
the lanes table in BENCHMARKS.md.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402

VALUES = ("max", "average")


def sweep_command(values: str, output: Path, precision: str) -> list[str]:
    return [sys.executable, "-m", "mnistcnn.cli", "sweep", "pooling", "--values", values, "--repeats", "1",
            "--precision", precision, "--output-dir", str(output)]


def run_seconds(output: Path) -> list[float]:
    return [json.loads(path.read_text())["training_seconds"] for path in sorted(output.glob("**/metrics.json"))]


def arrangement(name: str, work: Path) -> dict:
    output = work / name
    started = time.monotonic()
    if name == "lanes":
        processes = [subprocess.Popen(["taskset", "-c", str(core), *sweep_command(value, output / value, "float32")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for core, value in enumerate(VALUES)]
        if any(process.wait() for process in processes):
            sys.exit("a lane failed; run its command by hand to see why")
    else:
        precision = "mixed_bfloat16" if name == "alone-bfloat16" else "float32"
        subprocess.run(sweep_command(",".join(VALUES), output, precision), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return {"wall_seconds": round(time.monotonic() - started, 1), "training_seconds": run_seconds(output)}


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    if not os.environ.get("MNISTCNN_DATA"):
        sys.exit("set MNISTCNN_DATA to the full MNIST set (the committed figures are on it)")
    work = Path(tempfile.mkdtemp(prefix="lanes-"))
    try:
        results = {name: arrangement(name, work) for name in ("alone-float32", "lanes", "alone-bfloat16")}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown CPU")
    results["machine"] = f"{cpu}, {os.cpu_count()} cores"
    (ROOT / "benchmarks" / "lanes.json").write_text(json.dumps(results, indent=2) + "\n")
    base = results["alone-float32"]["wall_seconds"]
    rows = [[label, f"{results[key]['wall_seconds']:.0f}",
             ", ".join(f"{seconds:.0f}" for seconds in results[key]["training_seconds"]),
             f"{base / results[key]['wall_seconds']:.2f}x"]
            for key, label in (("alone-float32", "one at a time, both cores, float32"),
                               ("lanes", "two at once, one core each, float32"),
                               ("alone-bfloat16", "one at a time, both cores, mixed bfloat16"))]
    replace_block(ROOT / "BENCHMARKS.md", "lanes",
                  markdown_table(["arrangement", "wall seconds for both runs", "each run's training seconds",
                                  "throughput"], rows) + f"\n\nOn {results['machine']}.")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
