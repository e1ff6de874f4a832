"""Speed, side by side: the Keras "Simple MNIST convnet" example against mnistcnn's fast preset.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark.py --repeats 3

In one process, on the full MNIST set, each side is trained `--repeats` times. After
every epoch the 10,000 test images are evaluated; that evaluation is not counted as
training time. Reported per side (median over repeats): seconds of training until
test accuracy first reaches 0.990 and 0.995, training images per second, and
inference images per second on the test set. Then, as a user sees them, the wall
time of `mnistcnn --help` and of `mnistcnn evaluate` on the committed model.
Writes benchmarks/results.json and the race table in BENCHMARKS.md.
Not timed as a whole; by BENCHMARKS.md's 2,993 training images/s, a repeat of the Keras
example's 15 epochs is about 4.5 minutes of training here, plus its per-epoch test passes.
"""

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import replace_block  # noqa: E402
from wall_clock import mnistcnn_command, wall_seconds  # noqa: E402
from mnistcnn.core import cpu_model, import_keras  # noqa: E402

keras = import_keras()
from keras import layers  # noqa: E402

TARGETS = (0.990, 0.995)
TRAIN_IMAGES = 54_000  # both sides hold out 6,000 of the 60,000 for validation


class TestAccuracyClock(keras.callbacks.Callback):
    """Times each epoch, then (off the clock) measures test accuracy."""

    def __init__(self, x_test, y_test):
        super().__init__()
        self.x_test, self.y_test = x_test, y_test
        self.training_seconds, self.epochs = 0.0, []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.training_seconds += time.perf_counter() - self.start
        predicted = self.model.predict(self.x_test, batch_size=1000, verbose=0).argmax(axis=1)
        accuracy = float(np.mean(predicted == self.y_test))
        self.epochs.append({"epoch": epoch + 1, "training_seconds": round(self.training_seconds, 2),
                            "test_accuracy": accuracy})
        print(f"  epoch {epoch + 1}: {self.training_seconds:6.1f} s of training, test accuracy {accuracy:.4f}",
              flush=True)


def keras_example_model():
    """keras-io examples/vision/mnist_convnet.py's network and compilation, as published."""
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def train_keras_example(dataset, clock, epochs):
    """keras-io examples/vision/mnist_convnet.py, as published (float32)."""
    keras.mixed_precision.set_global_policy("float32")
    model = keras_example_model()
    # The example's validation_split=0.1 of 60,000 images, as our fixed split.
    x_train = np.concatenate([dataset.x_train, dataset.x_valid])
    y_train = keras.utils.to_categorical(np.concatenate([dataset.y_train, dataset.y_valid]), 10)
    model.fit(x_train, y_train, batch_size=128, epochs=epochs, validation_split=0.1,
              callbacks=[clock], verbose=0)
    return model, "float32"


def train_mnistcnn(dataset, clock, preset, seed):
    from mnistcnn.core import get_preset
    from mnistcnn.training import train

    result = train(get_preset(preset).with_changes(seed=seed), dataset, callbacks=(clock,), verbose=0)
    return result.model, result.precision


def inference_images_per_second(model, x_test) -> float:
    model.predict(x_test, batch_size=1000, verbose=0)  # warm-up
    seconds = []
    for _ in range(3):
        start = time.perf_counter()
        model.predict(x_test, batch_size=1000, verbose=0)
        seconds.append(time.perf_counter() - start)
    return len(x_test) / statistics.median(seconds)


def first_reaching(epochs, target):
    return next((row["training_seconds"] for row in epochs if row["test_accuracy"] >= target), None)


def measure_once(name, trainer, dataset, seed):
    print(f"{name}, seed {seed}", flush=True)
    keras.utils.set_random_seed(seed)
    clock = TestAccuracyClock(dataset.x_test, dataset.y_test)
    model, precision = trainer(dataset, clock, seed)
    return {
        "seed": seed,
        "precision": precision,
        "epochs": clock.epochs,
        **{f"seconds_to_{target:.3f}": first_reaching(clock.epochs, target) for target in TARGETS},
        "training_images_per_second": TRAIN_IMAGES * len(clock.epochs) / clock.training_seconds,
        "inference_images_per_second": inference_images_per_second(model, dataset.x_test),
        "final_test_accuracy": clock.epochs[-1]["test_accuracy"],
    }


def race(sides: dict, dataset, repeats: int) -> dict:
    """Run the sides in turns (A, B, A, B, ...): on a shared machine whose speed drifts,
    both then see the same conditions, which running all of A before B would not give."""
    runs = {name: [] for name in sides}
    for seed in range(repeats):
        for name, trainer in sides.items():
            runs[name].append(measure_once(name, trainer, dataset, seed))
    return {name: {"runs": side_runs, "median": medians(side_runs)} for name, side_runs in runs.items()}


def medians(runs):
    summary = {}
    for key in [f"seconds_to_{t:.3f}" for t in TARGETS] + ["training_images_per_second",
                                                          "inference_images_per_second", "final_test_accuracy"]:
        values = [run[key] for run in runs]
        reached = [value for value in values if value is not None]
        # A run that never reached a target counts as infinitely slow, so the median
        # exists only when more than half the runs reached it.
        ordered = sorted(reached) + [math.inf] * (len(values) - len(reached))
        median = statistics.median(ordered)
        summary[key] = median if math.isfinite(median) else None
        summary[f"{key}_reached_in"] = f"{len(reached)}/{len(values)}"
    return summary


def machine_facts():
    import tensorflow as tf

    return {"cpu": cpu_model(), "cores": os.cpu_count(), "tensorflow": tf.__version__, "keras": keras.__version__,
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def race_table(results) -> str:
    """The side-by-side table, the ratio, the two command timings and where they were measured."""
    keras_side, ours = results["keras_example"]["median"], results["mnistcnn"]["median"]

    def cell(value, digits=1):
        return "not reached" if value is None else f"{value:,.{digits}f}"

    lines = [
        "| | Keras example | mnistcnn `--preset " + results["preset"] + "` |",
        "| --- | --- | --- |",
    ]
    for target in TARGETS:
        key = f"seconds_to_{target:.3f}"
        lines.append(f"| seconds of training to test accuracy {target:.3f} | {cell(keras_side[key])} "
                     f"({keras_side[key + '_reached_in']}) | {cell(ours[key])} ({ours[key + '_reached_in']}) |")
    lines += [
        f"| training images/s | {cell(keras_side['training_images_per_second'], 0)} "
        f"| {cell(ours['training_images_per_second'], 0)} |",
        f"| inference images/s (10,000 test images) | {cell(keras_side['inference_images_per_second'], 0)} "
        f"| {cell(ours['inference_images_per_second'], 0)} |",
        f"| final test accuracy | {cell(keras_side['final_test_accuracy'], 4)} "
        f"| {cell(ours['final_test_accuracy'], 4)} |",
    ]
    if keras_side["seconds_to_0.990"] and ours["seconds_to_0.990"]:
        lines.append(f"\nTime to 0.990: mnistcnn needs {ours['seconds_to_0.990'] / keras_side['seconds_to_0.990']:.3f} "
                     f"of the Keras example's (1/{keras_side['seconds_to_0.990'] / ours['seconds_to_0.990']:.1f}).")
    commands = results["commands"]
    lines.append(f"\n`mnistcnn --help`: {commands['help_seconds']:.2f} s wall time; `mnistcnn evaluate` "
                 f"(committed model, valid + test, report written): {commands['evaluate_seconds']:.1f} s "
                 f"(medians of {commands['repeats']}).")
    machine = results["machine"]
    lines.append(f"\nMedians of {results['repeats']} runs per side, {machine['cpu']}, {machine['cores']} cores, "
                 f"TensorFlow {machine['tensorflow']}, Keras {machine['keras']}, {machine['date']}. "
                 f"Command: `{results['command']}`.")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="MNIST source (default: MNISTCNN_DATA or auto)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="fast", help="mnistcnn preset to race (default: fast)")
    parser.add_argument("--keras-epochs", type=int, default=15, help="the example's own 15")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks")
    arguments = parser.parse_args()

    from mnistcnn.data import load_dataset

    dataset = load_dataset(arguments.data)
    print(dataset.describe(), flush=True)
    if dataset.source != "mnist":
        sys.exit("the benchmark needs the full MNIST set: set MNISTCNN_DATA or --data")

    results = {
        "command": " ".join(["python", "scripts/benchmark.py", *sys.argv[1:]]),
        "repeats": arguments.repeats,
        "preset": arguments.preset,
        "machine": machine_facts(),
        "data": dataset.describe(),
        **race({
            "keras_example": lambda data, clock, seed: train_keras_example(data, clock, arguments.keras_epochs),
            "mnistcnn": lambda data, clock, seed: train_mnistcnn(data, clock, arguments.preset, seed),
        }, dataset, arguments.repeats),
        "commands": {
            "repeats": 3,
            "help_seconds": statistics.median(wall_seconds(mnistcnn_command("--help"), 3)),
            "evaluate_seconds": statistics.median(wall_seconds(mnistcnn_command(
                "evaluate", "--data", dataset.location, "--model-file", ROOT / "models" / "mnistcnn.h5",
                "--report-dir", tempfile.mkdtemp(prefix="mnistcnn-benchmark-report-")), 3)),
        },
    }
    arguments.output.mkdir(parents=True, exist_ok=True)
    (arguments.output / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    table = race_table(results)
    replace_block(ROOT / "BENCHMARKS.md", "race", table)
    print(table)


if __name__ == "__main__":
    main()
