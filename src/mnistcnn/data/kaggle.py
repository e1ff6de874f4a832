"""Kaggle's digit-recognizer CSV files: `label,pixel0..pixel783` and submissions.

Training files have a label column first; test files have only the 784 pixels.
Every row is checked, and a bad one is reported by its line number.
"""

import csv
from pathlib import Path

import numpy as np

from mnistcnn.core import InputError
from mnistcnn.core import write_csv

PIXELS = 784


def read_kaggle_csv(path: Path, labelled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a Kaggle CSV into (uint8 images (n, 28, 28), labels or None)."""
    path = Path(path)
    columns = PIXELS + (1 if labelled else 0)
    kind = "label,pixel0..pixel783" if labelled else "pixel0..pixel783"
    rows = []
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.reader(stream)
            header = next(reader, None)
            if header is None or len(header) != columns:
                found = 0 if header is None else len(header)
                raise InputError(f"{path}: line 1 has {found} columns, expected {columns} ({kind})")
            for line_number, row in enumerate(reader, start=2):
                if len(row) != columns:
                    raise InputError(f"{path}: line {line_number} has {len(row)} columns, expected {columns}; fix or remove that line")
                try:
                    values = [int(value) for value in row]
                except ValueError:
                    bad = next(value for value in row if not value.strip().lstrip("-").isdigit())
                    raise InputError(f"{path}: line {line_number}: '{bad}' is not a whole number; fix or remove that line") from None
                pixels = values[1:] if labelled else values
                if min(pixels) < 0 or max(pixels) > 255:
                    raise InputError(f"{path}: line {line_number}: pixel value outside 0-255; fix or remove that line")
                if labelled and not 0 <= values[0] <= 9:
                    raise InputError(f"{path}: line {line_number}: label {values[0]} is not a digit 0-9; fix or remove that line")
                rows.append(values)
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the CSV ({error})") from None
    if not rows:
        raise InputError(f"{path}: no data rows after the header")
    table = np.array(rows, dtype=np.int64)
    pixels = table[:, 1:] if labelled else table
    labels = table[:, 0].astype(np.uint8) if labelled else None
    return pixels.astype(np.uint8).reshape(-1, 28, 28), labels


def write_submission(path: Path, digits: np.ndarray) -> None:
    """Kaggle's `ImageId,Label` file, ImageId counting from 1."""
    write_csv(path, [["ImageId", "Label"]] + [[index, int(digit)] for index, digit in enumerate(digits, start=1)])
