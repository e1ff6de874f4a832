"""Saving and loading models with their story. The only module that touches `.h5` files.

A model `models/NAME.h5` sits beside `models/NAME.json`: the config, data, metrics,
versions and date that made it. Both are written to hidden temporary names and
renamed into place, so an interrupted save leaves the previous model intact. The
story records the SHA-256 of the `.h5` it describes, so a mismatched pair is
detectable.
"""

import hashlib
import json
import logging
from contextlib import contextmanager
from pathlib import Path

from mnistcnn.core.config import INPUT_SHAPE
from mnistcnn.core.errors import InputError
from mnistcnn.core.files import atomic_path, atomic_write_text

DEFAULT_MODEL = Path("models") / "mnistcnn.h5"
# The committed model of the checkout the package is installed from (pip install -e .).
CHECKOUT_MODEL = Path(__file__).resolve().parents[3] / DEFAULT_MODEL


def default_model_path() -> Path:
    """models/mnistcnn.h5 under the working folder if there is one, else the committed model
    of the checkout mnistcnn is installed from, so commands work from any folder.

    Raises:
        InputError: neither exists; the message says where it looked.
    """
    for candidate in (DEFAULT_MODEL, CHECKOUT_MODEL):
        if candidate.is_file():
            return candidate
    raise InputError(
        f"no model file at {DEFAULT_MODEL} nor {CHECKOUT_MODEL}; train one with `mnistcnn train-final`, "
        "or pass --model-file (or set MNISTCNN_MODEL)"
    )


def story_path(model_path: Path) -> Path:
    return Path(model_path).with_suffix(".json")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_model(model, path: Path, story: dict) -> dict:
    """Save `model` as HDF5 at `path` and `story` (plus the file's SHA-256) beside it.

    Returns:
        The story as written.
    """
    path = Path(path)
    # Keras picks the format from the suffix; atomic_path keeps it.
    with atomic_path(path) as temporary, _quiet_absl():
        # Optimizer state is for resuming training, which a kept model does not need.
        model.save(temporary, include_optimizer=False)
        story = {**story, "h5_sha256": file_sha256(temporary)}
    atomic_write_text(story_path(path), json.dumps(story, indent=2) + "\n")
    return story


@contextmanager
def _quiet_absl():
    """Hide Keras's notice that HDF5 is a legacy format: `.h5` is our chosen format."""
    logger = logging.getLogger("absl")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_story(model_path: Path) -> dict | None:
    """The story beside a model, or None if there is none (or it is unreadable)."""
    try:
        return json.loads(story_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_record(model_path: Path):
    """The story beside a model as a RunRecord, or None if there is none (or it is not a story)."""
    from mnistcnn.core.records import RunRecord

    story = read_story(model_path)
    try:
        return RunRecord.from_json(story) if isinstance(story, dict) else None
    except (KeyError, TypeError, ValueError):
        return None


def story_describes(model_path: Path, record) -> bool:
    """Whether the story read as `record` was written for the `.h5` at `model_path` (its
    SHA-256 matches).

    The model and its story are renamed into place one after the other, so a kill
    between the two renames can pair a new model with an old story; this tells.
    """
    expected = record.provenance.get("h5_sha256")
    return expected is None or expected == file_sha256(model_path)


def holds_ensemble(path: Path) -> bool:
    """Whether the `.h5` at `path` holds an ensemble (ensemble.combine's model), read from
    its saved config with h5py, so without Keras."""
    import h5py

    from mnistcnn.core.config import ENSEMBLE_NAME

    try:
        with h5py.File(path, "r") as file:
            return json.loads(file.attrs["model_config"])["config"]["name"] == ENSEMBLE_NAME
    except (OSError, KeyError, TypeError, ValueError):
        return False


def load_model(path: Path):
    """Load a Keras `.h5` model in safe mode and check it takes 28x28x1 images.

    Raises:
        InputError: missing file, not HDF5, not a Keras model, or the wrong input.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"no model file at {path}; check the path, or train one there with "
            f"`mnistcnn train-final --output {path}`"
        )
    import h5py

    if not h5py.is_hdf5(path):
        raise InputError(f"{path} is not an HDF5 file; pass a Keras .h5 model saved by mnistcnn")
    from mnistcnn.core.runtime import import_keras

    keras = import_keras()
    try:
        # safe_mode refuses Lambda layers, whose code would run on load.
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as error:  # Keras raises many kinds for a file it cannot use
        if "Lambda" in str(error):
            raise InputError(
                f"{path} contains a Lambda layer, whose code would run on loading; mnistcnn loads "
                "models in Keras's safe mode and refuses it: save the model without Lambda layers"
            ) from None
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise InputError(
            f"{path} is not a Keras model mnistcnn can load ({reason}); pass a model saved by "
            "`mnistcnn train-final`"
        ) from None
    input_shape = tuple(model.input_shape[1:]) if not isinstance(model.input_shape, list) else None
    if input_shape != INPUT_SHAPE:
        raise InputError(
            f"{path} takes input of shape {model.input_shape}, expected (None, 28, 28, 1); "
            "pass a model trained on 28x28 grayscale digits"
        )
    return model
