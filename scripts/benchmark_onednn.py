"""Training throughput with TensorFlow's oneDNN kernels off and on, for the networks users train.

    MNISTCNN_DATA=../shared/data/mnist python scripts/benchmark_onednn.py --repeats 3

TensorFlow reads TF_ENABLE_ONEDNN_OPTS once, when it starts, so every measurement is a
fresh process (this script again, with `--child`). Each trains one network, compiled as
its recipe compiles it, on a slice of the training images after a warm-up that pays
tracing, and prints training images per second. The settings alternate (off, on, off,
on, ...) so both see the same drift of a shared machine. Writes benchmarks/onednn.json
and the oneDNN table in BENCHMARKS.md.
Not timed here: each network trained briefly in fresh processes, oneDNN off and on.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402
from wall_clock import warm_fit_seconds  # noqa: E402

WARM_UP_IMAGES = 4096
# name: (preset, or None for the Keras example, training images timed)
NETWORKS = {
    "Keras example": (None, 54_000),
    "`--preset fast`": ("fast", 54_000),
    "`--preset best` (augmented)": ("best", 6_400),
}
SETTINGS = ("0", "1")


def child(name: str) -> float:
    """Training images per second of `name`'s network in this process."""
    import benchmark
    from mnistcnn.data import load_dataset
    from mnistcnn.models import build_model
    from mnistcnn.core import get_preset
    from mnistcnn.core import prepare
    from mnistcnn.training import compile_model, one_hot

    preset, images = NETWORKS[name]
    dataset = load_dataset(None)
    x, y = dataset.x_train[:images], one_hot(dataset.y_train[:images])
    if preset is None:
        prepare(0, "float32")
        model, batch_size = benchmark.keras_example_model(), 128
    else:
        config = get_preset(preset)
        prepare(0, config.precision)
        model, batch_size = build_model(config), config.batch_size
        compile_model(model, config, len(y) // batch_size)
    seconds = warm_fit_seconds(lambda images: model.fit(x[:images], y[:images], batch_size=batch_size, verbose=0),
                               len(y), WARM_UP_IMAGES)
    return len(y) / seconds


def measure(name: str, setting: str) -> float:
    environment = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": setting}
    process = subprocess.run([sys.executable, __file__, "--child", name], env=environment,
                             capture_output=True, text=True, check=True)
    return float(process.stdout.strip().splitlines()[-1])


def table(results) -> str:
    rows = []
    for name, by_setting in results["networks"].items():
        off, on = (statistics.median(by_setting[setting]) for setting in SETTINGS)
        rows.append([name, f"{off:,.0f}", f"{on:,.0f}", f"{on / off:.2f}x"])
    machine = results["machine"]
    return (markdown_table(["network", "oneDNN off: training images/s", "oneDNN on", "on / off"], rows)
            + f"\n\nMedians of {results['repeats']} fresh processes per cell, {machine['cpu']}, {machine['cores']} "
              f"cores, TensorFlow {machine['tensorflow']}, {machine['date']}. Command: `{results['command']}`.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=NETWORKS, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(child(arguments.child))
        return
    from benchmark import machine_facts

    results = {"command": f"python scripts/benchmark_onednn.py --repeats {arguments.repeats}",
               "repeats": arguments.repeats, "machine": machine_facts(),
               "networks": {name: {setting: [] for setting in SETTINGS} for name in NETWORKS}}
    for _ in range(arguments.repeats):
        for name in NETWORKS:
            for setting in SETTINGS:
                images_per_second = measure(name, setting)
                results["networks"][name][setting].append(round(images_per_second, 1))
                print(f"{name}, oneDNN {setting}: {images_per_second:,.0f} training images/s", file=sys.stderr,
                      flush=True)
    (ROOT / "benchmarks" / "onednn.json").write_text(json.dumps(results, indent=2) + "\n")
    replace_block(ROOT / "BENCHMARKS.md", "onednn", table(results))
    print(table(results))


if __name__ == "__main__":
    main()
