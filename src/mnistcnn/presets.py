"""Named configs: starting points users pick with `--preset`, each a few lines of data.

Options given on the command line override a preset's fields.
"""

from mnistcnn.config import Config
from mnistcnn.errors import UsageError

PRESETS = {
    # The Keras MNIST seed as published: Conv 32 - Conv 64 - Dense 128, Adam 0.001, batch 128.
    "baseline": Config(),
    # The committed model. Chosen over baseline-with-cosine by validation accuracy
    # (0.9940 vs 0.9910, seed 0, full MNIST); see models/mnistcnn.json for its run.
    "final": Config(architecture="deep", dropout=0.25, learning_rate=0.003, schedule="cosine",
                    epochs=15, patience=15),
    # The fastest recipe to 0.990 test accuracy on a CPU: one pass over the training set.
    # 5x5 kernels and batch 64 learn the most per pass; the cosine schedule ends at zero
    # as the pass ends. Chosen from trials on the validation split; BENCHMARKS.md races it.
    "fast": Config(kernel_size=5, dropout=0.25, learning_rate=0.005, schedule="cosine", batch_size=64,
                   epochs=1, patience=1),
}


def get_preset(name: str) -> Config:
    if name not in PRESETS:
        raise UsageError(f"unknown preset '{name}'; choose one of: {', '.join(PRESETS)}")
    return PRESETS[name]


def describe(name: str) -> str:
    """The fields where a preset differs from the config's defaults, e.g. `epochs=15`."""
    preset, defaults = PRESETS[name], Config()
    changed = [f"{key}={value}" for key, value in preset.to_dict().items() if getattr(defaults, key) != value]
    return ", ".join(changed) or "the config defaults"
