"""The paired comparison's arithmetic: known tables give known answers, and the interval
holds the truth about 95% of the time."""

import math

import numpy as np
import pytest

from mnistcnn.sweeps.paired import RepeatOutcome, compare, compare_all, leader_of, sign_test_p


def discordant(only_value: int, only_leader: int, images: int, writers=None, both=0) -> tuple:
    """Two runs of one repeat: `only_value` images only the value gets wrong, `only_leader`
    only the leader, `both` both; the rest right."""
    value = np.zeros(images, bool)
    leader = np.zeros(images, bool)
    value[:only_value] = True
    leader[only_value:only_value + only_leader] = True
    value[images - both:] = leader[images - both:] = True if both else False
    index = np.arange(images)
    writer = np.full(images, -1) if writers is None else writers
    return RepeatOutcome(index, value, writer), RepeatOutcome(index, leader, writer)


def test_sign_test_p_values_by_hand():
    assert sign_test_p(0, 5) == pytest.approx(2 * 0.5 ** 5)  # 0.0625
    assert sign_test_p(1, 9) == pytest.approx(2 * (1 + 10) / 2 ** 10)  # 0.0215
    assert sign_test_p(3, 3) == pytest.approx(1.0)
    assert sign_test_p(0, 0) == 1.0
    # The example: 40 against 20 discordant images gives p of about 0.01.
    assert sign_test_p(40, 20) == pytest.approx(0.0135, abs=0.0005)


def test_the_interval_of_a_table_matches_the_normal_approximation():
    # Every image its own writer: D is a sum of independent {-1, 0, 1} draws, so its 95%
    # interval is D +- 1.96 sqrt(n (p_b + p_c - (p_b - p_c)^2)). The pilot: 80 images
    # wrong only for kernel 5, 133 only for kernel 3, in 24,010 validation images.
    value, leader = discordant(80, 133, 24010)
    comparison = compare(5, {0: value}, 3, {0: leader})
    n, b, c = 24010, 80, 133
    half = 1.96 * math.sqrt(n * (b / n + c / n - ((b - c) / n) ** 2))
    assert comparison.difference == -53 and comparison.images == n
    assert (comparison.only_value, comparison.only_leader) == (80, 133)
    assert comparison.low == pytest.approx(-53 - half, abs=2.5)
    assert comparison.high == pytest.approx(-53 + half, abs=2.5)
    assert comparison.verdict == "better" and comparison.p_beats_leader > 0.99
    assert comparison.sign_test_p == pytest.approx(0.00036, abs=0.00005)


def test_errors_both_get_wrong_say_nothing():
    plain = compare("a", {0: discordant(30, 20, 5000)[0]}, "b", {0: discordant(30, 20, 5000)[1]})
    shared = compare("a", {0: discordant(30, 20, 5000, both=200)[0]}, "b", {0: discordant(30, 20, 5000, both=200)[1]})
    assert (plain.difference, plain.low, plain.high) == (shared.difference, shared.low, shared.high)


def test_writers_who_fail_together_widen_the_interval():
    # The same 60 against 20 discordant images, spread over 2,000 writers or held by 8.
    spread = discordant(60, 20, 4000, writers=np.arange(4000) // 2)
    clustered = discordant(60, 20, 4000, writers=np.r_[np.arange(80) // 10, np.arange(80, 4000)])
    wide = compare("a", {0: clustered[0]}, "b", {0: clustered[1]})
    narrow = compare("a", {0: spread[0]}, "b", {0: spread[1]})
    assert wide.difference == narrow.difference == 40
    assert wide.high - wide.low > 1.5 * (narrow.high - narrow.low)


def test_labels_say_decided_or_tie_within():
    worse = compare("a", {0: discordant(120, 40, 12000)[0]}, "b", {0: discordant(120, 40, 12000)[1]})
    assert worse.verdict == "worse" and worse.decided
    assert worse.label().startswith("worse by 0.67 [")
    close = compare("a", {0: discordant(3, 2, 12000)[0]}, "b", {0: discordant(3, 2, 12000)[1]})
    assert close.verdict == "tie" and close.decided and close.tie_within <= 0.1
    assert close.label() == f"tie within ±{close.tie_within:.2f}"
    open_tie = compare("a", {0: discordant(60, 50, 12000)[0]}, "b", {0: discordant(60, 50, 12000)[1]})
    assert open_tie.verdict == "tie" and not open_tie.decided and open_tie.tie_within > 0.1


def test_runs_of_one_repeat_on_other_images_are_refused():
    value, leader = discordant(3, 2, 100)
    moved = RepeatOutcome(leader.index + 1, leader.wrong, leader.writer)
    with pytest.raises(ValueError, match="different validation images"):
        compare("a", {0: value}, "b", {0: moved})


def test_only_shared_repeats_are_compared_and_the_leader_has_the_most():
    a0, b0 = discordant(10, 0, 1000)
    a1, b1 = discordant(0, 10, 1000)
    outcomes = {"a": {0: a0, 1: a1}, "b": {0: b0, 1: b1, 2: b1}}
    assert leader_of(outcomes) == "b"  # the only value with three repeats
    leader, comparisons = compare_all(outcomes)
    assert comparisons["a"].repeats == 2 and comparisons["a"].images == 2000 and comparisons["a"].difference == 0
    # Equal errors go to the earlier value in the sweep's order.
    assert leader_of({"x": {0: b0}, "y": {0: b0}}) == "x"


def test_the_interval_covers_the_true_difference_about_95_percent_of_the_time():
    # Writers differ in how hard they are for each value; each draw takes new writers and
    # new per-image noise, for two repeats of 80 writers of 40 digits. The truth is the
    # expected difference of such a draw.
    rng = np.random.default_rng(7)
    writers, digits, repeats, draws = 80, 40, 2, 300
    mean_value, mean_leader = 0.014, 0.011
    covered = 0
    for _ in range(draws):
        value_runs, leader_runs = {}, {}
        for repeat in range(repeats):
            hardness = rng.gamma(2.0, 0.5, writers).repeat(digits)  # mean 1: some hands are harder
            writer = np.arange(writers).repeat(digits)
            index = np.arange(writers * digits)
            value_runs[repeat] = RepeatOutcome(index, rng.random(len(index)) < mean_value * hardness, writer)
            leader_runs[repeat] = RepeatOutcome(index, rng.random(len(index)) < mean_leader * hardness, writer)
        comparison = compare("v", value_runs, "l", leader_runs, resamples=1000)
        truth = (mean_value - mean_leader) * writers * digits * repeats
        covered += comparison.low <= truth <= comparison.high
    assert 0.91 <= covered / draws <= 0.985, covered / draws
