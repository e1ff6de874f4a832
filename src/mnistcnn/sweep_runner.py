"""The one sweep runner: trains every value (and seed) of a sweep through `train()`.

Each run is a folder `SWEEP/VALUE/seed-N/` with `config.json` (written first),
`history.csv` (renamed into place when training ends) and `metrics.json` (written
last: its presence means the run is complete). A rerun skips complete runs whose
config and data match and redoes unfinished ones, so an interrupted sweep resumes; a
finished run with other settings is kept, and the sweep refused, unless `force`. One
lock file per sweep keeps two processes from writing the same sweep.
"""

import json
from datetime import datetime, timezone
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.config import Config
from mnistcnn.errors import UsageError
from mnistcnn.records import DataRecord, RunRecord, read_sweep_run
from mnistcnn.status import say
from mnistcnn.files import atomic_write_text
from mnistcnn.sweeps import Sweep


@dataclass(frozen=True)
class Run:
    value: object
    config: Config
    folder: Path

    def differences(self, data: DataRecord) -> list[str] | None:
        """How a finished run in this folder differs from this one: None if none finished,
        [] if it matches (so it can be skipped), else the differing settings.

        Configs compare with defaults filled in, so a run saved before a field was added
        still matches; the data compares by source and split sizes, not by where it lay.
        """
        try:
            record = read_sweep_run(self.folder)
            saved = Config.from_dict(record.config)
        except (OSError, ValueError, KeyError, TypeError, UsageError):
            return None
        changed = [f"{field} {value} (now {getattr(self.config, field)})"
                   for field, value in saved.to_dict().items() if getattr(self.config, field) != value]
        saved_data = record.data
        if not data.same_data(saved_data):
            changed.append(f"data {saved_data.summary() if saved_data else 'unknown'} (now {data.summary()})")
        return changed


def plan_runs(sweep: Sweep, base: Config, values, repeats: int, sweep_dir: Path,
              shard: tuple[int, int] = (1, 1)) -> list[Run]:
    """Every (value, seed) of the sweep, each with its config and folder; with `shard=(K, N)`
    only the K-th of every N."""
    if repeats < 1:
        raise UsageError(f"--repeats must be >= 1, got {repeats}")
    runs = []
    for value in values:
        for repeat in range(repeats):
            config = base.with_changes(**{sweep.field: value, "seed": base.seed + repeat})
            runs.append(Run(value, config, sweep_dir / str(value) / f"seed-{config.seed}"))
    shard_index, shard_count = shard
    return runs[shard_index - 1::shard_count]


def refuse_conflicts(runs: list[Run], data: DataRecord, force: bool) -> dict:
    """Refuse to replace finished runs made with other settings, unless `force`.

    Returns:
        Each run folder's differences (see `Run.differences`).
    """
    states = {run.folder: run.differences(data) for run in runs}
    conflicts = [run for run in runs if states[run.folder]]
    if conflicts and not force:
        first = conflicts[0]
        raise UsageError(
            f"{first.folder} holds a finished run with other settings: {', '.join(states[first.folder])}; "
            "rerun with the same settings to resume, pass another --output-dir, or --force to replace "
            + ("it" if len(conflicts) == 1 else f"all {len(conflicts)} such runs")
        )
    return states


def check_before_training(sweep: Sweep, base: Config, values, repeats: int, output_dir: Path, data: DataRecord,
                          force: bool = False, shard: tuple[int, int] = (1, 1)) -> None:
    """What would stop a sweep part-way, checked before its first minute of training: a field
    the architecture lacks, a value whose network does not fit 28x28, finished runs with other
    settings. `mnistcnn sweep all` checks every sweep so, before training any."""
    from mnistcnn.models import build_model
    from mnistcnn.runtime import import_keras

    check_architecture_uses(sweep, base.architecture)
    for value in values:
        build_model(base.with_changes(**{sweep.field: value}))  # a UsageError for impossible geometry
    import_keras().backend.clear_session()
    refuse_conflicts(plan_runs(sweep, base, values, repeats, Path(output_dir) / sweep.name, shard), data, force)


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
    """Hold the sweep folder's lock for the duration; refuse if another process holds it.

    An OS lock (filelock: flock on Unix, LockFileEx on Windows) is released by the
    kernel when its process ends however it ends, so there is no stale lock to judge
    and no window between creating a lock and claiming it.
    """
    from filelock import FileLock, Timeout

    sweep_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(sweep_dir / ".lock", timeout=0)
    try:
        lock.acquire()
    except Timeout:
        raise UsageError(
            f"sweep folder {sweep_dir} is in use by another mnistcnn process; wait for it to finish, "
            "or use another --output-dir"
        ) from None
    try:
        yield
    finally:
        lock.release()


class Progress:
    """Prints which run of how many, epoch progress and an estimate of the time left."""

    def __init__(self, sweep_name: str, runs: list[Run]):
        self.sweep_name = sweep_name
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
        say(
            f"{self.sweep_name} run {self.run_index}/{self.total_runs} "
            f"({self.current.value}, seed {self.current.config.seed}) epoch {epoch + 1}/"
            f"{self.current.config.epochs}: val_accuracy {logs.get('val_accuracy', 0):.4f}, "
            f"about {_duration(left)} left"
        )

    def run_finished_early(self, run: Run, epochs_run: int) -> None:
        self.epochs_left -= run.config.epochs - epochs_run


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def execute_run(run: Run, dataset, progress: Progress, hardware: dict, strategy=None) -> RunRecord:
    """Train one run into its folder and return its record."""
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
    # Kaggle's train.csv has no test split: the record then has none, shown as n/a.
    measured, _ = evaluate(result.model, dataset, splits=("test",))
    history = result.history
    # The validation figures of a sweep are its training curve's: the last epoch's, and the best.
    valid = {"n": len(dataset.y_valid), "accuracy": history["val_accuracy"][-1], "loss": history["val_loss"][-1],
             "best_accuracy": max(history["val_accuracy"])}
    record = RunRecord(
        config=run.config.to_dict(), data=dataset.record(), metrics={"valid": valid, **measured},
        epochs_run=result.epochs_run, best_epoch=result.best_epoch, training_seconds=round(result.seconds, 2),
        precision=result.precision,
        provenance={"value": run.value, "parameters": int(result.model.count_params()),
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **hardware})
    atomic_write_text(run.folder / "metrics.json", json.dumps(record.to_json(), indent=2) + "\n")
    return record


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
    runs = plan_runs(sweep, base, values, repeats, sweep_dir, shard)
    with sweep_lock(sweep_dir):
        states = refuse_conflicts(runs, dataset.record(), force)
        to_do = [run for run in runs if force or states[run.folder] != []]
        # The command and machine that made the results: a rerun that trains nothing
        # leaves them as they were.
        if to_do or not (sweep_dir / "sweep.json").is_file():
            atomic_write_text(sweep_dir / "sweep.json", json.dumps({
                "name": sweep.name, "field": sweep.field, "label": sweep.label,
                "values": list(values), "repeats": repeats, "base_config": base.to_dict(),
                "command": command, "hardware": hardware or {},
            }, indent=2) + "\n")
        done_before = len(runs) - len(to_do)
        say(f"{sweep.name}: {len(runs)} runs, {done_before} already complete, {len(to_do)} to train")
        progress = Progress(sweep.name, to_do)
        try:
            for run in to_do:
                progress.start_run(run)
                execute_run(run, dataset, progress, {"device": (hardware or {}).get("device", "")}, strategy)
        except KeyboardInterrupt:
            # A run is finished when its metrics.json is in place, whenever Ctrl-C came.
            finished = [run for run in to_do if (run.folder / "metrics.json").is_file()]
            names = ", ".join(f"{run.value}/seed-{run.config.seed}" for run in finished) or "none"
            say(f"\n{sweep.name}: interrupted. Finished this time: {names}. Rerun the same command "
                "to train only what is missing.")
            raise
        write_sweep_report(sweep_dir)
    return sweep_dir
