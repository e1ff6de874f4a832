"""The one sweep runner: trains the runs the race asks for (race.py) through `train()`.

Repeat k of every value trains with seed k on validation split k (drawn with seed k),
so the values of one repeat are judged on the same images and the images change from
repeat to repeat. Each run is a folder (see runs.py); a rerun skips finished
runs of the same plan, redoes unfinished ones and refuses, unless `force`, to replace a
finished run made with other settings. A run another sweep of the same output folder
already made with an identical config, data and split (the defaults' run, shared by
every sweep) is copied, not trained again. One lock file per sweep keeps two processes
from writing the same sweep.
"""

import json
import shutil
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from mnistcnn.core import Config
from mnistcnn.core import UsageError
from mnistcnn.core import atomic_write_text
from mnistcnn.sweeps.race import RaceSettings, in_shard, next_round
from mnistcnn.core import RunRecord, read_sweep_run
from mnistcnn.core import say
from mnistcnn.sweeps.runs import (Run, differences, identity, is_finished, plan_run, read_finished,
                                 refuse_conflicts, split_fingerprint, trained_seconds,
                                 write_predictions)
from mnistcnn.sweeps.catalog import Sweep


class Splits:
    """The data split for each repeat's seed, made once from one read of the source."""

    def __init__(self, source, valid_fraction: float, valid_split: str):
        self.source, self.valid_fraction = source, valid_fraction
        self.valid_split = source.split_kind(valid_split)
        self._made = {}

    def for_seed(self, seed: int):
        from mnistcnn.data import split_source

        if seed not in self._made:
            self._made[seed] = split_source(self.source, self.valid_fraction, seed, self.valid_split)
        return self._made[seed]

    def identity(self, run: Run) -> dict:
        dataset = self.for_seed(run.config.seed)
        return identity(run.config, self.source.fingerprint, split_fingerprint(dataset.valid_index))


class SweepRuns:
    """A sweep's plan: the run of each (value, repeat), and which of them are finished."""

    def __init__(self, sweep: Sweep, base: Config, values, given: dict, sweep_dir: Path, splits: Splits):
        self.sweep, self.base, self.values, self.sweep_dir, self.splits = sweep, base, list(values), sweep_dir, splits
        self.changes = {value: sweep.changes(value, given) for value in self.values}

    def run(self, value, repeat: int) -> Run:
        return plan_run(self.sweep_dir, self.base, self.changes[value], value, repeat)

    def is_done(self, run: Run) -> bool:
        return differences(run.folder, self.splits.identity(run)) == []

    def outcomes(self, most: int) -> tuple[dict, dict]:
        """({value: {repeat: RepeatOutcome}} of the finished runs of this plan,
        {(value, repeat): their training seconds})."""
        outcomes, seconds = {}, {}
        for value in self.values:
            outcomes[value] = {}
            for repeat in range(most):
                run = self.run(value, repeat)
                if is_finished(run.folder) and self.is_done(run):
                    finished = read_finished(run)
                    outcomes[value][repeat] = finished.outcome
                    seconds[value, repeat] = trained_seconds(finished.record)
        return outcomes, seconds

    def conflicts(self, most: int) -> dict:
        """{folder: differences} of finished runs in the plan's folders made with other settings."""
        found = {}
        for value in self.values:
            for repeat in range(most):
                run = self.run(value, repeat)
                changed = differences(run.folder, self.splits.identity(run))
                if changed:
                    found[run.folder] = changed
        return found


def check_before_training(runs: SweepRuns, settings: RaceSettings, force: bool) -> None:
    """What would stop a sweep part-way, checked before its first minute of training: a field
    the architecture lacks, a value whose network does not fit 28x28, finished runs with other
    settings. `mnistcnn sweep all` checks every sweep so, before training any."""
    from mnistcnn.models import build_model
    from mnistcnn.core import import_keras

    check_architecture_uses(runs.sweep, runs.base.architecture)
    for value in runs.values:
        build_model(runs.base.with_changes(**runs.changes[value]))  # a UsageError for impossible geometry
    import_keras().backend.clear_session()
    refuse_conflicts(runs.conflicts(settings.repeats or settings.max_repeats), force)


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


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


def find_twin(run: Run, wanted: dict, output_dir: Path) -> Path | None:
    """A finished run of another sweep in `output_dir` that is this very run (same config,
    data, split and kept weights): the defaults' run, which every sweep holds."""
    for folder in sorted(Path(output_dir).glob(f"*/*/{run.folder.name}")):
        if folder != run.folder and differences(folder, wanted) == []:
            return folder
    return None


def copy_twin(run: Run, twin: Path) -> None:
    """Copy a twin's files into the run's folder, its record naming this sweep's value and
    where it was made; metrics.json last, so a copy cut short is redone."""
    if run.folder.exists():
        shutil.rmtree(run.folder)
    run.folder.mkdir(parents=True)
    for name in ("config.json", "history.csv", "predictions.npz"):
        shutil.copy2(twin / name, run.folder / name)
    record = read_sweep_run(twin)
    copied_from = "/".join(twin.parts[-3:])  # SWEEP/VALUE/seed-N
    provenance = {**record.provenance, "value": run.value, "copied_from": copied_from}
    saved = replace(record, provenance=provenance)
    atomic_write_text(run.folder / "metrics.json", json.dumps(saved.to_json(), indent=2) + "\n")


def execute_run(run: Run, dataset, wanted: dict, say_epoch, hardware: dict, strategy=None,
                callbacks: tuple = ()) -> RunRecord:
    """Train one run into its folder: validation predictions and both splits' figures from
    the weights the run keeps. `callbacks`: more Keras callbacks (the search's pruning)."""
    from mnistcnn.reports import evaluate
    from mnistcnn.core import import_keras
    from mnistcnn.training import train

    keras = import_keras()
    if run.folder.exists():
        shutil.rmtree(run.folder)  # a partial run from an interrupted sweep: redo it
    run.folder.mkdir(parents=True)
    atomic_write_text(run.folder / "config.json", run.config.to_json() + "\n")

    reporter = keras.callbacks.LambdaCallback(on_epoch_end=say_epoch)
    result = train(run.config, dataset, history_path=run.folder / "history.csv",
                   callbacks=(reporter, *callbacks), verbose=0, strategy=strategy)
    # Kaggle's train.csv has no test split: the record then has none, shown as n/a.
    measured, probabilities = evaluate(result.model, dataset, splits=("valid", "test"))
    predicted = probabilities["valid"].argmax(axis=1)
    write_predictions(run.folder, dataset.valid_index, dataset.y_valid, predicted, dataset.valid_writer)
    # The curve's best validation accuracy is shown beside the kept weights' own.
    measured["valid"] = {**measured["valid"], "errors": int((predicted != dataset.y_valid).sum()),
                         "best_accuracy": max(result.history["val_accuracy"])}
    record = RunRecord(
        config=run.config.to_dict(), data=dataset.record(), metrics=measured,
        epochs_run=result.epochs_run, best_epoch=result.best_epoch, training_seconds=round(result.seconds, 2),
        precision=result.precision,
        provenance={"value": run.value, "repeat": run.repeat, "run_format": wanted["run_format"],
                    "data_fingerprint": wanted["data"], "split": wanted["split"], "weights": wanted["weights"],
                    "parameters": int(result.model.count_params()),
                    "date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **hardware})
    atomic_write_text(run.folder / "metrics.json", json.dumps(record.to_json(), indent=2) + "\n")
    return record


def write_sweep_info(runs: SweepRuns, settings: RaceSettings, command: str, hardware: dict,
                     pending: tuple = ()) -> None:
    """The sweep's plan, with the data's fingerprint and the split of every seed drawn so
    far (those it had, and the pending runs'), so `plot` knows the planned runs without the data."""
    sweep = runs.sweep
    path = runs.sweep_dir / "sweep.json"
    splits = json.loads(path.read_text()).get("splits", {}) if path.is_file() else {}
    splits.update({str(run.config.seed): runs.splits.identity(run)["split"] for run in pending})
    atomic_write_text(path, json.dumps({
        "name": sweep.name, "field": sweep.field, "label": sweep.label, "values": runs.values,
        "changes": {str(value): changes for value, changes in runs.changes.items()},
        "base_config": runs.base.to_dict(),
        "race": {"repeats": settings.repeats, "max_repeats": settings.max_repeats,
                 "budget_minutes": settings.budget_minutes},
        "data_fingerprint": runs.splits.source.fingerprint, "splits": dict(sorted(splits.items(), key=lambda item: int(item[0]))),
        "command": command, "hardware": hardware,
    }, indent=2) + "\n")


def run_sweep(runs: SweepRuns, settings: RaceSettings, output_dir: Path, force: bool = False,
              hardware: dict | None = None, command: str = "", shard: tuple[int, int] = (1, 1),
              strategy=None) -> Path:
    """Race the sweep's values (or train a fixed number of repeats), then write its summary
    and plots. `shard=(K, N)` (fixed repeats only) trains the K-th of every N runs, so N
    machines can share a sweep.

    Returns:
        The sweep folder.
    """
    from mnistcnn.sweeps.report import write_sweep_report

    sweep = runs.sweep
    check_architecture_uses(sweep, runs.base.architecture)
    most = settings.repeats or settings.max_repeats
    with sweep_lock(runs.sweep_dir):
        refuse_conflicts(runs.conflicts(most), force)
        if not (runs.sweep_dir / "sweep.json").is_file():
            write_sweep_info(runs, settings, command, hardware or {})
        say(f"{sweep.name}: {settings.describe()}")
        trained = []
        try:
            while True:
                outcomes, seconds = runs.outcomes(most)
                state = next_round(runs.values, outcomes, settings, seconds)
                mine = in_shard(runs.values, most, shard)
                pending = [runs.run(value, repeat) for value, repeat in state.to_train if (value, repeat) in mine]
                if not pending:
                    say(f"{sweep.name}: stopped: {state.stopped or 'this shard has trained its runs'}")
                    break
                write_sweep_info(runs, settings, command, hardware or {}, pending)
                say(f"{sweep.name}: {len(pending)} run{'s' if len(pending) != 1 else ''} to train: "
                    + ", ".join(f"{run.value}/seed-{run.config.seed}" for run in pending))
                for index, run in enumerate(pending, 1):
                    _train_or_copy(run, runs, output_dir, index, len(pending), hardware or {}, strategy)
                    trained.append(run)
                if shard != (1, 1):
                    break
        except KeyboardInterrupt:
            names = ", ".join(f"{run.value}/seed-{run.config.seed}" for run in trained
                              if is_finished(run.folder)) or "none"
            say(f"\n{sweep.name}: interrupted. Finished this time: {names}. Rerun the same command "
                "to resume the race where it stood.")
            raise
        write_sweep_report(runs.sweep_dir)
    return runs.sweep_dir


def run_shared_sweep(runs: SweepRuns, settings: RaceSettings, output_dir: Path, board, hardware: dict | None = None,
                     command: str = "", strategy=None) -> Path:
    """This worker's share of a race several workers run through one storage (shared.py),
    then the sweep's summary and plots from every finished run. No folder lock: the
    storage's claims keep workers apart, and each writes only whole runs into place."""
    from mnistcnn.sweeps.report import write_sweep_report
    from mnistcnn.sweeps.shared import run_shared_race

    check_architecture_uses(runs.sweep, runs.base.architecture)
    most = settings.repeats or settings.max_repeats
    refuse_conflicts(runs.conflicts(most), force=False)
    every = [runs.run(value, repeat) for value in runs.values for repeat in range(most)]
    write_sweep_info(runs, settings, command, hardware or {}, every)
    say(f"{runs.sweep.name}: {settings.describe()}, shared through the storage as worker {board.worker}")

    def train(run: Run) -> None:
        _train_or_copy(run, runs, output_dir, 1, 1, hardware or {}, strategy,
                       place=runs.run(run.value, run.repeat).folder)

    try:
        trained = run_shared_race(runs, settings, board, train)
    except KeyboardInterrupt:
        say(f"\n{runs.sweep.name}: interrupted; the run this worker held is free for the others. Rerun the same "
            "command to rejoin the race.")
        raise
    say(f"{runs.sweep.name}: this worker trained {len(trained)} run{'s' if len(trained) != 1 else ''}")
    write_sweep_report(runs.sweep_dir)
    return runs.sweep_dir


def _train_or_copy(run: Run, runs: SweepRuns, output_dir: Path, index: int, count: int, hardware: dict,
                   strategy, place: Path | None = None) -> None:
    """Copy the run from its twin in another sweep, or train it. `place`: where the run
    ends up, when it is made elsewhere first (a shared race's claim folder)."""
    wanted = runs.splits.identity(run)
    twin = find_twin(Run(run.value, run.repeat, run.config, place or run.folder), wanted, output_dir)
    if twin is not None:
        copy_twin(run, twin)
        say(f"{runs.sweep.name} run {index}/{count} ({run.value}, seed {run.config.seed}): "
            f"the same run as {twin}, copied")
        return
    started = datetime.now(timezone.utc)

    def say_epoch(epoch: int, logs: dict) -> None:
        spent = (datetime.now(timezone.utc) - started).total_seconds()
        say(f"{runs.sweep.name} run {index}/{count} ({run.value}, seed {run.config.seed}) epoch "
            f"{epoch + 1}/{run.config.epochs}: val_accuracy {logs.get('val_accuracy', 0):.4f}, "
            f"about {_duration(spent / (epoch + 1) * (run.config.epochs - epoch - 1))} left in this run")

    execute_run(run, runs.splits.for_seed(run.config.seed), wanted, say_epoch,
                {"device": hardware.get("device", "")}, strategy)
