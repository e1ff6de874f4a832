"""Calibration (temperature scaling) and the "unsure" words: the arithmetic on synthetic
answers, the committed calibration's files, and the committed model on drawn digits."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw

from mnistcnn.predicting import (MARGIN, Calibration, calibration_for, calibration_path,
                                  expected_calibration_error, fit_temperature, temper)
from mnistcnn.core import file_sha256
from mnistcnn.predicting import Prediction

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "models" / "calibration" / "calibration.json"


def softmax(logits):
    exponent = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exponent / exponent.sum(axis=1, keepdims=True)


def overconfident_answers(true_temperature=2.5, images=20_000, seed=0):
    """Labels drawn from softmax(logits); the 'model' reports softmax(logits * T): too sure by T."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (images, 10))
    truth = softmax(logits)
    labels = np.array([rng.choice(10, p=row) for row in truth])
    return softmax(logits * true_temperature), labels


def test_temperature_one_leaves_probabilities_as_they_are_and_more_flattens_them():
    probabilities = softmax(np.random.default_rng(1).normal(0, 3, (50, 10)))
    assert np.allclose(temper(probabilities, 1.0), probabilities)
    flatter = temper(probabilities, 2.0)
    assert np.allclose(flatter.sum(axis=1), 1) and (flatter.max(axis=1) < probabilities.max(axis=1)).all()
    assert (flatter.argmax(axis=1) == probabilities.argmax(axis=1)).all()  # the answer never changes


def test_the_fitted_temperature_undoes_known_overconfidence_and_lowers_the_calibration_error():
    probabilities, labels = overconfident_answers()
    temperature = fit_temperature(probabilities, labels)
    assert temperature == pytest.approx(2.5, rel=0.1)
    before = expected_calibration_error(probabilities, labels)
    after = expected_calibration_error(temper(probabilities, temperature), labels)
    assert before > 0.1 and after < 0.02


def test_unsure_when_the_top_two_are_close_or_members_disagree():
    calibration = Calibration(1.0, 0.3)
    clear = np.array([0.0] * 4 + [0.9] + [0.0] * 4 + [0.1])
    close = np.array([0.0] * 4 + [0.55] + [0.0] * 4 + [0.45])
    assert calibration.unsure(clear) is None
    assert calibration.unsure(close) == (4, 9)
    assert calibration.unsure(clear, member_digits=[4, 4, 9]) == (4, 9)
    assert calibration.unsure(clear, member_digits=[4, 4, 4]) is None
    prediction = Prediction.read("hybrid.png", close, calibration)
    assert prediction.answer == "unsure: 4 or 9" and prediction.text() == "hybrid.png: unsure: 4 or 9; 4 (0.550)"
    assert prediction.to_dict()["unsure"] == [4, 9] and prediction.to_dict()["answer"] == "unsure: 4 or 9"
    assert Prediction.read("seven.png", clear, calibration).to_dict()["unsure"] is None


def test_a_calibration_file_is_used_only_for_the_model_it_was_made_for(tmp_path):
    model = tmp_path / "model.h5"
    model.write_bytes(b"weights")
    calibration_path(model).write_text(json.dumps({"temperature": 1.7, "margin": 0.25,
                                                   "h5_sha256": file_sha256(model)}))
    assert calibration_for(model) == Calibration(1.7, 0.25)
    model.write_bytes(b"retrained weights")  # the same path, another model
    assert calibration_for(model) == Calibration(1.0, MARGIN)
    assert calibration_for(tmp_path / "absent.h5") == Calibration(1.0, MARGIN)


def test_the_committed_calibration_is_the_one_the_code_and_the_committed_models_use():
    result = json.loads(COMMITTED.read_text())
    assert MARGIN == result["margin"]["chosen"]["margin"]
    assert result["single"]["ece_after"] < result["single"]["ece_before"]
    for name in ("mnistcnn.h5", "mnistcnn-ensemble.h5"):
        calibration = calibration_for(ROOT / "models" / name)
        assert calibration.margin == MARGIN and calibration.temperature != 1.0, name
    assert calibration_for(ROOT / "models" / "mnistcnn.h5").temperature == result["single"]["temperature"]


def four_closing_into_a_nine(gap: int) -> Image.Image:
    """A 4 drawn as a person draws one, dark on white, with a top stroke that closes toward its
    stem: `gap` pixels short of it (90: an open 4; 0: closed, a square-topped 9)."""
    image = Image.new("L", (280, 280), 255)
    pen = ImageDraw.Draw(image)
    pen.line([(180, 40), (180, 250)], fill=0, width=22)  # the stem
    pen.line([(90, 40), (80, 150), (180, 150)], fill=0, width=22, joint="curve")  # the left side and the bar
    if gap < 90:
        pen.line([(90, 40), (180 - gap, 40)], fill=0, width=22)
    return image


def test_a_4_closing_into_a_9_is_read_as_unsure_between_them_and_clean_digits_are_not(tmp_path):
    from mnistcnn.cli import main

    gaps = list(range(0, 100, 10))
    for gap in gaps:
        four_closing_into_a_nine(gap).save(tmp_path / f"gap-{gap:03d}.png")
    result = CliRunner().invoke(main, ["predict", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    answers = {Path(entry["file"]).name: entry for entry in json.loads(result.stdout)}
    assert answers["gap-090.png"]["answer"] == "4"  # the open 4
    unsure = [entry for entry in answers.values() if entry["unsure"] is not None]
    # Somewhere between the open 4 and the closed top, the model is torn between 4 and 9: it says so.
    assert unsure and all(set(entry["unsure"]) == {4, 9} for entry in unsure), answers
    assert answers["gap-020.png"]["answer"] in ("unsure: 4 or 9", "unsure: 9 or 4")

    clean = CliRunner().invoke(main, ["predict", str(ROOT / "examples" / "digits"), "--json"])
    for entry in json.loads(clean.stdout):  # each example digit is named by its digit, and read plainly
        assert entry["unsure"] is None and entry["answer"] == Path(entry["file"]).stem[-1], entry
