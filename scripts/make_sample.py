"""Make the bundled sample: a class-balanced subset of the real MNIST files.

    python scripts/make_sample.py ../shared/data/mnist

writes src/mnistcnn/data/sample/mnist-sample.npz: 1,000 training and 200 test images
per digit, chosen at random with a fixed seed, in Keras's mnist.npz layout, plus
`index_train` and `index_test`: each image's index in the original files, so the
sample's writers are known (writers.py).
MNIST: Yann LeCun, Corinna Cortes and Christopher J.C. Burges, CC BY-SA 3.0.
Not timed here; short: it reads the four IDX files once.
"""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from mnistcnn.data.sources import IDX_FILES, SAMPLE_PATH, _read_idx_folder  # noqa: E402

TRAIN_PER_CLASS = 1000
TEST_PER_CLASS = 200
SEED = 2024


def balanced_subset(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of `per_class` random examples of each digit, in shuffled order."""
    chosen = [rng.choice(np.flatnonzero(labels == digit), per_class, replace=False) for digit in range(10)]
    return rng.permutation(np.concatenate(chosen))


def main(mnist_folder: str) -> None:
    arrays = _read_idx_folder(Path(mnist_folder))
    rng = np.random.default_rng(SEED)
    train = balanced_subset(arrays["y_train"], TRAIN_PER_CLASS, rng)
    test = balanced_subset(arrays["y_test"], TEST_PER_CLASS, rng)
    SAMPLE_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        SAMPLE_PATH,
        x_train=arrays["x_train"][train],
        y_train=arrays["y_train"][train],
        x_test=arrays["x_test"][test],
        y_test=arrays["y_test"][test],
        index_train=train.astype(np.int32),
        index_test=test.astype(np.int32),
    )
    size_mb = SAMPLE_PATH.stat().st_size / 1e6
    print(f"wrote {SAMPLE_PATH} ({len(train)} train, {len(test)} test, {size_mb:.2f} MB) from {sorted(IDX_FILES)}")


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_sample.py MNIST_FOLDER")
    main(sys.argv[1])
