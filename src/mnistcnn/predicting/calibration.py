"""Probabilities a user can trust, and words when the model is unsure (models/calibration/RULE.md).

A model's probabilities are tempered, `p_T ∝ p^(1/T)`, by the temperature fitted on
validation images of its recipe; the temperature lives in `NAME.calibration.json` beside
`NAME.h5`, bound to the `.h5` by its SHA-256, so a retrained file at the same path is not
given another model's temperature. An answer is unsure when its top two tempered
probabilities are within MARGIN of each other, or an ensemble's members disagree on the
digit. No TensorFlow here: `predict`, `serve` and the calibration script share it.
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.core import file_sha256

# The margin models/calibration/calibrate.py chose by RULE.md (its calibration.json keeps
# it, and a test holds the two together): the largest that flags at most 1% of unseen
# writers' digits.
MARGIN = 0.7
SUFFIX = ".calibration.json"
ECE_BINS = 15


@dataclass(frozen=True)
class Calibration:
    temperature: float = 1.0  # 1: the model's own probabilities (no calibration file)
    margin: float = MARGIN

    def temper(self, probabilities: np.ndarray) -> np.ndarray:
        """Rows of probabilities at this temperature (rows still sum to 1)."""
        return temper(probabilities, self.temperature)

    def unsure(self, probabilities, member_digits=None) -> tuple[int, int] | None:
        """(likeliest, next) when the answer is unsure, else None. `probabilities`: one
        tempered row; `member_digits`: each ensemble member's own top digit, if known."""
        order = np.argsort(probabilities)[::-1]
        first, second = int(order[0]), int(order[1])
        close = probabilities[first] - probabilities[second] < self.margin
        split = member_digits is not None and any(int(digit) != first for digit in member_digits)
        return (first, second) if close or split else None


def temper(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    logs = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-12, None)) / temperature
    logs -= logs.max(axis=-1, keepdims=True)
    tempered = np.exp(logs)
    return tempered / tempered.sum(axis=-1, keepdims=True)


def negative_log_likelihood(probabilities: np.ndarray, labels: np.ndarray) -> float:
    # Clipped as Keras clips its cross-entropy, so the figure is the loss a record keeps.
    return float(-np.log(np.clip(probabilities[np.arange(len(labels)), labels], 1e-7, 1 - 1e-7)).mean())


def fit_temperature(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The temperature in [0.25, 10] with the least negative log-likelihood of `labels`."""
    from scipy.optimize import minimize_scalar

    found = minimize_scalar(lambda log_t: negative_log_likelihood(temper(probabilities, np.exp(log_t)), labels),
                            bounds=(np.log(0.25), np.log(10.0)), method="bounded", options={"xatol": 1e-4})
    return float(np.exp(found.x))


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = ECE_BINS) -> float:
    """Equal-width bins of the top probability: |accuracy - confidence|, weighted by share."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == labels
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    error = 0.0
    for bin_index in range(bins):
        inside = which == bin_index
        if inside.any():
            error += inside.mean() * abs(right[inside].mean() - confidence[inside].mean())
    return float(error)


def calibration_path(model_file: Path) -> Path:
    return Path(model_file).with_suffix(SUFFIX)


def calibration_for(model_file: Path | None) -> Calibration:
    """The model's calibration from its `.calibration.json`, when that was made for this very
    file; else its own probabilities (temperature 1) with the same margin."""
    if model_file is None:
        return Calibration()
    path = calibration_path(model_file)
    if not path.is_file() or not Path(model_file).is_file():
        return Calibration()
    record = json.loads(path.read_text())
    if record.get("h5_sha256") != file_sha256(model_file):
        return Calibration()
    return Calibration(float(record["temperature"]), float(record.get("margin", MARGIN)))


def answer_text(digit: int, unsure: tuple[int, int] | None) -> str:
    """What a person reads: the digit, or "unsure: 4 or 9"."""
    return f"unsure: {unsure[0]} or {unsure[1]}" if unsure else str(digit)
