"""The core every family stands on: the one config and its presets (config, presets), the
errors a user sees (errors), what a run leaves behind (records), files written whole
(files), status lines (status), TensorFlow loaded quietly (runtime), models saved and
loaded with their stories (storage), and how to install an extra (installation).
It imports no other family, and nothing here loads TensorFlow at import.
"""

from mnistcnn.core.config import (
    ACTIVATIONS, ARCHITECTURES, CHOICES, Config, ENSEMBLE_NAME, field_help, field_names, INPUT_SHAPE, LOSSES,
    MAX_CROP, NUM_CLASSES, OPTIMIZERS, parse_value, POOLINGS,
)
from mnistcnn.core.errors import InputError, OverwriteRefused, UsageError
from mnistcnn.core.files import atomic_path, atomic_write_text, read_csv_columns, write_csv
from mnistcnn.core.installation import install_command
from mnistcnn.core.presets import describe, get_preset, PRESETS
from mnistcnn.core.records import DataRecord, read_sweep_run, RunRecord, SWEEP_FIGURES
from mnistcnn.core.runtime import (
    cpu_model, device_description, gpu_count, import_keras, native_stderr_silenced, prepare,
    resolve_precision, stdout_to_stderr,
)
from mnistcnn.core.status import say
from mnistcnn.core.storage import (
    default_model_path, file_sha256, holds_ensemble, load_model, read_record, read_story, save_model,
    story_describes,
)

__all__ = [
    "ACTIVATIONS", "ARCHITECTURES", "atomic_path", "atomic_write_text", "CHOICES", "Config", "cpu_model",
    "DataRecord", "default_model_path", "describe", "device_description", "ENSEMBLE_NAME", "field_help",
    "field_names", "file_sha256", "get_preset", "gpu_count", "holds_ensemble", "import_keras", "INPUT_SHAPE",
    "InputError", "install_command", "load_model", "LOSSES", "MAX_CROP", "native_stderr_silenced",
    "NUM_CLASSES", "OPTIMIZERS", "OverwriteRefused", "parse_value", "POOLINGS", "prepare", "PRESETS",
    "read_csv_columns", "read_record", "read_story", "read_sweep_run", "resolve_precision", "RunRecord",
    "save_model", "say", "stdout_to_stderr", "story_describes", "SWEEP_FIGURES", "UsageError", "write_csv",
]
