"""Paired comparisons of two sweep values, image by image (no TensorFlow).

Repeat k of every value trains with seed k on validation split k, so two values of the
same repeat were judged on the same images. What one gets wrong and the other right is
their difference; the images both get right or both get wrong say nothing about it.

The unit of replication is the repeat, not the image. A repeat's difference D_k varies
for two reasons: the images of its split (which writers judge), and the split and seed
themselves (which writers trained the network, and how it started). The first is
measured inside each repeat, by the variance of D_k over its writers, one writer's
digits together because one hand's odd 7s fail together (writers in several repeats'
splits count once, with their digits of every repeat). The second cannot be measured
from two or three repeats of one comparison, so it is borrowed: across the committed
sweeps, D_k spreads between repeats `DISPERSION` times as much as its writer variance
allows (experiments/NOISE.md), and a sweep pools that with its own pairs' spread, as
limma moderates a gene's variance with all the genes' (Smyth 2004). The interval is
then analytic, a t interval on the pooled degrees of freedom: no resampling, so no seed,
and `mnistcnn plot` redraws the same labels from the same files. The rule behind every
threshold is experiments/RULE.md.
"""

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import stats

TIE_POINTS = 0.1  # a tie narrower than this, in points of validation error, is decided
# The between-repeat variance of a paired difference as a multiple of its writer
# variance within the repeat, and the degrees of freedom it was measured on: every pair
# of values of the nine committed sweeps of issue 25 (experiments/NOISE.md,
# `python scripts/noise.py`).
DISPERSION = 2.00
DISPERSION_DF = 80
# A run wrong on more than this share of its images did not learn; where its training
# collapsed is no noise of splits, so its value's pairs stay out of the dispersion's estimate.
COLLAPSED_ERROR_RATE = 0.5
CONFIDENCE = 0.95


@dataclass(frozen=True)
class RepeatOutcome:
    """One run's verdict on its validation split: which images it got wrong.

    `index` identifies the images (positions in the training set, increasing), `writer`
    who wrote each (-1 where unknown: each such image is then its own writer).
    """

    index: np.ndarray
    wrong: np.ndarray  # bool per image
    writer: np.ndarray

    @property
    def errors(self) -> int:
        return int(self.wrong.sum())

    def same_images(self, other: "RepeatOutcome") -> bool:
        return len(self.index) == len(other.index) and bool(np.array_equal(self.index, other.index))


@dataclass(frozen=True)
class Noise:
    """How much more D_k varies between repeats than its writers explain (`factor`, at
    least 1), and the degrees of freedom behind that estimate."""

    factor: float = DISPERSION
    degrees_of_freedom: int = DISPERSION_DF

    def pooled_with(self, spread: float, degrees_of_freedom: int) -> "Noise":
        """This estimate moderated with a sweep's own: their sums of squares added."""
        total = self.degrees_of_freedom + degrees_of_freedom
        return Noise(max(1.0, (self.factor * self.degrees_of_freedom + spread) / total), total)


@dataclass(frozen=True)
class Comparison:
    """A value against the leader over the repeats both have."""

    value: object
    leader: object
    repeats: int
    images: int  # compared, pooled over the repeats
    difference: int  # errors of value minus errors of leader
    low: float
    high: float
    only_value: int  # images only the value got wrong
    only_leader: int
    p_beats_leader: float
    sign_test_p: float
    standard_error: float = float("nan")  # of `difference`, in errors

    def points(self, errors: float) -> float:
        """Errors as points of validation error rate."""
        return 100.0 * errors / self.images if self.images else float("nan")

    @property
    def tie_within(self) -> float:
        """The half-width, in points, of the band the interval lies in: the smallest
        difference this comparison could have told from zero."""
        return self.points(max(abs(self.low), abs(self.high)))

    @property
    def verdict(self) -> str:
        if self.low > 0:
            return "worse"
        if self.high < 0:
            return "better"
        return "tie"

    @property
    def decided(self) -> bool:
        return self.verdict != "tie" or self.tie_within <= TIE_POINTS

    def label(self) -> str:
        """`worse by 0.21 [0.12, 0.30]`, `tie within ±0.08` (points of validation error)."""
        if self.verdict == "tie":
            return f"tie within ±{self.tie_within:.2f}"
        return (f"{self.verdict} by {abs(self.points(self.difference)):.2f} "
                f"[{self.points(self.low):.2f}, {self.points(self.high):.2f}]")


def sign_test_p(only_value: int, only_leader: int) -> float:
    """Exact two-sided sign test (McNemar's exact test) on the discordant images."""
    discordant = only_value + only_leader
    if discordant == 0:
        return 1.0
    return float(stats.binomtest(only_value, discordant, 0.5).pvalue)


def _clusters(outcome: RepeatOutcome) -> np.ndarray:
    """A cluster id per image: its writer, or, where the writer is unknown, the image
    itself (by its place in the training set, so it is the same cluster in every repeat)."""
    return np.where(outcome.writer < 0, -1 - outcome.index, outcome.writer)


@dataclass(frozen=True)
class RepeatDifference:
    """One repeat's paired difference: its total, per writer, and their variance."""

    total: int
    images: int
    writers: np.ndarray  # cluster ids
    centred: np.ndarray  # per writer: difference minus the repeat's mean per writer
    variance: float  # of `total` over the repeat's writers (with the W / (W - 1) correction)


def repeat_difference(value: RepeatOutcome, leader: RepeatOutcome) -> RepeatDifference:
    difference = value.wrong.astype(np.int64) - leader.wrong.astype(np.int64)
    writers, cluster = np.unique(_clusters(value), return_inverse=True)
    per_writer = np.bincount(cluster, weights=difference, minlength=len(writers))
    centred = per_writer - per_writer.mean()
    count = len(writers)
    variance = float(count / (count - 1) * np.sum(centred ** 2)) if count > 1 else 0.0
    return RepeatDifference(int(difference.sum()), len(difference), writers, centred, variance)


def _shared_writer_covariance(repeats: list[RepeatDifference]) -> float:
    """Twice the covariance between repeats' totals that writers in several splits bring:
    their digits are one draw of a hand, so they are counted together, not afresh."""
    covariance = 0.0
    for first, second in itertools.combinations(repeats, 2):
        shared, in_first, in_second = np.intersect1d(first.writers, second.writers, assume_unique=True,
                                                     return_indices=True)
        if len(shared):
            covariance += 2.0 * float(np.dot(first.centred[in_first], second.centred[in_second]))
    return covariance


def _paired_repeats(value, value_runs: dict, leader, leader_runs: dict) -> list[tuple[int, RepeatOutcome, RepeatOutcome]]:
    """(repeat, value's outcome, leader's outcome) for the repeats both have.

    Raises:
        ValueError: a shared repeat whose two runs saw different images (the split differs).
    """
    pairs = []
    for repeat in sorted(set(value_runs) & set(leader_runs)):
        mine, theirs = value_runs[repeat], leader_runs[repeat]
        if not mine.same_images(theirs):
            raise ValueError(f"repeat {repeat} of {value} and {leader} saw different validation images; "
                             "their runs were made with other splits: rerun them")
        pairs.append((repeat, mine, theirs))
    return pairs


def between_repeat_spread(repeats: list[RepeatDifference]) -> tuple[float, int]:
    """(sum of squares, degrees of freedom) of one pair's repeats about their common rate.

    Each D_k is compared with the pair's difference per image, fitted by weighted least
    squares (D_k ~ rate x images_k, weights 1 / writer variance), in units of its own
    writer variance: if writers were all the noise there is, the sum would be a
    chi-squared on (repeats - 1) degrees of freedom. Repeats with no writer variance (two
    runs wrong on the very same images) carry no information and are left out.
    """
    usable = [repeat for repeat in repeats if repeat.variance > 0]
    if len(usable) < 2:
        return 0.0, 0
    totals = np.array([repeat.total for repeat in usable], float)
    images = np.array([repeat.images for repeat in usable], float)
    variances = np.array([repeat.variance for repeat in usable])
    rate = np.sum(totals * images / variances) / np.sum(images ** 2 / variances)
    return float(np.sum((totals - rate * images) ** 2 / variances)), len(usable) - 1


def sweep_spread(outcomes: dict) -> tuple[float, int]:
    """(sum of squares, degrees of freedom) of every pair of a sweep's values, for the
    dispersion: each pair over the repeats both have, pairs with a value that collapsed in any run left out."""
    learned = [value for value, runs in outcomes.items()
               if runs and all(run.errors <= COLLAPSED_ERROR_RATE * len(run.index) for run in runs.values())]
    spread, degrees_of_freedom = 0.0, 0
    for first, second in itertools.combinations(learned, 2):
        repeats = [repeat_difference(mine, theirs)
                   for _, mine, theirs in _paired_repeats(first, outcomes[first], second, outcomes[second])]
        pair_spread, pair_df = between_repeat_spread(repeats)
        spread += pair_spread
        degrees_of_freedom += pair_df
    return spread, degrees_of_freedom


def sweep_noise(outcomes: dict, prior: Noise = Noise()) -> Noise:
    """The dispersion a sweep's comparisons use: the committed sweeps' estimate pooled with its own."""
    return prior.pooled_with(*sweep_spread(outcomes))


def compare(value, value_runs: dict, leader, leader_runs: dict, noise: Noise = Noise()) -> Comparison:
    """`value` against `leader` over the repeats both have ({repeat: RepeatOutcome}).

    D, the summed difference, has variance `noise.factor` x (sum of the repeats' writer
    variances) plus the covariance of writers shared between repeats; its interval is
    D +- t x standard error, t on the noise estimate's degrees of freedom.

    Raises:
        ValueError: a shared repeat whose two runs saw different images (the split differs).
    """
    pairs = _paired_repeats(value, value_runs, leader, leader_runs)
    if not pairs:
        return Comparison(value, leader, 0, 0, 0, float("-inf"), float("inf"), 0, 0, 0.5, 1.0)
    repeats = [repeat_difference(mine, theirs) for _, mine, theirs in pairs]
    only_value = sum(int((mine.wrong & ~theirs.wrong).sum()) for _, mine, theirs in pairs)
    only_leader = sum(int((theirs.wrong & ~mine.wrong).sum()) for _, mine, theirs in pairs)
    difference = sum(repeat.total for repeat in repeats)
    variance = noise.factor * sum(repeat.variance for repeat in repeats) + _shared_writer_covariance(repeats)
    standard_error = float(np.sqrt(max(variance, 0.0)))
    quantile = float(stats.t.ppf(0.5 + CONFIDENCE / 2, noise.degrees_of_freedom))
    if standard_error > 0:
        p_beats = float(stats.t.cdf(-difference / standard_error, noise.degrees_of_freedom))
    else:
        p_beats = 0.5 if difference == 0 else float(difference < 0)
    return Comparison(value, leader, len(pairs), sum(repeat.images for repeat in repeats), difference,
                      difference - quantile * standard_error, difference + quantile * standard_error,
                      only_value, only_leader, p_beats, sign_test_p(only_value, only_leader), standard_error)


def leader_of(outcomes: dict) -> object:
    """The value with the fewest pooled errors among those with the most repeats; a tie in
    errors goes to the earlier value (dicts keep the sweep's order)."""
    most = max(len(runs) for runs in outcomes.values())
    candidates = [value for value, runs in outcomes.items() if len(runs) == most]
    return min(candidates, key=lambda value: sum(run.errors for run in outcomes[value].values()))


def compare_all(outcomes: dict, prior: Noise = Noise()) -> tuple[object, dict]:
    """(leader, {value: Comparison against the leader}) for {value: {repeat: RepeatOutcome}}."""
    leader = leader_of(outcomes)
    noise = sweep_noise(outcomes, prior)
    return leader, {value: compare(value, runs, leader, outcomes[leader], noise)
                    for value, runs in outcomes.items() if value != leader}
