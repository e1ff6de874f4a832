"""A model's exported twin: the ONNX or LiteRT file `mnistcnn export` wrote beside a `.h5`,
run instead of Keras when it is up to date, so `predict` and `serve` start without
TensorFlow (its import alone takes about 5 s; onnxruntime's about 0.2 s).

`export` checks a twin against its `.h5` on the test set and then writes a record beside
it (`models/NAME.onnx.json`): the SHA-256 of the `.h5` it was made from and its own. A
twin is up to date when both still match, so a retrained `.h5`, or a twin replaced by
hand, is never used in the other's place. Nothing here imports TensorFlow.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np

from mnistcnn.export.formats import AGREEMENT_NEEDED, RUNNERS, TWIN_RUNTIMES, default_output, record_path
from mnistcnn.core import file_sha256

class Twin:
    """An exported file run by its own runtime, answering as a Keras model's `predict` does."""

    def __init__(self, export_format: str, path: Path):
        self.format, self.path = export_format, Path(path)
        self._run = RUNNERS[export_format](self.path)  # the file is read once, here

    def predict(self, images: np.ndarray, batch_size: int = 500, verbose=0) -> np.ndarray:
        return self._run(np.asarray(images, dtype=np.float32))

    def __call__(self, images: np.ndarray) -> np.ndarray:
        return self.predict(images)


def find_twin(model_file: Path, status) -> Twin | None:
    """The up-to-date twin of `model_file` whose runtime is installed, or None; a twin found
    stale, or without its runtime, is passed over with a status line saying why."""
    model_file = Path(model_file)
    model_sha256 = None
    for export_format, runtime in TWIN_RUNTIMES.items():
        twin = default_output(model_file, export_format)
        try:
            record = json.loads(record_path(twin).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # no twin in this format (or no record that vouches for it)
        if importlib.util.find_spec(runtime) is None:
            status(f"not using {twin}: its runtime {runtime} is not installed")
            continue
        model_sha256 = model_sha256 or file_sha256(model_file)
        if record.get("model_sha256") != model_sha256:
            status(f"not using {twin}: it was exported from another {model_file.name} "
                   f"(`mnistcnn export {model_file} --format {export_format}` brings it up to date)")
            continue
        if record.get("same_digit_as_h5", 0) < AGREEMENT_NEEDED:
            status(f"not using {twin}: at its export it gave the .h5's digit for only "
                   f"{record.get('same_digit_as_h5', 0):.2%} of the test images, and a twin must give every one "
                   f"(`mnistcnn export {model_file} --format {export_format} --overwrite` tries again)")
            continue
        if not twin.is_file() or record.get("twin_sha256") != file_sha256(twin):
            status(f"not using {twin}: it changed since `mnistcnn export` checked it "
                   f"(`mnistcnn export {model_file} --format {export_format}` writes it again)")
            continue
        return Twin(export_format, twin)
    return None


def load_predictor(model_file: Path, status):
    """What reads digits for `model_file`: its up-to-date twin when there is one, else the
    Keras model itself (loaded and checked as storage.load_model does); which one is said
    on stderr."""
    model_file = Path(model_file)
    if model_file.is_file():
        twin = find_twin(model_file, status)
        if twin is not None:
            status(f"reading with {TWIN_RUNTIMES[twin.format]}: {twin.path}, the up-to-date twin of {model_file}")
            return twin
    from mnistcnn.core import load_model

    model = load_model(model_file)
    status(f"reading with Keras: {model_file} has no up-to-date exported twin "
           f"(`mnistcnn export {model_file} --format onnx` makes one, which starts faster)")
    return model
