"""Learning-rate schedules, where training (which follows one) and reports (which draw one)
both reach them without either reaching into the other."""

from mnistcnn.core import Config
from mnistcnn.core import import_keras


def learning_rate_schedule(config: Config, steps_per_epoch: int):
    """The configured learning rate, or for `cosine` a schedule: a linear warm-up over one
    epoch (a fifth of a run shorter than five epochs) to the configured rate, then cosine
    decay to zero at the last step."""
    if config.schedule != "cosine":
        return config.learning_rate
    keras = import_keras()
    total_steps = steps_per_epoch * config.epochs
    warmup_steps = min(steps_per_epoch, total_steps // 5)
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0,
        warmup_target=config.learning_rate,
        warmup_steps=warmup_steps,
        decay_steps=max(1, total_steps - warmup_steps),
    )
