"""Figures drawn from saved numbers (no training)."""

import matplotlib.pyplot as plt

from mnistcnn.reports import curves_figure, differences_figure, plot_curves, plot_differences


def test_a_one_epoch_sweep_shows_its_points_on_a_readable_axis(tmp_path):
    curves = {"max": {"train": ([0.91], None), "valid": ([0.95], None)},
              "none": {"train": ([0.90], None), "valid": ([0.94], None)}}
    figure = curves_figure(curves, "accuracy", "one epoch")
    axes = figure.axes[0]
    assert all(line.get_marker() not in (None, "None", "") and line.get_markersize() > 0 for line in axes.lines)
    low, high = axes.get_xlim()
    assert low < 1 < high and high - low >= 1  # not 0.96 to 1.04
    assert all(float(tick).is_integer() for tick in axes.get_xticks())
    plt.close(figure)
    assert plot_curves(curves, "accuracy", "one epoch", tmp_path / "accuracy.png").stat().st_size > 0


def test_the_difference_plot_marks_each_kind_once_in_its_legend(tmp_path):
    rows = [{"label": "max", "difference": 0.0, "low": 0.0, "high": 0.0, "kind": "leader"},
            {"label": "average", "difference": 0.3, "low": 0.1, "high": 0.5, "kind": "decided"},
            {"label": "none", "difference": 0.02, "low": -0.06, "high": 0.09, "kind": "tie"},
            {"label": "median", "difference": 0.05, "low": -0.2, "high": 0.3, "kind": "open"}]
    figure = differences_figure(rows, 0.1, "pooling")
    axes = figure.axes[0]
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert legend == ["tie band ±0.1", "leader", "decided", "tie (decided)", "not decided"]
    assert [tick.get_text() for tick in axes.get_yticklabels()] == ["max", "average", "none", "median"]
    assert axes.get_ylim()[0] > axes.get_ylim()[1]  # the first value on top, as in the table
    plt.close(figure)
    assert plot_differences(rows, 0.1, "pooling", tmp_path / "difference.png").stat().st_size > 0
