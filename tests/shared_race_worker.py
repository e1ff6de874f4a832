"""A worker of a shared sweep race whose training is a fake (tests/fake_sweeps.py): the
real board, claims, heartbeats and race, with runs that take DELAY seconds and whose
errors depend only on the value and the repeat, as a deterministic network's would.

    python tests/shared_race_worker.py STORAGE_URL OUTPUT_DIR DELAY
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fake_sweeps import DATA_FINGERPRINT, outcome, split_of, write_run  # noqa: E402

from mnistcnn.core import get_preset  # noqa: E402
from mnistcnn.sweeps.catalog import get_sweep  # noqa: E402
from mnistcnn.sweeps.race import RaceSettings  # noqa: E402
from mnistcnn.sweeps.runner import SweepRuns  # noqa: E402
from mnistcnn.sweeps.runs import identity, split_fingerprint  # noqa: E402
from mnistcnn.sweeps.shared import Board, run_shared_race  # noqa: E402
from mnistcnn.sweeps.studies import open_storage  # noqa: E402

RATES = {"max": 0.020, "average": 0.0205, "none": 0.060}  # average close enough to max to need more repeats
SETTINGS = RaceSettings(max_repeats=4)
HEARTBEAT, GRACE = 0.3, 2.0


class FakeSplits:
    class source:
        fingerprint = DATA_FINGERPRINT

    def identity(self, run):
        return identity(run.config, DATA_FINGERPRINT, split_fingerprint(split_of(run.repeat)[0]))


def sweep_runs(output_dir: Path) -> SweepRuns:
    base = get_preset("sweep").with_changes(valid_split="writers")
    return SweepRuns(get_sweep("pooling"), base, list(RATES), {}, Path(output_dir) / "pooling", FakeSplits())


def fake_train(runs: SweepRuns, delay: float):
    def train(run):
        time.sleep(delay)
        value_seed = list(RATES).index(run.value)
        write_run(runs.sweep_dir, runs.base, runs.changes[run.value], run.value, run.repeat,
                  outcome(RATES[run.value], run.repeat, value_seed), folder=run.folder)
    return train


def work(storage_url: str, output_dir: Path, delay: float) -> list:
    runs = sweep_runs(output_dir)
    board = Board(open_storage(storage_url, output_dir), "sweep-pooling-test", HEARTBEAT, GRACE)
    return run_shared_race(runs, SETTINGS, board, fake_train(runs, delay), poll_seconds=0.2)


if __name__ == "__main__":
    work(sys.argv[1], Path(sys.argv[2]), float(sys.argv[3]))
