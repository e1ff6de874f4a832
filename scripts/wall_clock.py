"""The benchmark scripts' timers: the wall time of `mnistcnn` commands in fresh processes, as a
user starts them, and the seconds of a training pass once tracing is paid."""

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def mnistcnn_command(*arguments) -> list[str]:
    """`mnistcnn ARGUMENTS` as the installed script runs it, from this interpreter."""
    return [sys.executable, "-m", "mnistcnn.cli", *map(str, arguments)]


def wall_seconds(command: list[str], repeats: int) -> list[float]:
    """Seconds from start to exit of `command`, run `repeats` times from the project folder."""
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
        seconds.append(time.perf_counter() - start)
    return seconds


def warm_fit_seconds(fit, images: int, warm_up_images: int) -> float:
    """Seconds of `fit(images)`, after `fit(warm_up_images)` has paid for tracing the graph.

    `fit(n)` trains the model one epoch on its first n training images."""
    fit(warm_up_images)
    start = time.perf_counter()
    fit(images)
    return time.perf_counter() - start
