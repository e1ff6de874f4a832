"""Make the bundled writer table: who wrote each MNIST digit, from QMNIST's extended labels.

    python scripts/make_writers.py ../shared/data/qmnist ../shared/data/mnist

writes src/mnistcnn/data/qmnist/mnist-writers.npz: the NIST writer ID and HSF series of each
of the 60,000 training and 10,000 test images, in MNIST's order, plus the SHA-256 of
MNIST's training images and labels (so `data.py` recognises them wherever they come
from), and copies QMNIST's licence beside it. It refuses to write if QMNIST's digit
class disagrees with a single MNIST label.
QMNIST: Chhavi Yadav and Leon Bottou, "Cold Case: The Lost MNIST Digits" (2019), BSD licence.
Not timed here; short: it reads QMNIST's labels and MNIST's training files once.
"""

import gzip
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from mnistcnn.data.sources import _read_idx_folder  # noqa: E402
from mnistcnn.data import WRITERS_PATH, training_fingerprint  # noqa: E402

QMNIST_MAGIC = 3074  # IDX: big-endian int32, 2 dimensions


def read_qmnist_labels(path: Path) -> np.ndarray:
    """QMNIST's `*-labels-idx2-int.gz`: rows x 8 big-endian int32 columns."""
    raw = gzip.open(path, "rb").read()
    header = np.frombuffer(raw[:12], dtype=">i4")
    if header[0] != QMNIST_MAGIC:
        raise SystemExit(f"{path}: magic {header[0]}, expected {QMNIST_MAGIC}")
    rows, columns = int(header[1]), int(header[2])
    return np.frombuffer(raw[12:], dtype=">i4").reshape(rows, columns)


def main(qmnist_folder: str, mnist_folder: str) -> None:
    qmnist, mnist = Path(qmnist_folder), _read_idx_folder(Path(mnist_folder))
    train = read_qmnist_labels(qmnist / "qmnist-train-labels-idx2-int.gz")
    test = read_qmnist_labels(qmnist / "qmnist-test-labels-idx2-int.gz")[: len(mnist["y_test"])]
    for name, table, labels in (("train", train, mnist["y_train"]), ("test", test, mnist["y_test"])):
        disagreements = int(np.sum(table[:, 0] != labels))
        if len(table) != len(labels) or disagreements:
            raise SystemExit(f"{name}: QMNIST and MNIST disagree on {disagreements} labels; wrong files?")
    # Columns: 0 class, 1 HSF series (0, 1 or 4), 2 NIST writer ID.
    WRITERS_PATH.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        WRITERS_PATH,
        train_writer=train[:, 2].astype(np.int16),
        train_series=train[:, 1].astype(np.int8),
        test_writer=test[:, 2].astype(np.int16),
        test_series=test[:, 1].astype(np.int8),
        train_fingerprint=np.array(training_fingerprint(mnist["x_train"], mnist["y_train"])),
    )
    shutil.copy(qmnist / "LICENSE", WRITERS_PATH.parent / "LICENSE")
    shared = set(train[:, 2]) & set(test[:, 2])
    print(f"wrote {WRITERS_PATH} ({WRITERS_PATH.stat().st_size / 1e3:.0f} kB): "
          f"{len(set(train[:, 2]))} training writers, {len(set(test[:, 2]))} test writers, {len(shared)} shared")


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/make_writers.py QMNIST_FOLDER MNIST_FOLDER")
    main(*sys.argv[1:])
