"""`mnistcnn serve`'s API through FastAPI's test client: predictions equal `predict`'s,
bad uploads get one-line 4xx answers, files never leak from outside the result folders,
and concurrent requests each get their own answer."""

import csv
import io
import json
import shutil
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from conftest import PROJECT_ROOT, run_cli

COMMITTED_MODEL = PROJECT_ROOT / "models" / "mnistcnn.h5"
COMMITTED_ENSEMBLE = PROJECT_ROOT / "models" / "mnistcnn-ensemble.h5"
CUSTOM_DIGITS = PROJECT_ROOT.parent / "shared" / "data" / "custom-digits"


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A results folder pair the server may read: a committed sweep and the committed model
    with its report (copies, so the test sees exactly these), and a secret beside them."""
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(PROJECT_ROOT / "experiments" / "pooling", root / "experiments" / "pooling")
    (root / "models").mkdir()
    for name in ("mnistcnn.h5", "mnistcnn.json"):
        shutil.copy(PROJECT_ROOT / "models" / name, root / "models" / name)
    shutil.copytree(PROJECT_ROOT / "models" / "mnistcnn-report", root / "models" / "mnistcnn-report")
    (root / "secret.json").write_text('{"password": "hunter2"}')
    return root


@pytest.fixture(scope="module")
def client(folders):
    from fastapi.testclient import TestClient

    from mnistcnn.serving import create_app

    app = create_app(COMMITTED_MODEL, COMMITTED_ENSEMBLE, folders / "experiments", folders / "models")
    return TestClient(app)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array.astype(np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def drawn(digit: int) -> bytes:
    """A digit as the canvas makes it: black strokes on white, 280x280."""
    from PIL import ImageDraw

    canvas = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(canvas)
    for stroke in STROKES[digit]:
        pen.line(stroke, fill=0, width=21, joint="curve")
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG")
    return buffer.getvalue()


STROKES = {1: [[(140, 50), (140, 230)]],
           7: [[(70, 60), (210, 60)], [(210, 60), (120, 230)]],
           0: [[(140, 50), (90, 90), (85, 180), (140, 230), (195, 180), (190, 90), (140, 50)]]}


def drawn_one() -> bytes:
    return drawn(1)


def post(client, content: bytes, name="drawing.png", **fields):
    return client.post("/api/predict", files={"image": (name, content, "image/png")},
                       data={key: str(value) for key, value in fields.items()})


@pytest.mark.skipif(not CUSTOM_DIGITS.is_dir(), reason="the person-made digits are not beside the project")
def test_predictions_equal_the_cli(client):
    expected = {entry["file"].split("/")[-1]: entry for entry in json.loads(
        run_cli("predict", CUSTOM_DIGITS, "--model-file", COMMITTED_MODEL, "--json", "--top-k", "3").stdout)}
    labels = {row["file"]: int(row["label"]) for row in csv.DictReader((CUSTOM_DIGITS / "LABELS.csv").open())}
    for name, label in labels.items():
        answer = post(client, (CUSTOM_DIGITS / name).read_bytes(), name, top_k=3)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["digit"] == expected[name]["digit"] == label, name
        assert [entry["digit"] for entry in body["top"]] == [entry["digit"] for entry in expected[name]["top"]]
        assert np.allclose(body["probabilities"], expected[name]["probabilities"], atol=1e-3)
        assert body["file"] == name and body["model"] == "single"
        assert np.array(body["preprocessed"]).shape == (28, 28)


def test_a_drawn_one_and_the_ensemble(client):
    single = post(client, drawn_one()).json()
    ensemble = post(client, drawn_one(), model="ensemble").json()
    assert single["digit"] == ensemble["digit"] == 1
    assert ensemble["model"] == "ensemble" and len(single["top"]) == 1
    prepared = np.array(single["preprocessed"])
    # MNIST's layout: the ink sits in the middle of a dark 28x28 field.
    assert prepared.max() > 0.9 and prepared[:4].max() == 0 and prepared[-4:].max() == 0
    assert client.get("/api/models").json()["serving"]["ensemble"].endswith("mnistcnn-ensemble.h5")


@pytest.mark.parametrize("content, name, status, message", [
    (b"not an image at all", "notes.txt", 400, "notes.txt: not an image Pillow can read"),
    (png_bytes(np.full((280, 280), 255)), "drawing.png", 400, "drawing.png: no ink found"),
    (png_bytes(np.zeros((2, 2))), "tiny.png", 400, "tiny.png: 2x2 pixels is too small"),
])
def test_bad_uploads_get_one_line(client, content, name, status, message):
    answer = post(client, content, name)
    assert answer.status_code == status and answer.json()["error"].startswith(message), answer.text
    assert "\n" not in answer.json()["error"]
    assert post(client, drawn_one()).status_code == 200  # and the server goes on


def test_decompression_bomb_is_refused(client):
    # A PNG whose header claims 10,000 x 10,000 pixels compresses to a few kilobytes.
    bomb = png_bytes(np.zeros((10_000, 10_000)))
    assert len(bomb) < 200_000
    answer = post(client, bomb, "bomb.png")
    assert answer.status_code == 400 and "too large" in answer.json()["error"], answer.text


def test_large_upload_is_refused(client, monkeypatch):
    from mnistcnn.serving import server

    answer = post(client, b"0" * (server.MAX_UPLOAD_BYTES + 100_000), "huge.png")
    assert answer.status_code == 413 and "too large for a digit image" in answer.json()["error"]
    assert answer.json()["error"].startswith("upload: 8.5 MB is too large") and "the limit is 8.4 MB" in answer.text


def test_a_chunked_upload_is_cut_off_at_the_limit(client):
    """No Content-Length (a chunked upload): the body is counted as it arrives and no more
    than the limit is read, where it used to be read whole and spooled to disk."""
    import asyncio

    from mnistcnn.serving import FORM_BYTES, MAX_UPLOAD_BYTES

    chunk = b"0" * (1 << 20)
    head = (b'--cut\r\nContent-Disposition: form-data; name="image"; filename="huge.png"\r\n'
            b"Content-Type: image/png\r\n\r\n")
    pulled, sent = [0], []

    async def receive():  # an upload of 40 MB and more, then the client gives up
        if pulled[0] > 40 * len(chunk):
            return {"type": "http.disconnect"}
        body = chunk if pulled[0] else head
        pulled[0] += len(body)
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/api/predict", "raw_path": b"/api/predict", "root_path": "",
             "query_string": b"", "client": ("127.0.0.1", 1), "server": ("testserver", 80),
             "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked"),
                         (b"content-type", b"multipart/form-data; boundary=cut")]}
    asyncio.run(client.app(scope, receive, send))
    assert sent[0]["status"] == 413, sent
    assert pulled[0] <= MAX_UPLOAD_BYTES + FORM_BYTES + len(chunk)
    error = json.loads(b"".join(message.get("body", b"") for message in sent[1:]))["error"]
    assert error == "upload: more than 8.4 MB is too large for a digit image; crop or shrink it"


def test_at_most_two_uploads_are_prepared_at_once(client, monkeypatch):
    import threading
    import time

    from mnistcnn.images import preprocess

    real, guard, running, most = preprocess.preprocess_image, threading.Lock(), [0], [0]

    def slow_preprocess(*arguments):
        with guard:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.2)
        with guard:
            running[0] -= 1
        return real(*arguments)

    monkeypatch.setattr(preprocess, "preprocess_image", slow_preprocess)
    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(lambda _: post(client, drawn_one()).status_code, range(6)))
    assert statuses == [200] * 6 and most[0] == 2


def test_a_request_waiting_too_long_for_a_slot_is_told_the_server_is_busy(client, monkeypatch):
    from contextlib import ExitStack

    slots = client.app.state.preprocessing
    monkeypatch.setattr(slots, "wait_seconds", 0.1)
    with ExitStack() as every_slot:
        for _ in range(slots.count):
            every_slot.enter_context(slots.held())
        answer = post(client, drawn_one())
    assert answer.status_code == 503 and answer.json()["error"].startswith("the server is busy"), answer.text
    assert answer.headers["retry-after"] == "5"
    assert post(client, drawn_one()).status_code == 200  # and once a slot is free, it answers


def test_unknown_model_kind(client):
    answer = post(client, drawn_one(), model="committee")
    assert answer.status_code == 400 and "no committee model is served" in answer.json()["error"]


def test_concurrent_requests_get_their_own_answers(client):
    images = {digit: drawn(digit) for digit in STROKES}
    alone = {digit: post(client, image).json()["probabilities"] for digit, image in images.items()}
    assert {digit: int(np.argmax(alone[digit])) for digit in images} == {1: 1, 7: 7, 0: 0}
    requests = [digit for digit in images for _ in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda digit: (digit, post(client, images[digit]).json()), requests))
    for digit, answer in answers:
        assert np.allclose(answer["probabilities"], alone[digit], atol=1e-6), digit


def test_sweeps_and_models_are_listed(client):
    sweeps = client.get("/api/sweeps").json()["sweeps"]
    assert [sweep["name"] for sweep in sweeps] == ["pooling"]
    assert sweeps[0]["leader"] in {"max", "average", "none"} and len(sweeps[0]["rows"]) == 3
    assert {row["verdict"] for row in sweeps[0]["rows"]} <= {"leader", "worse", "better", "tie"}
    for name in ("difference", "accuracy", "loss"):
        plot = client.get("/files/experiments/" + sweeps[0]["plots"][name])
        assert plot.status_code == 200 and plot.content.startswith(b"\x89PNG")
    models = client.get("/api/models").json()["models"]
    assert [model["name"] for model in models] == ["mnistcnn.h5"]
    story = json.loads((PROJECT_ROOT / "models" / "mnistcnn.json").read_text())
    assert models[0]["accuracy"]["test"] == story["metrics"]["test"]["accuracy"]
    matrix = client.get("/files/models/" + models[0]["report"]["confusion_matrix"])
    assert matrix.status_code == 200 and matrix.content.startswith(b"\x89PNG")


@pytest.mark.parametrize("url", [
    "/files/models/%2e%2e/secret.json",
    "/files/models/mnistcnn-report/%2e%2e/%2e%2e/secret.json",
    "/files/models/..%2fsecret.json",
    "/files/models/%2fetc%2fpasswd",
    "/files/models//etc/passwd",
    "/files/models/mnistcnn.h5",  # a model is not a result file
])
def test_paths_out_of_the_folders_are_refused(client, url):
    answer = client.get(url)
    assert answer.status_code == 403 and "hunter2" not in answer.text and "root:" not in answer.text, url
    assert answer.json()["error"].endswith(" are served")


def test_symlinks_out_are_refused(client, folders):
    link = folders / "models" / "leak.json"
    link.symlink_to(folders / "secret.json")
    try:
        answer = client.get("/files/models/leak.json")
        assert answer.status_code == 403 and "hunter2" not in answer.text
    finally:
        link.unlink()


def test_pages_are_served(client):
    assert "<canvas id=\"pad\"" in client.get("/").text
    assert "id=\"sweeps\"" in client.get("/experiments").text
    assert client.get("/static/draw.js").status_code == 200
    schema = client.get("/openapi.json").json()
    assert {"/api/predict", "/api/models", "/api/sweeps"} <= set(schema["paths"])


def test_serve_refuses_a_taken_port():
    import socket

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        result = run_cli("serve", "--port", holder.getsockname()[1], "--model-file", COMMITTED_MODEL)
    assert result.exit_code == 1 and "pass another --port" in result.output, result.output


def test_serve_starts_answers_and_stops_on_ctrl_c(tmp_path):
    import signal
    import socket
    import subprocess
    import sys
    import urllib.request

    from test_reliability import ctrl_c_as_in_a_terminal

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mnistcnn.cli", "serve", "--port", str(port), "--model-file", str(COMMITTED_MODEL),
         "--experiments", str(tmp_path), "--models", str(tmp_path)],
        stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_as_in_a_terminal)
    try:
        lines = iter(server.stderr.readline, "")
        serving = next((line for line in lines if line.startswith("serving ")), "")  # past TensorFlow's notes
        assert f"at http://127.0.0.1:{port}/" in serving and "Ctrl-C stops" in serving, serving
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/sweeps", timeout=60) as answer:
            assert json.load(answer) == {"sweeps": [], "notes": []}
        server.send_signal(signal.SIGINT)
        rest = server.communicate(timeout=60)[1]
    finally:
        server.kill()
    assert server.returncode == 0 and rest.strip().endswith("stopped") and "Traceback" not in rest, rest


def test_an_image_the_preparation_did_not_foresee_is_a_json_400(client, monkeypatch, caplog):
    from mnistcnn.images import preprocess

    def broken(source, name=None):
        raise ValueError("conversion from La to L not supported")

    monkeypatch.setattr(preprocess, "preprocess_image", broken)
    with caplog.at_level("ERROR", logger="mnistcnn.serving.server"):
        response = post(client, drawn_one(), name="odd.png")
    assert response.status_code == 400 and response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "odd.png: could not be prepared (ValueError: conversion from La to L not "
                                        "supported); please report it with the file"}
    assert "preparing odd.png failed" in caplog.text and "Traceback" in caplog.text


def test_a_bug_of_the_servers_own_is_a_json_500_with_the_traceback_logged(folders, monkeypatch, caplog):
    from fastapi.testclient import TestClient

    from mnistcnn.serving import server

    monkeypatch.setattr(server, "list_sweeps", lambda root: 1 / 0)
    app = server.create_app(COMMITTED_MODEL, None, folders / "experiments", folders / "models")
    with caplog.at_level("ERROR", logger="mnistcnn.serving.server"):
        response = TestClient(app, raise_server_exceptions=False).get("/api/sweeps")
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "the server failed (ZeroDivisionError); its log has the details"}
    assert "GET /api/sweeps failed" in caplog.text and "ZeroDivisionError" in caplog.text
