"""The data record of a run, and the older shapes it is read from."""

import json

from conftest import PROJECT_ROOT
from mnistcnn.records import DataRecord


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
    committed_sweeps = ("pooling", "learning_rate", "loss", "activation", "kernel_size")
    runs = [json.loads(path.read_text()) for sweep in committed_sweeps
            for path in (PROJECT_ROOT / "experiments" / sweep).glob("*/seed-[01]/metrics.json")]
    assert len(stories) >= 5 and len(runs) >= 40
    for record in stories + runs:
        data = DataRecord.from_json(record["data"])
        assert data is not None and data.source == "mnist" and data.test == 10000
