"""What hardware TensorFlow sees, and proof of where an operation really runs.

The Keras sweeps seed's `cpu_gpu.py`, as a function that returns data.
"""

import time

MATRIX_SIZE = 1000


def check_devices() -> dict:
    """Versions, visible devices, and a timed matrix product placed on each device.

    Returns:
        {"device" (one line), "tensorflow", "keras", "devices": [{"name", "type"}], "gpu_available",
         "placements": [{"device", "ran_on", "seconds"}]}
    """
    from mnistcnn.core import device_description, import_keras

    keras = import_keras()
    import tensorflow as tf

    physical = tf.config.list_physical_devices()
    logical = tf.config.list_logical_devices()
    placements = []
    for device in logical:
        if device.device_type not in ("CPU", "GPU"):
            continue
        with tf.device(device.name):
            left = tf.random.uniform((MATRIX_SIZE, MATRIX_SIZE))
            tf.linalg.matmul(left, left).numpy()  # warm-up: the first call compiles
            start = time.perf_counter()
            product = tf.linalg.matmul(left, left)
            product.numpy()
            seconds = time.perf_counter() - start
        placements.append({"device": device.name, "ran_on": product.device, "seconds": round(seconds, 5)})
    gpus = [device for device in physical if device.device_type == "GPU"]
    return {
        "device": device_description(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "devices": [{"name": device.name, "type": device.device_type} for device in physical],
        "gpu_available": bool(gpus),
        "placements": placements,
    }


def format_report(report: dict) -> str:
    """The report as lines a person reads."""
    lines = [f"TensorFlow {report['tensorflow']}, Keras {report['keras']}", f"Training runs on: {report['device']}",
             "Devices TensorFlow sees:"]
    lines += [f"  {device['type']:4} {device['name']}" for device in report["devices"]]
    if report["gpu_available"]:
        lines.append("A GPU is visible: TensorFlow will run operations on it by default.")
    else:
        lines.append("No GPU is visible: TensorFlow will run everything on the CPU. That works; it is slower.")
    lines.append(f"A {MATRIX_SIZE}x{MATRIX_SIZE} matrix product placed on each device:")
    lines += [
        f"  asked {placement['device']}: ran on {placement['ran_on']} in {placement['seconds'] * 1000:.1f} ms"
        for placement in report["placements"]
    ]
    return "\n".join(lines)
