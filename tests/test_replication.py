"""A sweep's replication: each verdict held against the replicate's estimate, on a small
synthetic sweep and its synthetic replicate (no training)."""

import sys

import pytest
from conftest import PROJECT_ROOT, run_cli as run

from fake_sweeps import make_sweep

from mnistcnn.sweeps.replication import checks, replicate_sweep, report_lines


def test_a_verdict_that_holds_and_one_that_is_contradicted(tmp_path):
    # The original: none clearly worse than max, average a little worse.
    original = make_sweep(tmp_path, "pooling", {"max": 0.010, "average": 0.016, "none": 0.040}, repeats=2)
    # The replicate: none still far worse; average now far better than max.
    replicate = make_sweep(tmp_path / "replication", "pooling", {"max": 0.030, "average": 0.010, "none": 0.080},
                           repeats=2)
    pairs = {pair.original.value: pair for pair in replicate_sweep(original, replicate)}
    assert set(pairs) == {"average", "none"} and pairs["none"].original.leader == "max"
    assert pairs["none"].original.verdict == "worse" and pairs["none"].same_side and not pairs["none"].contradicted
    average = pairs["average"]
    assert average.original.verdict == "worse" and average.estimate < 0
    assert not average.same_side and not average.inside and average.contradicted
    result = checks(list(pairs.values()))
    assert result["contradicted"] == ["pooling average"] and not result["passed"]
    table = "\n".join(report_lines(list(pairs.values())))
    assert "| pooling | average | max | worse by" in table and "| no: contradicted |" in table


def test_a_replicate_of_the_same_truth_holds(tmp_path):
    rates = {"max": 0.010, "average": 0.016, "none": 0.040}
    original = make_sweep(tmp_path, "pooling", rates, repeats=2)
    replicate = make_sweep(tmp_path / "replication", "pooling", rates, repeats=2)
    pairs = replicate_sweep(original, replicate)
    # The fake runs draw the same images and noise for the same repeat: the replicate is
    # the original again, so every estimate is the original's and lies inside.
    assert all(pair.inside and pair.same_side and not pair.contradicted for pair in pairs)
    assert checks(pairs)["passed"] and checks(pairs)["inside_share"] == 1.0


def test_a_tie_holds_within_its_bound_or_not(tmp_path):
    original = make_sweep(tmp_path, "dropout", {0.25: 0.012, 0.5: 0.0121}, repeats=2)
    same = make_sweep(tmp_path / "same", "dropout", {0.25: 0.012, 0.5: 0.0121}, repeats=2)
    moved = make_sweep(tmp_path / "moved", "dropout", {0.25: 0.012, 0.5: 0.030}, repeats=2)
    [tie] = replicate_sweep(original, same)
    assert tie.original.verdict == "tie" and tie.tie_held is True
    [broken] = replicate_sweep(original, moved)
    assert broken.tie_held is False and not checks([broken])["passed"]


@pytest.mark.parametrize("arguments, message", [
    (["--replicate", "--repeats", "3"], "--replicate trains a fixed 2 repeats a value; leave out --repeats"),
    (["--replicate"], "--replicate reruns a finished sweep, and out/pooling holds none; run `mnistcnn sweep "
                      "pooling` first (or pass the --output-dir it went to)"),
])
def test_replicate_usage_errors(arguments, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("sweep", "pooling", *arguments, "--output-dir", "out")
    assert result.exit_code == 2 and f"Error: {message}" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_the_committed_replication_report_is_what_the_saved_runs_give():
    sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
    from replication_report import report_text

    committed = (PROJECT_ROOT / "experiments" / "REPLICATION.md").read_text()
    assert report_text(PROJECT_ROOT / "experiments") == committed
    assert "**The replication passes the rule.**" in committed
