"""The one sweep runner: trains every value (and seed) of a sweep through `train()`.

Each run is a folder `SWEEP/VALUE/seed-N/` with `config.json` (written first),
`history.csv` (renamed into place when training ends) and `metrics.json` (written
last: its presence means the run is complete). A rerun skips complete runs whose
config matches and redoes anything else, so an interrupted sweep resumes. One lock
file per sweep keeps two processes from writing the same sweep.
"""

import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.config import Config
from mnistcnn.errors import UsageError
from mnistcnn.files import atomic_write_text
from mnistcnn.sweeps import Sweep


@dataclass(frozen=True)
class Run:
    value: object
    config: Config
    folder: Path

    def is_complete(self) -> bool:
        """Finished earlier with exactly this config."""
        try:
            saved = json.loads((self.folder / "config.json").read_text())
        except (OSError, ValueError):
            return False
        return (self.folder / "metrics.json").is_file() and saved == self.config.to_dict()


def plan_runs(sweep: Sweep, base: Config, values, repeats: int, sweep_dir: Path) -> list[Run]:
    """Every (value, seed) of the sweep, each with its config and folder."""
    if repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {repeats}")
    runs = []
    for value in values:
        for repeat in range(repeats):
            config = base.with_changes(**{sweep.field: value, "seed": base.seed + repeat})
            runs.append(Run(value, config, sweep_dir / str(value) / f"seed-{config.seed}"))
    return runs


def check_architecture_uses(sweep: Sweep, architecture: str) -> None:
    """Refuse a sweep over a field the architecture has no layer for (e.g. pooling on m3)."""
    from mnistcnn.models import ARCHITECTURES

    structural = set().union(*(entry.uses for entry in ARCHITECTURES.values()))
    if sweep.field in structural and sweep.field not in ARCHITECTURES[architecture].uses:
        users = [name for name, entry in ARCHITECTURES.items() if sweep.field in entry.uses]
        raise UsageError(
            f"architecture '{architecture}' has no {sweep.field} to sweep; use --architecture "
            f"{' or '.join(users)}"
        )


@contextmanager
def sweep_lock(sweep_dir: Path):
    """Hold `SWEEP/.lock` for the duration; refuse if another live process holds it."""
    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = sweep_dir / ".lock"
    while True:
        try:
            descriptor = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            break
        except FileExistsError:
            try:
                owner = int(lock.read_text() or 0)
                os.kill(owner, 0)
            except (ValueError, ProcessLookupError, FileNotFoundError):
                lock.unlink(missing_ok=True)  # left by a process that died: take it over
                continue
            except PermissionError:
                pass  # alive, owned by another user
            raise UsageError(
                f"sweep folder {sweep_dir} is in use by process {owner}; wait for it, or use "
                "another --output-dir"
            ) from None
    try:
        os.write(descriptor, str(os.getpid()).encode())
        os.close(descriptor)
        yield
    finally:
        lock.unlink(missing_ok=True)


class Progress:
    """Prints which run of how many, epoch progress and an estimate of the time left."""

    def __init__(self, sweep_name: str, runs: list[Run], stream=sys.stderr):
        self.sweep_name, self.stream = sweep_name, stream
        self.epochs_left = sum(run.config.epochs for run in runs)
        self.total_runs, self.run_index = len(runs), 0
        self.seconds_spent, self.epochs_done = 0.0, 0

    def start_run(self, run: Run) -> None:
        self.run_index += 1
        self.current = run

    def epoch_done(self, epoch: int, logs: dict) -> None:
        self.epochs_done += 1
        self.epochs_left -= 1
        self.seconds_spent += logs.get("seconds", 0.0)
        left = self.epochs_left * self.seconds_spent / self.epochs_done
        print(
            f"{self.sweep_name} run {self.run_index}/{self.total_runs} "
            f"({self.current.value}, seed {self.current.config.seed}) epoch {epoch + 1}/"
            f"{self.current.config.epochs}: val_accuracy {logs.get('val_accuracy', 0):.4f}, "
            f"about {_duration(left)} left",
            file=self.stream, flush=True,
        )

    def run_finished_early(self, run: Run, epochs_run: int) -> None:
        self.epochs_left -= run.config.epochs - epochs_run


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def execute_run(run: Run, dataset, progress: Progress, hardware: dict, strategy=None) -> dict:
    """Train one run into its folder and return its metrics."""
    from mnistcnn.evaluation import evaluate
    from mnistcnn.runtime import import_keras
    from mnistcnn.training import train

    keras = import_keras()
    if run.folder.exists():
        shutil.rmtree(run.folder)  # a partial run from an interrupted sweep: redo it
    run.folder.mkdir(parents=True)
    atomic_write_text(run.folder / "config.json", run.config.to_json() + "\n")

    reporter = keras.callbacks.LambdaCallback(on_epoch_end=progress.epoch_done)
    result = train(run.config, dataset, history_path=run.folder / "history.csv",
                   callbacks=(reporter,), verbose=0, strategy=strategy)
    progress.run_finished_early(run, result.epochs_run)
    measured, _ = evaluate(result.model, dataset, splits=("valid", "test"))
    history = result.history
    metrics = {
        "value": run.value,
        "seed": run.config.seed,
        "best_valid_accuracy": max(history["val_accuracy"]),
        "final_valid_accuracy": history["val_accuracy"][-1],
        "final_valid_loss": history["val_loss"][-1],
        "test_accuracy": measured["test"]["accuracy"],
        "test_loss": measured["test"]["loss"],
        "epochs": result.epochs_run,
        "best_epoch": result.best_epoch,
        "seconds": round(result.seconds, 2),
        "parameters": int(result.model.count_params()),
        "precision": result.precision,
        "data": dataset.describe().removeprefix("data: "),
        **hardware,
    }
    atomic_write_text(run.folder / "metrics.json", json.dumps(metrics, indent=2) + "\n")
    return metrics


def run_sweep(sweep: Sweep, base: Config, values, repeats: int, dataset, output_dir: Path,
              force: bool = False, hardware: dict | None = None, command: str = "",
              shard: tuple[int, int] = (1, 1), strategy=None) -> Path:
    """Run every missing (value, seed) of `sweep`, then write its summary and plots.

    `shard=(K, N)` runs only the K-th of every N runs, so N machines can share a sweep.

    Returns:
        The sweep folder.
    """
    from mnistcnn.sweep_report import write_sweep_report

    check_architecture_uses(sweep, base.architecture)
    sweep_dir = Path(output_dir) / sweep.name
    shard_index, shard_count = shard
    runs = plan_runs(sweep, base, values, repeats, sweep_dir)[shard_index - 1::shard_count]
    with sweep_lock(sweep_dir):
        atomic_write_text(sweep_dir / "sweep.json", json.dumps({
            "name": sweep.name, "field": sweep.field, "label": sweep.label,
            "values": list(values), "repeats": repeats, "base_config": base.to_dict(),
            "command": command, "hardware": hardware or {},
        }, indent=2) + "\n")
        to_do = [run for run in runs if force or not run.is_complete()]
        done_before = len(runs) - len(to_do)
        print(f"{sweep.name}: {len(runs)} runs, {done_before} already complete, {len(to_do)} to train",
              file=sys.stderr, flush=True)
        progress = Progress(sweep.name, to_do)
        finished = []
        try:
            for run in to_do:
                progress.start_run(run)
                execute_run(run, dataset, progress, {"device": (hardware or {}).get("device", "")}, strategy)
                finished.append(run)
        except KeyboardInterrupt:
            names = ", ".join(f"{run.value}/seed-{run.config.seed}" for run in finished) or "none"
            print(f"\n{sweep.name}: interrupted. Finished this time: {names}. Rerun the same command "
                  "to train only what is missing.", file=sys.stderr, flush=True)
            raise
        write_sweep_report(sweep_dir)
    return sweep_dir
