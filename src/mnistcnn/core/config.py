"""The one experiment config: a frozen dataclass with Keras's own argument names.

Variants are made with `dataclasses.replace` (or `Config.with_changes`, which
validates). The names of every choice live here, without importing Keras, so the
CLI can list them instantly; `models.py` maps them to layers.
"""

import dataclasses
import json
from dataclasses import dataclass

from mnistcnn.core.errors import UsageError

# What every network takes and gives: a 28x28 grey image, one probability per digit.
INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10
# Most pixels a crop may cut from each side: past 4 it cuts into the 20x20 box MNIST
# scales every digit into.
MAX_CROP = 4
# The name ensemble.combine gives its model, by which an `.h5` is known as an ensemble.
ENSEMBLE_NAME = "ensemble"

ARCHITECTURES = ("mlp", "baseline", "lean", "deep", "strided", "m3")
POOLINGS = ("max", "average", "none")
ACTIVATIONS = ("relu", "elu", "selu", "tanh", "sigmoid", "gelu", "swish", "leaky_relu")
LOSSES = (
    "categorical_crossentropy",
    "mean_squared_error",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
)
OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam", "adamw", "nadam")
SCHEDULES = ("constant", "cosine")
PRECISIONS = ("auto", "float32", "mixed_bfloat16")
VALID_SPLITS = ("auto", "writers", "random")

CHOICES = {
    "architecture": ARCHITECTURES,
    "pooling": POOLINGS,
    "activation": ACTIVATIONS,
    "loss": LOSSES,
    "optimizer": OPTIMIZERS,
    "schedule": SCHEDULES,
    "precision": PRECISIONS,
    "valid_split": VALID_SPLITS,
}


def _setting(default, help_text: str):
    """A config field with its help text beside it (the CLI's option help reads it)."""
    return dataclasses.field(default=default, metadata={"help": help_text})


@dataclass(frozen=True)
class Config:
    """Everything that decides a training run. Defaults: the Keras MNIST seed."""

    architecture: str = _setting("baseline", "Network from the model registry.")
    filters: int = _setting(32, "Filters of the first convolution; later layers scale from it.")
    kernel_size: int = _setting(3, "Convolution window (the 'spatial extent').")
    activation: str = _setting("relu", "Non-linearity after each hidden layer.")
    pooling: str = _setting("max", "Down-sampling: max, average, or none (a stride-2 convolution).")
    dropout: float = _setting(0.5, "Dropout rate.")
    augment: bool = _setting(False, "Randomly rotate (up to 10 degrees), shift and zoom (up to 10%) training "
                                    "images; never at inference.")
    crop_height: int = _setting(0, "Rows cut from the top and from the bottom of every image before the first layer: "
                                   "MNIST's border is nearly blank, and fewer pixels cost less arithmetic.")
    crop_width: int = _setting(0, "Columns cut from the left and from the right, as crop_height (digits are "
                                  "narrower than tall, so more can go).")
    dense_units: int = _setting(128, "Units of the hidden dense layer (baseline, mlp).")
    loss: str = _setting("categorical_crossentropy", "Training loss.")
    optimizer: str = _setting("adam", "Optimizer (momentum is SGD with Nesterov momentum 0.9).")
    learning_rate: float = _setting(0.001, "Peak learning rate.")
    beta_1: float = _setting(0.9, "Adam's (AdamW's, Nadam's) decay of its running mean of gradients; lower "
                                  "follows the latest steps more closely.")
    beta_2: float = _setting(0.999, "Adam's (AdamW's, Nadam's) decay of its running mean of squared gradients.")
    schedule: str = _setting("constant", "constant, or cosine: warm-up (one epoch, at most a fifth of the run) "
                                         "then cosine decay to zero.")
    batch_size: int = _setting(128, "Images per training step.")
    epochs: int = _setting(12, "Most epochs to train (early stopping may end sooner).")
    seed: int = _setting(0, "Seed for weights, shuffling and the validation split.")
    valid_fraction: float = _setting(0.1, "Share of the 60,000 training images held out for validation; 0 trains "
                                          "on all (needs --patience >= --epochs).")
    valid_split: str = _setting("auto", "writers: valid is all the digits of some writers, none of whom are in "
                                        "training (as in the test set); random: random digits; auto: writers where "
                                        "the data is MNIST's own (the run records which).")
    patience: int = _setting(3, "Epochs without a better validation loss before stopping.")
    precision: str = _setting("auto", "float32, mixed_bfloat16, or auto (bfloat16 on CPUs with AMX/AVX-512 BF16 "
                                      "or a GPU).")
    deterministic: bool = _setting(False, "Seeds plus TensorFlow op determinism, so a rerun gives identical "
                                          "results (somewhat slower).")

    def __post_init__(self):
        for field, valid in CHOICES.items():
            value = getattr(self, field)
            if value not in valid:
                raise UsageError(
                    f"unknown {field} '{value}'; choose one of: {', '.join(valid)}"
                )
        for field in ("filters", "kernel_size", "dense_units", "batch_size", "epochs", "patience"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise UsageError(f"{field} must be a whole number >= 1, got {value!r}")
        for field in ("crop_height", "crop_width"):
            value = getattr(self, field)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CROP:
                raise UsageError(f"{field} must be a whole number from 0 to {MAX_CROP}, got {value!r}; "
                                 "MNIST's digits fill the middle 20x20 pixels")
        for field in ("augment", "deterministic"):
            if not isinstance(getattr(self, field), bool):
                raise UsageError(f"{field} must be true or false, got {getattr(self, field)!r}")
        if not 0 <= self.dropout < 1:
            raise UsageError(f"dropout must be in [0, 1), got {self.dropout}")
        if not self.learning_rate > 0:
            raise UsageError(f"learning_rate must be > 0, got {self.learning_rate}")
        for field in ("beta_1", "beta_2"):
            if not 0 < getattr(self, field) < 1:
                raise UsageError(f"{field} must be between 0 and 1 (exclusive), got {getattr(self, field)}; "
                                 "Adam's own are 0.9 and 0.999")
        if not 0 <= self.valid_fraction < 1:
            raise UsageError(
                f"valid_fraction must be at least 0 and below 1, got {self.valid_fraction}; use e.g. 0.1"
            )
        if self.valid_fraction == 0 and not self.fixed_schedule:
            raise UsageError(
                "valid_fraction 0 leaves no validation split for early stopping to watch; "
                f"pass --patience {self.epochs} (a fixed schedule of --epochs) or a valid fraction like 0.1"
            )

    def with_changes(self, **changes) -> "Config":
        """A copy with some fields changed; unknown field names are an error."""
        unknown = sorted(set(changes) - set(field_names()))
        if unknown:
            raise UsageError(
                f"unknown config field {', '.join(unknown)}; fields are: {', '.join(field_names())}"
            )
        return dataclasses.replace(self, **changes)

    @property
    def fixed_schedule(self) -> bool:
        """Patience covering every epoch: training runs all of them and keeps the last weights."""
        return self.patience >= self.epochs

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, values: dict) -> "Config":
        # Records written before valid_split existed drew their validation split at random.
        return cls().with_changes(**{"valid_split": "random", **values})

    @classmethod
    def from_json(cls, text: str) -> "Config":
        return cls.from_dict(json.loads(text))


def field_names() -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(Config))


def field_help(name: str) -> str:
    return next(field.metadata["help"] for field in dataclasses.fields(Config) if field.name == name)


def parse_value(field: str, text: str):
    """Turn a command-line string into the type of `field` (for `--values`, presets)."""
    if field not in field_names():
        raise UsageError(f"unknown config field '{field}'; fields are: {', '.join(field_names())}")
    kind = type(getattr(Config(), field))
    if kind is bool:
        if text.lower() not in ("true", "false"):
            raise UsageError(f"'{text}' is not true or false for {field}")
        return text.lower() == "true"
    try:
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
    except ValueError:
        raise UsageError(f"'{text}' is not a valid {kind.__name__} for {field}") from None
    return text
