"""The paired comparison's arithmetic: known tables give known answers, and the interval
holds the truth about 95% of the time when splits, not only images, differ between repeats."""

import math

import numpy as np
import pytest

from scipy import stats

from mnistcnn.sweeps.paired import (DISPERSION, DISPERSION_DF, Noise, RepeatOutcome, compare, compare_all, leader_of,
                                    sign_test_p, sweep_noise)


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


def test_the_interval_of_a_table_is_the_dispersed_normal_approximation():
    # Every image its own writer: D is a sum of independent {-1, 0, 1} draws with variance
    # n (p_b + p_c - (p_b - p_c)^2) (times n / (n - 1)); the split's extra noise multiplies
    # it by the dispersion, and t on its degrees of freedom takes 1.96's place. The issue's
    # pilot: 80 images wrong only for kernel 5, 133 only for kernel 3, in 24,010 images.
    value, leader = discordant(80, 133, 24010)
    comparison = compare(5, {0: value}, 3, {0: leader})
    n, b, c = 24010, 80, 133
    writer_variance = n * (b / n + c / n - ((b - c) / n) ** 2) * n / (n - 1)
    half = stats.t.ppf(0.975, DISPERSION_DF) * math.sqrt(DISPERSION * writer_variance)
    assert comparison.difference == -53 and comparison.images == n
    assert (comparison.only_value, comparison.only_leader) == (80, 133)
    assert comparison.low == pytest.approx(-53 - half) and comparison.high == pytest.approx(-53 + half)
    assert comparison.verdict == "better" and comparison.p_beats_leader > 0.99
    assert comparison.sign_test_p == pytest.approx(0.00036, abs=0.00005)
    # Without the split's noise (a dispersion of 1, many degrees of freedom) it is the sign
    # test's normal interval, which the old writer bootstrap approximated.
    narrow = compare(5, {0: value}, 3, {0: leader}, Noise(1.0, 10 ** 6))
    assert narrow.high - narrow.low == pytest.approx(2 * 1.96 * math.sqrt(writer_variance), rel=1e-3)


def test_the_dispersion_pools_the_committed_estimate_with_the_sweeps_own():
    assert Noise().pooled_with(0.0, 0) == Noise(DISPERSION, DISPERSION_DF)
    pooled = Noise(2.0, 80).pooled_with(40.0, 10)  # the sweep's own: 4.0 on 10 degrees of freedom
    assert pooled.factor == pytest.approx((2.0 * 80 + 40.0) / 90) and pooled.degrees_of_freedom == 90
    assert Noise(2.0, 80).pooled_with(0.0, 1000).factor == 1.0  # never below the writers' own variance


def test_a_sweeps_own_spread_between_repeats_is_measured_in_writer_variances():
    # Two repeats whose differences are +40 and -40 with little writer variance spread far
    # more than writers allow; two equal ones not at all.
    a0, b0 = discordant(40, 0, 4000)
    a1, b1 = discordant(0, 40, 4000)
    spread = sweep_noise({"a": {0: a0, 1: a1}, "b": {0: b0, 1: b1}}, Noise(2.0, 80))
    assert spread.degrees_of_freedom == 81
    # Each repeat: D = +-40, writer variance 40 (n / (n - 1) aside); about the common rate 0, (40^2 / 40) x 2 = 80.
    assert spread.factor == pytest.approx((160 + 80) / 81, rel=0.01)
    steady = sweep_noise({"a": {0: a0, 1: a0}, "b": {0: b0, 1: b0}}, Noise(2.0, 80))
    assert steady.factor == pytest.approx(160 / 81)


def test_a_collapsed_value_stays_out_of_the_dispersion():
    a0, b0 = discordant(0, 3000, 4000)  # b wrong on 3,000 of 4,000 images: it did not learn
    a1, b1 = discordant(0, 2000, 4000)
    assert sweep_noise({"a": {0: a0, 1: a1}, "b": {0: b0, 1: b1}}) == Noise()


def test_writers_in_several_repeats_count_once():
    # The same 40 writers, each with a difference of +1 in both repeats but for one
    # writer's -39: as one draw of hands, the two repeats' totals move together.
    writers = np.arange(4000) // 100
    value = np.zeros(4000, bool)
    value[::100] = True
    leader = np.zeros(4000, bool)
    leader[1:40] = True  # writer 0's 39 extra errors
    first = (RepeatOutcome(np.arange(4000), value, writers), RepeatOutcome(np.arange(4000), leader, writers))
    second = (RepeatOutcome(np.arange(4000) + 10000, value, writers),
              RepeatOutcome(np.arange(4000) + 10000, leader, writers))
    other_writers = (RepeatOutcome(second[0].index, value, writers + 1000),
                     RepeatOutcome(second[1].index, leader, writers + 1000))
    shared = compare("a", {0: first[0], 1: second[0]}, "b", {0: first[1], 1: second[1]}, Noise(1.0, 10 ** 6))
    apart = compare("a", {0: first[0], 1: other_writers[0]}, "b", {0: first[1], 1: other_writers[1]},
                    Noise(1.0, 10 ** 6))
    assert shared.difference == apart.difference == 2
    # Apart: 2 w, w = W / (W - 1) S for the per-writer sum of squares S. Shared: the
    # repeats' covariance 2 S on top (it has no W / (W - 1)), twice the variance but for that.
    assert shared.standard_error ** 2 == pytest.approx(apart.standard_error ** 2 * (1 + 39 / 40))


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


def simulated_sweep(rng, split_noise: float, writers: int = 110, digits: int = 110, repeats: int = 2) -> tuple:
    """Two values on `repeats` writer splits, and the truth (their expected difference).

    Writers differ in how hard they are; each repeat also moves the value's error rate
    against the leader's by a split-level random effect of standard deviation
    `split_noise` (in errors of the repeat): which writers trained the network and which
    judge it, the noise issue 36 measured.
    """
    mean_value, mean_leader = 0.0160, 0.0145
    images = writers * digits
    value_runs, leader_runs = {}, {}
    for repeat in range(repeats):
        hardness = rng.gamma(2.0, 0.5, writers).repeat(digits)  # mean 1: some hands are harder
        writer = np.arange(writers).repeat(digits) + 1000 * repeat
        index = np.arange(images) + images * repeat
        shift = rng.normal(0.0, split_noise) / images
        value_runs[repeat] = RepeatOutcome(index, rng.random(images) < (mean_value + shift) * hardness, writer)
        leader_runs[repeat] = RepeatOutcome(index, rng.random(images) < mean_leader * hardness, writer)
    return {"value": value_runs, "leader": leader_runs}, (mean_value - mean_leader) * images * repeats


def test_the_interval_covers_the_true_difference_when_splits_add_noise_and_the_old_one_does_not():
    # The split's random effect is of the measured size: its variance is (DISPERSION - 1)
    # times a repeat's writer variance, about 390 errors squared here (writer variance
    # measured on these draws without it), so D_k varies DISPERSION times as much as
    # writers explain.
    rng = np.random.default_rng(7)
    writer_variance = np.mean([compare("value", runs["value"], "leader", runs["leader"]).standard_error ** 2
                               / DISPERSION / 2 for runs, _ in (simulated_sweep(rng, 0.0) for _ in range(40))])
    split_noise = math.sqrt((DISPERSION - 1) * writer_variance)
    new, old, draws = 0, 0, 300
    for _ in range(draws):
        outcomes, truth = simulated_sweep(rng, split_noise)
        _, comparisons = compare_all(outcomes)
        comparison = comparisons["value"] if "value" in comparisons else None
        if comparison is None:  # the value led: the leader's comparison against it, mirrored
            comparison = compare("value", outcomes["value"], "leader", outcomes["leader"], sweep_noise(outcomes))
        new += comparison.low <= truth <= comparison.high
        # The old statistic: the writers' variance within each repeat alone (the bootstrap's normal limit).
        within = compare("value", outcomes["value"], "leader", outcomes["leader"], Noise(1.0, 10 ** 6))
        old += within.low <= truth <= within.high
    print(f"coverage of the true difference in {draws} draws: new {new / draws:.3f}, old {old / draws:.3f}")
    assert 0.93 <= new / draws <= 0.97, new / draws
    assert old / draws <= 0.88, old / draws  # about 0.83: 1.96 / sqrt(2) standard errors
