"""`mnistcnn export`: each format round-trips a tiny model (with augmentation layers, as
an ensemble, and with BatchNorm) and agrees with its `.h5`; the committed model's exports
agree on the full test set."""

import importlib.util
import json
import re
import shutil

import numpy as np
import pytest

from conftest import PROJECT_ROOT, run_cli
from mnistcnn.core import Config
from mnistcnn.models import combine
from mnistcnn.core import UsageError
from mnistcnn.models import build_model
from mnistcnn.core import say
from mnistcnn.core import save_model

TINY = {"filters": 4, "dense_units": 16, "augment": True, "precision": "float32"}
FORMATS = ("savedmodel", "onnx", "litert")
HAVE_RUNTIMES = all(importlib.util.find_spec(name) for name in ("tf2onnx", "onnxruntime", "ai_edge_litert"))
needs_runtimes = pytest.mark.skipif(not HAVE_RUNTIMES, reason="the export runtimes are not installed (.[export])")


def output_for(tmp_path, export_format, stem="tiny"):
    return tmp_path / {"savedmodel": f"{stem}-savedmodel", "onnx": f"{stem}.onnx", "litert": f"{stem}.tflite"}[export_format]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    from mnistcnn.core import prepare

    folder = tmp_path_factory.mktemp("export")
    # float32 whatever an earlier test left in force (training picks bfloat16 on CPUs with AMX).
    prepare(0, "float32")
    save_model(build_model(Config(**TINY)), folder / "tiny.h5", {})
    save_model(combine([build_model(Config(**TINY)), build_model(Config(**TINY))]), folder / "pair.h5", {})
    # BatchNorm layers whose moving statistics (untrained: mean 0, variance 1) are far from
    # any batch's, so an export that normalises by the batch gives other probabilities.
    save_model(build_model(Config(**TINY, architecture="strided")), folder / "batchnorm.h5", {})
    return folder


def test_the_inference_model_drops_augmentation_and_predicts_the_same(tiny_models):
    from mnistcnn.export import inference_model
    from mnistcnn.core import load_model

    import keras

    images = np.random.default_rng(0).random((8, 28, 28, 1), dtype=np.float32)
    for name in ("tiny.h5", "pair.h5"):
        model = load_model(tiny_models / name)
        keras.mixed_precision.set_global_policy("mixed_bfloat16")  # as a training run in the process leaves it
        try:
            inference = inference_model(model)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        assert {layer.dtype_policy.name for layer in _all_layers(inference)} == {"float32"}
        names = [layer.__class__.__name__ for layer in _all_layers(inference)]
        assert "RandomRotation" in [layer.__class__.__name__ for layer in _all_layers(model)]
        assert not [name for name in names if name.startswith("Random")] and "Identity" in names
        np.testing.assert_allclose(inference.predict(images, verbose=0), model.predict(images, verbose=0), atol=1e-6)


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


@needs_runtimes
@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize("name", ["tiny", "pair", "batchnorm"])
def test_each_format_round_trips_and_agrees(tiny_models, idx_folder, tmp_path, export_format, name):
    from mnistcnn.export import export_model

    output = output_for(tmp_path, export_format, name)
    check = export_model(tiny_models / f"{name}.h5", export_format, output, str(idx_folder), say)
    assert output.exists() and check.bytes > 0 and check.images == 20
    assert check.agreement == 1.0 and check.largest_probability_difference < 1e-4


def test_a_missing_runtime_is_one_line(monkeypatch):
    from mnistcnn.export import formats as export

    monkeypatch.chdir(PROJECT_ROOT)  # an editable install (the tests'), used from its checkout
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(UsageError, match=r'--format onnx needs tf2onnx, onnx, onnxruntime: pip install -e "\.\[export\]"$'):
        export.require_runtime("onnx")
    export.require_runtime("savedmodel")  # TensorFlow's own: nothing more needed


class InstalledAs:
    """importlib.metadata's view of an installation: its PEP 610 direct_url.json and requirements."""

    def __init__(self, direct_url):
        self.direct_url = direct_url
        self.requires = ["numpy", 'tf2onnx; extra == "export"', "onnx; extra == 'export'", 'pytest; extra == "test"']

    def read_text(self, name):
        return None if self.direct_url is None else __import__("json").dumps(self.direct_url)


@pytest.mark.parametrize("installed, where, command", [
    ({"url": PROJECT_ROOT.as_uri(), "dir_info": {"editable": True}}, PROJECT_ROOT, 'pip install -e ".[export]"'),
    ({"url": PROJECT_ROOT.as_uri(), "dir_info": {"editable": True}}, "elsewhere",
     f'pip install -e "{PROJECT_ROOT}[export]"'),
    ({"url": PROJECT_ROOT.as_uri(), "dir_info": {}}, PROJECT_ROOT, 'pip install ".[export]"'),
    ({"url": "file:///tmp/mnistcnn-0.1.0-py3-none-any.whl", "archive_info": {}}, PROJECT_ROOT,
     'pip install "tf2onnx" "onnx"'),
    (None, PROJECT_ROOT, 'pip install "tf2onnx" "onnx"'),  # a wheel from an index-less copy
    ("not installed", PROJECT_ROOT, 'pip install -e ".[export]"'),  # the checkout on sys.path
    # A clone in a folder named as `git clone` names it (made in tmp_path): the folder's name is not a package's.
    ({"url": "CLONE", "dir_info": {"editable": True}}, "elsewhere", 'pip install -e "CLONE[export]"'),
])
def test_the_install_hint_fits_how_mnistcnn_was_installed(monkeypatch, tmp_path, installed, where, command):
    from mnistcnn.core import installation

    def distributions(name):
        assert name == "mnistcnn"
        return [] if installed == "not installed" else [InstalledAs(installed)]

    if isinstance(installed, dict) and installed["url"] == "CLONE":
        clone = tmp_path / "mnistcnn"
        clone.mkdir()
        shutil.copy(PROJECT_ROOT / "pyproject.toml", clone)
        installed, command = {**installed, "url": clone.as_uri()}, command.replace("CLONE", str(clone))
        tmp_path = tmp_path / "elsewhere"
        tmp_path.mkdir()
    monkeypatch.setattr(installation.metadata, "distributions", distributions)
    monkeypatch.chdir(tmp_path if where == "elsewhere" else where)
    hint = installation.install_command("export")
    # Never the package index's `pip install mnistcnn[export]`: mnistcnn is installed from its checkout.
    assert hint == command and not re.search(r'(^|[\s"])mnistcnn\[export\]', hint)


def test_the_install_record_wins_over_a_source_trees_own_egg_info(monkeypatch):
    # An editable install puts src/ on sys.path, and with it the build's src/mnistcnn.egg-info,
    # which has no install record; it can come first (a script that puts src/ first did so).
    from mnistcnn.core import installation

    editable = InstalledAs({"url": PROJECT_ROOT.as_uri(), "dir_info": {"editable": True}})
    monkeypatch.setattr(installation.metadata, "distributions", lambda name: [InstalledAs(None), editable])
    monkeypatch.chdir(PROJECT_ROOT)
    assert installation.install_command("export") == 'pip install -e ".[export]"'


def test_a_wrong_suffix_is_a_usage_error(tiny_models, tmp_path):
    result = run_cli("export", tiny_models / "tiny.h5", "--format", "litert", "--output", tmp_path / "tiny.onnx")
    assert result.exit_code == 2 and "must end in .tflite" in result.output, result.output


def test_a_folder_that_is_not_an_export_is_never_replaced(tiny_models, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("export", tiny_models / "tiny.h5", "--format", "savedmodel", "--output", tmp_path)
    assert result.exit_code == 3 and "not a SavedModel" in result.output, result.output
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


@needs_runtimes
def test_a_twin_checked_on_more_images_or_of_another_model_is_not_replaced_unasked(tiny_models, idx_folder,
                                                                                   tmp_path):
    # The README's `export` on the sample once rewrote the committed twin checked on 10,000
    # images with one checked on 2,000 (issue 38).
    from mnistcnn.core import file_sha256

    folder = tmp_path / "models"
    folder.mkdir()
    model = folder / "tiny.h5"
    model.write_bytes((tiny_models / "tiny.h5").read_bytes())
    assert run_cli("export", model, "--format", "onnx", "--data", idx_folder).exit_code == 0
    record_file = folder / "tiny.onnx.json"
    record = json.loads(record_file.read_text())
    assert record["checked_on_images"] == 20 and record["model_sha256"] == file_sha256(model)
    # Exporting the same model again on the same images leaves its twin as it is (the
    # converter's bytes differ from run to run, and a committed twin would change).
    twin_bytes = (folder / "tiny.onnx").read_bytes()
    result = run_cli("export", model, "--format", "onnx", "--data", idx_folder)
    assert result.exit_code == 0 and "tiny.onnx is already the up-to-date twin" in result.stdout, result.output
    assert (folder / "tiny.onnx").read_bytes() == twin_bytes and json.loads(record_file.read_text()) == record
    record_file.write_text(json.dumps({**record, "checked_on_images": 10000}))
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    result = run_cli("export", model, "--format", "onnx", "--data", idx_folder)
    assert result.exit_code == 3, result.output
    assert (f"Error: {folder / 'tiny.onnx'} was checked on 10000 test images and this export has 20; point --data "
            "at the full set, pass --output for a new file, or --overwrite to replace it") in result.output
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before
    record_file.write_text(json.dumps({**record, "model_sha256": "0" * 64}))
    result = run_cli("export", model, "--format", "onnx", "--data", idx_folder)
    assert result.exit_code == 3 and "was exported from another tiny.h5; pass --output" in result.output
    result = run_cli("export", model, "--format", "onnx", "--data", idx_folder, "--overwrite")
    assert result.exit_code == 0, result.output
    assert json.loads(record_file.read_text())["model_sha256"] == file_sha256(model)


def test_the_commands_formats_are_the_modules():
    from mnistcnn.cli import export_command
    from mnistcnn.export import FORMATS as MODULE_FORMATS

    choice = next(option for option in export_command.params if option.name == "export_format").type
    assert tuple(choice.choices) == tuple(MODULE_FORMATS) == FORMATS


@needs_runtimes
# ONNX is left out: the committed ONNX twins carry this same check, and test_twins.py holds
# them to it (and to the .h5 they were made from).
@pytest.mark.parametrize("export_format", [name for name in FORMATS if name != "onnx"])
def test_the_committed_model_exports_agree_on_the_full_test_set(full_mnist, tmp_path, export_format):
    output = output_for(tmp_path, export_format, "mnistcnn")
    result = run_cli("export", PROJECT_ROOT / "models" / "mnistcnn.h5", "--format", export_format,
                     "--output", output, "--data", full_mnist)
    assert result.exit_code == 0, result.output
    assert "of 10000 images" in result.stdout
    agreement = float(result.stdout.split("the same digit as the .h5 for ")[1].split("%")[0])
    assert agreement >= 99.9, result.stdout
