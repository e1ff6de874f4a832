"""Training throughput of one network under each speed lever, so BENCHMARKS.md can say what won and lost.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_levers.py

Every row trains the same small network (the `baseline` architecture, batch 128,
unless the row says otherwise) for one full epoch over the 54,000 training images
after a short warm-up (which pays tracing and compilation), in `--repeats` rounds
over all levers, and reports the median training images per second. Writes benchmarks/levers.json
and the levers table in BENCHMARKS.md.
Not timed here: a few epochs under each lever.
"""

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from benchmark import machine_facts  # noqa: E402
from markdown_blocks import replace_block  # noqa: E402
from wall_clock import warm_fit_seconds  # noqa: E402
from mnistcnn.core import import_keras  # noqa: E402

keras = import_keras()
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

from mnistcnn.core import Config  # noqa: E402
from mnistcnn.models import build_model  # noqa: E402
from mnistcnn.training import one_hot  # noqa: E402

WARM_UP_IMAGES = 4096


def small_network(batch_normalization: bool):
    """Conv 32 - Conv 32 - pool - Conv 64 - pool - Dense 10, with or without BatchNorm after each convolution."""
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    for filters, pool in ((32, False), (32, True), (64, True)):
        model.add(layers.Conv2D(filters, 3, use_bias=not batch_normalization))
        if batch_normalization:
            model.add(layers.BatchNormalization())
        model.add(layers.Activation("relu"))
        if pool:
            model.add(layers.MaxPooling2D())
    model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax", dtype="float32"))
    return model


# name: (precision, batch size, steps per execution, input, jit_compile, model maker)
LEVERS = {
    "float32 (reference)": ("float32", 128, 1, "arrays", False, None),
    "mixed_bfloat16": ("mixed_bfloat16", 128, 1, "arrays", False, None),
    "mixed_bfloat16, steps_per_execution 32": ("mixed_bfloat16", 128, 32, "arrays", False, None),
    "mixed_bfloat16, tf.data in memory + prefetch": ("mixed_bfloat16", 128, 1, "tf.data", False, None),
    "mixed_bfloat16, XLA jit_compile": ("mixed_bfloat16", 128, 1, "arrays", True, None),
    "mixed_bfloat16, batch 64": ("mixed_bfloat16", 64, 1, "arrays", False, None),
    "mixed_bfloat16, batch 256": ("mixed_bfloat16", 256, 1, "arrays", False, None),
    "mixed_bfloat16, kernel 5, batch 64": ("mixed_bfloat16", 64, 1, "arrays", False, Config(kernel_size=5)),
    "three convolutions, no BatchNorm (mixed_bfloat16)": ("mixed_bfloat16", 128, 1, "arrays", False, False),
    "three convolutions, BatchNorm (mixed_bfloat16)": ("mixed_bfloat16", 128, 1, "arrays", False, True),
}


def epoch_seconds(dataset, precision, batch_size, steps_per_execution, pipeline, jit_compile, maker):
    """Seconds of one timed epoch, after a warm-up that pays tracing and compilation."""
    keras.mixed_precision.set_global_policy(precision)
    keras.utils.set_random_seed(0)
    if isinstance(maker, bool):
        model = small_network(batch_normalization=maker)
    else:
        model = build_model(maker or Config())
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"],
                  steps_per_execution=steps_per_execution, jit_compile=jit_compile)
    x, y = dataset.x_train, one_hot(dataset.y_train)

    def fit(images):
        if pipeline == "tf.data":
            data = (tf.data.Dataset.from_tensor_slices((x[:images], y[:images])).shuffle(images)
                    .batch(batch_size).prefetch(tf.data.AUTOTUNE))
            model.fit(data, epochs=1, verbose=0)
        else:
            model.fit(x[:images], y[:images], batch_size=batch_size, epochs=1, verbose=0)

    return warm_fit_seconds(fit, len(x), WARM_UP_IMAGES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=None, help="MNIST source (default: MNISTCNN_DATA or auto)")
    parser.add_argument("--repeats", type=int, default=3, help="rounds: timed epochs per lever (median)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks")
    arguments = parser.parse_args()

    from mnistcnn.data import load_dataset

    dataset = load_dataset(arguments.data)
    if dataset.source != "mnist":
        sys.exit("the benchmark needs the full MNIST set: set MNISTCNN_DATA or --data")
    # Rounds over all levers rather than all repeats of one lever at a time: this machine's
    # speed drifts with its neighbours' load, and rounds spread that drift over every lever.
    seconds = {name: [] for name in LEVERS}
    for round_number in range(1, arguments.repeats + 1):
        for name, lever in LEVERS.items():
            seconds[name].append(epoch_seconds(dataset, *lever))
            print(f"round {round_number}, {name}: {len(dataset.x_train) / seconds[name][-1]:,.0f} training images/s",
                  flush=True)
    rows = [{"lever": name, "training_images_per_second": round(len(dataset.x_train) / statistics.median(values))}
            for name, values in seconds.items()]

    reference = rows[0]["training_images_per_second"]
    results = {"command": " ".join(["python", "scripts/benchmark_levers.py", *sys.argv[1:]]),
               "machine": machine_facts(), "repeats": arguments.repeats, "rows": rows}
    arguments.output.mkdir(parents=True, exist_ok=True)
    (arguments.output / "levers.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["| lever | training images/s | vs float32 |", "| --- | --- | --- |"]
    lines += [f"| {row['lever']} | {row['training_images_per_second']:,} "
              f"| {row['training_images_per_second'] / reference:.2f}x |" for row in rows]
    machine = results["machine"]
    lines.append(f"\nMedian of {arguments.repeats} epochs per lever, {machine['cpu']}, {machine['cores']} cores, "
                 f"TensorFlow {machine['tensorflow']}, {machine['date']}. Command: `{results['command']}`.")
    replace_block(ROOT / "BENCHMARKS.md", "levers", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
