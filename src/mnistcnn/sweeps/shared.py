"""One race, many workers: a sweep's race shared through an Optuna storage (`--storage`).

Without `--storage` a sweep's folder is its race's whole state, and a lock keeps it to one
process. With one, the storage is the state and any number of workers, on any machines,
run one race together. Each run (value, seed) is an Optuna trial of the sweep's study,
named by the run's key in a user attribute set as the trial is created:

- **Claimed once.** A worker claims a run by creating a RUNNING trial for its key; of
  the live (running or complete) trials of one key the lowest-numbered owns it, and any
  other withdraws at once (marked failed). Two workers claiming together both see both
  trials, so exactly one goes on.
- **The next run still needed.** Before each claim a worker copies every finished run it
  lacks from the storage into its folder, replays the race over them (race.py, a pure
  function of finished runs) and takes the first run the race wants that nobody holds;
  when the race wants only runs others hold, it waits for them.
- **Retried after a death.** A worker beats while it trains (studies.py); a running
  trial whose beat lapses is marked failed by whichever worker looks next, and its run
  is needed again. A worker trains into a folder of its own claim and moves it into place
  only once its trial is marked complete, so a worker taken for dead cannot overwrite the
  run that replaced it. The claim folder a dead worker leaves behind is removed by the
  next worker to look on that disk, once the storage says its trial failed.
- **The same folder.** A finished run's files travel in its trial (about 30 KB), so every
  worker's folder ends with every run, and `plot` reads it as it reads any sweep's.
"""

import base64
import os
import shutil
import socket
import time
from pathlib import Path

from mnistcnn.core import say
from mnistcnn.sweeps.race import RaceSettings, next_round
from mnistcnn.sweeps.runs import PREDICTIONS, Run, is_finished
from mnistcnn.sweeps.studies import GRACE_SECONDS, HEARTBEAT_SECONDS, fail_stale, heartbeat

RUN_FILES = ("config.json", "history.csv", PREDICTIONS, "metrics.json")  # metrics.json last: it marks a run done
KEY = "run"
FILES = "files"
WORKER = "worker"
POLL_SECONDS = 5.0
CLAIM = ".claim-"  # a claimed run trains in VALUE/seed-N.claim-TRIAL, then moves into place


def run_key(run: Run) -> str:
    return f"{run.value}/seed-{run.config.seed}"


class Board:
    """The shared state of one sweep's race: its study in an Optuna storage."""

    def __init__(self, storage, study_name: str, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 grace_seconds: float = GRACE_SECONDS):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        self.storage, self.heartbeat_seconds, self.grace_seconds = storage, heartbeat_seconds, grace_seconds
        study = optuna.create_study(storage=storage, study_name=study_name, load_if_exists=True)
        self.study_id = storage.get_study_id_from_name(study.study_name)
        self.worker = f"{socket.gethostname()}:{os.getpid()}"

    def _trials(self, *states):
        return self.storage.get_all_trials(self.study_id, deepcopy=False, states=states or None)

    def held(self) -> set[str]:
        """Keys of the runs some worker is training now."""
        from optuna.trial import TrialState

        return {trial.user_attrs[KEY] for trial in self._trials(TrialState.RUNNING) if KEY in trial.user_attrs}

    def finished(self) -> dict:
        """{key: the run's files} of every completed run."""
        from optuna.trial import TrialState

        return {trial.user_attrs[KEY]: trial.user_attrs[FILES] for trial in self._trials(TrialState.COMPLETE)}

    def fail_stale(self) -> list[int]:
        return fail_stale(self.storage, self.study_id, self.grace_seconds)

    def failed(self, trial_id: int) -> bool:
        """Whether the trial was given up: its worker released it or was taken for dead."""
        from optuna.trial import TrialState

        try:
            return self.storage.get_trial(trial_id).state == TrialState.FAIL
        except KeyError:  # a claim folder of another study (an older race in this folder)
            return True

    def claim(self, key: str):
        """The trial this worker now holds `key` by, or None if another worker holds it."""
        from optuna.trial import FrozenTrial, TrialState

        template = FrozenTrial(number=-1, state=TrialState.RUNNING, value=None, datetime_start=None,
                               datetime_complete=None, params={}, distributions={},
                               user_attrs={KEY: key, WORKER: self.worker}, system_attrs={},
                               intermediate_values={}, trial_id=-1)
        trial_id = self.storage.create_new_trial(self.study_id, template_trial=template)
        owner = min((trial for trial in self._trials(TrialState.RUNNING, TrialState.COMPLETE)
                     if trial.user_attrs.get(KEY) == key), key=lambda trial: trial.number)
        if owner._trial_id != trial_id:
            self.storage.set_trial_system_attr(trial_id, "withdrawn", True)
            self.storage.set_trial_state_values(trial_id, TrialState.FAIL)
            return None
        return trial_id

    def complete(self, trial_id, folder: Path, error_rate: float) -> bool:
        """Publish a trained run's files and mark its trial complete; False if the trial is
        no longer this worker's (it was taken for dead)."""
        from optuna.trial import TrialState

        files = {name: base64.b64encode((folder / name).read_bytes()).decode("ascii") for name in RUN_FILES}
        try:
            self.storage.set_trial_user_attr(trial_id, FILES, files)
            self.storage.set_trial_state_values(trial_id, TrialState.COMPLETE, [error_rate])
        except Exception:  # UpdateFinishedTrialError: failed as stale while it trained
            return False
        return True

    def release(self, trial_id) -> None:
        """Give up a claim (the run failed here), so another worker may take it."""
        from optuna.trial import TrialState

        try:
            self.storage.set_trial_state_values(trial_id, TrialState.FAIL)
        except Exception:
            pass


def materialize(files: dict, folder: Path) -> None:
    """Write a finished run's files into its folder, replacing what was there, all at once."""
    partial = folder.with_name(folder.name + ".incoming")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name in RUN_FILES:
        (partial / name).write_bytes(base64.b64decode(files[name]))
    move_into_place(partial, folder)


def move_into_place(partial: Path, folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)


def run_shared_race(runs, settings: RaceSettings, board: Board, train, poll_seconds: float = POLL_SECONDS) -> list:
    """This worker's share of the race: claim, train and publish runs until the race stops.

    Args:
        runs: the sweep's plan (runner.SweepRuns).
        train: train(run) trains `run` into `run.folder` (runner's execute_run, or a fake).
    Returns:
        The runs this worker trained.
    """
    most = settings.repeats or settings.max_repeats
    trained = []
    while True:
        stale = board.fail_stale()
        if stale:
            say(f"{runs.sweep.name}: trial {', '.join(map(str, stale))} stopped beating (its worker died?): "
                "its run is needed again")
        remove_dead_claims(runs.sweep_dir, board)
        _copy_finished(runs, board, most)
        outcomes, seconds = runs.outcomes(most)
        state = next_round(runs.values, outcomes, settings, seconds)
        if not state.to_train:
            say(f"{runs.sweep.name}: stopped: {state.stopped}")
            return trained
        held = board.held()
        wanted = [runs.run(value, repeat) for value, repeat in state.to_train]
        free = [run for run in wanted if run_key(run) not in held]
        claimed = next(((run, trial) for run in free for trial in [board.claim(run_key(run))] if trial is not None),
                       None)
        if claimed is None:
            time.sleep(poll_seconds)  # every run the race wants is held by another worker
            continue
        run, trial_id = claimed
        if _train_claimed(run, trial_id, board, train):
            trained.append(run)


def remove_dead_claims(sweep_dir: Path, board: Board) -> None:
    """Delete the claim folders (VALUE/seed-N.claim-TRIAL) of trials that failed: what a
    worker killed mid-run leaves. Live claims and finished runs are never touched."""
    for folder in Path(sweep_dir).glob(f"*/*{CLAIM}*"):
        trial_text = folder.name.rsplit(CLAIM, 1)[1]
        if trial_text.isdigit() and board.failed(int(trial_text)):
            shutil.rmtree(folder, ignore_errors=True)


def _copy_finished(runs, board: Board, most: int) -> None:
    finished = board.finished()
    for value in runs.values:
        for repeat in range(most):
            run = runs.run(value, repeat)
            files = finished.get(run_key(run))
            if files is not None and not (is_finished(run.folder) and runs.is_done(run)):
                materialize(files, run.folder)


def _train_claimed(run: Run, trial_id, board: Board, train) -> bool:
    """Train a claimed run in a folder of its own, publish it, then move it into place."""
    from mnistcnn.core import read_sweep_run

    mine = Run(run.value, run.repeat, run.config, run.folder.with_name(f"{run.folder.name}{CLAIM}{trial_id}"))
    say(f"claimed {run_key(run)} (trial {trial_id})")
    try:
        with heartbeat(board.storage, trial_id, board.heartbeat_seconds):
            train(mine)
        record = read_sweep_run(mine.folder)
        error_rate = record.metrics["valid"]["errors"] / record.metrics["valid"]["n"]
    except BaseException:
        board.release(trial_id)
        shutil.rmtree(mine.folder, ignore_errors=True)
        raise
    if not board.complete(trial_id, mine.folder, error_rate):
        say(f"{run_key(run)}: taken for dead while training; another worker's run stands")
        shutil.rmtree(mine.folder, ignore_errors=True)
        return False
    move_into_place(mine.folder, run.folder)
    return True
