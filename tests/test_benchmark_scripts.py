"""The benchmark scripts' bookkeeping (their timings are never asserted: these machines are noisy)."""

import sys

import pytest

from conftest import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "scripts"))
# The trials' scripts live beside their rules and results.
sys.path.insert(0, str(PROJECT_ROOT / "models" / "trials"))
sys.path.insert(0, str(PROJECT_ROOT / "models" / "trials" / "writers"))
import benchmark  # noqa: E402
import markdown_blocks  # noqa: E402
import model_results  # noqa: E402


def test_replace_block_fills_only_its_own_block(tmp_path):
    document = tmp_path / "BENCHMARKS.md"
    document.write_text("prose\n<!-- race -->\nold\n<!-- /race -->\nmore prose\n<!-- levers -->\nkept\n<!-- /levers -->\n")
    markdown_blocks.replace_block(document, "race", "| new | table |")
    assert document.read_text() == ("prose\n<!-- race -->\n| new | table |\n<!-- /race -->\nmore prose\n"
                                    "<!-- levers -->\nkept\n<!-- /levers -->\n")


def test_replace_block_without_markers_says_how_to_fix(tmp_path):
    document = tmp_path / "BENCHMARKS.md"
    document.write_text("no markers here\n")
    with pytest.raises(ValueError, match="add one"):
        markdown_blocks.replace_block(document, "race", "table")


def test_the_committed_benchmarks_file_has_every_block():
    text = (PROJECT_ROOT / "BENCHMARKS.md").read_text()
    for name in ("wait", "race", "levers", "onednn", "serve", "export", "photos"):
        assert f"<!-- {name} -->" in text and f"<!-- /{name} -->" in text


def test_the_wait_tables_minutes_are_what_the_stories_say():
    import benchmark_wait

    text = (PROJECT_ROOT / "BENCHMARKS.md").read_text()
    rows = benchmark_wait.member_minutes()
    assert len(rows) == len(benchmark_wait.MEMBER_STORIES)
    for row in rows:
        assert f"| CPU-minutes per member: {row['what']} | {row['minutes']:.1f} (mean of {row['members']}) |" in text


def test_a_run_that_misses_a_target_counts_as_infinitely_slow():
    runs = [{"seconds_to_0.990": seconds, "seconds_to_0.995": None, "training_images_per_second": 1.0,
             "inference_images_per_second": 2.0, "final_test_accuracy": 0.99} for seconds in (10.0, 30.0, 20.0)]
    summary = benchmark.medians(runs)
    assert summary["seconds_to_0.990"] == 20.0 and summary["seconds_to_0.990_reached_in"] == "3/3"
    assert summary["seconds_to_0.995"] is None and summary["seconds_to_0.995_reached_in"] == "0/3"

    runs[1]["seconds_to_0.990"] = None  # two of three reached: the median is the slower of the two
    assert benchmark.medians(runs)["seconds_to_0.990"] == 20.0
    runs[2]["seconds_to_0.990"] = None  # one of three: no median
    assert benchmark.medians(runs)["seconds_to_0.990"] is None


def test_first_reaching_is_the_first_epoch_at_or_above_the_target():
    epochs = [{"training_seconds": 5.0, "test_accuracy": 0.985}, {"training_seconds": 10.0, "test_accuracy": 0.990},
              {"training_seconds": 15.0, "test_accuracy": 0.995}]
    assert benchmark.first_reaching(epochs, 0.990) == 10.0
    assert benchmark.first_reaching(epochs, 0.999) is None


def test_the_committed_results_tables_are_what_the_stories_say():
    text = (PROJECT_ROOT / "models" / "RESULTS.md").read_text()
    for name, block in model_results.blocks().items():
        assert f"<!-- {name} -->\n{block}\n<!-- /{name} -->" in text, f"rerun python scripts/model_results.py ({name})"


def test_the_results_tables_ignore_models_of_your_own(tmp_path):
    """The Quick start saves models/my-model.h5 and .json: the committed tables stay as they are."""
    import shutil

    for name in model_results.COMMITTED:
        (tmp_path / "models").mkdir(exist_ok=True)
        shutil.copy(PROJECT_ROOT / "models" / f"{name}.json", tmp_path / "models")
    shutil.copytree(PROJECT_ROOT / "models" / "trials", tmp_path / "models" / "trials",
                    ignore=shutil.ignore_patterns("*.h5"))
    (tmp_path / "models" / "my-model.json").write_text('{"config": {}, "metrics": {}}')
    assert model_results.blocks(tmp_path) == model_results.blocks()


def test_a_model_trained_on_all_images_has_no_valid_figure_and_no_trial_row():
    member = {"seed": 0, "epochs_run": 30, "training_seconds": 600.0,
              "metrics": {"train": {"accuracy": 0.999}, "test": {"accuracy": 0.9968}}}
    story = {"config": {"architecture": "deep", "epochs": 30, "augment": True, "seed": 0}, "members": [member, member],
             "training_seconds": 1200.0, "metrics": {"train": {"accuracy": 0.999}, "test": {"accuracy": 0.9975}}}
    story = model_results.RunRecord.from_json(story)
    rows = model_results.rows_of("mnistcnn-ensemble", story)
    assert len(rows) == 3 and all("| - (trained on all) |" in row for row in rows)
    assert rows[-1].endswith("| 0.9975 |")
    table = model_results.trials_table({"mnistcnn-ensemble": story}, PROJECT_ROOT)
    assert "`mnistcnn-ensemble`" not in table  # compared on validation, which it has none of


def test_the_writer_trials_rule_as_committed():
    import writer_trials

    # More than one standard deviation of counting noise apart: fewer errors wins.
    assert writer_trials.decide({"deep": 231, "strided": 200}).startswith("**strided** wins: 200 errors against 231")
    # Within it (|231 - 215| = 16 <= sqrt(446) = 21.1): the recipe cheaper on one machine wins.
    tie = writer_trials.decide({"deep": 231, "strided": 215})
    assert tie.startswith("a tie") and "**deep** (5.0 min against 27.0)" in tie


def test_warm_fit_seconds_pays_the_warm_up_before_timing_the_pass():
    import wall_clock

    calls = []
    seconds = wall_clock.warm_fit_seconds(calls.append, 54_000, 4096)
    assert calls == [4096, 54_000] and seconds >= 0


@pytest.mark.parametrize("candidate, errors", [("quarter", 247), ("half", 285)])
def test_each_committed_cheaper_best_result_is_what_its_rule_gives_from_the_stories(candidate, errors):
    import cheaper_best_trials

    text = cheaper_best_trials.result(candidate)
    assert f"Decision: **strided** wins: 190 errors against {errors}" in text
    assert text == (PROJECT_ROOT / "models" / "trials" / candidate / "RESULT.md").read_text()
