"""Writer-disjoint validation splits from QMNIST's writer IDs, and the recipe they chose."""

import json
import re

import numpy as np
import pytest

from conftest import PROJECT_ROOT
from mnistcnn.core import Config
from mnistcnn.data import load_dataset
from mnistcnn.core import UsageError
from mnistcnn.core import PRESETS
from mnistcnn.data import WRITERS_PATH, Writers, writer_split, writers_of


def sample_writers() -> Writers:
    with np.load(WRITERS_PATH.parents[1] / "sample" / "mnist-sample.npz") as sample:
        return writers_of(sample["index_train"], sample["index_test"])[0]


def test_the_bundled_table_covers_mnist_with_disjoint_writers():
    with np.load(WRITERS_PATH) as table:
        assert table["train_writer"].shape == (60000,) and table["test_writer"].shape == (10000,)
        assert len(np.unique(table["train_writer"])) == 539 and len(np.unique(table["test_writer"])) == 297
        assert not set(table["train_writer"]) & set(table["test_writer"])
        # The test set is half employees (series 0-3), half students (series 4): 4,999 / 5,001.
        assert int(np.sum(table["test_series"] == 4)) == 5001
    assert (WRITERS_PATH.parent / "LICENSE").read_text().startswith("BSD License")


@pytest.mark.parametrize("fraction", [0.1, 0.2])
def test_a_writer_split_shares_no_writer_and_holds_both_series(fraction):
    writers = sample_writers()
    valid, train = writer_split(writers, fraction, seed=5)
    assert not set(writers.writer[valid]) & set(writers.writer[train])
    assert sorted(np.concatenate([valid, train])) == list(range(len(writers.writer)))
    assert abs(len(valid) / len(writers.writer) - fraction) < 0.02
    assert 0.4 < writers.group[valid].mean() < 0.6


def test_a_writer_split_is_stable_for_a_seed_and_differs_between_seeds():
    writers = sample_writers()
    first, again, other = (writer_split(writers, 0.2, seed)[0] for seed in (3, 3, 4))
    assert np.array_equal(first, again)
    assert set(writers.writer[first]) != set(writers.writer[other])


def test_the_sample_gets_a_writer_split_by_default():
    dataset = load_dataset("sample", 0.1, seed=0)
    assert dataset.valid_split == "writers" and dataset.valid_writers > 20
    assert "other writers" in dataset.describe()
    assert dataset.record().valid_writers == dataset.valid_writers
    assert len(dataset.test_writers.writer) == len(dataset.y_test)


def test_writers_on_unknown_images_is_one_clear_error(idx_folder):
    with pytest.raises(UsageError, match="--valid-split random"):
        load_dataset(str(idx_folder), 0.1, seed=0, valid_split="writers")
    dataset = load_dataset(str(idx_folder), 0.1, seed=0)  # auto falls back to random
    assert dataset.valid_split == "random" and dataset.valid_writers == 0


def test_no_validation_split_keeps_every_training_image():
    dataset = load_dataset("sample", 0.0, seed=0)
    assert len(dataset.y_valid) == 0 and len(dataset.y_train) == 10000


def test_the_full_set_is_recognised_wherever_it_is(full_mnist):
    dataset = load_dataset(full_mnist, 0.2, seed=11, valid_split="writers")
    assert dataset.valid_split == "writers" and 100 <= dataset.valid_writers <= 120
    assert abs(len(dataset.y_valid) - 12000) < 300


def test_the_best_preset_is_the_recipe_the_writer_trials_chose():
    # RULE.md: the winner becomes `--preset best`. The trial runs differ from it only in
    # how they split and seeded, and in their precision (float32, see RULE.md).
    trials = PROJECT_ROOT / "models" / "trials" / "writers"
    decision = re.search(r"^Decision: .*?\*\*(\w+)\*\*", (trials / "RESULT.md").read_text(), flags=re.M)
    if decision is None:
        pytest.skip("the writer trials are not decided yet (models/trials/writers/RESULT.md)")
    trial = Config.from_dict(json.loads((trials / f"{decision.group(1)}-seed-11.json").read_text())["config"])
    how_it_ran = {"seed": 0, "valid_fraction": 0.1, "valid_split": "auto", "precision": "auto"}
    assert trial.with_changes(**how_it_ran) == PRESETS["best"].with_changes(**how_it_ran)
