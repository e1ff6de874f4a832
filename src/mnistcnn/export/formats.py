"""`mnistcnn export`: a saved model in the formats other tools run (TF SavedModel for TF
Serving, ONNX for onnxruntime, LiteRT for phones), checked against its `.h5` right after
it is written.

What is exported is the inference model: the `best` models carry their augmentation
layers inside, which do nothing at inference but leave random-number ops in a traced
graph (onnxruntime rejects `StatelessRandomUniformV2`), so they are left out. It is
exported in float32, whatever precision it trained in: every runtime runs float32, and
bfloat16 is a training speed-up of some CPUs and GPUs, not part of the model.
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.core import InputError, OverwriteRefused, UsageError
from mnistcnn.core import atomic_write_text

FORMATS = {"savedmodel": ("tf_saved_model", ""), "onnx": ("onnx", ".onnx"), "litert": ("litert", ".tflite")}
# What each format needs beyond TensorFlow, and the module that shows it is installed.
RUNTIMES = {"onnx": ("tf2onnx", "onnx", "onnxruntime"), "litert": ("ai_edge_litert",)}
# A twin answers in its model's place, so it must give the model's digit for every test image.
AGREEMENT_NEEDED = 1.0


@dataclass(frozen=True)
class ExportCheck:
    """How the exported file, run by its own runtime, compares with the `.h5`."""
    format: str
    path: str
    images: int
    agreement: float  # share of images given the same digit
    largest_probability_difference: float
    bytes: int
    images_per_second: float  # the runtime's, on the check's batches
    written: bool = True  # False: an up-to-date twin was already there, and its record is this

    def text(self) -> str:
        if not self.written:
            return (f"{self.path} is already the up-to-date twin ({self.bytes / 1e6:.2f} MB): the same digit as the "
                    f".h5 for {self.agreement:.2%} of {self.images} images when it was exported, largest probability "
                    f"difference {self.largest_probability_difference:.2e}; --overwrite exports it again")
        return (f"wrote {self.path} ({self.bytes / 1e6:.2f} MB): the same digit as the .h5 for "
                f"{self.agreement:.2%} of {self.images} images, largest probability difference "
                f"{self.largest_probability_difference:.2e}; {self.images_per_second:,.0f} images/s")


def default_output(model_file: Path, export_format: str) -> Path:
    """models/NAME.h5 -> models/NAME-savedmodel/, models/NAME.onnx, models/NAME.tflite."""
    model_file = Path(model_file)
    suffix = FORMATS[export_format][1]
    return model_file.with_name(f"{model_file.stem}-savedmodel") if not suffix else model_file.with_suffix(suffix)


# The formats a twin may have, in the order they are preferred, with the module that runs each.
TWIN_RUNTIMES = {"onnx": "onnxruntime", "litert": "ai_edge_litert"}


def record_path(twin: Path) -> Path:
    """models/NAME.onnx -> models/NAME.onnx.json (NAME.json is the `.h5`'s own story)."""
    return Path(twin).with_name(Path(twin).name + ".json")


def write_record(model_file: Path, check: ExportCheck) -> None:
    """Record, beside an exported file that passed its check, what makes it the `.h5`'s twin."""
    from mnistcnn.core import file_sha256

    if check.format not in TWIN_RUNTIMES:
        return
    record = {"made_by": "mnistcnn export", "format": check.format, "model_file": Path(model_file).name,
              "model_sha256": file_sha256(model_file), "twin_sha256": file_sha256(check.path),
              "checked_on_images": check.images, "same_digit_as_h5": check.agreement,
              "largest_probability_difference": check.largest_probability_difference}
    atomic_write_text(record_path(check.path), json.dumps(record, indent=2) + "\n")


def require_runtime(export_format: str) -> None:
    """Raises UsageError, in one line, when the format's converter or runtime is missing."""
    import importlib.util

    from mnistcnn.core import install_command

    missing = [name for name in RUNTIMES.get(export_format, ()) if importlib.util.find_spec(name) is None]
    if missing:
        raise UsageError(f"--format {export_format} needs {', '.join(missing)}: {install_command('export')}")


def inference_model(model):
    """A float32 copy of `model` (a single network or an ensemble) without its random
    augmentation layers, sharing nothing with it but the weights' values."""
    from mnistcnn.core import import_keras

    keras = import_keras()

    def clone_layer(layer):
        if layer.__class__.__name__.startswith("Random"):
            return keras.layers.Identity(name=layer.name)
        config = layer.get_config()
        config["dtype"] = "float32"
        return layer.__class__.from_config(config)

    # Input layers and the models around the layers take the global policy: float32 too,
    # whatever a training run earlier in the process left in force.
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("float32")
    try:
        copy = keras.models.clone_model(model, clone_function=clone_layer, recursive=True)
        _copy_weights(model, copy)
        # The augmentation layers were wired in with `training=True`, and a call that does
        # not name `training` (the exporters trace `model.__call__` that way) lets that
        # value run the whole network in training mode: BatchNorm then normalises by each
        # batch, and the `strided` model's exports gave another digit than its `.h5` for
        # 17 of 10,000 test images. A model around the copy that calls it with
        # `training=False` makes every call inference.
        inputs = keras.Input(shape=copy.input_shape[1:], name="images")
        return keras.Model(inputs, copy(inputs, training=False), name=copy.name)
    finally:
        keras.mixed_precision.set_global_policy(previous)


def _copy_weights(source, target) -> None:
    for old, new in zip(source.layers, target.layers):
        if hasattr(old, "layers") and hasattr(new, "layers"):  # an ensemble's member
            _copy_weights(old, new)
        elif new.weights:
            new.set_weights(old.get_weights())


def export_model(model_file: Path, export_format: str, output: Path | None, data_source: str | None,
                 status, overwrite: bool = False) -> ExportCheck:
    """Export the model at `model_file`, then check the file with its own runtime on the
    test images. Raises InputError when it disagrees with the `.h5` on any image's digit, and
    OverwriteRefused (unless `overwrite`) before replacing a twin checked on more images
    or exported from another model."""
    from mnistcnn.data import load_dataset
    from mnistcnn.core import load_model

    if export_format not in FORMATS:
        raise UsageError(f"unknown format {export_format}; use one of: {', '.join(FORMATS)}")
    require_runtime(export_format)
    output = Path(output) if output else default_output(model_file, export_format)
    suffix = FORMATS[export_format][1]
    if suffix and output.suffix != suffix:
        raise UsageError(f"--output for --format {export_format} must end in {suffix}, e.g. "
                         f"{default_output(model_file, export_format)}")
    refuse_to_replace(output)
    images = load_dataset(data_source).x_test
    if not overwrite:
        kept = existing_twin(model_file, export_format, output, len(images))
        if kept is not None:
            return kept
    model = load_model(model_file)
    inference = inference_model(model)
    inference(images[:1])  # Keras's ONNX export needs a model that has been called once
    status(f"exporting {model_file} as {export_format} to {output}")

    record_path(output).unlink(missing_ok=True)  # vouches for the old file, not the one being written
    _write(inference, export_format, output)
    reference = model.predict(images, batch_size=500, verbose=0).astype(np.float64)
    start = time.perf_counter()
    exported = RUNNERS[export_format](output)(images).astype(np.float64)
    seconds = time.perf_counter() - start
    check = ExportCheck(export_format, str(output), len(images),
                        float(np.mean(exported.argmax(axis=1) == reference.argmax(axis=1))),
                        float(np.abs(exported - reference).max()), file_size(output), len(images) / seconds)
    if check.agreement < AGREEMENT_NEEDED:
        raise InputError(f"{output} gives the .h5's digit for only {check.agreement:.2%} of the test images "
                         "(every one is needed); the export is not usable")
    write_record(model_file, check)
    return check


def refuse_to_replace(output: Path) -> None:
    """An earlier export at `output` is replaced; anything else there (a folder of other files,
    as `--output models` would name) is kept, since replacing a folder deletes it whole."""
    if output.is_dir() and any(output.iterdir()) and not (output / "saved_model.pb").is_file():
        raise OverwriteRefused(f"{output} is a folder that is not a SavedModel, and exporting there would delete "
                               "it; pass --output for a new one")


def existing_twin(model_file: Path, export_format: str, output: Path, images: int) -> ExportCheck | None:
    """The check of the twin already at `output`, when it is this model's, unchanged and
    checked on at least as many images (exporting again would only rewrite it: the
    converter's bytes differ from run to run), else None to export.

    Raises:
        OverwriteRefused: a twin checked on more images, or exported from another model: a
            record vouches for it, and this export would not replace it unasked, as
            train-final does not replace a model trained on more data.
    """
    from mnistcnn.core import file_sha256

    try:
        record = json.loads(record_path(output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # no twin vouched for there
    if record.get("checked_on_images", 0) > images:
        raise OverwriteRefused(f"{output} was checked on {record['checked_on_images']} test images and this export "
                               f"has {images}; point --data at the full set, pass --output for a new file, or "
                               "--overwrite to replace it")
    if record.get("model_sha256") not in (None, file_sha256(model_file)):
        raise OverwriteRefused(f"{output} was exported from another {record.get('model_file', 'model')}; pass "
                               "--output for a new file, or --overwrite to replace it")
    if record.get("checked_on_images") == images and output.is_file() and \
            record.get("twin_sha256") == file_sha256(output):
        return ExportCheck(export_format, str(output), images, record["same_digit_as_h5"],
                           record["largest_probability_difference"], file_size(output), float("nan"), written=False)
    return None


def _write(inference, export_format: str, output: Path) -> None:
    import contextlib
    import io
    import shutil
    import warnings

    if output.exists():
        shutil.rmtree(output) if output.is_dir() else output.unlink()
    output.parent.mkdir(parents=True, exist_ok=True)
    from mnistcnn.core import stdout_to_stderr

    # The converters print pages of their own progress (from C++ too, to file descriptor 1,
    # which stdout_to_stderr keeps off the results), and Keras's ONNX path a NumPy
    # deprecation warning; a failure still raises.
    with stdout_to_stderr(), contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        inference.export(str(output), format=FORMATS[export_format][0], verbose=False)


def file_size(path: Path) -> int:
    """Bytes of a file, or of every file in a folder (a SavedModel)."""
    path = Path(path)
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file()) if path.is_dir() else path.stat().st_size


def _savedmodel_runner(path: Path):
    import tensorflow as tf

    serve = tf.saved_model.load(str(path)).signatures["serving_default"]
    return lambda images: np.concatenate([next(iter(serve(tf.constant(batch)).values())).numpy()
                                          for batch in _batches(images)])


def _onnx_runner(path: Path):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return lambda images: np.concatenate([session.run(None, {name: batch})[0] for batch in _batches(images)])


def _litert_runner(path: Path):
    from ai_edge_litert.interpreter import Interpreter

    from mnistcnn.core import native_stderr_silenced

    with native_stderr_silenced():
        interpreter = Interpreter(model_path=str(path))
    input_index = interpreter.get_input_details()[0]["index"]
    output_index = interpreter.get_output_details()[0]["index"]

    def run(images: np.ndarray) -> np.ndarray:
        # Each allocation prints "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." from C++.
        with native_stderr_silenced():
            outputs = []
            for batch in _batches(images):
                interpreter.resize_tensor_input(input_index, batch.shape)
                interpreter.allocate_tensors()
                interpreter.set_tensor(input_index, batch)
                interpreter.invoke()
                outputs.append(interpreter.get_tensor(output_index).copy())
        return np.concatenate(outputs)

    return run


def _batches(images: np.ndarray, size: int = 500):
    for start in range(0, len(images), size):
        yield np.ascontiguousarray(images[start:start + size], dtype=np.float32)


# Each format's runtime: RUNNERS[format](path) loads the file once and returns a function
# from a batch of 28x28x1 float32 images to their ten probabilities.
RUNNERS = {"savedmodel": _savedmodel_runner, "onnx": _onnx_runner, "litert": _litert_runner}
