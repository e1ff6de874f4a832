"""Paired comparisons of two sweep values, image by image (no TensorFlow).

Repeat k of every value trains with seed k on validation split k, so two values of the
same repeat were judged on the same images. What one gets wrong and the other right is
their difference; the images both get right or both get wrong say nothing about it.
That pairing has far more power than two separate accuracy intervals.

The interval of the difference comes from a bootstrap over writers within each repeat:
one writer's digits share a hand, so they fail together, and resampling them together
counts that; resampling runs' per-image noise with them counts the training noise
(Jordan, "Calibrated Chaos", ICLR 2024: run-to-run variance is close to independent
per-image noise). The rule behind every threshold is experiments/RULE.md.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

TIE_POINTS = 0.1  # a tie narrower than this, in points of validation error, is decided
RESAMPLES = 4000
BOOTSTRAP_SEED = 0  # fixed, so `mnistcnn plot` redraws the same labels from the same files


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
    """A cluster id per image: its writer, or the image itself where the writer is unknown."""
    unknown = outcome.writer < 0
    return np.where(unknown, -1 - np.arange(len(outcome.writer)), outcome.writer)


def _writer_differences(value: RepeatOutcome, leader: RepeatOutcome) -> np.ndarray:
    """Per writer of one repeat: errors of value minus errors of leader on that writer's digits."""
    difference = value.wrong.astype(np.int64) - leader.wrong.astype(np.int64)
    _, cluster = np.unique(_clusters(value), return_inverse=True)
    return np.bincount(cluster, weights=difference).astype(np.int64)


def bootstrap_differences(per_repeat: list[np.ndarray], resamples: int = RESAMPLES,
                          seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """The summed difference under resampling the writers of each repeat with replacement.

    A resample's sum only depends on how often each distinct per-writer difference is
    drawn, so it is drawn as multinomial counts over the distinct values: exact, and
    small even when every image is its own writer.
    """
    rng = np.random.default_rng(seed)
    total = np.zeros(resamples, dtype=np.int64)
    for differences in per_repeat:
        distinct, counts = np.unique(differences, return_counts=True)
        drawn = rng.multinomial(len(differences), counts / counts.sum(), size=resamples)
        total += drawn @ distinct
    return total


def compare(value, value_runs: dict, leader, leader_runs: dict, resamples: int = RESAMPLES) -> Comparison:
    """`value` against `leader` over the repeats both have ({repeat: RepeatOutcome}).

    Raises:
        ValueError: a shared repeat whose two runs saw different images (the split differs).
    """
    shared = sorted(set(value_runs) & set(leader_runs))
    per_repeat, images, only_value, only_leader = [], 0, 0, 0
    for repeat in shared:
        mine, theirs = value_runs[repeat], leader_runs[repeat]
        if not mine.same_images(theirs):
            raise ValueError(f"repeat {repeat} of {value} and {leader} saw different validation images; "
                             "their runs were made with other splits: rerun them")
        per_repeat.append(_writer_differences(mine, theirs))
        images += len(mine.index)
        only_value += int((mine.wrong & ~theirs.wrong).sum())
        only_leader += int((theirs.wrong & ~mine.wrong).sum())
    if not per_repeat:
        return Comparison(value, leader, 0, 0, 0, float("-inf"), float("inf"), 0, 0, 0.5, 1.0)
    resampled = bootstrap_differences(per_repeat, resamples)
    low, high = np.percentile(resampled, [2.5, 97.5])
    p_beats = float(np.mean(resampled < 0) + 0.5 * np.mean(resampled == 0))
    return Comparison(value, leader, len(shared), images, only_value - only_leader, float(low), float(high),
                      only_value, only_leader, p_beats, sign_test_p(only_value, only_leader))


def leader_of(outcomes: dict) -> object:
    """The value with the fewest pooled errors among those with the most repeats; a tie in
    errors goes to the earlier value (dicts keep the sweep's order)."""
    most = max(len(runs) for runs in outcomes.values())
    candidates = [value for value, runs in outcomes.items() if len(runs) == most]
    return min(candidates, key=lambda value: sum(run.errors for run in outcomes[value].values()))


def compare_all(outcomes: dict, resamples: int = RESAMPLES) -> tuple[object, dict]:
    """(leader, {value: Comparison against the leader}) for {value: {repeat: RepeatOutcome}}."""
    leader = leader_of(outcomes)
    return leader, {value: compare(value, runs, leader, outcomes[leader], resamples)
                    for value, runs in outcomes.items() if value != leader}
