"""A fixed-schedule run's backup after every epoch, and what a backup left by an interrupted
run can resume.

The folder holds Keras's BackupAndRestore files, the weights and optimizer state
(`latest.weights.h5`) and the epoch reached (`training_metadata.json`), with the epoch before
kept as well (the same names ending in `.bkp`, `double_checkpoint`), so that a kill while they
are written leaves an epoch to fall back on; and `history.json`, the finished epochs' logs. A
backup that cannot be read at all is put aside with a one-line warning and the network starts
afresh: one broken file must not make every rerun fail until someone deletes a hidden folder.
"""

import json
import os
import shutil
from pathlib import Path

from mnistcnn.core import import_keras
from mnistcnn.core import say

keras = import_keras()

WEIGHTS, STATE, PREVIOUS = "latest.weights.h5", "training_metadata.json", ".bkp"  # Keras's names


class HistoryBackup(keras.callbacks.Callback):
    """Keeps every finished epoch's logs in `folder/history.json`, beside the weights and
    optimizer state Keras's BackupAndRestore writes there, so a resumed run's history and
    seconds start at epoch 1 rather than where it resumed. It comes before BackupAndRestore
    in the callback list: a kill between the two writes leaves one epoch too many here,
    which `resumable_epochs` drops, never one too few."""

    def __init__(self, folder: Path, fingerprint: dict, earlier: list):
        super().__init__()
        self.folder, self.fingerprint, self.epochs = folder, fingerprint, list(earlier)

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append({name: float(value) for name, value in (logs or {}).items()})
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / ".history.json.partial"
        partial.write_text(json.dumps({"fingerprint": self.fingerprint, "epochs": self.epochs}))
        os.replace(partial, self.folder / "history.json")


def backup_callbacks(folder: Path, fingerprint: dict, earlier: list) -> list:
    """The callbacks that back a run up in `folder` after every epoch, in the order they must run."""
    return [HistoryBackup(folder, fingerprint, earlier),
            keras.callbacks.BackupAndRestore(str(folder), double_checkpoint=True, delete_checkpoint=True)]


def resumable_epochs(folder: Path, fingerprint: dict) -> list:
    """The logs of the epochs a backup in `folder` holds weights for, or [] (and the folder
    removed) when there is none, it belongs to another run (other config or data), or it
    cannot be read (said in one line)."""
    try:
        saved = json.loads((folder / "history.json").read_text())
    except (OSError, ValueError):
        saved = None
    backed_up = (folder / WEIGHTS).exists() or (folder / (WEIGHTS + PREVIOUS)).exists()
    if not isinstance(saved, dict) or saved.get("fingerprint") != fingerprint or not backed_up:
        shutil.rmtree(folder, ignore_errors=True)
        return []
    finished, problem = _restorable_epoch(folder)
    if not finished:
        say(f"warning: the backup in {folder} cannot be read ({problem}); this network starts afresh")
        shutil.rmtree(folder, ignore_errors=True)
        return []
    return saved["epochs"][:finished]


def _restorable_epoch(folder: Path) -> tuple[int, str]:
    """(the epoch the backup resumes after, "") once a latest state that cannot be read is
    replaced by the one before it; (0, why the latest cannot be read) if neither can.

    Keras falls back to the epoch before by itself only when the weights fail to open, and
    a half-written `training_metadata.json` would still stop it, so the choice is made here,
    before Keras looks, and Keras then finds one readable state.
    """
    problems = []
    for suffix in ("", PREVIOUS):
        weights, state = folder / (WEIGHTS + suffix), folder / (STATE + suffix)
        try:
            epoch = int(json.loads(state.read_text())["epoch"])
            if epoch < 1:
                raise ValueError(f"{state.name} records no finished epoch")
            _read_every_array(weights)
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
            reason = str(error).splitlines()[0][:160] if str(error) else type(error).__name__
            problems.append(f"{weights.name}: {reason}")
            continue
        if suffix:
            os.replace(weights, folder / WEIGHTS)
            os.replace(state, folder / STATE)
        return epoch, ""
    return 0, problems[0]


def _read_every_array(path: Path) -> None:
    """Read each array of an HDF5 weights file: a truncated file fails as it opens, a damaged
    one as its arrays are read."""
    import h5py

    def read(name, item):
        if isinstance(item, h5py.Dataset):
            item[()]  # and return None: any other value would end the visit

    with h5py.File(path, "r") as weights:
        weights.visititems(read)
