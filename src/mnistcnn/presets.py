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
    # The fastest recipe to 0.990 test accuracy on a CPU. 5x5 kernels on half the baseline's
    # filters cost about 0.45 of its multiply-adds per image and learn as much per pass;
    # batch 64 and a cosine schedule ending at zero after the second pass reach 0.992.
    # Chosen from trials on these 2 cores; BENCHMARKS.md races it against the Keras example.
    "fast": Config(filters=16, kernel_size=5, dropout=0.25, learning_rate=0.004, schedule="cosine",
                   batch_size=64, epochs=2, patience=2),
    # The most accurate single network for a fixed budget on a CPU: the final recipe with
    # random rotation, shift and zoom, which lets it train far longer without overfitting.
    # A fixed schedule (no early stopping), chosen on the validation split; models/RESULTS.md.
    "best": Config(architecture="deep", dropout=0.25, augment=True, learning_rate=0.003,
                   schedule="cosine", epochs=100, patience=100),
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
