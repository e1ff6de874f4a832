"""How good a model is and where it fails. Only `evaluate()` measures a model.

Accuracy and loss are computed from the model's predicted probabilities; the loss
is always categorical cross-entropy, whatever loss trained the model, so models
trained with different losses compare on one scale.
"""

from pathlib import Path

import numpy as np

from mnistcnn.core import NUM_CLASSES
from mnistcnn.data import Dataset
from mnistcnn.reports.statistics import wilson_interval
from mnistcnn.data import SERIES_NAMES, Writers

SPLITS = ("train", "valid", "test")
HARDEST_COUNT = 25
EPSILON = 1e-7  # the clipping Keras uses in its cross-entropy


def predict_probabilities(model, images: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    return np.asarray(model.predict(images, batch_size=batch_size, verbose=0), dtype=np.float64)


def split_metrics(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """{"n", "accuracy", "loss"} of predictions against integer labels."""
    labels = np.asarray(labels, dtype=np.int64)
    picked = np.clip(probabilities[np.arange(len(labels)), labels], EPSILON, 1.0)
    correct = int(np.sum(probabilities.argmax(axis=1) == labels))
    return {
        "n": int(len(labels)),
        "accuracy": correct / len(labels),
        "interval": list(wilson_interval(correct, len(labels))),  # 95%, Wilson
        "loss": float(-np.mean(np.log(picked))),
    }


def by_writer(probabilities: np.ndarray, labels: np.ndarray, writers: Writers) -> dict:
    """Accuracy by NIST series (employees, students) and how many writers the model
    misread at least one digit of."""
    correct = probabilities.argmax(axis=1) == np.asarray(labels, dtype=np.int64)
    series = {}
    for group, name in enumerate(SERIES_NAMES):
        members = writers.group == group
        count, right = int(members.sum()), int(correct[members].sum())
        series[name] = {"n": count, "accuracy": right / count if count else float("nan"),
                        "interval": list(wilson_interval(right, count))}
    return {
        "series": series,
        "writers": int(len(np.unique(writers.writer))),
        "writers_with_errors": int(len(np.unique(writers.writer[~correct]))),
    }


def evaluate(model, dataset: Dataset, splits=SPLITS) -> tuple[dict, dict]:
    """Measure `model` on each split that has images (Kaggle data has no test split).

    Returns:
        (metrics by split name, probabilities by split name)
    """
    metrics, probabilities = {}, {}
    for name in splits:
        images, labels = dataset.split(name)
        if len(labels) == 0:
            continue
        probabilities[name] = predict_probabilities(model, images)
        metrics[name] = split_metrics(probabilities[name], labels)
    return metrics, probabilities


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """Rows are true digits, columns predicted digits."""
    matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(matrix, (np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)), 1)
    return matrix


def per_class_scores(matrix: np.ndarray) -> list[dict]:
    """Precision, recall and F1 of each digit from a confusion matrix."""
    rows = []
    for digit in range(NUM_CLASSES):
        true_positive = matrix[digit, digit]
        predicted_count, actual_count = matrix[:, digit].sum(), matrix[digit, :].sum()
        precision = true_positive / predicted_count if predicted_count else 0.0
        recall = true_positive / actual_count if actual_count else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append({"digit": digit, "precision": float(precision), "recall": float(recall),
                     "f1": float(f1), "support": int(actual_count)})
    return rows


def hardest_mistakes(probabilities: np.ndarray, labels: np.ndarray, count: int = HARDEST_COUNT) -> np.ndarray:
    """Indices of the wrong predictions made with the most confidence, most confident first."""
    predicted = probabilities.argmax(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    confidence = probabilities[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")][:count]


def write_report(report_dir: Path, dataset: Dataset, test_probabilities: np.ndarray, about: str) -> list[Path]:
    """Confusion matrix (CSV, PNG), per-class scores (CSV) and the hardest test mistakes (PNG, CSV).

    `about` names the model and data in the figures' titles.

    Returns:
        The files written.
    """
    from mnistcnn.reports import plots
    from mnistcnn.core import write_csv

    report_dir = Path(report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    labels = dataset.y_test.astype(np.int64)
    predicted = test_probabilities.argmax(axis=1)
    matrix = confusion_matrix(labels, predicted)

    confusion_rows = [["true\\predicted", *range(NUM_CLASSES)]]
    confusion_rows += [[digit, *matrix[digit]] for digit in range(NUM_CLASSES)]
    scores = per_class_scores(matrix)
    score_rows = [list(scores[0])] + [
        [row["digit"], f"{row['precision']:.4f}", f"{row['recall']:.4f}", f"{row['f1']:.4f}", row["support"]]
        for row in scores
    ]
    hardest = hardest_mistakes(test_probabilities, labels)
    hardest_rows = [["test_index", "true", "predicted", "confidence"]] + [
        [int(index), int(labels[index]), int(predicted[index]), f"{test_probabilities[index, predicted[index]]:.4f}"]
        for index in hardest
    ]
    written = []
    for name, rows in (("confusion_matrix.csv", confusion_rows), ("per_class.csv", score_rows),
                       ("hardest_mistakes.csv", hardest_rows)):
        write_csv(report_dir / name, rows)
        written.append(report_dir / name)
    written.append(plots.plot_confusion_matrix(matrix, report_dir / "confusion_matrix.png",
                                               title=f"Confusion matrix, test set\n{about}"))
    written.append(plots.plot_image_grid(
        dataset.x_test[hardest, :, :, 0],
        [f"true {labels[i]} -> {predicted[i]}\n{test_probabilities[i, predicted[i]]:.1%}" for i in hardest],
        report_dir / "hardest_mistakes.png",
        title=f"Most confidently wrong test images\n{about}",
    ))
    return written
