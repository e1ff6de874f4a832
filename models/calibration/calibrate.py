"""Fit the temperature and choose the "unsure" margin by RULE.md, on validation images only.

    MNISTCNN_DATA=../shared/data/mnist python models/calibration/calibrate.py

Predicts the validation images of the three `strided` writer trials and of the
three-member `strided` ensemble trial (about 42,000 answers, 2-3 minutes here), fits each
temperature, measures the calibration error before and after (and on each writer trial
with the temperature of the other two), picks the margin, and writes
models/calibration/RESULT.md, models/calibration/calibration.json and, for the committed
models, models/NAME.calibration.json. The test set is never read.
"""

import argparse
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
from mnistcnn.core import file_sha256  # noqa: E402
from mnistcnn.predicting import (Calibration, expected_calibration_error,  # noqa: E402
                                  fit_temperature, negative_log_likelihood, temper)

HERE = ROOT / "models" / "calibration"
TRIALS = [ROOT / "models" / "trials" / "writers" / f"strided-seed-{seed}.h5" for seed in (11, 12, 13)]
ENSEMBLE_TRIAL = ROOT / "models" / "trials" / "strided-ensemble-of-3.h5"
COMMITTED = {"single": ROOT / "models" / "mnistcnn.h5", "ensemble": ROOT / "models" / "mnistcnn-ensemble.h5"}
MARGINS = np.round(np.arange(0.05, 0.951, 0.05), 2)
MOST_FLAGGED = 0.01
COMMAND = "MNISTCNN_DATA=../shared/data/mnist python models/calibration/calibrate.py"


def validation_answers(model_file: Path, source) -> dict:
    """The model's probabilities on the validation split its record names, and each
    ensemble member's top digit; the record's validation accuracy and loss beside ours."""
    from mnistcnn.data import split_source
    from mnistcnn.models import members
    from mnistcnn.core import load_model

    record = json.loads(model_file.with_suffix(".json").read_text())
    config = record["config"]
    dataset = split_source(source, config["valid_fraction"], config["seed"], config.get("valid_split") or "random")
    model = load_model(model_file)
    probabilities = model.predict(dataset.x_valid, batch_size=500, verbose=0).astype(np.float64)
    member_digits = [member.predict(dataset.x_valid, batch_size=500, verbose=0).argmax(axis=1)
                     for member in members(model)]
    labels = dataset.y_valid.astype(int)
    recorded = record["metrics"]["valid"]
    return {"probabilities": probabilities, "labels": labels, "members": np.array(member_digits).T if member_digits
            else None, "reproduced": {"accuracy": [float((probabilities.argmax(1) == labels).mean()),
                                                   recorded["accuracy"]],
                                      "loss": [negative_log_likelihood(probabilities, labels), recorded["loss"]]}}


def reproduced(answers: dict) -> bool:
    return all(round(ours, 4) == round(theirs, 4) for ours, theirs in answers["reproduced"].values())


def figures(probabilities, labels, temperature) -> dict:
    tempered = temper(probabilities, temperature)
    return {"temperature": round(temperature, 4),
            "ece_before": expected_calibration_error(probabilities, labels),
            "ece_after": expected_calibration_error(tempered, labels),
            "nll_before": negative_log_likelihood(probabilities, labels),
            "nll_after": negative_log_likelihood(tempered, labels), "images": len(labels),
            "errors": int((probabilities.argmax(1) != labels).sum())}


def choose_margin(tempered: np.ndarray, labels: np.ndarray) -> dict:
    """RULE.md: the largest margin that flags at most 1% of the answers, and what it catches."""
    ordered = np.sort(tempered, axis=1)
    gap = ordered[:, -1] - ordered[:, -2]
    wrong = tempered.argmax(1) != labels
    rows = [{"margin": float(margin), "flagged": float((gap < margin).mean()),
             "errors_flagged": float(wrong[gap < margin].sum() / max(wrong.sum(), 1)),
             "unflagged_accuracy": float(1 - wrong[gap >= margin].mean())} for margin in MARGINS]
    allowed = [row for row in rows if row["flagged"] <= MOST_FLAGGED]
    return {"chosen": allowed[-1] if allowed else None, "grid": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    from mnistcnn.data import read_source

    source = read_source(os.environ.get("MNISTCNN_DATA"))
    trials = [validation_answers(path, source) for path in TRIALS]
    pooled = {key: np.concatenate([answers[key] for answers in trials]) for key in ("probabilities", "labels")}
    single_t = fit_temperature(pooled["probabilities"], pooled["labels"])
    result = {"single": figures(pooled["probabilities"], pooled["labels"], single_t),
              "held_out": [], "command": COMMAND, "made": datetime.now(timezone.utc).isoformat(timespec="seconds")}
    for index, path in enumerate(TRIALS):  # each trial's ECE with the temperature of the other two
        others = [answers for other, answers in enumerate(trials) if other != index]
        t_others = fit_temperature(np.concatenate([answers["probabilities"] for answers in others]),
                                   np.concatenate([answers["labels"] for answers in others]))
        result["held_out"].append({"model": path.name, **figures(trials[index]["probabilities"],
                                                                   trials[index]["labels"], t_others)})
    margin = choose_margin(temper(pooled["probabilities"], single_t), pooled["labels"])
    result["margin"] = margin
    ensemble = validation_answers(ENSEMBLE_TRIAL, source)
    result["ensemble_reproduced"] = ensemble["reproduced"]
    if reproduced(ensemble):
        ensemble_t = fit_temperature(ensemble["probabilities"], ensemble["labels"])
        result["ensemble"] = figures(ensemble["probabilities"], ensemble["labels"], ensemble_t)
        result["ensemble"]["unsure"] = unsure_counts(ensemble, Calibration(ensemble_t, margin["chosen"]["margin"]))
    else:
        ensemble_t = single_t
    (HERE / "calibration.json").write_text(json.dumps(result, indent=2) + "\n")
    for kind, path in COMMITTED.items():
        temperature = single_t if kind == "single" else ensemble_t
        path.with_suffix(".calibration.json").write_text(json.dumps(
            {"temperature": round(temperature, 4), "margin": margin["chosen"]["margin"],
             "h5_sha256": file_sha256(path), "made_by": "models/calibration/RESULT.md", "command": COMMAND},
            indent=2) + "\n")
    (HERE / "RESULT.md").write_text(result_text(result))
    print(json.dumps({key: result[key] for key in ("single", "held_out")}, indent=2))


def unsure_counts(answers: dict, calibration: Calibration) -> dict:
    """How many validation answers the margin flags, and how many more the members' disagreement adds."""
    tempered = calibration.temper(answers["probabilities"])
    by_margin = [calibration.unsure(row) is not None for row in tempered]
    by_either = [calibration.unsure(row, digits) is not None for row, digits in zip(tempered, answers["members"])]
    wrong = tempered.argmax(1) != answers["labels"]
    return {"by_margin": int(sum(by_margin)), "by_margin_or_members": int(sum(by_either)),
            "errors": int(wrong.sum()), "errors_flagged": int(sum(flag and bad for flag, bad in zip(by_either, wrong)))}


def result_text(result: dict) -> str:
    single, margin = result["single"], result["margin"]["chosen"]
    lines = ["# Calibration and \"unsure\": the result", "",
             f"By [RULE.md](RULE.md). Made {result['made']} by `{result['command']}`; validation images only.", "",
             "| models | images | errors | temperature | ECE before | ECE after | NLL before | NLL after |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]

    def row(name, figure):
        return (f"| {name} | {figure['images']:,} | {figure['errors']} | {figure['temperature']:.3f} | "
                f"{figure['ece_before']:.4f} | {figure['ece_after']:.4f} | {figure['nll_before']:.4f} | "
                f"{figure['nll_after']:.4f} |")

    lines.append(row("the three `strided` writer trials, pooled (fitted here)", single))
    for held in result["held_out"]:
        lines.append(row(f"{held['model']}, with the temperature of the other two", held))
    if "ensemble" in result:
        lines.append(row("`strided-ensemble-of-3`, its 6,000 validation images (fitted here)", result["ensemble"]))
    else:
        lines += ["", "The ensemble trial's validation split was not reproduced "
                  f"({result['ensemble_reproduced']}), so the ensemble takes the single model's temperature."]
    lines += ["", f"**Margin: {margin['margin']:.2f}.** It flags {margin['flagged']:.2%} of the pooled validation "
              f"answers as unsure; {margin['errors_flagged']:.0%} of the validation errors are among them, and the "
              f"answers not flagged are right {margin['unflagged_accuracy']:.2%} of the time.", "",
              "| margin | flagged | errors among the flagged | accuracy of the rest |", "| --- | --- | --- | --- |"]
    lines += [f"| {row['margin']:.2f} | {row['flagged']:.2%} | {row['errors_flagged']:.0%} | "
              f"{row['unflagged_accuracy']:.2%} |" for row in result["margin"]["grid"]]
    if "ensemble" in result:
        counts = result["ensemble"]["unsure"]
        lines += ["", f"The ensemble trial, at its temperature and this margin: {counts['by_margin']} of "
                  f"{result['ensemble']['images']:,} validation answers unsure by the margin, "
                  f"{counts['by_margin_or_members']} by the margin or its members' disagreement; "
                  f"{counts['errors_flagged']} of its {counts['errors']} errors among them."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
