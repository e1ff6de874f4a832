"""One race, many workers (sweeps/shared.py): each run claimed once, a dead worker's run
retried after its heartbeat lapses, and the labels an uninterrupted race gives, on the
journal-file storage and on a real PostgreSQL server. Training is a fake
(shared_race_worker.py): these tests check the sharing, not the learning."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import shared_race_worker as worker

from mnistcnn.core import UsageError
from mnistcnn.sweeps.paired import compare_all
from mnistcnn.sweeps.shared import KEY, WORKER, Board
from mnistcnn.sweeps.studies import BEAT, check_storage_url, open_storage

def labels(output_dir: Path) -> dict:
    outcomes, _ = worker.sweep_runs(output_dir).outcomes(worker.SETTINGS.max_repeats)
    leader, comparisons = compare_all(outcomes)
    return {"leader": leader, "repeats": {value: sorted(runs) for value, runs in outcomes.items()},
            **{value: comparison.label() for value, comparison in comparisons.items()}}


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory) -> dict:
    """The race one worker runs alone, without interruption."""
    folder = tmp_path_factory.mktemp("alone")
    worker.work(f"journal:{folder / 'race.journal'}", folder / "out", 0.0)
    return labels(folder / "out")


def start_worker(url: str, output_dir: Path, delay: float) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(Path(worker.__file__)), url, str(output_dir), str(delay)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def race_with_a_death(url: str, tmp_path: Path) -> tuple[Board, list[Path]]:
    """Three workers (own folders, as on three machines) share a race; the first to hold
    a run is killed while training it. Returns the board and the survivors' folders."""
    folders = [tmp_path / f"machine-{index}" for index in range(3)]
    workers = [start_worker(url, folder / "out", delay=1.0) for folder in folders]
    board = Board(open_storage(url, tmp_path), "sweep-pooling-test")
    pids = {f"{os.uname().nodename}:{process.pid}": process for process in workers}
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        running = [trial for trial in board._trials() if trial.state.name == "RUNNING"
                   and trial.user_attrs.get(WORKER) in pids and BEAT in trial.system_attrs]
        if running:
            victim = pids[running[0].user_attrs[WORKER]]
            victim.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    else:
        pytest.fail("no worker held a run within a minute")
    survivors = []
    for process, folder in zip(workers, folders):
        _, errors = process.communicate(timeout=120)
        if process is victim:
            assert process.returncode == -signal.SIGKILL
            continue
        assert process.returncode == 0, errors
        survivors.append(folder)
    return board, survivors


def check_race(board: Board, survivors: list[Path], uninterrupted: dict) -> None:
    trials = board._trials()
    completed = Counter(trial.user_attrs[KEY] for trial in trials if trial.state.name == "COMPLETE")
    assert completed and set(completed.values()) == {1}, completed  # every run exactly once
    assert not [trial for trial in trials if trial.state.name == "RUNNING"]
    killed = [trial for trial in trials if trial.state.name == "FAIL" and "withdrawn" not in trial.system_attrs]
    assert len(killed) == 1 and killed[0].user_attrs[KEY] in completed  # the dead worker's run, retried
    for folder in survivors:  # each machine's folder holds the whole race, as one worker's would
        assert labels(folder / "out") == uninterrupted
        assert not list((folder / "out").glob("pooling/*/*.claim-*"))
    assert sum(uninterrupted["repeats"].values(), []) and len(completed) == sum(
        len(repeats) for repeats in uninterrupted["repeats"].values())


def test_three_workers_share_a_race_on_a_journal_file_and_survive_a_death(tmp_path, uninterrupted):
    board, survivors = race_with_a_death(f"journal:{tmp_path / 'shared.journal'}", tmp_path)
    check_race(board, survivors, uninterrupted)


def test_three_workers_share_a_race_on_postgresql_and_survive_a_death(tmp_path, uninterrupted, postgres_url):
    board, survivors = race_with_a_death(postgres_url, tmp_path)
    check_race(board, survivors, uninterrupted)


def test_of_two_claims_on_one_run_exactly_one_holds(tmp_path):
    url = f"journal:{tmp_path / 'claims.journal'}"
    first, second = (Board(open_storage(url, tmp_path), "claims") for _ in range(2))
    held = [first.claim("max/seed-0"), second.claim("max/seed-0")]
    assert held[0] is not None and held[1] is None
    assert first.held() == {"max/seed-0"}


def test_a_run_whose_heartbeat_lapsed_is_failed_and_can_be_claimed_again(tmp_path):
    url = f"journal:{tmp_path / 'stale.journal'}"
    board = Board(open_storage(url, tmp_path), "stale", heartbeat_seconds=0.1, grace_seconds=0.5)
    trial_id = board.claim("none/seed-3")
    board.storage.set_trial_system_attr(trial_id, BEAT, time.time() - 10)  # its worker stopped beating
    assert board.claim("none/seed-3") is None  # still held until someone notices
    assert len(board.fail_stale()) == 1
    assert board.held() == set() and board.claim("none/seed-3") is not None


def test_a_dead_workers_claim_folder_is_removed_and_a_live_ones_kept(tmp_path):
    from mnistcnn.sweeps.shared import remove_dead_claims

    board = Board(open_storage(f"journal:{tmp_path / 'claims.journal'}", tmp_path), "claims", grace_seconds=0.5)
    dead, live = board.claim("max/seed-0"), board.claim("none/seed-0")
    for key, trial_id in (("max/seed-0", dead), ("none/seed-0", live)):
        (tmp_path / "pooling" / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "pooling" / f"{key}.claim-{trial_id}").mkdir()
    finished = tmp_path / "pooling" / "max" / "seed-1"
    finished.mkdir()
    board.storage.set_trial_system_attr(dead, BEAT, time.time() - 10)  # killed: it stopped beating
    board.storage.set_trial_system_attr(live, BEAT, time.time())
    assert board.fail_stale() == [dead]
    remove_dead_claims(tmp_path / "pooling", board)
    assert not (tmp_path / "pooling" / f"max/seed-0.claim-{dead}").exists()
    assert (tmp_path / "pooling" / f"none/seed-0.claim-{live}").is_dir() and finished.is_dir()


@pytest.mark.parametrize("url", ["postgresql://user@host/db", "sqlite:///studies.db", "journal:/mnt/study.journal"])
def test_storage_urls_are_accepted(url):
    check_storage_url(url)


@pytest.mark.parametrize("url", ["redis://host", "studies.db", "journal:", "http://host/db"])
def test_a_malformed_storage_url_is_refused_with_examples(url):
    with pytest.raises(UsageError, match="postgresql://user@host/db, sqlite:///studies.db, or journal:"):
        check_storage_url(url)


@pytest.mark.parametrize("lost, retried", [
    ("IntegrityError", True),  # a row another worker inserted first
    ('ProgrammingError: relation "alembic_version" already exists', True),  # PostgreSQL's DuplicateTable
    ("ProgrammingError: permission denied for schema public", False),  # a real fault: said at once
])
def test_workers_opening_an_empty_database_together_retry_only_the_lost_race(monkeypatch, lost, retried):
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    from mnistcnn.sweeps import studies

    kind = IntegrityError if lost.startswith("IntegrityError") else ProgrammingError
    attempts = []

    def storage(url):
        attempts.append(url)
        if len(attempts) == 1:
            raise kind("CREATE TABLE", {}, Exception(lost))
        return "opened"

    monkeypatch.setattr(optuna.storages, "RDBStorage", storage)
    monkeypatch.setattr(studies.time, "sleep", lambda seconds: None)
    if retried:
        assert studies._open_database("postgresql://host/db") == "opened" and len(attempts) == 2
    else:
        with pytest.raises(ProgrammingError):
            studies._open_database("postgresql://host/db")
        assert len(attempts) == 1
