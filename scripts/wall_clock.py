"""Wall time of `mnistcnn` commands in fresh processes, as a user starts them (for the benchmarks)."""

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
