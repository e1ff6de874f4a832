"""A fixed-schedule network backs itself up every epoch and resumes where it was stopped."""

import json

import keras
import pytest

from mnistcnn.core import Config
from mnistcnn.data import load_dataset

TINY = {"filters": 4, "dense_units": 16}


class StopAtEpoch(keras.callbacks.Callback):
    """Raises KeyboardInterrupt (Ctrl-C) as epoch `stop_at` (0-based) begins; records which
    epochs began and each finished epoch's loss."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at, self.begun, self.losses = stop_at, [], []

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.stop_at:
            raise KeyboardInterrupt
        self.begun.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.losses.append(logs["loss"])


@pytest.fixture
def dataset():
    return load_dataset("sample")


def test_an_interrupted_run_resumes_after_its_last_finished_epoch(tmp_path, dataset):
    from mnistcnn.training import train

    config, backup = Config(epochs=3, patience=3, **TINY), tmp_path / "backup"
    first = StopAtEpoch(stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        train(config, dataset, callbacks=(first,), backup_dir=backup)
    assert first.begun == [0, 1]
    assert len(json.loads((backup / "history.json").read_text())["epochs"]) == 2

    second = StopAtEpoch()
    result = train(config, dataset, callbacks=(second,), backup_dir=backup)
    assert second.begun == [2]  # only the epoch that had not finished
    assert result.epochs_run == result.best_epoch == 3
    assert result.history["loss"][:2] == pytest.approx(first.losses)  # the history starts at epoch 1
    assert result.history["loss"][2] == pytest.approx(second.losses[0])
    assert len(result.history["seconds"]) == 3 and result.seconds >= sum(result.history["seconds"][:2])
    assert not backup.exists()


def test_a_backup_of_another_run_is_discarded(tmp_path, dataset):
    from mnistcnn.training import train

    backup = tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        train(Config(epochs=3, patience=3, **TINY), dataset, callbacks=(StopAtEpoch(stop_at=2),), backup_dir=backup)
    other = StopAtEpoch()
    result = train(Config(epochs=3, patience=3, learning_rate=0.01, **TINY), dataset, callbacks=(other,),
                   backup_dir=backup)
    assert other.begun == [0, 1, 2] and result.epochs_run == 3


def test_an_unreadable_backup_is_a_warning_and_the_network_starts_afresh(tmp_path, dataset, capsys):
    from mnistcnn.training import train

    config, backup = Config(epochs=2, patience=2, **TINY), tmp_path / "backup"
    with pytest.raises(KeyboardInterrupt):
        train(config, dataset, callbacks=(StopAtEpoch(stop_at=1),), backup_dir=backup)
    weights = backup / "latest.weights.h5"
    assert not (backup / "latest.weights.h5.bkp").exists()  # the first epoch's: none before it
    weights.write_bytes(weights.read_bytes()[:1000])  # as a kill while Keras wrote it leaves it
    capsys.readouterr()

    again = StopAtEpoch()
    result = train(config, dataset, callbacks=(again,), backup_dir=backup)
    assert again.begun == [0, 1] and result.epochs_run == 2 and len(result.history["loss"]) == 2
    warnings = [line for line in capsys.readouterr().err.splitlines() if "backup" in line]
    assert len(warnings) == 1 and warnings[0].startswith(f"warning: the backup in {backup} cannot be read "
                                                         "(latest.weights.h5: "), warnings
    assert warnings[0].endswith("; this network starts afresh") and not backup.exists()


def test_a_backup_killed_while_written_resumes_from_the_epoch_before(tmp_path, dataset):
    from mnistcnn.training import train

    config, backup = Config(epochs=3, patience=3, **TINY), tmp_path / "backup"
    first = StopAtEpoch(stop_at=2)
    with pytest.raises(KeyboardInterrupt):
        train(config, dataset, callbacks=(first,), backup_dir=backup)
    # Killed while epoch 2's weights were written: Keras writes the epoch reached after them,
    # so it still says 1, and the copy of epoch 1 (double_checkpoint) is beside them.
    weights, state = backup / "latest.weights.h5", backup / "training_metadata.json"
    weights.write_bytes(weights.read_bytes()[:1000])
    state.write_text((backup / "training_metadata.json.bkp").read_text())

    second = StopAtEpoch()
    result = train(config, dataset, callbacks=(second,), backup_dir=backup)
    assert second.begun == [1, 2] and result.epochs_run == 3
    assert result.history["loss"][0] == pytest.approx(first.losses[0])


def test_only_a_fixed_schedule_backs_up(tmp_path, dataset):
    from mnistcnn.training import train

    with pytest.raises(ValueError, match="fixed-schedule"):
        train(Config(epochs=3, patience=1, **TINY), dataset, backup_dir=tmp_path / "backup")


def test_train_final_resumes_an_interrupted_member_and_leaves_no_backup(tmp_path, dataset, monkeypatch):
    from mnistcnn import final
    from mnistcnn.training import fitting as training

    output, config = tmp_path / "ensemble.h5", Config(epochs=2, patience=2, **TINY)
    real_train = training.train

    def train_stopping_in_member_2(member_config, *arguments, **options):
        callbacks = (StopAtEpoch(stop_at=1),) if member_config.seed == 1 else ()
        return real_train(member_config, *arguments, callbacks=callbacks, **options)

    monkeypatch.setattr(training, "train", train_stopping_in_member_2)
    with pytest.raises(KeyboardInterrupt):
        final.train_final(config, dataset, output, ensemble=2)
    assert (tmp_path / ".ensemble.member-1-of-2.h5").exists()
    assert (tmp_path / ".ensemble.member-2-of-2.backup" / "history.json").exists()

    monkeypatch.setattr(training, "train", real_train)
    record = final.train_final(config, dataset, output, ensemble=2)
    assert [member.epochs_run for member in record.members] == [2, 2]
    assert [len(member.history["loss"]) for member in record.members] == [2, 2]
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []
