"""Ensembles: one model averaging its members, saved as one .h5, resumable while training."""

import json

import numpy as np
import pytest

from conftest import run_cli
from mnistcnn.core import Config
from mnistcnn.models import combine, members
from mnistcnn.models import build_model
from mnistcnn.core import load_model, save_model

TINY = {"filters": 4, "dense_units": 16}


def test_an_ensemble_averages_its_members_probabilities_and_round_trips(tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    first, second = build_model(Config(**TINY)), build_model(Config(**TINY))
    images = np.random.default_rng(0).random((6, 28, 28, 1), dtype=np.float32)
    expected = (first.predict(images, verbose=0) + second.predict(images, verbose=0)) / 2
    assert not np.allclose(first.predict(images, verbose=0), second.predict(images, verbose=0))

    ensemble = combine([first, second])
    np.testing.assert_allclose(ensemble.predict(images, verbose=0), expected, rtol=1e-6)
    save_model(ensemble, tmp_path / "ensemble.h5", {})
    loaded = load_model(tmp_path / "ensemble.h5")
    np.testing.assert_allclose(loaded.predict(images, verbose=0), expected, rtol=1e-6)
    assert [member.name for member in members(loaded)] == ["member_1", "member_2"]
    assert members(first) == []


def test_an_ensemble_needs_two_members():
    with pytest.raises(ValueError, match="at least 2"):
        combine([build_model(Config(**TINY))])


def test_train_final_ensemble_then_evaluate_reports_each_member(tmp_path):
    output = tmp_path / "ensemble.h5"
    arguments = ["train-final", "--preset", "baseline", "--epochs", "1", "--filters", "4", "--dense-units", "16",
                 "--data", "sample", "--ensemble", "2", "--output", str(output)]
    result = run_cli(*arguments)
    assert result.exit_code == 0, result.output
    assert "an ensemble of 2" in result.output
    story = json.loads(output.with_suffix(".json").read_text())
    assert story["ensemble"] == 2 and [member["seed"] for member in story["members"]] == [0, 1]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "ensemble-tensorboard", "ensemble.h5", "ensemble.json"]
    assert sorted(path.name for path in (tmp_path / "ensemble-tensorboard").iterdir()) == ["member-1", "member-2"]

    result = run_cli("evaluate", "--model-file", str(output), "--data", "sample", "--json",
                     "--report-dir", str(tmp_path / "report"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{"):])
    assert len(report["members"]) == 2
    assert report["test"]["accuracy"] == story["metrics"]["test"]["accuracy"]
    for member, recorded in zip(report["members"], story["members"]):
        assert member["test"]["accuracy"] == recorded["metrics"]["test"]["accuracy"]


def test_an_interrupted_ensemble_reuses_the_members_it_finished(tmp_path, monkeypatch):
    from mnistcnn import final
    from mnistcnn.data import load_dataset

    dataset = load_dataset("sample")
    config = Config(epochs=1, **TINY)
    output = tmp_path / "ensemble.h5"
    real_train_one, trained_seeds = final._train_one, []

    def train_one_then_stop(member_config, *rest):
        if len(trained_seeds) == 1:
            raise KeyboardInterrupt  # Ctrl-C during the second member
        trained_seeds.append(member_config.seed)
        return real_train_one(member_config, *rest)

    monkeypatch.setattr(final, "_train_one", train_one_then_stop)
    with pytest.raises(KeyboardInterrupt):
        final.train_final(config, dataset, output, ensemble=2)
    assert not output.exists() and (tmp_path / ".ensemble.member-1-of-2.h5").exists()

    monkeypatch.setattr(final, "_train_one", lambda member_config, *rest: trained_seeds.append(
        member_config.seed) or real_train_one(member_config, *rest))
    record = final.train_final(config, dataset, output, ensemble=2)
    assert trained_seeds == [0, 1]  # seed 0 was not trained twice
    assert [member.seed for member in record.members] == [0, 1] and output.exists()
    assert json.loads(output.with_suffix(".json").read_text())["members"][0]["seed"] == 0
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


def test_a_member_beside_an_older_story_is_trained_again(tmp_path, monkeypatch, idx_folder, capsys):
    """A member's .h5 is renamed into place before its story: a kill between the two leaves a new
    network beside an older story, and a rerun whose config matches that story must not reuse it."""
    from mnistcnn import final
    from mnistcnn.core import storage
    from mnistcnn.data import load_dataset

    dataset = load_dataset(str(idx_folder))
    config, other = Config(epochs=1, **TINY), Config(epochs=1, learning_rate=0.01, **TINY)
    output, member = tmp_path / "ensemble.h5", tmp_path / ".ensemble.member-1-of-2.h5"
    real_train_one, trained_seeds = final._train_one, []

    def train_one_stopping_at_seed_1(member_config, *rest):  # Ctrl-C as the second member begins
        if member_config.seed == 1:
            raise KeyboardInterrupt
        trained_seeds.append(member_config.seed)
        return real_train_one(member_config, *rest)

    monkeypatch.setattr(final, "_train_one", train_one_stopping_at_seed_1)
    with pytest.raises(KeyboardInterrupt):
        final.train_final(config, dataset, output, ensemble=2)
    old_story = member.with_suffix(".json").read_text()

    # Another config's run trains member 1 anew and is killed between the renames of its .h5 and its story.
    def killed_before_the_story(path, text):
        raise KeyboardInterrupt

    with monkeypatch.context() as kill:
        kill.setattr(storage, "atomic_write_text", killed_before_the_story)
        with pytest.raises(KeyboardInterrupt):
            final.train_final(other, dataset, output, ensemble=2)
    assert trained_seeds == [0, 0] and member.with_suffix(".json").read_text() == old_story
    assert json.loads(old_story)["h5_sha256"] != storage.file_sha256(member)

    trained_seeds.clear()
    monkeypatch.setattr(final, "_train_one", lambda member_config, *rest: trained_seeds.append(
        member_config.seed) or real_train_one(member_config, *rest))
    capsys.readouterr()
    final.train_final(config, dataset, output, ensemble=2)
    assert trained_seeds == [0, 1]  # member 1 trained again, not taken from the other config's network
    assert "member 1 of 2 (seed 0): its saved network does not match its story's checksum" in capsys.readouterr().err
