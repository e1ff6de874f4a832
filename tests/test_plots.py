"""Figures drawn from saved numbers (no training)."""

import matplotlib.pyplot as plt

from mnistcnn.plots import curves_figure, plot_curves


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
