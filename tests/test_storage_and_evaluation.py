import os

import h5py
import numpy as np
import pytest

from mnistcnn.core import Config
from mnistcnn.core import InputError
from mnistcnn.reports import confusion_matrix, hardest_mistakes, per_class_scores, split_metrics
from mnistcnn.models import build_model
from mnistcnn.core import file_sha256, load_model, read_story, save_model


def test_save_then_load_gives_identical_predictions(tmp_path):
    model = build_model(Config(precision="float32"))
    images = np.random.default_rng(0).random((5, 28, 28, 1), dtype=np.float32)
    path = tmp_path / "m.h5"
    story = save_model(model, path, {"note": "test"})
    loaded = load_model(path)
    np.testing.assert_array_equal(model.predict(images, verbose=0), loaded.predict(images, verbose=0))
    assert read_story(path) == story and story["h5_sha256"] == file_sha256(path)
    # No temporary file is left beside the result.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.h5", "m.json"]


def test_an_ensemble_file_is_known_without_keras(tmp_path):
    from mnistcnn.models import combine
    from mnistcnn.core import holds_ensemble

    tiny = Config(filters=4, dense_units=8, precision="float32")
    save_model(build_model(tiny), tmp_path / "single.h5", {})
    save_model(combine([build_model(tiny), build_model(tiny)]), tmp_path / "pair.h5", {})
    (tmp_path / "text.h5").write_text("not HDF5")
    assert [holds_ensemble(tmp_path / name) for name in ("single.h5", "pair.h5", "text.h5")] == [False, True, False]


def test_missing_model_file(tmp_path):
    with pytest.raises(InputError, match="no model file at .*train-final"):
        load_model(tmp_path / "absent.h5")


def test_not_hdf5(tmp_path):
    path = tmp_path / "fake.h5"
    path.write_text("hello")
    with pytest.raises(InputError, match="not an HDF5 file"):
        load_model(path)


def test_hdf5_that_is_not_a_model(tmp_path):
    path = tmp_path / "data.h5"
    with h5py.File(path, "w") as handle:
        handle["x"] = np.zeros(3)
    with pytest.raises(InputError, match="not a Keras model"):
        load_model(path)


def test_wrong_input_shape(tmp_path):
    import keras

    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(inputs)))
    path = tmp_path / "cifar.h5"
    model.save(path)
    with pytest.raises(InputError, match="expected \\(None, 28, 28, 1\\)"):
        load_model(path)


def test_split_metrics_against_hand_computed_values():
    probabilities = np.array([[0.9, 0.1] + [0] * 8, [0.2, 0.8] + [0] * 8, [0.6, 0.4] + [0] * 8])
    metrics = split_metrics(probabilities, np.array([0, 1, 1]))
    assert metrics["n"] == 3
    assert metrics["accuracy"] == pytest.approx(2 / 3)
    assert metrics["loss"] == pytest.approx(-(np.log(0.9) + np.log(0.8) + np.log(0.4)) / 3)


def test_confusion_matrix_and_scores():
    matrix = confusion_matrix(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 2]))
    assert matrix[0, 0] == 1 and matrix[0, 1] == 1 and matrix[1, 1] == 1 and matrix.sum() == 4
    scores = per_class_scores(matrix)
    assert scores[0]["recall"] == 0.5 and scores[0]["precision"] == 1.0
    assert scores[1]["precision"] == 0.5 and scores[1]["f1"] == pytest.approx(2 / 3)


def test_hardest_mistakes_are_the_confident_wrong_ones():
    probabilities = np.full((4, 10), 0.0)
    probabilities[0, 0] = 1.0  # right
    probabilities[1, 3] = 0.6  # wrong, less sure
    probabilities[2, 5] = 0.99  # wrong, most sure
    probabilities[3, 7] = 0.8  # wrong
    assert hardest_mistakes(probabilities, np.array([0, 1, 1, 1])).tolist() == [2, 3, 1]


def test_a_write_clears_temporaries_of_killed_writers_only(tmp_path):
    import subprocess
    import sys

    from mnistcnn.core import atomic_write_text

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True)
    dead = tmp_path / f".m.partial-{finished.stdout.strip()}.json"  # its writer was killed mid-write
    alive = tmp_path / f".m.partial-{os.getppid()}.json"  # another live writer's, still in progress
    other = tmp_path / f".other.partial-{finished.stdout.strip()}.json"  # another file's: not ours to judge
    for path in (dead, alive, other):
        path.write_text("half")
    atomic_write_text(tmp_path / "m.json", "{}")
    assert (tmp_path / "m.json").read_text() == "{}"
    assert not dead.exists() and alive.exists() and other.exists()


def test_evaluate_says_test_figures_of_a_kaggle_trained_model_cannot_be_trusted(tmp_path):
    """Kaggle's train.csv re-splits all 70,000 MNIST images, so a model trained on it may have
    seen the test digits it is measured on: one note says so, on standard error."""
    import json
    import shutil

    from conftest import PROJECT_ROOT, run_cli

    model = tmp_path / "kaggle.h5"
    shutil.copy(PROJECT_ROOT / "models" / "mnistcnn.h5", model)  # the same bytes: its checksum still holds
    story = json.loads((PROJECT_ROOT / "models" / "mnistcnn.json").read_text())
    story["data"] = {**story["data"], "source": "kaggle", "location": "train.csv", "train": 42000, "test": 0}
    model.with_suffix(".json").write_text(json.dumps(story))

    result = run_cli("evaluate", "--model-file", model, "--data", "sample", "--report-dir", tmp_path / "report")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "cannot be trusted" in line]
    assert notes == ["note: test figures cannot be trusted: the model was trained on kaggle data, not MNIST's own "
                     "training set (Kaggle's train.csv re-splits all 70,000 MNIST images, so about 6,000 of "
                     "MNIST's test digits may have been trained on)"]
    assert "cannot be trusted" not in result.stdout

    story["data"]["source"] = "mnist"
    model.with_suffix(".json").write_text(json.dumps(story))
    result = run_cli("evaluate", "--model-file", model, "--data", "sample", "--report-dir", tmp_path / "other")
    assert result.exit_code == 0 and "cannot be trusted" not in result.output
