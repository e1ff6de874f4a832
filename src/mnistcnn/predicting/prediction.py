"""Predicting the digits in people's image files with a saved model."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnistcnn.predicting.calibration import Calibration, answer_text
from mnistcnn.core import ENSEMBLE_NAME
from mnistcnn.core import InputError, UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}


@dataclass(frozen=True)
class Prediction:
    file: str
    probabilities: list[float]  # calibrated, where the model has a calibration
    unsure: tuple[int, int] | None = None  # (likeliest, next) when the model is unsure

    @classmethod
    def read(cls, file: str, probabilities, calibration: Calibration, member_digits=None) -> "Prediction":
        """The answer for one image's raw model output: tempered, and unsure or not."""
        tempered = calibration.temper(np.asarray(probabilities, dtype=float))
        return cls(file, tempered.tolist(), calibration.unsure(tempered, member_digits))

    @property
    def digit(self) -> int:
        return int(np.argmax(self.probabilities))

    def top(self, count: int) -> list[tuple[int, float]]:
        order = np.argsort(self.probabilities)[::-1][:count]
        return [(int(digit), self.probabilities[digit]) for digit in order]

    @property
    def answer(self) -> str:
        """The digit, or "unsure: 4 or 9"."""
        return answer_text(self.digit, self.unsure)

    def text(self, top_k: int = 1) -> str:
        """One line of `predict`: e.g. `a.png: 7 (0.998)` or `b.png: unsure: 4 or 9; 4 (0.52)`."""
        listed = ", ".join(f"{digit} ({probability:.3f})" for digit, probability in self.top(top_k))
        return f"{self.file}: {self.answer + '; ' if self.unsure else ''}{listed}"

    def to_dict(self, top_k: int = 1) -> dict:
        """The JSON of `predict --json`: the digit, the answer in words ("7", or "unsure: 4
        or 9") and the unsure pair (or null), its probability, the `top_k` most likely digits
        with theirs, and all ten probabilities."""
        return {"file": self.file, "digit": self.digit, "answer": self.answer,
                "unsure": list(self.unsure) if self.unsure else None, "probability": self.probabilities[self.digit],
                "top": [{"digit": digit, "probability": probability} for digit, probability in self.top(top_k)],
                "probabilities": self.probabilities}


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Files as given, and the image files (by suffix) inside any folder given.

    Returns:
        (files, errors): a path that does not exist, or a folder without images, is an
        error line of its own, and the other paths are still used.
    """
    files, errors = [], []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
            if not inside:
                errors.append(f"{path}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))}) in this folder")
            files.extend(inside)
        elif path.exists():
            files.append(path)
        else:
            errors.append(f"{path} does not exist; pass image files or folders of images")
    return files, errors


def predict_images(model, files: list[Path], save_preprocessed: Path | None = None,
                   calibration: Calibration = Calibration()):
    """Preprocess each file the MNIST way and predict its digit with `model` (a Keras model
    or an exported twin: anything with Keras's `predict`), calibrated by `calibration`; a
    Keras ensemble's members are asked too, so their disagreement makes an answer unsure.

    Returns:
        (predictions, failures): a (file, one-line message) for each file that could not be
        used; the other files are still predicted.
    """
    from mnistcnn.images import prepare_image

    inputs, names, failures = [], [], []
    for file in files:
        try:
            inputs.append(prepare_image(file))
            names.append(str(file))
        except InputError as error:
            failures.append((str(file), str(error)))
    if save_preprocessed is not None and inputs:
        from PIL import Image

        Path(save_preprocessed).mkdir(parents=True, exist_ok=True)
        used = set()
        for name, image in zip(names, inputs):
            # Two inputs may share a name (a/7.png and b/7.jpg): number the later ones.
            stem, number = Path(name).stem, 1
            while (saved := stem if number == 1 else f"{stem}-{number}") in used:
                number += 1
            used.add(saved)
            Image.fromarray((image * 255).round().astype(np.uint8)).save(Path(save_preprocessed) / f"{saved}.png")
    if not inputs:
        return [], failures
    batch = np.stack(inputs)[..., np.newaxis]
    probabilities = model.predict(batch, verbose=0).astype(float)
    member_digits = [None] * len(names)
    if getattr(model, "name", None) == ENSEMBLE_NAME:  # a Keras ensemble; a twin answers only the mean
        from mnistcnn.models import members

        member_digits = np.array([member.predict(batch, verbose=0).argmax(axis=1) for member in members(model)]).T
    return [Prediction.read(name, row, calibration, digits)
            for name, row, digits in zip(names, probabilities, member_digits)], failures


def predict_kaggle_csv(model, csv_path: Path, output: Path) -> int:
    """Predict every row of Kaggle's test.csv and write the submission; returns the row count."""
    from mnistcnn.data import to_model_input
    from mnistcnn.data import read_kaggle_csv, write_submission

    images, _ = read_kaggle_csv(csv_path, labelled=False)
    probabilities = model.predict(to_model_input(images), batch_size=1000, verbose=0)
    write_submission(output, probabilities.argmax(axis=1))
    return len(images)


def predict_files_command(images, model_file: Path, top_k: int, as_json: bool,
                          save_preprocessed: Path | None) -> tuple[str, list[str]]:
    """`mnistcnn predict IMAGE...`: (what to print, one error line per file that could not be used)."""
    import json

    from mnistcnn.predicting.calibration import calibration_for
    from mnistcnn.core import say
    from mnistcnn.export import load_predictor

    if not images:
        raise UsageError("no images given; e.g. mnistcnn predict digit.png or mnistcnn predict my-digits/")
    files, errors = expand_paths(images)
    predictions, failures = predict_images(load_predictor(model_file, say), files, save_preprocessed,
                                           calibration_for(model_file))
    errors += [message for _, message in failures]
    if as_json:
        # A script reading the JSON learns which files failed, and why, as well as the answers.
        entries = [prediction.to_dict(top_k) for prediction in predictions]
        entries += [{"file": file, "error": message} for file, message in failures]
        return json.dumps(entries, indent=2), errors
    return "\n".join(prediction.text(top_k) for prediction in predictions), errors


def predict_kaggle_command(images, model_file: Path, csv_path: Path, output: Path) -> str:
    """`mnistcnn predict --kaggle-csv test.csv`: write the submission; returns what to print."""
    from mnistcnn.core import say
    from mnistcnn.export import load_predictor

    if images:
        raise UsageError("give either image files or --kaggle-csv, not both")
    count = predict_kaggle_csv(load_predictor(model_file, say), csv_path, output)
    return f"wrote {output} ({count} predictions)"
