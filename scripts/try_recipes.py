"""Short trials of candidate fast recipes: training seconds and test accuracy after each epoch.

    MNISTCNN_DATA=../shared/data/mnist python scripts/try_recipes.py \\
        '[{"filters": 16, "kernel_size": 5, "batch_size": 64, "learning_rate": 0.004, "epochs": 2}]' 2

Each candidate is a JSON object of config fields over the baseline with a cosine
schedule; it is trained once per seed (the second argument) and printed as one
RESULT line of (seconds of training, test accuracy) per epoch, timed like the race
in scripts/benchmark.py. The lines behind BENCHMARKS.md's recipe notes are in
benchmarks/recipe-trials.txt.
Not timed as a whole; `fast`'s one epoch took 17.2 seconds of training here (BENCHMARKS.md's race).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
import benchmark  # noqa: E402
from mnistcnn.core import Config  # noqa: E402
from mnistcnn.data import load_dataset  # noqa: E402
from mnistcnn.training import train  # noqa: E402


def main():
    candidates = json.loads(sys.argv[1])
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    dataset = load_dataset(None)
    if dataset.source != "mnist":
        sys.exit("the trials need the full MNIST set: set MNISTCNN_DATA")
    for fields in candidates:
        for seed in range(seeds):
            benchmark.keras.utils.set_random_seed(seed)
            clock = benchmark.TestAccuracyClock(dataset.x_test, dataset.y_test)
            config = Config(**{"schedule": "cosine", "patience": 99, "seed": seed, **fields})
            train(config, dataset, callbacks=(clock,), verbose=0)
            print("RESULT", json.dumps(fields), "seed", seed,
                  [(epoch["training_seconds"], round(epoch["test_accuracy"], 4)) for epoch in clock.epochs],
                  flush=True)


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    main()
