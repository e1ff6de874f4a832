"""`mnistcnn serve`: a local web app to draw a digit and watch the network read it, and to
browse the sweeps and models. Its JSON API is what the pages use (schema at /openapi.json).

The models are loaded once, when the app is made. A drawing or an upload goes through the
same preparation as `predict` (preprocess.py), and fails with the same one-line message.
Files are served only from the experiments and models folders, and only results (images,
tables, stories), never a path that leads outside them. What a request may cost (its bytes,
the preparations running at once) is bounded in server_limits.py.
"""

import io
import logging
import socket
import threading
from pathlib import Path

import numpy as np
from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from mnistcnn.core import InputError, UsageError
from mnistcnn.reports import list_models, list_searches, list_sweeps
from mnistcnn.predicting import Prediction
from mnistcnn.serving.limits import (MAX_UPLOAD_BYTES, BodyLimit, PreprocessingSlots, ServerBusy, UploadTooLarge,
                                    too_large)
from mnistcnn.core import say

LOG = logging.getLogger("mnistcnn.serving.server")

SERVED_SUFFIXES = {".png", ".csv", ".json", ".md"}  # results, not models or anything else
PAGES = Path(__file__).with_name("web")


class Reader:
    """The served models, loaded once. Predictions are made one at a time: each already
    uses every core, and the lock keeps concurrent requests from sharing a model call."""

    def __init__(self, model_file: Path, ensemble_file: Path | None = None):
        from mnistcnn.predicting import calibration_for
        from mnistcnn.export import Twin, load_predictor

        self.files = {"single": Path(model_file)}
        if ensemble_file is not None:
            self.files["ensemble"] = Path(ensemble_file)
        # An up-to-date exported twin where there is one (no TensorFlow to start), else the
        # Keras model as one traced graph for a single image: a plain Keras call runs layer
        # by layer in Python and costs ten times the network's own arithmetic at this size.
        self.models = {}
        # A twin, or the traced graph, answers the ensemble's mean only: its members'
        # disagreement is not asked here; the margin still says when it is unsure.
        self.calibrations = {kind: calibration_for(path) for kind, path in self.files.items()}
        for kind, path in self.files.items():
            predictor = load_predictor(path, say)
            self.models[kind] = predictor if isinstance(predictor, Twin) else _as_graph(predictor)
        self.lock = threading.Lock()
        for kind in self.models:  # the first call traces the graph: not on a user's time
            self.probabilities(np.zeros((28, 28), np.float32), kind)

    def probabilities(self, image: np.ndarray, kind: str) -> list[float]:
        if kind not in self.models:
            raise UsageError(f"no {kind} model is served; use one of: {', '.join(self.models)}")
        with self.lock:
            output = self.models[kind](image[np.newaxis, :, :, np.newaxis].astype(np.float32))
        return np.asarray(output, dtype=float)[0].tolist()


def _as_graph(model):
    import tensorflow as tf  # already imported quietly by load_model

    @tf.function(input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
    def probabilities(images):
        # training=False says so explicitly: left unset inside a graph, the `best` models'
        # augmentation layers would turn and shift every drawing at random.
        return model(images, training=False)

    return probabilities


def default_ensemble_file(model_file: Path) -> Path | None:
    """NAME-ensemble.h5 beside models/NAME.h5, when it is there."""
    candidate = Path(model_file).with_name(f"{Path(model_file).stem}-ensemble.h5")
    return candidate if candidate.is_file() else None


def guarded_file(root: Path, relative: str) -> Path:
    """The file `relative` names inside `root`, or an error: no absolute paths, no `..`,
    no symlink that leads outside, and only result files.

    Raises:
        PermissionError: the path leads outside `root` or is not a result file.
        FileNotFoundError: there is no such file.
    """
    parts = relative.replace("\\", "/").split("/")
    if relative.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        raise PermissionError(f"{relative}: only paths inside the folder are served")
    root = Path(root).resolve()
    path = (root / relative).resolve()  # follows symlinks, so one that leads out is caught below
    if not path.is_relative_to(root):
        raise PermissionError(f"{relative}: only paths inside the folder are served")
    if path.suffix.lower() not in SERVED_SUFFIXES:
        raise PermissionError(f"{relative}: only {', '.join(sorted(SERVED_SUFFIXES))} files are served")
    if not path.is_file():
        raise FileNotFoundError(f"{relative}: no such file")
    return path


class ErrorAnswer(BaseModel):
    """Every answer that is not the result: one line saying what went wrong and how to fix it."""

    error: str


def _answers(**descriptions: str) -> dict:
    """OpenAPI's `responses` for the error statuses a route gives, each an ErrorAnswer; a 500
    (a bug of the server's own) can come from any route."""
    described = {int(status.removeprefix("status_")): text for status, text in descriptions.items()}
    described[500] = "A bug of the server's own; its log has the traceback"
    return {status: {"model": ErrorAnswer, "description": text} for status, text in described.items()}


def _error(message: str, status: int, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def create_app(model_file: Path, ensemble_file: Path | None = None, experiments: Path = Path("experiments"),
               models: Path = Path("models")) -> FastAPI:
    """The app, with its models loaded (InputError if a model file cannot be used)."""
    reader = Reader(model_file, ensemble_file)
    preprocessing = PreprocessingSlots()
    roots = {"experiments": Path(experiments), "models": Path(models)}
    app = FastAPI(title="mnistcnn", summary="Draw a digit and watch the network read it; browse sweeps and models.",
                  version=_version())
    app.mount("/static", StaticFiles(directory=PAGES / "static"), name="static")
    app.add_middleware(BodyLimit)
    app.state.preprocessing = preprocessing  # where tests can hold its slots

    @app.exception_handler(Exception)
    async def answer_a_bug_in_json(request: Request, error: Exception):
        # A bug of the server's own: still JSON, as every answer; the traceback goes to its log.
        LOG.error("%s %s failed", request.method, request.url.path, exc_info=error)
        return _error(f"the server failed ({type(error).__name__}); its log has the details", 500)

    @app.exception_handler(UploadTooLarge)
    async def refuse_large_upload(request: Request, error: UploadTooLarge):
        return _error(error.detail, 413)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def draw_page():
        return (PAGES / "draw.html").read_text()

    @app.get("/experiments", response_class=HTMLResponse, include_in_schema=False)
    def experiments_page():
        return (PAGES / "experiments.html").read_text()

    @app.post("/api/predict", summary="Read the digit in an image (a file, or the canvas as PNG)",
              responses=_answers(status_400="Not an image that holds a digit, or no such model served",
                                 status_413="The upload is larger than 8 MiB",
                                 status_503="Two uploads are being prepared; try again shortly"))
    def predict(image: UploadFile = File(description="The image: PNG, JPEG, GIF, BMP, TIFF, WebP..."),
                model: str = Form("single", description="`single`, or `ensemble` when one is served"),
                top_k: int = Form(1, ge=1, le=10, description="How many of the likeliest digits to list, as --top-k")):
        """What `mnistcnn predict --json` returns for the image, plus `model` (which one read it)
        and `preprocessed`: the 28x28 image the network saw, rows of values in [0, 1]."""
        data = image.file.read(MAX_UPLOAD_BYTES + 1)
        name = image.filename or "upload"
        if len(data) > MAX_UPLOAD_BYTES:
            return _error(too_large(name), 413)  # read only one byte past the limit: "more than"
        from mnistcnn.images import prepare_image

        try:
            with preprocessing.held():
                prepared = prepare_image(io.BytesIO(data), name)
            prediction = Prediction.read(name, reader.probabilities(prepared, model), reader.calibrations[model])
        except (InputError, UsageError) as error:
            if error.__cause__ is not None:  # an image the preparation did not foresee: keep its traceback
                LOG.error("preparing %s failed", name, exc_info=error.__cause__)
            return _error(str(error), 400)
        except ServerBusy as error:
            return _error(str(error), 503, {"Retry-After": "5"})
        return {**prediction.to_dict(top_k), "model": model,
                "preprocessed": np.round(prepared, 3).tolist()}

    _add_browsing(app, roots, reader)
    return app


def _add_browsing(app: FastAPI, roots: dict, reader: Reader) -> None:
    """The routes the experiments page reads: the models, sweeps and searches, and their files."""

    @app.get("/api/models", summary="The served models, and every model under the models folder",
             responses=_answers())
    def models_list():
        found, notes = list_models(roots["models"])
        return {"serving": {kind: str(path) for kind, path in reader.files.items()}, "models": found, "notes": notes}

    @app.get("/api/sweeps", summary="Every sweep under the experiments folder: plots, summary, leader",
             responses=_answers())
    def sweeps_list():
        found, notes = list_sweeps(roots["experiments"])
        return {"sweeps": found, "notes": notes}

    @app.get("/api/searches", summary="Every search under experiments/search: best trials, importance, judging race",
             responses=_answers())
    def searches_list():
        found, notes = list_searches(roots["experiments"])
        return {"searches": found, "notes": notes}

    @app.get("/files/{root}/{relative:path}", summary="A result file (plot, table, story) of a sweep or model",
             responses=_answers(status_403="Not a result file (only .png, .csv, .json and .md are served)",
                                status_404="No such file in the experiments or models folder"))
    def result_file(root: str, relative: str):
        if root not in roots:
            return _error(f"{root}: files are served from {' and '.join(roots)} only", 404)
        try:
            return FileResponse(guarded_file(roots[root], relative))
        except PermissionError as error:
            return _error(str(error), 403)
        except FileNotFoundError as error:
            return _error(str(error), 404)


def _version() -> str:
    from mnistcnn import __version__

    return __version__


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound and listening before anything loads, so a taken port is
    one clear error and a browser opened at the printed address is already answered.

    Raises:
        InputError: the address cannot be used (taken port, unknown host).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP said explicitly: asyncio turns off Nagle's algorithm only on sockets that
    # name it, and without that every answer waits about 40 ms for a delayed ACK.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        listener.bind((host, port))
        listener.listen(128)
    except OSError as error:
        listener.close()
        raise InputError(f"cannot listen on {host}:{port} ({error.strerror or error}); pass another --port "
                         "or --host, or stop the program using it") from None
    return listener


def serve_in_background(app: FastAPI):
    """Run `app` on a free local port in a daemon thread (for the browser test and the
    benchmark), once it answers. Returns (uvicorn server, its thread, base URL); stop it
    with `server.should_exit = True`."""
    import time

    import uvicorn

    listener = listening_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{listener.getsockname()[1]}"


def serve(model_file: Path, ensemble_file: Path | None, host: str, port: int, experiments: Path,
          models: Path) -> None:
    """Run the app until Ctrl-C, printing where to reach it."""
    import uvicorn

    listener = listening_socket(host, port)
    app = create_app(model_file, ensemble_file, experiments, models)
    shown_host = f"[{host}]" if ":" in host else host
    served = f"{model_file}" + (f" and the ensemble {ensemble_file}" if ensemble_file else "")
    say(f"serving {served} at http://{shown_host}:{port}/ (experiments page: /experiments); Ctrl-C stops")
    if host not in ("127.0.0.1", "localhost", "::1"):
        say("warning: reachable from other machines, with no authentication: anyone who can reach this "
            "port can use it")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[listener])
    except KeyboardInterrupt:  # uvicorn shuts down cleanly, then passes Ctrl-C on
        pass
    say("stopped")
