"""Every figure mnistcnn draws. Functions take plain lists and arrays read from files.

matplotlib's Agg backend draws without a screen; figures are written atomically.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from mnistcnn.core import atomic_path  # noqa: E402


def _save(figure, path: Path, tight: bool = True) -> Path:
    """Write `figure`; `tight` crops it to what is drawn, which costs a second drawing."""
    with atomic_path(path) as temporary:
        figure.savefig(temporary, dpi=110, bbox_inches="tight" if tight else None)
    plt.close(figure)
    return Path(path)


def plot_curves(curves: dict, metric: str, title: str, path: Path) -> Path:
    """Train (dashed) and valid (solid) curves of one metric over epochs, one colour per value.

    Args:
        curves: {label: {"train": (mean, std), "valid": (mean, std)}}, each a list per
            epoch; std may be None for a single run, else it is drawn as a band.
        metric: "accuracy" or "loss", for the axis label.
    """
    return _save(curves_figure(curves, metric, title), path)


def curves_figure(curves: dict, metric: str, title: str):
    """The figure `plot_curves` saves. Every epoch is marked, so a short run (one or two
    epochs, what people try first) still shows its points."""
    figure, axes = plt.subplots(figsize=(8, 5))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    longest = 1
    for index, (label, splits) in enumerate(curves.items()):
        colour = colours[index % len(colours)]
        for split, style, marker in (("train", "--", "s"), ("valid", "-", "o")):
            mean, std = splits[split]
            epochs = np.arange(1, len(mean) + 1)
            longest = max(longest, len(mean))
            axes.plot(epochs, mean, style, marker=marker, markersize=4 if len(mean) <= 30 else 0,
                      color=colour, label=f"{label} ({split})")
            if std is not None:
                mean, std = np.asarray(mean), np.asarray(std)
                axes.fill_between(epochs, mean - std, mean + std, color=colour, alpha=0.15, linewidth=0)
    axes.set_xlim(0.5, longest + 0.5)
    if longest <= 20:
        axes.set_xticks(range(1, longest + 1))
    else:
        axes.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    axes.set_xlabel("epoch")
    axes.set_ylabel(metric)
    axes.set_title(title)
    if metric == "loss":
        axes.set_yscale("log")
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small", ncol=2)
    return figure


def plot_confusion_matrix(matrix: np.ndarray, path: Path, title: str = "Confusion matrix (test set)") -> Path:
    figure, axes = plt.subplots(figsize=(6.5, 5.5))
    # A log scale keeps the few mistakes visible beside the large diagonal.
    image = axes.imshow(np.log1p(matrix), cmap="Blues")
    for row in range(matrix.shape[0]):
        for column in range(matrix.shape[1]):
            if matrix[row, column]:
                bright = image.norm(np.log1p(matrix[row, column])) > 0.6
                axes.text(column, row, str(matrix[row, column]), ha="center", va="center",
                          fontsize=7, color="white" if bright else "black")
    axes.set_xticks(range(10))
    axes.set_yticks(range(10))
    axes.set_xlabel("predicted digit")
    axes.set_ylabel("true digit")
    axes.set_title(title, fontsize=9)
    return _save(figure, path)


def plot_image_grid(images: np.ndarray, captions: list[str], path: Path, title: str) -> Path:
    """Up to 25 images in a 5x5 grid, each with its caption."""
    figure, grid = plt.subplots(5, 5, figsize=(8, 9))
    # A fixed layout, not a tight crop: measuring 25 captions' extents took half of
    # `evaluate`'s report time.
    figure.subplots_adjust(left=0.02, right=0.98, bottom=0.01, top=0.9, wspace=0.1, hspace=0.45)
    for index, axes in enumerate(grid.flat):
        axes.axis("off")
        if index < len(images):
            axes.imshow(images[index], cmap="gray_r")
            axes.set_title(captions[index], fontsize=8)
    figure.suptitle(title)
    return _save(figure, path, tight=False)


DIFFERENCE_COLOURS = {"leader": "#2b8a3e", "decided": "#c92a2a", "tie": "#868e96", "open": "#e67700"}
DIFFERENCE_WORDS = {"leader": "leader", "decided": "decided", "tie": "tie (decided)", "open": "not decided"}


def plot_differences(rows: list[dict], tie_points: float, title: str, path: Path) -> Path:
    """A forest plot: each value's difference in validation error from the leader, in points,
    with its 95% interval, so decided and tied values show at a glance.

    Args:
        rows: [{"label", "difference", "low", "high", "kind"}], kind one of DIFFERENCE_COLOURS.
        tie_points: the band within which a tie counts as decided, shaded.
    """
    return _save(differences_figure(rows, tie_points, title), path)


def differences_figure(rows: list[dict], tie_points: float, title: str):
    """The figure `plot_differences` saves: a row per value, the first on top."""
    figure, axes = plt.subplots(figsize=(7, 0.5 * len(rows) + 1.6))
    axes.axvspan(-tie_points, tie_points, color="#dee2e6", alpha=0.6, linewidth=0,
                 label=f"tie band ±{tie_points:g}")
    axes.axvline(0, color="black", linewidth=0.8)
    shown = set()
    for position, row in enumerate(rows):
        colour = DIFFERENCE_COLOURS[row["kind"]]
        label = None if row["kind"] in shown else DIFFERENCE_WORDS[row["kind"]]
        shown.add(row["kind"])
        axes.errorbar(row["difference"], position, xerr=[[row["difference"] - row["low"]],
                                                         [row["high"] - row["difference"]]],
                      fmt="o", color=colour, capsize=4, label=label)
    axes.set_yticks(range(len(rows)))
    axes.set_yticklabels([row["label"] for row in rows])
    axes.invert_yaxis()
    axes.set_xlabel("validation error minus the leader's, points (95% interval)")
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(fontsize="small", loc="best")
    return figure
