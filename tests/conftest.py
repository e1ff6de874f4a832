"""Shared fixtures: seeded randomness, tiny IDX folders, and the full set when present."""

import os
import random
import time
import sys
from pathlib import Path

import numpy as np
import pytest

from mnistcnn.data import write_idx

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def seeded():
    random.seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def float32_policy():
    """Each test starts in float32, whatever trained before it in its worker: a training run
    sets Keras's global dtype policy, to mixed bfloat16 where `auto` picks it (CPUs with
    AVX-512 BF16, as here), and a model built later would round its layers' outputs."""
    if "keras" in sys.modules:
        sys.modules["keras"].mixed_precision.set_global_policy("float32")


@pytest.fixture(autouse=True)
def no_network(monkeypatch, tmp_path):
    """Tests never wait on Keras's download, and never see the developer's Keras cache."""
    from mnistcnn.data import sources as data

    def refuse_download():
        raise ConnectionError("network disabled in tests")

    monkeypatch.setattr(data, "download_with_keras", refuse_download)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))


def make_arrays(train_count=60, test_count=20, seed=0) -> dict:
    rng = np.random.default_rng(seed)
    return {
        "x_train": rng.integers(0, 256, (train_count, 28, 28), dtype=np.uint8),
        "y_train": np.arange(train_count, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (test_count, 28, 28), dtype=np.uint8),
        "y_test": np.arange(test_count, dtype=np.uint8) % 10,
    }


IDX_NAMES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}


def write_idx_folder(folder: Path, arrays: dict, gzip=True, dotted=False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for key, name in IDX_NAMES.items():
        if dotted:
            name = name.replace("-idx", ".idx")
        write_idx(folder / (name + (".gz" if gzip else "")), arrays[key])
    return folder


@pytest.fixture
def idx_folder(tmp_path) -> Path:
    return write_idx_folder(tmp_path / "mnist", make_arrays())


@pytest.fixture
def full_mnist() -> str:
    """The full MNIST folder from MNISTCNN_DATA, or skip."""
    location = os.environ.get("MNISTCNN_DATA")
    if not location or not Path(location).exists():
        pytest.skip("MNISTCNN_DATA is not set to the full MNIST set")
    return location


@pytest.fixture
def postgres_url():
    """A fresh database on the PostgreSQL server MNISTCNN_TEST_POSTGRES names (.ci/run starts
    Debian's), dropped after the test; or skip, saying so."""
    postgres = os.environ.get("MNISTCNN_TEST_POSTGRES")
    if not postgres:
        pytest.skip("no PostgreSQL server: set MNISTCNN_TEST_POSTGRES to one's URL (.ci/run starts Debian's)")
    import psycopg

    def execute(statement: str) -> None:
        # CREATE and DROP DATABASE refuse to run inside a transaction: autocommit.
        with psycopg.connect(postgres.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
            connection.execute(statement)

    name = f"mnistcnn_test_{os.getpid()}_{time.monotonic_ns()}"
    execute(f"CREATE DATABASE {name}")
    base, _, query = postgres.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    execute(f"DROP DATABASE {name} WITH (FORCE)")


def start_cli(*arguments, **popen):
    """`mnistcnn ARGUMENTS...` as its own process, as a user runs it, with its output piped."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "mnistcnn.cli", *map(str, arguments)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


def run_cli(*arguments):
    """`mnistcnn ARGUMENTS...` through click's CliRunner; arguments may be paths or numbers."""
    from click.testing import CliRunner

    from mnistcnn.cli import main

    return CliRunner().invoke(main, [str(argument) for argument in arguments])
