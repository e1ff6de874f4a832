"""`train-final`: train the model users keep, measure it, save it with its story."""

import os
import sys
from datetime import datetime, timezone
from pathlib import Path

from mnistcnn import __version__
from mnistcnn.config import Config
from mnistcnn.data import Dataset
from mnistcnn.errors import UsageError
from mnistcnn.runtime import cpu_model
from mnistcnn.storage import read_story, save_model

DEFAULT_MODEL_PATH = Path("models") / "mnistcnn.h5"


def refuse_smaller_data(output: Path, dataset: Dataset) -> None:
    """Stop before training if `output` holds a model trained on more images than we have."""
    story = read_story(output)
    if not output.exists() or story is None:
        return
    previous = story.get("data", {})
    previous_images = previous.get("train", 0) + previous.get("valid", 0)
    our_images = len(dataset.y_train) + len(dataset.y_valid)
    if previous_images > our_images:
        raise UsageError(
            f"{output} was trained on {previous.get('source')} ({previous_images} images) and this "
            f"run has {dataset.source} ({our_images}); pass --output for a new file, point --data at "
            "the full set, or pass --overwrite to replace it"
        )


def train_final(config: Config, dataset: Dataset, output: Path, overwrite: bool = False,
                strategy=None, strategy_name: str = "default") -> dict:
    """Train, evaluate on all three splits, and save `output` (.h5) with its `.json` story.

    Returns:
        The story written beside the model.
    """
    from mnistcnn.evaluation import evaluate
    from mnistcnn.training import train

    output = Path(output)
    if output.suffix != ".h5":
        raise UsageError(f"--output {output} must end in .h5 (mnistcnn saves Keras HDF5 models)")
    if not overwrite:
        refuse_smaller_data(output, dataset)
    output.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = output.with_name(f".{output.stem}.checkpoint.weights.h5")
    try:
        result = train(config, dataset, checkpoint_path=checkpoint, strategy=strategy)
    finally:
        checkpoint.unlink(missing_ok=True)
    metrics, _ = evaluate(result.model, dataset)

    import keras
    import tensorflow as tf

    story = {
        "config": config.to_dict(),
        "data": {
            "source": dataset.source,
            "location": dataset.location,
            **{name: metrics[name]["n"] for name in metrics},
        },
        "metrics": {name: {"accuracy": values["accuracy"], "loss": values["loss"]} for name, values in metrics.items()},
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "training_seconds": round(result.seconds, 1),
        "precision": result.precision,
        "strategy": strategy_name,
        "replicas": strategy.num_replicas_in_sync if strategy is not None else 1,
        "device": "GPU" if tf.config.list_physical_devices("GPU") else f"CPU ({cpu_model()}, {os.cpu_count()} cores)",
        "versions": {
            "mnistcnn": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": sys.version.split()[0],
        },
        "parameters": int(result.model.count_params()),
        "command": " ".join(["mnistcnn", *sys.argv[1:]]),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    return save_model(result.model, output, story)


def seed_report(metrics: dict) -> str:
    """The deep-CNN seed's two lines: accuracy and loss on train, valid and test."""
    lines = []
    for quantity in ("accuracy", "loss"):
        values = "  ".join(f"{name} {metrics[name][quantity]:.4f}" for name in ("train", "valid", "test")
                           if name in metrics)
        lines.append(f"{quantity.capitalize():>9}: {values}")
    return "\n".join(lines)
