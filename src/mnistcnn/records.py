"""What data a run used, as one record: written into every story and sweep run, read back
wherever runs are compared (resume, evaluate, replacing a model), whatever shape older
files wrote it in.

Two runs used the same data when source, split kind and split sizes agree; where the
files lay does not matter, so results move between machines.
"""

import re
from dataclasses import asdict, dataclass, fields

# An older sweep run's display line: "mnist (54000 train / 6000 valid / 10000 test) from PATH".
_DISPLAY_LINE = re.compile(r"^(?:data: )?(\w+) \((\d+) train / (\d+) valid(?: by (\d+) other writers)? / (\d+) test\)"
                           r"(?: from (.*))?$")


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
            known = {field.name for field in fields(cls)}
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

    def summary(self) -> str:
        """Source and split sizes, e.g. `mnist (48000 train / 12000 valid by 108 other writers / 10000 test)`."""
        valid = f"{self.valid} valid" + (f" by {self.valid_writers} other writers"
                                         if self.valid_split == "writers" and self.valid else "")
        return f"{self.source} ({self.train} train / {valid} / {self.test} test)"
