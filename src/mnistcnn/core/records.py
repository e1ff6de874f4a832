"""The records of runs, read back whatever shape older files wrote them in.

`DataRecord`: what data a run used, written into every story and sweep run and compared
wherever runs are (resume, evaluate, replacing a model). Two runs used the same data when
source, split kind and split sizes agree; where the files lay does not matter, so
results move between machines.

`RunRecord`: what made a run (config, data, training, metrics, provenance), the one type
`train-final` writes its stories and ensemble members with, sweeps write their runs'
`metrics.json` with, and every reader (evaluate, runs, serve, sweep summaries, resume,
the scripts) reads them as.
"""

import json
import re
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

# An older sweep run's display line: "mnist (54000 train / 6000 valid / 10000 test) from PATH".
_DISPLAY_LINE = re.compile(r"^(?:data: )?(\w+) \((\d+) train / (\d+) valid(?: by (\d+) other writers)? / (\d+) test\)"
                           r"(?: from (.*))?$")
# Training sources known to hold MNIST's test digits, and why. Kaggle's digit-recognizer
# train.csv appears to re-split all 70,000 MNIST images (issue 29).
_HOLDS_TEST_DIGITS = {"kaggle": "Kaggle's train.csv re-splits all 70,000 MNIST images, so about 6,000 of MNIST's "
                                "test digits may have been trained on"}


@dataclass(frozen=True)
class DataRecord:
    source: str  # "mnist", "sample" or "kaggle"
    location: str = ""
    valid_split: str = "random"  # records from before writer splits drew theirs at random
    valid_writers: int = 0
    train: int = 0
    valid: int = 0
    test: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, value) -> "DataRecord | None":
        """From a story's dict, or an older sweep run's display line; None if unreadable
        (an ensemble member's file of old kept only a location)."""
        if isinstance(value, dict):
            known = {each.name for each in fields(cls)}
            return cls(**{key: item for key, item in value.items() if key in known}) if "source" in value else None
        if isinstance(value, str):
            found = _DISPLAY_LINE.match(value)
            if found:
                source, train, valid, writers, test, location = found.groups()
                return cls(source, location or "", "writers" if writers else "random", int(writers or 0),
                           int(train), int(valid), int(test))
        return None

    def same_data(self, other: "DataRecord | None") -> bool:
        """The same images in the same splits, wherever the files lay."""
        return other is not None and self.summary() == other.summary()

    def test_not_held_out(self) -> str | None:
        """Why a network trained on this data cannot be trusted on MNIST's test digits, or None
        for MNIST's own training set (the full set or the bundled sample), which holds none of them."""
        if self.source in ("mnist", "sample"):
            return None
        return _HOLDS_TEST_DIGITS.get(self.source, f"{self.source} is not MNIST's own training set and may hold "
                                                   "its test digits")

    def summary(self) -> str:
        """Source and split sizes, e.g. `mnist (48000 train / 12000 valid by 108 other writers / 10000 test)`."""
        valid = f"{self.valid} valid" + (f" by {self.valid_writers} other writers"
                                         if self.valid_split == "writers" and self.valid else "")
        return f"{self.source} ({self.train} train / {valid} / {self.test} test)"


# What a story records of one network's training, beside its config, data and provenance.
_TRAINING_FIELDS = ("epochs_run", "best_epoch", "training_seconds", "precision", "history")
# A sweep run's figures, as its summary, the runs table and TensorBoard's HParams compare them.
SWEEP_FIGURES = ("best_valid_accuracy", "final_valid_accuracy", "final_valid_loss", "test_accuracy",
                 "epochs", "seconds", "parameters")


@dataclass(frozen=True)
class RunRecord:
    """What made a run: its config, the data it used, how it trained, what it measured
    and where it was made. One type for every record on disk: a model's `NAME.json`
    (single or ensemble, or one member kept as a model of its own), an ensemble member's
    work-in-progress file and a sweep run's `metrics.json`, whatever age wrote them.
    A sweep run's validation `accuracy`, `loss` and `errors` are its kept weights' (as its
    test figures are; older runs took the last epoch's), and `best_accuracy` is the best
    of its curve.

    `members` holds an ensemble's members (each with its own `seed`, `config` and
    `data` as the ensemble's); `provenance` keeps the rest of the story as written
    (strategy, replicas, device, versions, parameters, command, date, member_of,
    kept_by, h5_sha256), so a story read and written again loses nothing.
    """
    config: dict
    data: DataRecord | None = None
    metrics: dict = field(default_factory=dict)  # split -> {"n", "accuracy", "interval", "loss"}
    epochs_run: int | None = None
    best_epoch: int | None = None
    training_seconds: float | None = None
    precision: str | None = None
    history: dict | None = None
    seed: int | None = None  # an ensemble member's; a whole model's seed is its config's
    members: tuple["RunRecord", ...] = ()
    provenance: dict = field(default_factory=dict)

    @classmethod
    def from_json(cls, story: dict) -> "RunRecord":
        """From any story shape; KeyError or TypeError if it is not a story at all.

        A sweep run's `metrics.json` reads with its `config.json` as `config`:
        `RunRecord.from_json({**metrics, "config": config})`.
        """
        if "run" in story:  # an ensemble member's file: {"config", "data", "run"}
            return cls.from_json({**story["run"], "config": story["config"], "data": story.get("data")})
        if "best_valid_accuracy" in story and "metrics" not in story:
            return cls.from_json(_from_flat_sweep_run(story))
        config, data = dict(story["config"]), story.get("data")
        members = tuple(cls.from_json({**member, "config": {**config, "seed": member.get("seed", config.get("seed"))},
                                       "data": data}) for member in story.get("members", []))
        taken = {"config", "data", "metrics", "seed", "members", "ensemble", *_TRAINING_FIELDS}
        return cls(config=config, data=DataRecord.from_json(data), metrics=story.get("metrics", {}),
                   seed=story.get("seed"), members=members,
                   provenance={key: value for key, value in story.items() if key not in taken},
                   **{name: story.get(name) for name in _TRAINING_FIELDS})

    def to_json(self) -> dict:
        """The story as train-final writes it: the training (or the members'), metrics,
        config, data, then provenance."""
        if self.members:
            story = {"ensemble": len(self.members), "members": [member.member_json() for member in self.members],
                     "training_seconds": self.training_seconds, "precision": self.precision}
        else:
            story = {name: getattr(self, name) for name in _TRAINING_FIELDS if getattr(self, name) is not None}
        return {**story, "metrics": self.metrics, "config": self.config,
                "data": self.data.to_json() if self.data else None, **self.provenance}

    def member_json(self) -> dict:
        """A member as its ensemble's story lists it: seed, training and metrics."""
        return {"seed": self.seed, **{name: getattr(self, name) for name in _TRAINING_FIELDS}, "metrics": self.metrics}

    def accuracy(self, split: str) -> float | None:
        return self.metrics.get(split, {}).get("accuracy")

    def sweep_figures(self) -> dict:
        """A sweep run's figures by SWEEP_FIGURES' names (test_accuracy None without a test split)."""
        valid = self.metrics.get("valid", {})
        return {"best_valid_accuracy": valid.get("best_accuracy"), "final_valid_accuracy": valid.get("accuracy"),
                "final_valid_loss": valid.get("loss"), "test_accuracy": self.accuracy("test"),
                "epochs": self.epochs_run, "seconds": self.training_seconds,
                "parameters": self.provenance.get("parameters")}


def read_sweep_run(folder: Path) -> RunRecord:
    """The record of a sweep run folder (`config.json` and `metrics.json`, of any age).

    Raises:
        OSError, ValueError, KeyError or TypeError: not a complete run.
    """
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    return RunRecord.from_json({**json.loads((folder / "metrics.json").read_text()), "config": config})


def _from_flat_sweep_run(flat: dict) -> dict:
    """The story shape of a sweep run's metrics.json as sweeps wrote it before RunRecord:
    flat figures, the validation ones of the last epoch and the best."""
    metrics = {"valid": {"accuracy": flat["final_valid_accuracy"], "loss": flat["final_valid_loss"],
                         "best_accuracy": flat["best_valid_accuracy"]}}
    if flat.get("test_accuracy") is not None:
        metrics["test"] = {"accuracy": flat["test_accuracy"], "loss": flat.get("test_loss")}
    figures = {"seed", "best_valid_accuracy", "final_valid_accuracy", "final_valid_loss", "test_accuracy",
               "test_loss", "epochs", "seconds"}
    return {**{key: value for key, value in flat.items() if key not in figures}, "metrics": metrics,
            "epochs_run": flat["epochs"], "training_seconds": flat["seconds"]}
