"""Importing TensorFlow quietly: what `runtime.import_keras` keeps off a user's screen."""

import subprocess
import sys

RETRACING = "triggered tf.function retracing"

# Seven new models, each predicting once: what training an ensemble or a sweep does.
NEW_MODELS = """
import sys
import numpy as np
if sys.argv[1] == "mnistcnn":
    from mnistcnn.core import import_keras
    keras = import_keras()
else:
    import keras
for _ in range(7):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.predict(np.zeros((3, 4)), verbose=0)
"""


def stderr_of_new_models(importer: str) -> str:
    return subprocess.run([sys.executable, "-c", NEW_MODELS, importer], capture_output=True, text=True,
                          timeout=300).stderr


def test_new_models_do_not_warn_of_retracing():
    assert RETRACING in stderr_of_new_models("keras"), (
        "TensorFlow no longer warns when new models are traced: drop the filter in runtime.py")
    assert RETRACING not in stderr_of_new_models("mnistcnn")


def test_auto_precision_is_bfloat16_only_where_the_hardware_is_fast_at_it():
    from mnistcnn.core import resolve_precision

    assert resolve_precision("auto", flags={"avx2", "fma"}, gpus=0) == "float32"
    assert resolve_precision("auto", flags={"avx2", "avx512_bf16"}, gpus=0) == "mixed_bfloat16"
    assert resolve_precision("auto", flags={"amx_bf16"}, gpus=0) == "mixed_bfloat16"
    assert resolve_precision("auto", flags=set(), gpus=1) == "mixed_bfloat16"
    assert resolve_precision("float32", flags={"amx_bf16"}, gpus=1) == "float32"
