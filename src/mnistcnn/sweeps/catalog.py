"""What can be swept: one line of data per hyperparameter. `runner.py` runs them.

Adding a sweep is adding one `Sweep(...)` line to SWEEPS: the config field, its default
values, a label for plots, and a sentence for `mnistcnn sweep list`. The sweep's name
is its field. `companions` gives a value the other settings it is only fair with (an
optimizer its usual learning rate); an option given on the command line overrides them.

Any other config field can be swept too, with values given by `--values` (`get_sweep`
makes its entry), except the few that define the comparison itself (NOT_SWEPT).
"""

import difflib
from dataclasses import dataclass, field

from mnistcnn.core import field_help, field_names
from mnistcnn.core import UsageError

RESERVED_NAMES = ("all", "list")
# Fields a sweep cannot vary, and why: they are the yardstick every value is measured with.
NOT_SWEPT = {
    "seed": "the repeats already vary the seed (repeat k uses seed k)",
    "valid_fraction": "every value must be judged on the same validation images",
    "valid_split": "every value must be judged on the same validation images",
}


@dataclass(frozen=True)
class Sweep:
    field: str
    values: tuple
    label: str
    description: str
    companions: dict = field(default_factory=dict)  # value -> {other field: its value}
    # In `mnistcnn sweep all` and the search's space (experiments/RULE.md and
    # experiments/search/RULE.md fixed those sets before the sweeps added later).
    in_all: bool = True

    @property
    def name(self) -> str:
        return self.field

    def __post_init__(self):
        if self.field not in field_names():
            raise ValueError(f"sweep over unknown config field {self.field}")

    def changes(self, value, given: dict) -> dict:
        """The config fields a run of `value` sets: the field, and its companions that the
        command line did not set."""
        companions = {name: setting for name, setting in self.companions.get(value, {}).items() if name not in given}
        return {self.field: value, **companions}


@dataclass(frozen=True)
class Contest:
    """A race between whole recipes rather than one field's values: each candidate is a name
    and the settings it changes from the base. The search's judging race is one; it runs
    through the same runner, race and report as a sweep."""

    name: str
    candidates: dict  # candidate name -> {config field: value}
    label: str = "Candidate"
    description: str = "Whole recipes raced against each other."
    field: str = "candidate"  # what sweep.json names the thing varied: no single config field

    @property
    def values(self) -> tuple:
        return tuple(self.candidates)

    def changes(self, value, given: dict) -> dict:
        return dict(self.candidates[value])


SWEEPS = (
    Sweep("activation", ("relu", "elu", "tanh", "sigmoid", "gelu"), "Activation",
          "Non-linear activation functions after each hidden layer."),
    Sweep("batch_size", (32, 64, 128, 256, 512), "Batch size", "Images per training step."),
    Sweep("dropout", (0.0, 0.25, 0.5, 0.75), "Dropout", "Dropout before the classifier."),
    Sweep("filters", (8, 16, 32, 64), "Filters",
          "Width: filters of the first convolution (the second has twice as many)."),
    Sweep("kernel_size", (2, 3, 5, 7), "Kernel size", 'The convolution window (the seeds\' "spatial extent").'),
    Sweep("learning_rate", (1e-4, 1e-3, 1e-2, 1e-1), "Learning rate",
          "The learning rate of the optimizer, over three orders of magnitude."),
    Sweep("loss", ("categorical_crossentropy", "mean_squared_error", "categorical_hinge", "kl_divergence",
                   "poisson"), "Loss", "Five losses, all trained on the same one-hot labels."),
    # Keras's default rates: 0.01 for SGD (plain, and with Nesterov momentum), 0.001 for the
    # adaptive ones; at 0.001 plain SGD would barely move in a short run.
    Sweep("optimizer", ("sgd", "momentum", "rmsprop", "adam", "adamw", "nadam"), "Optimizer",
          "Optimizers at their Keras default learning rate (0.01 for sgd and momentum, 0.001 for the others).",
          {"sgd": {"learning_rate": 0.01}, "momentum": {"learning_rate": 0.01}}),
    Sweep("pooling", ("max", "average", "none"), "Pooling",
          "Max vs average pooling vs a stride-2 convolution in its place."),
    # Not in `all`: each changes what is trained (a network, its length, its data) more than
    # a knob of the recipe, and some cost several times a recipe run.
    Sweep("architecture", ("mlp", "baseline", "lean", "deep", "strided"), "Architecture",
          "Networks from the model registry, each with the recipe's other settings.", in_all=False),
    Sweep("augment", (False, True), "Augmentation",
          "Training images randomly rotated, shifted and zoomed, or not.", in_all=False),
    Sweep("dense_units", (32, 64, 128, 256, 512), "Dense units",
          "Units of the hidden dense layer (baseline, mlp).", in_all=False),
    Sweep("schedule", ("constant", "cosine"), "Schedule",
          "A constant learning rate, or warm-up and cosine decay to zero.", in_all=False),
    # Runs of a sweep train a fixed number of epochs: each length its own patience.
    Sweep("epochs", (1, 2, 4, 8), "Epochs", "How long each run trains, to its end with no early stopping.",
          {epochs: {"patience": epochs} for epochs in (1, 2, 4, 8)}, in_all=False),
)


def sweep_names() -> list[str]:
    return sorted(sweep.name for sweep in SWEEPS)


def get_sweep(name: str) -> Sweep:
    """The catalog's sweep `name`, or for another config field a sweep whose values must be
    given with --values."""
    for sweep in SWEEPS:
        if sweep.name == name:
            return sweep
    if name in NOT_SWEPT:
        raise UsageError(f"{name} cannot be swept: {NOT_SWEPT[name]}; choose another field, e.g. "
                         "mnistcnn sweep dropout")
    if name in field_names():
        return Sweep(name, (), name.replace("_", " ").capitalize(), field_help(name), in_all=False)
    close = difflib.get_close_matches(name, sweep_names(), n=1) or difflib.get_close_matches(name, field_names(), n=1)
    guess = f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"unknown sweep '{name}'; {guess}choose one of: {', '.join(sweep_names())} (or all, list), "
                     "or any config field with --values")


def all_sweeps() -> list[Sweep]:
    """The sweeps `mnistcnn sweep all` runs and the search varies."""
    return sorted((sweep for sweep in SWEEPS if sweep.in_all), key=lambda sweep: sweep.name)


def catalog_sweeps() -> list[Sweep]:
    """Every sweep with values of its own, for `mnistcnn sweep list`."""
    return sorted(SWEEPS, key=lambda sweep: sweep.name)
