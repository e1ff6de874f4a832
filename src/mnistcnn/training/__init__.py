"""Training: the one `train()` (fitting), a fixed schedule's backups and resume (backup),
tf.distribute strategies for several GPUs or machines (distribution), and what devices
TensorFlow sees (devices). It may use models, data and the core; never the reports,
which read what training leaves.
"""

from mnistcnn.core.exports import lazy_exports

# Each public name, and the module of this family it lives in (loaded on first use).
__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "check_devices": "devices",
    "compile_model": "fitting",
    "format_report": "devices",
    "is_chief": "distribution",
    "is_multi_worker": "distribution",
    "make_strategy": "distribution",
    "one_hot": "fitting",
    "train": "fitting",
})
