"""Two real worker processes on 127.0.0.1 training one model with MultiWorkerMirroredStrategy."""

import json
import os
import socket

import pytest

from conftest import run_cli, start_cli

TIMEOUT = 300


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for each in sockets:
            each.bind(("127.0.0.1", 0))
        return [each.getsockname()[1] for each in sockets]
    finally:
        for each in sockets:
            each.close()


def test_two_workers_train_one_model_and_only_the_chief_writes_it(tmp_path):
    ports = free_ports(2)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in ports]}
    workers = []
    try:
        for index in range(2):
            folder = tmp_path / f"worker-{index}"  # each worker its own disk, as on two machines
            folder.mkdir()
            environment = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster,
                                                                  "task": {"type": "worker", "index": index}})}
            workers.append(start_cli("train-final", "--preset", "baseline", "--epochs", 1, "--data", "sample",
                                     "--strategy", "multi-worker", "--output", "m.h5", cwd=folder, env=environment))
        outputs = [worker.communicate(timeout=TIMEOUT) for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
    for worker, (out, error) in zip(workers, outputs):
        assert worker.returncode == 0, error
    assert "saved m.h5" in outputs[0][0] and "worker 0 saves the model" in outputs[1][0]
    assert sorted(path.name for path in (tmp_path / "worker-0").iterdir()) == ["m-tensorboard", "m.h5", "m.json"]
    assert list((tmp_path / "worker-1").iterdir()) == []

    story = json.loads((tmp_path / "worker-0" / "m.json").read_text())
    assert story["strategy"] == "multi-worker" and story["replicas"] == 2
    # In line with one process training the same epoch (global batch 256 instead of 128).
    single = tmp_path / "single.h5"
    result = run_cli("train-final", "--preset", "baseline", "--epochs", "1", "--data", "sample",
                     "--output", str(single))
    assert result.exit_code == 0, result.output
    single_accuracy = json.loads(single.with_suffix(".json").read_text())["metrics"]["test"]["accuracy"]
    assert story["metrics"]["test"]["accuracy"] > 0.85
    assert abs(story["metrics"]["test"]["accuracy"] - single_accuracy) < 0.05


@pytest.mark.parametrize("tf_config, message", [
    (None, "needs TF_CONFIG"),
    ('{"cluster": {"worker": ["127.0.0.1:1"]}, "task": {"type": "worker", "index": 3}}', "not a cluster"),
    ("not json", "not a cluster"),
])
def test_multi_worker_without_a_usable_tf_config(tf_config, message, monkeypatch, tmp_path):
    if tf_config is None:
        monkeypatch.delenv("TF_CONFIG", raising=False)
    else:
        monkeypatch.setenv("TF_CONFIG", tf_config)
    result = run_cli("train-final", "--strategy", "multi-worker", "--data", "sample",
                     "--output", str(tmp_path / "m.h5"))
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []
