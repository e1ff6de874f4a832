"""Standard output holds results only, whatever a library prints. Keras's download prints
`Downloading data from ...` to stdout before it fails offline; here a fake download does
that, and writes to file descriptor 1 as C code would, and each command's stdout is still
only its results (`--json` parses)."""

import json
import os
import subprocess
import sys

import pytest
from conftest import PROJECT_ROOT

from mnistcnn.core import Config

COMMITTED_MODEL = PROJECT_ROOT / "models" / "mnistcnn.h5"

NOISY_DOWNLOAD = """
import os, sys
from mnistcnn.data import sources as data

def noisy_download():
    print("Downloading data from https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
    os.write(1, b"from C, on file descriptor 1\\n")
    raise ConnectionError("network disabled in tests")

data.download_with_keras = noisy_download
from mnistcnn.cli import main
main(sys.argv[1:], prog_name="mnistcnn")
"""


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    from mnistcnn.models import build_model
    from mnistcnn.core import prepare
    from mnistcnn.core import save_model

    path = tmp_path_factory.mktemp("clean-stdout") / "tiny.h5"
    prepare(0, "float32")
    save_model(build_model(Config(filters=4, dense_units=8, precision="float32")), path, {})
    return path


def mnistcnn_with_noisy_download(*arguments, cwd):
    # The default data source, with nothing cached: the download is attempted, fails, and
    # the bundled sample is used (KERAS_HOME points into tmp_path, see conftest.py).
    environment = {name: value for name, value in os.environ.items() if name != "MNISTCNN_DATA"}
    return subprocess.run([sys.executable, "-c", NOISY_DOWNLOAD, *map(str, arguments)], cwd=cwd,
                          env=environment, capture_output=True, text=True, timeout=600)


def test_evaluate_json_parses_while_the_download_prints(tiny_model, tmp_path):
    result = mnistcnn_with_noisy_download("evaluate", "--model-file", tiny_model, "--report-dir", tmp_path / "r",
                                          "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["test"]["n"] == 2000
    assert "Downloading data from" in result.stderr and "from C, on file descriptor 1" in result.stderr
    assert "using the bundled SAMPLE" in result.stderr


def test_export_and_train_final_print_only_their_results(tiny_model, tmp_path):
    result = mnistcnn_with_noisy_download("export", tiny_model, "--format", "savedmodel", "--output",
                                          tmp_path / "tiny-savedmodel", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ") and len(result.stdout.splitlines()) == 1
    assert "Downloading data from" in result.stderr

    result = mnistcnn_with_noisy_download("train-final", "--preset", "baseline", "--epochs", 1, "--filters", 4,
                                          "--dense-units", 8, "--output", tmp_path / "m.h5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # The result and the seed's report; the download's line and Keras's progress went to stderr.
    assert lines[0].startswith("saved ") and lines[1].lstrip().startswith("Accuracy:"), result.stdout
    assert len(lines) == 4
    assert "Downloading data from" in result.stderr and "val_accuracy" in result.stderr


OFFLINE = """
import socket, sys

class Offline(socket.socket):
    def connect(self, address):
        raise OSError("network disabled in tests")

socket.socket = Offline
from mnistcnn.cli import main
main(sys.argv[1:], prog_name="mnistcnn")
"""


def test_the_real_download_attempt_keeps_tensorflows_start_up_quiet(tmp_path):
    # Offline with nothing cached, the default source tries Keras's own download, which
    # imports TensorFlow: its C++ start-up lines (absl, oneDNN, CUDA, CPU features) stay
    # out of the user's terminal, as in every other command. The committed model is read
    # by its ONNX twin, so nothing else has started TensorFlow quietly before.
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("MNISTCNN_DATA", "TF_CPP_MIN_LOG_LEVEL")}
    result = subprocess.run([sys.executable, "-c", OFFLINE, "evaluate", "--model-file", COMMITTED_MODEL, "--report-dir",
                             tmp_path / "r"], cwd=tmp_path, env=environment, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert "using the bundled SAMPLE" in result.stderr
    for noise in ("absl::InitializeLog", "oneDNN custom operations", "cudart_stub", "cpu_feature_guard"):
        assert noise not in result.stderr, result.stderr
