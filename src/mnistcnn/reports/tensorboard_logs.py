"""TensorBoard event files for runs, written from what the runs saved.

Each run gets a `tensorboard/` folder: `train/` and `validation/` hold the per-epoch
loss and accuracy (the tags Keras's own TensorBoard callback uses, so the two curves
overlay), `train/` also the learning rate of each epoch, and the folder itself the
run's config as text and, for sweep runs, HParams session data (every config field as
a hyperparameter; best and final validation accuracy, test accuracy and seconds as
metrics), so that `tensorboard --logdir experiments/` compares a sweep's values side by
side. The logs are drawn from `history.csv` and the run's record, like the plots, so
`mnistcnn plot` writes them for runs made before they existed; each write replaces the
folder whole.
"""

import json
import math
import shutil
from pathlib import Path

from mnistcnn.core import Config

LOG_FOLDER = "tensorboard"
METRICS = ("best_valid_accuracy", "final_valid_accuracy", "test_accuracy", "seconds")


def learning_rates(config: Config, train_images: int, epochs: int) -> list[float]:
    """The learning rate in effect at the last step of each epoch."""
    from mnistcnn.models import learning_rate_schedule

    steps_per_epoch = max(1, math.ceil(train_images / config.batch_size))
    schedule = learning_rate_schedule(config, steps_per_epoch)
    if not callable(schedule):
        return [float(schedule)] * epochs
    return [float(schedule(steps_per_epoch * epoch - 1)) for epoch in range(1, epochs + 1)]


def write_run_logs(log_dir: Path, history: dict, config: Config, train_images: int,
                   results: dict | None = None) -> Path:
    """Write the folder `log_dir` (a sweep run's `tensorboard/`) from a run's history (the
    columns of history.csv) and config.

    Args:
        results: a sweep run's metrics ({name: value} for METRICS); with them the run is
            also an HParams session whose hyperparameters are the config's fields.

    Returns:
        The folder written.
    """
    from mnistcnn.core import import_keras

    import_keras()
    import tensorflow as tf
    from tensorboard.plugins.hparams import api as hp

    target = Path(log_dir)
    partial = target.with_name(f".{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    epochs = len(history["loss"])
    for split, prefix in (("train", ""), ("validation", "val_")):
        if f"{prefix}loss" not in history:
            continue  # trained on every image: no validation curve
        with tf.summary.create_file_writer(str(partial / split)).as_default():
            for index in range(epochs):
                tf.summary.scalar("epoch_loss", history[f"{prefix}loss"][index], step=index + 1)
                tf.summary.scalar("epoch_accuracy", history[f"{prefix}accuracy"][index], step=index + 1)
            if split == "train":
                for index, rate in enumerate(learning_rates(config, train_images, epochs)):
                    tf.summary.scalar("epoch_learning_rate", rate, step=index + 1)
    with tf.summary.create_file_writer(str(partial)).as_default():
        tf.summary.text("config", "```\n" + json.dumps(config.to_dict(), indent=2) + "\n```", step=0)
        if results is not None:
            hp.hparams(config.to_dict(), trial_id=str(target.parent))
            for name in METRICS:
                if results.get(name) is not None:
                    tf.summary.scalar(name, results[name], step=1)
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target
