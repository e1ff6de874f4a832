"""Where users wait: the five waits issue 28 names, each with its command and machine.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_wait.py

Measures, in fresh processes as a user starts them, with the committed models and their
exported twins: a cold `mnistcnn predict` of one image, `mnistcnn serve` from start to
its first answer, and `mnistcnn evaluate` on the full set (medians of --repeats). The
other two rows are read from committed files, not rerun: a `best` member's CPU-minutes
from the trial and final stories, and the time to 0.990 from scripts/benchmark.py's
benchmarks/results.json (the race takes minutes, and has its own table). Writes
benchmarks/wait.json and the wait table in BENCHMARKS.md.
Not timed here: each command started cold several times; nothing is trained.
"""

import argparse
import io
import json
import os
import socket
import statistics
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
from wall_clock import mnistcnn_command, wall_seconds  # noqa: E402
from mnistcnn.core import cpu_model  # noqa: E402

MODELS = ROOT / "models"
ONE_IMAGE = ROOT / "examples" / "digits" / "digit-0.png"
# The stories behind the CPU-minutes per member of `best` and of issue 28's candidates: the
# writer trials of `strided` (the `best` recipe), those of `quarter` and `half`, and the
# committed members.
MEMBER_STORIES = {
    "`best` (`strided`), writer trial on 48,000 images":
        ("models/trials/writers/strided-seed-*.json", "bash models/trials/writers/writer_trials.sh"),
    "issue 28's candidate `quarter` (it lost; `best` is still `strided`), writer trial on 48,000 images":
        ("models/trials/quarter/quarter-seed-*.json", "bash models/trials/cheaper_best_trials.sh quarter"),
    "issue 28's candidate `half` (it lost too), writer trial on 48,000 images":
        ("models/trials/half/half-seed-*.json", "bash models/trials/cheaper_best_trials.sh half"),
    "committed ensemble member on 60,000 images":
        ("models/mnistcnn-ensemble.json", "bash scripts/final_models.sh"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_first_answer_seconds(repeats: int) -> list[float]:
    """From starting `mnistcnn serve` to its first answer to a drawn digit, asked for as
    soon as the port takes connections (polled every 20 ms)."""
    import httpx
    from PIL import Image

    buffer = io.BytesIO()
    Image.open(ONE_IMAGE).save(buffer, format="PNG")
    seconds = []
    for _ in range(repeats):
        port = free_port()
        start = time.perf_counter()
        server = subprocess.Popen(mnistcnn_command("serve", "--port", port), cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            while True:
                try:
                    answer = httpx.post(f"http://127.0.0.1:{port}/api/predict",
                                        files={"image": ("digit.png", buffer.getvalue(), "image/png")}, timeout=60)
                    answer.raise_for_status()
                    break
                except httpx.TransportError:
                    if server.poll() is not None:
                        raise RuntimeError("mnistcnn serve stopped before answering") from None
                    time.sleep(0.02)
            seconds.append(time.perf_counter() - start)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return seconds


def member_minutes() -> list[dict]:
    """Each `best` recipe's mean CPU-minutes per member, from its stories, with where they ran."""
    rows = []
    for what, (pattern, command) in MEMBER_STORIES.items():
        paths = sorted(ROOT.glob(pattern))
        if not paths:
            continue
        seconds, machines = [], set()
        for path in paths:
            story = json.loads(path.read_text())
            members = story.get("members") or [story]
            seconds += [member["training_seconds"] for member in members]
            machines.add(story.get("device", "an unrecorded machine"))
        rows.append({"what": what, "minutes": statistics.mean(seconds) / 60, "members": len(seconds),
                     "command": command, "machine": " and ".join(sorted(machines))})
    return rows


def race_figures() -> dict | None:
    path = ROOT / "benchmarks" / "results.json"
    if not path.is_file():
        return None
    results = json.loads(path.read_text())
    machine = results["machine"]
    return {"fast": results["mnistcnn"]["median"]["seconds_to_0.990"],
            "keras_example": results["keras_example"]["median"]["seconds_to_0.990"],
            "command": results["command"], "machine": f"{machine['cpu']}, {machine['cores']} cores, {machine['date']}"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=os.environ.get("MNISTCNN_DATA"),
                        help="the full MNIST set, for evaluate (default: MNISTCNN_DATA)")
    parser.add_argument("--repeats", type=int, default=5, help="runs of each measured command")
    arguments = parser.parse_args()
    if not arguments.data:
        sys.exit("evaluate needs the full MNIST set: set MNISTCNN_DATA or pass --data")
    for twin in ("mnistcnn.onnx", "mnistcnn-ensemble.onnx"):
        if not (MODELS / f"{twin}.json").is_file():
            sys.exit(f"models/{twin} has no record: run `mnistcnn export models/{twin[:-5]}.h5 --format onnx`")

    machine = f"{cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} before"
    report_dir = tempfile.mkdtemp(prefix="mnistcnn-wait-report-")
    measured = {
        "cold predict": (mnistcnn_command("predict", ONE_IMAGE.relative_to(ROOT)),
                         "mnistcnn predict examples/digits/digit-0.png"),
        "evaluate": (mnistcnn_command("evaluate", "--data", arguments.data, "--report-dir", report_dir),
                     "mnistcnn evaluate --data ../shared/data/mnist (committed model, valid + test, report written)"),
    }
    results = {"command": "python scripts/benchmark_wait.py" + (
        f" --repeats {arguments.repeats}" if arguments.repeats != 5 else ""),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine}
    for name, (command, shown) in measured.items():
        seconds = wall_seconds(command, arguments.repeats)
        results[name] = {"seconds": seconds, "median": statistics.median(seconds), "command": shown}
    seconds = serve_first_answer_seconds(arguments.repeats)
    results["serve first answer"] = {"seconds": seconds, "median": statistics.median(seconds),
                                     "command": "mnistcnn serve, then one drawn digit posted to /api/predict"}
    results["machine"] += f", {os.getloadavg()[0]:.1f} after"
    results["best member"], results["race"] = member_minutes(), race_figures()
    (ROOT / "benchmarks" / "wait.json").write_text(json.dumps(results, indent=2) + "\n")

    rows = [[f"CPU-minutes per member: {row['what']}", f"{row['minutes']:.1f} (mean of {row['members']})",
             f"`{row['command']}`", row["machine"]] for row in results["best member"]]
    race = results["race"]
    if race:
        rows.append(["seconds of training to test accuracy 0.990, `--preset fast` (Keras example)",
                     f"{race['fast']:.1f} ({race['keras_example']:.1f})", f"`{race['command']}`", race["machine"]])
    for name, what in (("cold predict", "cold `predict` of one image, seconds wall"),
                       ("serve first answer", "`serve`: seconds from start to its first answer"),
                       ("evaluate", "`evaluate` on the full set, seconds wall")):
        rows.append([what, f"{results[name]['median']:.2f} (median of {len(results[name]['seconds'])})",
                     f"`{results[name]['command']}`", f"{results['machine']}, {results['date']}"])
    table = markdown_table(["where users wait", "figure", "command", "machine"], rows)
    table += f"\n\nWritten by `{results['command']}`."
    replace_block(ROOT / "BENCHMARKS.md", "wait", table)
    print(table)


if __name__ == "__main__":
    main()
