"""The one training function. Only `train()` calls `fit`.

It compiles the model the config describes, watches the validation split, logs
every epoch to CSV, stops early on validation loss (restoring the best weights;
with patience >= epochs, a fixed schedule, the last weights are kept) and can keep
a best-validation checkpoint. A fixed-schedule run can also back itself up after every
epoch and resume from there when started again (`backup_dir`, see backup.py).
"""

import csv
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.training.backup import backup_callbacks, resumable_epochs
from mnistcnn.core import NUM_CLASSES, Config
from mnistcnn.data import Dataset
from mnistcnn.core import import_keras, prepare, stdout_to_stderr
from mnistcnn.models import learning_rate_schedule
from mnistcnn.core import say

keras = import_keras()

# Batches run per call into TensorFlow's graph. A small network's step on a CPU costs
# little next to the Python round trip around it, which this pays once per 32 batches
# (the steps_per_execution lever in BENCHMARKS.md). Callbacks still see every epoch.
STEPS_PER_EXECUTION = 32


@dataclass
class TrainResult:
    model: "keras.Model"
    history: dict  # metric name -> one value per epoch run
    epochs_run: int
    best_epoch: int  # 1-based epoch whose weights the model holds (the last, on a fixed schedule)
    seconds: float
    precision: str  # the dtype policy in force ("auto" resolved)


class EpochTimer(keras.callbacks.Callback):
    """Adds each epoch's wall-clock seconds to the logs, so history.csv carries them."""

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["seconds"] = round(time.perf_counter() - self._start, 3)


def _count_epochs_from_one(history_csv: Path) -> None:
    """Keras's CSV log numbers epochs from 0 while its progress lines say "Epoch 1/N":
    number the file's rows as people read them, from 1."""
    with open(history_csv, newline="") as stream:
        rows = list(csv.reader(stream))
    for row in rows[1:]:
        row[0] = str(int(row[0]) + 1)
    with open(history_csv, "w", newline="") as stream:
        csv.writer(stream).writerows(rows)


def make_optimizer(config: Config, steps_per_epoch: int):
    """The optimizer by name, with the config's learning rate or schedule."""
    learning_rate = learning_rate_schedule(config, steps_per_epoch)
    betas = {"beta_1": config.beta_1, "beta_2": config.beta_2}
    factories = {
        "sgd": lambda: keras.optimizers.SGD(learning_rate),
        "momentum": lambda: keras.optimizers.SGD(learning_rate, momentum=0.9, nesterov=True),
        "rmsprop": lambda: keras.optimizers.RMSprop(learning_rate),
        "adam": lambda: keras.optimizers.Adam(learning_rate, **betas),
        "adamw": lambda: keras.optimizers.AdamW(learning_rate, **betas),
        "nadam": lambda: keras.optimizers.Nadam(learning_rate, **betas),
    }
    return factories[config.optimizer]()


def one_hot(labels: np.ndarray) -> np.ndarray:
    """All five losses take the same one-hot labels."""
    return keras.utils.to_categorical(labels, NUM_CLASSES).astype("float32")


def compile_model(model, config: Config, steps_per_epoch: int = 1,
                  steps_per_execution: int = STEPS_PER_EXECUTION) -> None:
    model.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        loss=config.loss,
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )


def train(
    config: Config,
    dataset: Dataset,
    history_path: Path | None = None,
    checkpoint_path: Path | None = None,
    callbacks: tuple = (),
    verbose: int | None = None,
    strategy=None,
    backup_dir: Path | None = None,
) -> TrainResult:
    """Build the config's model and fit it on the dataset's train split.

    Args:
        config: what to build and how to train it (seed, epochs, patience, ...).
        dataset: train and valid splits are used; test is never looked at here.
        history_path: where to write the per-epoch CSV log. It is written under a
            hidden name while training and renamed at the end, so an interrupted
            run never leaves a history that looks complete.
        checkpoint_path: if given, best-validation weights (`*.weights.h5`).
        callbacks: extra Keras callbacks (progress reporting).
        verbose: Keras verbosity; default a progress bar in a terminal, else a
            line per epoch.
        strategy: a tf.distribute strategy (see distribution.py); default one device.
            `batch_size` is per replica. Under multi-worker, only the chief writes
            the history and the checkpoint.
        backup_dir: if given (fixed schedules only, one device), the model, optimizer
            and history are saved there after every epoch, and a run started again with
            the same config and data resumes after the last saved epoch. The folder
            is removed when training ends. A resumed run is not bit-identical to an
            uninterrupted one: shuffling and dropout draw anew from where it resumed.

    Returns:
        The trained model (with its best-validation weights, or its last ones on a
        fixed schedule) and its history.
    """
    from mnistcnn.training.distribution import is_chief, is_multi_worker

    import tensorflow as tf

    precision = prepare(config.seed, config.precision, config.deterministic)
    strategy = strategy or tf.distribute.get_strategy()
    multi_worker = is_multi_worker(strategy)
    model, global_batch_size = _built(config, dataset, strategy, multi_worker)
    if not is_chief(strategy):
        history_path = checkpoint_path = None

    validated = len(dataset.y_valid) > 0
    all_callbacks = [EpochTimer()]
    earlier_epochs = []
    if backup_dir is not None:
        # Early stopping's patience and best weights are not in the backup, so only a fixed
        # schedule resumes exactly where it was; a history file would miss the early epochs.
        if validated and not config.fixed_schedule or history_path is not None or multi_worker:
            raise ValueError("backup_dir is for fixed-schedule runs on one device without a history file")
        resume_callbacks, earlier_epochs = _resuming(config, dataset, Path(backup_dir))
        all_callbacks += resume_callbacks
    watching, partial_history = _watching(config, validated, history_path, checkpoint_path)
    all_callbacks += [*watching, *callbacks]
    fitted, seconds = _fit(model, dataset, config.epochs, global_batch_size, all_callbacks, verbose)
    seconds += sum(epoch.get("seconds", 0.0) for epoch in earlier_epochs)
    if partial_history is not None:
        _count_epochs_from_one(partial_history)
        os.replace(partial_history, history_path)

    if strategy is not tf.distribute.get_strategy():
        from mnistcnn.models import build_model

        # Evaluating and saving a plain copy needs no collective ops between workers.
        distributed, model = model, build_model(config)
        model.set_weights(distributed.get_weights())
    history = _whole_history(earlier_epochs, fitted.history)
    epochs_run = len(history["loss"])
    best_epoch = epochs_run if config.fixed_schedule else int(np.argmin(history["val_loss"])) + 1
    return TrainResult(model, history, epochs_run, best_epoch, seconds, precision)


def _fit(model, dataset: Dataset, epochs: int, batch_size: int, callbacks: list, verbose: int | None):
    """(Keras's History, the seconds it took)."""
    validated = len(dataset.y_valid) > 0
    if verbose is None:
        verbose = 1 if sys.stderr.isatty() else 2
    start = time.perf_counter()
    # Keras writes its progress to stdout; it is status, and stdout holds results only.
    with stdout_to_stderr():
        fitted = model.fit(
            dataset.x_train,
            one_hot(dataset.y_train),
            batch_size=batch_size,
            epochs=epochs,
            validation_data=(dataset.x_valid, one_hot(dataset.y_valid)) if validated else None,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=True,
        )
    return fitted, time.perf_counter() - start


def _built(config: Config, dataset: Dataset, strategy, multi_worker: bool):
    """(the compiled model, in the strategy's scope, and the global batch size)."""
    from mnistcnn.training.distribution import prepare_for_multi_worker
    from mnistcnn.models import build_model

    global_batch_size = config.batch_size * strategy.num_replicas_in_sync
    steps_per_epoch = math.ceil(len(dataset.y_train) / global_batch_size)
    with strategy.scope():
        model = build_model(config)
        compile_model(model, config, steps_per_epoch, steps_per_execution=1 if multi_worker else STEPS_PER_EXECUTION)
    if multi_worker:
        prepare_for_multi_worker(model, (dataset.x_train[:8], one_hot(dataset.y_train[:8])))
    return model, global_batch_size


def _resuming(config: Config, dataset: Dataset, backup_dir: Path) -> tuple[list, list[dict]]:
    """(the callbacks that back a run up every epoch, the epochs an earlier attempt left)."""
    fingerprint = {"config": config.to_dict(), "data": dataset.record().summary()}
    earlier_epochs = resumable_epochs(backup_dir, fingerprint)
    if earlier_epochs:
        say(f"resuming after epoch {len(earlier_epochs)} of {config.epochs} from {backup_dir}")
    return backup_callbacks(backup_dir, fingerprint, earlier_epochs), earlier_epochs


def _watching(config: Config, validated: bool, history_path, checkpoint_path) -> tuple[list, Path | None]:
    """(early stopping, the history log and the checkpoint as asked, the history's partial file)."""
    # Patience covering every epoch makes a fixed schedule: its last weights, where the
    # learning rate has decayed, are the result. Restoring the lowest validation loss would
    # go back to mid-schedule, since the loss creeps up late while accuracy still improves.
    # With no validation split (valid_fraction 0, a fixed schedule only) nothing is watched.
    watching, partial_history = [], None
    if validated:
        watching.append(keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=config.patience, restore_best_weights=not config.fixed_schedule
        ))
    if history_path is not None:
        history_path = Path(history_path)
        partial_history = history_path.with_name(f".{history_path.name}.partial")
        watching.append(keras.callbacks.CSVLogger(str(partial_history)))
    if checkpoint_path is not None and validated:
        watching.append(keras.callbacks.ModelCheckpoint(
            str(checkpoint_path), monitor="val_loss", save_best_only=True, save_weights_only=True
        ))
    return watching, partial_history


def _whole_history(earlier_epochs: list[dict], fitted: dict) -> dict:
    """The epochs an earlier attempt left, then this attempt's."""
    # A run killed after its last epoch's backup resumes with no epoch left to run.
    names = earlier_epochs[0].keys() if earlier_epochs else fitted.keys()
    return {name: [epoch[name] for epoch in earlier_epochs] + [float(value) for value in fitted.get(name, [])]
            for name in names}
