"""Importing TensorFlow and Keras quietly, and the global settings a run needs.

Only commands that train or predict import this, so `--help` stays instant.
"""

import logging
import os
import platform
import sys
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

# CPU flags of the instructions that make bfloat16 matrix products fast.
BFLOAT16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def import_keras():
    """Import and return `keras` on TensorFlow, without TensorFlow's start-up chatter.

    TensorFlow's C++ layer prints oneDNN and CUDA notices to file descriptor 2 before
    its logging is set up, so TF_CPP_MIN_LOG_LEVEL cannot hide them; we point the
    descriptor at /dev/null while it starts. A user who sets TF_CPP_MIN_LOG_LEVEL
    themselves sees everything.
    """
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    # TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX-512 VNNI or
    # newer; on the others (AVX2, like the AMD EPYC of BENCHMARKS.md) they still train
    # these networks faster (scripts/benchmark_onednn.py). A user's own setting wins.
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    # Adding the same function twice is a no-op, so every call may do it.
    logging.getLogger("tensorflow").addFilter(_not_new_model_retracing)
    if "keras" in sys.modules or "TF_CPP_MIN_LOG_LEVEL" in os.environ:
        import keras

        return keras
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
    with stdout_to_stderr(), native_stderr_silenced():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()  # the CUDA probe prints here
    return keras


@contextmanager
def stdout_to_stderr():
    """Standard output pointed at standard error for a while, in Python and at file
    descriptor 1, so it keeps only results (`--json` stays JSON) whatever a library prints:
    Keras's download says `Downloading data from ...` on stdout and its progress bars
    write there; C++ code writes to the descriptor, which no Python setting reaches.
    """
    sys.stdout.flush()
    try:
        saved_stdout = os.dup(1)
    except OSError:  # no descriptor 1 (a daemon): redirect what Python prints only
        saved_stdout = None
    else:
        sys.stderr.flush()
        os.dup2(2, 1)
    try:
        with redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved_stdout is not None:
            os.dup2(saved_stdout, 1)
            os.close(saved_stdout)


@contextmanager
def native_stderr_silenced():
    """File descriptor 2 pointed at /dev/null for a while: C++ libraries (TensorFlow at
    start-up, the LiteRT interpreter) print notices there that no Python setting reaches."""
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved_stderr, 2)
        os.close(saved_stderr)


def _not_new_model_retracing(record: logging.LogRecord) -> bool:
    """Drop TensorFlow's "N out of the last N calls ... triggered tf.function retracing".

    TensorFlow counts traces by the code of Keras's step function, not by model, so
    training or evaluating a few new models in one process (ensemble members, a sweep's
    runs) warns of excessive retracing where each model is traced just once, as it must
    be (tensorflow/tensorflow#42441, closed as expected behaviour).
    """
    return "triggered tf.function retracing" not in record.getMessage()


def _cpuinfo(field: str) -> str:
    """A field of the first processor in /proc/cpuinfo, or "" where there is none (not Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    for line in text.splitlines():
        if line.split(":", 1)[0].strip() == field:
            return line.split(":", 1)[1].strip()
    return ""


def cpu_flags() -> set[str]:
    return set(_cpuinfo("flags").split())


def cpu_model() -> str:
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def gpu_count() -> int:
    """How many GPUs TensorFlow sees: the one place that asks."""
    import_keras()
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def device_description() -> str:
    """What training runs on, in one line, e.g. `CPU: AMD EPYC, 2 cores, no GPU` or `1 GPU(s)`."""
    gpus = gpu_count()
    return f"{gpus} GPU(s)" if gpus else f"CPU: {cpu_model()}, {os.cpu_count()} cores, no GPU"


def resolve_precision(precision: str, flags: set[str] | None = None, gpus: int | None = None) -> str:
    """Turn "auto" into "mixed_bfloat16" on hardware that gains from it (a GPU, or a CPU with
    AMX or AVX-512 BF16), else "float32". `flags` and `gpus` default to this machine's."""
    if precision != "auto":
        return precision
    flags = cpu_flags() if flags is None else flags
    if flags & set(BFLOAT16_CPU_FLAGS):
        return "mixed_bfloat16"
    return "mixed_bfloat16" if (gpu_count() if gpus is None else gpus) else "float32"


def prepare(seed: int, precision: str, deterministic: bool = False) -> str:
    """Seed Python, NumPy and TensorFlow, set Keras's dtype policy and, if asked, op determinism.

    Returns:
        The precision in force ("auto" resolved).
    """
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    if deterministic:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    resolved = resolve_precision(precision)
    keras.mixed_precision.set_global_policy(resolved)
    return resolved
