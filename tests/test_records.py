"""The data record of a run, and the older shapes it is read from."""

import json

from conftest import PROJECT_ROOT
from mnistcnn.core import DataRecord


def test_a_record_round_trips_and_compares_without_its_location():
    record = DataRecord("mnist", "/here", "writers", 108, 48000, 12000, 10000)
    assert DataRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    moved = DataRecord("mnist", "/elsewhere", "writers", 108, 48000, 12000, 10000)
    assert record.same_data(moved) and not record.same_data(None)
    assert not record.same_data(DataRecord("mnist", "/here", "random", 0, 48000, 12000, 10000))
    assert record.summary() == "mnist (48000 train / 12000 valid by 108 other writers / 10000 test)"


def test_older_shapes_still_read():
    # A sweep run's display line, and a story's dict from before writer splits.
    line = DataRecord.from_json("mnist (54000 train / 6000 valid / 10000 test)")
    assert line == DataRecord("mnist", "", "random", 0, 54000, 6000, 10000)
    assert DataRecord.from_json("data: sample (9006 train / 994 valid by 54 other writers / 2000 test) from x") == \
        DataRecord("sample", "x", "writers", 54, 9006, 994, 2000)
    story = {"source": "mnist", "location": "../shared/data/mnist", "train": 54000, "valid": 6000, "test": 10000}
    assert DataRecord.from_json(story).same_data(line)
    assert DataRecord.from_json("/only/a/location") is None and DataRecord.from_json(None) is None


def test_every_committed_record_reads():
    # The committed models and every trial; a model of the user's own under models/ is theirs.
    paths = [PROJECT_ROOT / "models" / f"{name}.json" for name in ("mnistcnn", "mnistcnn-ensemble")]
    paths += sorted((PROJECT_ROOT / "models" / "trials").rglob("*.json"))
    stories = [json.loads(path.read_text()) for path in paths]
    stories = [story for story in stories if "data" in story]
    runs = [json.loads(path.read_text()) for path in (PROJECT_ROOT / "experiments").glob("*/*/seed-*/metrics.json")]
    assert len(stories) >= 5 and len(runs) >= 6
    for record in stories + runs:
        data = DataRecord.from_json(record["data"])
        assert data is not None and data.source == "mnist" and data.test == 10000


def committed_story_paths():
    paths = [PROJECT_ROOT / "models" / f"{name}.json" for name in ("mnistcnn", "mnistcnn-ensemble")]
    paths += sorted((PROJECT_ROOT / "models" / "trials").glob("*.json"))
    return paths + sorted((PROJECT_ROOT / "models" / "trials" / "writers").glob("*.json"))


def test_every_committed_story_reads_as_a_run_record_and_writes_back_the_same():
    from mnistcnn.core import RunRecord

    paths = committed_story_paths()
    assert len(paths) >= 8
    for path in paths:
        story = json.loads(path.read_text())
        record = RunRecord.from_json(story)
        assert record.accuracy("test") == story["metrics"]["test"]["accuracy"]
        assert [member.seed for member in record.members] == [member["seed"] for member in story.get("members", [])]
        written = record.to_json()
        # Older stories wrote fewer data fields; the record fills them with what they meant.
        assert written["data"] == DataRecord.from_json(story["data"]).to_json()
        assert {**written, "data": None} == {**story, "data": None}, path.name


def test_an_ensemble_member_file_of_either_age_reads_the_same():
    from mnistcnn.core import RunRecord

    config = {"architecture": "deep", "seed": 1, "epochs": 30}
    data = {"source": "mnist", "train": 48000, "valid": 12000, "test": 10000}
    run = {"seed": 1, "epochs_run": 30, "best_epoch": 30, "training_seconds": 60.0, "precision": "float32",
           "history": {"loss": [0.1]}, "metrics": {"test": {"accuracy": 0.99}}}
    old = RunRecord.from_json({"config": config, "data": data, "run": run})
    new = RunRecord.from_json(RunRecord.from_json({**run, "config": config, "data": data}).to_json())
    assert old.seed == 1 and old.data == new.data and old.metrics == new.metrics and old.history == new.history
    assert old.config == new.config == config and old.accuracy("test") == 0.99
    ensemble = RunRecord.from_json({"ensemble": 1, "members": [run], "training_seconds": 60.0, "precision": "float32",
                                    "metrics": {}, "config": {**config, "seed": 0}, "data": data, "date": "today"})
    assert ensemble.members[0].config["seed"] == 1 and ensemble.members[0].data.valid == 12000
    assert ensemble.provenance == {"date": "today"} and ensemble.to_json()["members"] == [run]


# A sweep run's metrics.json as sweeps wrote it before RunRecord (the committed pooling sweep
# of 2026-11, max, seed 0): flat figures and the data as a display line.
FLAT_SWEEP_RUN = {
    "value": "max", "seed": 0, "best_valid_accuracy": 0.9895, "final_valid_accuracy": 0.9895,
    "final_valid_loss": 0.0380, "test_accuracy": 0.991, "test_loss": 0.0268, "epochs": 8, "best_epoch": 8,
    "seconds": 165.6, "parameters": 225034, "precision": "mixed_bfloat16",
    "data": "mnist (54000 train / 6000 valid / 10000 test) from ../shared/data/mnist",
    "device": "CPU: Intel(R) Xeon(R) Processor, 2 cores, no GPU",
}


def test_a_sweep_run_of_the_older_flat_shape_reads_as_a_run_record_with_its_figures(tmp_path):
    from mnistcnn.core import SWEEP_FIGURES, read_sweep_run

    (tmp_path / "metrics.json").write_text(json.dumps(FLAT_SWEEP_RUN))
    (tmp_path / "config.json").write_text(json.dumps({"pooling": "max", "seed": 0, "epochs": 8}))
    record = read_sweep_run(tmp_path)
    assert record.sweep_figures() == {name: FLAT_SWEEP_RUN[name] for name in SWEEP_FIGURES}
    assert record.provenance["value"] == "max" and record.config["seed"] == 0
    assert record.best_epoch == 8 and record.data.test == 10000 and record.data.valid_split == "random"


def test_every_committed_sweep_run_reads_as_a_run_record_with_its_figures():
    from mnistcnn.core import read_sweep_run

    folders = [path.parent for path in (PROJECT_ROOT / "experiments").glob("*/*/seed-*/metrics.json")]
    assert len(folders) >= 6
    for folder in folders:
        record = read_sweep_run(folder)
        assert record.provenance["run_format"] == 2 and record.data.test == 10000
        assert record.sweep_figures()["final_valid_accuracy"] == record.metrics["valid"]["accuracy"]
        assert record.config["seed"] == record.provenance["repeat"] and record.best_epoch == record.epochs_run
