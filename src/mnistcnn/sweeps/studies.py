"""Where a search, or a race several processes share, keeps its state: an Optuna storage.

`--storage URL` names one. An SQLAlchemy URL (`postgresql://…`, `mysql://…`,
`sqlite:///FILE`) for a database server every machine reaches, or `journal:PATH` for
Optuna's journal file on a disk they all mount (made for NFS: appends under a lock file).
The default is embedded: a journal file in the result's own folder, which several
processes on one machine share safely (SQLite would too, until two of them write at once).

Heartbeats are this module's own rather than Optuna's: Optuna beats only for database
storages, and a worker killed mid-run must have its run retried whatever the storage.
A worker's trial carries the time of its latest beat; a RUNNING trial whose beat is older
than the grace period is marked FAIL by whichever worker looks next, so its run is
needed again.
"""

import threading
import time
from contextlib import contextmanager
from pathlib import Path

from mnistcnn.core import UsageError

EMBEDDED_NAME = "study.journal"
JOURNAL_PREFIX = "journal:"
DATABASE_SCHEMES = ("postgresql", "mysql", "sqlite")
HEARTBEAT_SECONDS = 10.0
# Long enough that a busy machine's late beat is not taken for a death (a beat is a small
# write, but a worker may be starved by training on every core for a while).
GRACE_SECONDS = 120.0
BEAT = "heartbeat"


def check_storage_url(url: str | None) -> None:
    """Refuse a malformed --storage before anything loads (no Optuna, no TensorFlow)."""
    if url is None or url.startswith(JOURNAL_PREFIX) and len(url) > len(JOURNAL_PREFIX):
        return
    scheme = url.split("://", 1)[0].split("+", 1)[0]
    if "://" not in url or scheme not in DATABASE_SCHEMES:
        raise UsageError(f"--storage '{url}' is not a storage URL; use e.g. postgresql://user@host/db, "
                         "sqlite:///studies.db, or journal:/shared/disk/study.journal")


def open_storage(url: str | None, folder: Path):
    """The Optuna storage `url` names, or the embedded journal file in `folder`.

    Raises:
        UsageError: a malformed URL, a database driver that is not installed, or a
            server that does not answer.
    """
    import optuna
    from optuna.storages.journal import JournalFileBackend

    check_storage_url(url)
    if url is None or url.startswith(JOURNAL_PREFIX):
        path = Path(folder) / EMBEDDED_NAME if url is None else Path(url[len(JOURNAL_PREFIX):])
        path.parent.mkdir(parents=True, exist_ok=True)
        return optuna.storages.JournalStorage(JournalFileBackend(str(path)))
    try:
        return _open_database(url)
    except ImportError:  # Optuna's words for SQLAlchemy's missing driver
        raise UsageError(f"--storage {url.split('://')[0]} needs its database driver; install it (for PostgreSQL: "
                         "pip install 'psycopg[binary]', which SQLAlchemy uses for postgresql://)") from None
    except Exception as error:  # SQLAlchemy's OperationalError and kin: the server's own words
        raise UsageError(f"--storage {_without_password(url)} cannot be opened: "
                         f"{str(error).splitlines()[0]}") from None


def _open_database(url: str, attempts: int = 5):
    """Optuna's RDBStorage; workers started together on an empty database all create its
    tables, and all but one lose that race, with an IntegrityError (a row) or a
    ProgrammingError saying a table already exists (PostgreSQL's DuplicateTable): they try
    again, and find the tables there. Any other error is raised at once."""
    import optuna
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(attempts):
        try:
            return optuna.storages.RDBStorage(url)
        except (IntegrityError, ProgrammingError) as error:
            lost_the_race = isinstance(error, IntegrityError) or "already exists" in str(error)
            if not lost_the_race or attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))


def _without_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    if "@" in rest:
        credentials, host = rest.rsplit("@", 1)
        return f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    return url


def describe_storage(url: str | None, folder: Path) -> str:
    """What a record says of where the study lives (no password)."""
    return f"{JOURNAL_PREFIX}{Path(folder) / EMBEDDED_NAME}" if url is None else _without_password(url)


@contextmanager
def heartbeat(storage, trial_id: int, every: float = HEARTBEAT_SECONDS):
    """Beat for the trial while the block runs: its system attribute `heartbeat` holds the
    time of the latest beat."""
    stop = threading.Event()

    def beat():
        while True:
            try:
                storage.set_trial_system_attr(trial_id, BEAT, time.time())
            except Exception:  # the trial was finished (or failed by another worker): nothing to keep alive
                return
            if stop.wait(every):
                return

    storage.set_trial_system_attr(trial_id, BEAT, time.time())
    thread = threading.Thread(target=beat, name=f"heartbeat-{trial_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_stale(storage, study_id: int, grace: float = GRACE_SECONDS) -> list[int]:
    """Mark FAIL every RUNNING trial whose latest beat is older than `grace` seconds (a
    trial that never beat counts from its start); returns their numbers."""
    from optuna.trial import TrialState

    now, failed = time.time(), []
    for trial in storage.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
        started = trial.datetime_start.timestamp() if trial.datetime_start else now
        if now - trial.system_attrs.get(BEAT, started) > grace:
            try:
                storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)
                failed.append(trial.number)
            except Exception:  # another worker failed it first, or it finished just now
                continue
    return failed
