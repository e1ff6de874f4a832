"""Who wrote each MNIST digit, and validation splits made of whole writers.

MNIST's 60,000 training digits come from 539 people and its 10,000 test digits from
297 others. A validation split drawn at random from the training images measures
"new digits by known writers"; the test set (and every user) asks "digits by someone
new". A writer-disjoint split holds out all the digits of a random set of writers,
as the test set does. The writer of each digit comes from QMNIST's extended labels
(Yadav & Bottou 2019, BSD licence in `qmnist/LICENSE`), bundled by
`scripts/make_writers.py`.
"""

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

WRITERS_PATH = Path(__file__).parent / "qmnist" / "mnist-writers.npz"
# NIST's HSF series 0-3 were written by Census Bureau employees, series 4 by high-school
# students; MNIST's test set is half of each, its training set about half.
STUDENT_SERIES = 4
SERIES_NAMES = ("employees", "students")


@dataclass(frozen=True)
class Writers:
    """Writer ID and series group (0 employees, 1 students) of each image of a split."""

    writer: np.ndarray
    group: np.ndarray

    def subset(self, index: np.ndarray) -> "Writers":
        return Writers(self.writer[index], self.group[index])


def training_fingerprint(images: np.ndarray, labels: np.ndarray) -> str:
    """SHA-256 of training images and labels as uint8, to recognise MNIST's own, in its order."""
    digest = hashlib.sha256(np.ascontiguousarray(images, dtype=np.uint8).tobytes())
    digest.update(np.ascontiguousarray(labels, dtype=np.uint8).tobytes())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def _table() -> dict:
    with np.load(WRITERS_PATH) as archive:
        return {key: archive[key] for key in archive.files}


def _writers(kind: str, index: np.ndarray | None = None) -> Writers:
    table = _table()
    writer = table[f"{kind}_writer"].astype(np.int64)
    group = (table[f"{kind}_series"] == STUDENT_SERIES).astype(np.int64)
    selected = Writers(writer, group)
    return selected if index is None else selected.subset(index)


def mnist_writers(x_train: np.ndarray, y_train: np.ndarray) -> tuple[Writers, Writers] | None:
    """(training writers, test writers) if these are MNIST's 60,000 training images in
    their original order, else None."""
    if len(y_train) != len(_table()["train_writer"]):
        return None
    if training_fingerprint(x_train, y_train) != str(_table()["train_fingerprint"]):
        return None
    return _writers("train"), _writers("test")


def writers_of(train_index: np.ndarray, test_index: np.ndarray) -> tuple[Writers, Writers]:
    """Writers of a subset of MNIST given by original indices (the bundled sample)."""
    return _writers("train", train_index), _writers("test", test_index)


def writer_split(writers: Writers, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(valid index, train index): all the digits of a seeded random set of writers in valid.

    About `fraction` of the images go to valid, half from each series group, as in the
    test set: within each group writers are taken in a seeded random order until the
    group's share is reached (the last writer is kept if that lands closer to it).
    """
    rng = np.random.default_rng(seed)
    target_per_group = len(writers.writer) * fraction / 2
    chosen = []
    for group in (0, 1):
        candidates = np.unique(writers.writer[writers.group == group])
        candidates = candidates[rng.permutation(len(candidates))]
        counts = np.array([np.sum(writers.writer == writer) for writer in candidates])
        totals = np.cumsum(counts)
        taken = int(np.searchsorted(totals, target_per_group))  # first prefix reaching the target
        if taken < len(totals) and taken > 0 and (
                totals[taken] - target_per_group > target_per_group - totals[taken - 1]):
            taken -= 1
        chosen.extend(candidates[: min(taken + 1, len(candidates))])
    in_valid = np.isin(writers.writer, chosen)
    order = rng.permutation(len(writers.writer))  # shuffled within each split, like the random split
    return order[in_valid[order]], order[~in_valid[order]]
