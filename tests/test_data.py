import re

import numpy as np
import pytest

from conftest import make_arrays, write_idx_folder
from mnistcnn.data import sources as data
from mnistcnn.data import SAMPLE_PATH, load_dataset
from mnistcnn.core import InputError, UsageError


def test_reads_idx_folder_and_splits(idx_folder):
    dataset = load_dataset(str(idx_folder), valid_fraction=0.1, seed=0)
    assert dataset.x_train.shape == (54, 28, 28, 1)
    assert dataset.x_valid.shape == (6, 28, 28, 1)
    assert dataset.x_test.shape == (20, 28, 28, 1)
    assert dataset.x_train.dtype == np.float32 and dataset.x_train.max() <= 1.0
    assert dataset.describe() == f"data: mnist (54 train / 6 valid / 20 test) from {idx_folder}"


@pytest.mark.parametrize("gzip, dotted", [(False, False), (False, True), (True, True)])
def test_reads_raw_and_dotted_spellings(tmp_path, gzip, dotted):
    folder = write_idx_folder(tmp_path / "m", make_arrays(), gzip=gzip, dotted=dotted)
    assert len(load_dataset(str(folder)).y_test) == 20


def test_split_is_deterministic_for_a_seed_and_differs_across_seeds(idx_folder):
    first, again = load_dataset(str(idx_folder), seed=1), load_dataset(str(idx_folder), seed=1)
    other = load_dataset(str(idx_folder), seed=2)
    np.testing.assert_array_equal(first.x_valid, again.x_valid)
    assert not np.array_equal(first.x_valid, other.x_valid)
    # Nothing is lost or duplicated between train and valid.
    assert len(first.y_train) + len(first.y_valid) == 60


def test_reads_keras_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    np.savez(path, **make_arrays())
    assert load_dataset(str(path)).source == "mnist"


def test_npz_missing_keys(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = make_arrays()
    del arrays["y_test"]
    np.savez(path, **arrays)
    with pytest.raises(InputError, match="missing arrays y_test"):
        load_dataset(str(path))


def test_normalised_npz_keeps_its_digits(tmp_path):
    # A mnist.npz saved as floats in [0, 1] means the same pixels, not blank images.
    arrays = make_arrays()
    path = tmp_path / "mnist.npz"
    np.savez(path, **{**arrays, "x_train": arrays["x_train"] / 255.0, "x_test": arrays["x_test"].astype(np.float32)})
    dataset = load_dataset(str(path), valid_fraction=0)
    order = np.random.default_rng(0).permutation(60)
    np.testing.assert_allclose(dataset.x_train[..., 0], arrays["x_train"][order] / 255.0, atol=1e-6)
    np.testing.assert_allclose(dataset.x_test[..., 0], arrays["x_test"] / 255.0, atol=1e-6)


@pytest.mark.parametrize("images, message", [
    (np.full((60, 28, 28), 300, np.int16), "x_train holds values 300..300, expected pixels 0-255"),
    (np.full((60, 28, 28), -1, np.int8), "x_train holds values -1..-1, expected pixels 0-255"),
    (np.full((60, 28, 28), 256.0), "x_train holds floats from 256 to 256, expected [0, 1] or [0, 255]"),
    (np.full((60, 28, 28), -0.5), "x_train holds floats from -0.5 to -0.5"),
    (np.full((60, 28, 28), np.nan), "x_train holds floats from nan to nan"),
    (np.full((60, 28, 28), "x"), "x_train holds <U1 values"),
])
def test_npz_pixels_out_of_range_are_refused(tmp_path, images, message):
    path = tmp_path / "mnist.npz"
    np.savez(path, **{**make_arrays(), "x_train": images})
    with pytest.raises(InputError, match=re.escape(f"{path}: {message}")) as error:
        load_dataset(str(path))
    assert "\n" not in str(error.value)


def test_count_mismatch(tmp_path):
    arrays = make_arrays()
    arrays["y_train"] = arrays["y_train"][:-1]
    folder = write_idx_folder(tmp_path / "m", arrays)
    with pytest.raises(InputError, match="60 train images but 59 labels"):
        load_dataset(str(folder))


def test_label_out_of_range(tmp_path):
    arrays = make_arrays()
    arrays["y_test"][3] = 11
    folder = write_idx_folder(tmp_path / "m", arrays)
    with pytest.raises(InputError, match="labels range 0..11, expected 0-9"):
        load_dataset(str(folder))


def test_missing_one_of_four(idx_folder):
    (idx_folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(InputError, match="missing t10k-labels-idx1-ubyte"):
        load_dataset(str(idx_folder))


def test_empty_folder(tmp_path):
    with pytest.raises(InputError, match="missing train-images"):
        load_dataset(str(tmp_path))


def test_path_that_does_not_exist(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_dataset(str(tmp_path / "nowhere"))


@pytest.mark.parametrize("fraction", [1, -0.5, 1.5])
def test_bad_valid_fraction(idx_folder, fraction):
    with pytest.raises(UsageError, match="valid fraction"):
        load_dataset(str(idx_folder), valid_fraction=fraction)


def test_sample_is_balanced_small_and_real():
    assert SAMPLE_PATH.stat().st_size <= 3_000_000
    with np.load(SAMPLE_PATH) as sample:
        assert sample["x_train"].shape == (10000, 28, 28)
        assert sample["x_test"].shape == (2000, 28, 28)
        assert np.bincount(sample["y_train"]).tolist() == [1000] * 10
        assert np.bincount(sample["y_test"]).tolist() == [200] * 10
        # Real digits: dark background with bright strokes, not noise.
        assert 0.1 < (sample["x_train"] > 128).mean() < 0.25


# Source resolution order for "auto": environment, Keras cache, download, sample.

def test_auto_prefers_the_environment(monkeypatch, idx_folder):
    monkeypatch.setenv("MNISTCNN_DATA", str(idx_folder))
    assert load_dataset("auto").location == str(idx_folder)


def test_auto_uses_keras_cache_next(monkeypatch, tmp_path):
    monkeypatch.delenv("MNISTCNN_DATA", raising=False)
    cache = data.keras_cache_path()
    cache.parent.mkdir(parents=True)
    np.savez(cache, **make_arrays())
    assert load_dataset("auto").location == str(cache)


def test_auto_downloads_when_no_cache(monkeypatch):
    monkeypatch.delenv("MNISTCNN_DATA", raising=False)
    monkeypatch.setattr(data, "download_with_keras", lambda: make_arrays())
    dataset = load_dataset("auto")
    assert dataset.source == "mnist" and dataset.location.startswith("Keras download")


def test_auto_falls_back_to_the_sample_loudly(monkeypatch, capsys):
    monkeypatch.delenv("MNISTCNN_DATA", raising=False)
    dataset = load_dataset("auto")
    assert dataset.source == "sample"
    warning = capsys.readouterr().err
    assert "WARNING" in warning and "Keras's download failed" in warning and "MNISTCNN_DATA" in warning


def test_mnist_never_falls_back(monkeypatch):
    monkeypatch.delenv("MNISTCNN_DATA", raising=False)
    with pytest.raises(InputError, match="download failed"):
        load_dataset("mnist")


def test_full_set_from_environment(full_mnist):
    dataset = load_dataset(full_mnist, valid_split="random")
    assert (len(dataset.y_train), len(dataset.y_valid), len(dataset.y_test)) == (54000, 6000, 10000)
    assert dataset.source == "mnist"
    # By default the full set is recognised and split by writers: about 10%, whole writers.
    writers = load_dataset(full_mnist)
    assert writers.valid_split == "writers" and abs(len(writers.y_valid) - 6000) < 200
    assert len(writers.y_train) + len(writers.y_valid) == 60000
    assert np.bincount(dataset.y_test).tolist()[:2] == [980, 1135]  # the canonical test set
