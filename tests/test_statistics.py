"""95% intervals of accuracies."""

import pytest

from mnistcnn.reports import wilson_interval


def test_45_errors_in_10000_match_the_hand_computed_wilson_interval():
    # p = 0.9955, n = 10,000, z = 1.959964: centre (p + z²/2n) / (1 + z²/n) = 0.995309,
    # half-width z * sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n) = 0.001325.
    low, high = wilson_interval(9955, 10000)
    assert low == pytest.approx(0.993984, abs=1e-6) and high == pytest.approx(0.996635, abs=1e-6)


def test_the_interval_stays_inside_zero_and_one_and_holds_the_estimate():
    assert wilson_interval(10000, 10000)[1] == 1.0 and wilson_interval(10000, 10000)[0] > 0.999
    assert wilson_interval(0, 50)[0] == 0.0
    low, high = wilson_interval(37, 40)
    assert low < 37 / 40 < high


def test_no_images_give_no_interval():
    low, high = wilson_interval(0, 0)
    assert low != low and high != high  # NaN
