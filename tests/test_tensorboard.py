"""TensorBoard event files of runs, read back with TensorBoard's own event reader."""

import csv

import pytest

from conftest import PROJECT_ROOT, run_cli

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import metadata as hparams_metadata  # noqa: E402
from tensorboard.util.tensor_util import make_ndarray  # noqa: E402


def scalars(folder, tag) -> list[tuple[int, float]]:
    events = EventAccumulator(str(folder), size_guidance={"tensors": 0})
    events.Reload()
    return [(event.step, float(make_ndarray(event.tensor_proto))) for event in events.Tensors(tag)]


def history(run_folder) -> dict:
    with open(run_folder / "history.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return {column: [float(row[column]) for row in rows] for column in rows[0]}


@pytest.fixture(scope="module")
def tiny_sweep(tmp_path_factory):
    output = tmp_path_factory.mktemp("tensorboard")
    result = run_cli("sweep", "pooling", "--values", "max,none", "--preset", "baseline", "--epochs", 2, "--repeats", 1,
                     "--filters", 4, "--dense-units", 8, "--data", "sample", "--output-dir", output)
    assert result.exit_code == 0, result.output
    return output / "pooling"


def test_a_sweep_runs_curves_equal_its_history(tiny_sweep):
    run = tiny_sweep / "max" / "seed-0"
    saved = history(run)
    for split, prefix in (("train", ""), ("validation", "val_")):
        for metric in ("loss", "accuracy"):
            logged = scalars(run / "tensorboard" / split, f"epoch_{metric}")
            assert [step for step, _ in logged] == [1, 2]
            assert [value for _, value in logged] == pytest.approx(saved[f"{prefix}{metric}"], rel=1e-6)
    rates = scalars(run / "tensorboard" / "train", "epoch_learning_rate")
    assert [value for _, value in rates] == pytest.approx([0.001, 0.001])  # the baseline's constant rate


def test_a_sweep_run_is_an_hparams_session_naming_the_swept_field(tiny_sweep):
    run = tiny_sweep / "none" / "seed-0"
    events = EventAccumulator(str(run / "tensorboard"), size_guidance={"tensors": 0})
    events.Reload()
    content = events.PluginTagToContent(hparams_metadata.PLUGIN_NAME)[hparams_metadata.SESSION_START_INFO_TAG]
    session = hparams_metadata.parse_session_start_info_plugin_data(content)
    assert session.hparams["pooling"].string_value == "none"
    assert session.hparams["filters"].number_value == 4
    from mnistcnn.core import read_sweep_run

    [(_, final)] = scalars(run / "tensorboard", "final_valid_accuracy")
    assert final == pytest.approx(read_sweep_run(run).accuracy("valid"), rel=1e-6)


def test_plot_writes_the_logs_of_a_sweep_made_before_them(tmp_path):
    import shutil

    sweep = tmp_path / "pooling"
    shutil.copytree(PROJECT_ROOT / "experiments" / "pooling", sweep, ignore=shutil.ignore_patterns("tensorboard"))
    assert not any(sweep.glob("*/seed-*/tensorboard"))  # as the sweep was before logs existed
    result = run_cli("plot", sweep)
    assert result.exit_code == 0, result.output
    run = sweep / "max" / "seed-1"
    logged = scalars(run / "tensorboard" / "validation", "epoch_accuracy")
    assert [value for _, value in logged] == pytest.approx(history(run)["val_accuracy"], rel=1e-6)
    assert len(list(sweep.glob("*/seed-*/tensorboard"))) == len(list(sweep.glob("*/seed-*/metrics.json")))


def test_redrawing_a_sweep_leaves_its_event_files_as_they_are(tmp_path):
    import shutil

    sweep = tmp_path / "pooling"
    shutil.copytree(PROJECT_ROOT / "experiments" / "pooling", sweep)
    before = {path: path.read_bytes() for path in sweep.rglob("*") if path.is_file() and "tensorboard" in path.parts}
    assert before and run_cli("plot", sweep).exit_code == 0
    after = {path: path.read_bytes() for path in sweep.rglob("*") if path.is_file() and "tensorboard" in path.parts}
    assert after == before
