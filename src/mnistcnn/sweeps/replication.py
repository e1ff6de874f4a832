"""Does a sweep's verdict hold on writers and splits it has not seen? (no TensorFlow)

`mnistcnn sweep NAME --replicate` trains the sweep's values again at seeds, and so on
writer splits, the race never used (plan.replication_of), into replication/NAME/ beside
the sweep. Here each value is set against the sweep's leader on the replicate's images,
with the same statistic (paired.py), and the replicate's estimate is held against the
original interval: inside it or not, on the same side of zero or not, and, for a verdict
of worse or better, contradicted when the replicate's own interval lies wholly on the
other side. The rule that judges the nine committed sweeps is experiments/RULE.md.
"""

from dataclasses import dataclass
from pathlib import Path

from mnistcnn.sweeps.paired import Comparison, compare, sweep_noise
from mnistcnn.sweeps.report import read_results

LEAST_INSIDE = 0.8  # share of replicate estimates inside the original 95% intervals (Cumming 2008: ~83%)


@dataclass(frozen=True)
class ReplicatedPair:
    """One value against the sweep's leader: the original comparison and the replicate's."""

    sweep: str
    original: Comparison
    replicate: Comparison

    @property
    def estimate(self) -> float:
        """The replicate's difference, in points of validation error."""
        return self.replicate.points(self.replicate.difference)

    @property
    def interval(self) -> tuple[float, float]:
        return self.original.points(self.original.low), self.original.points(self.original.high)

    @property
    def inside(self) -> bool:
        low, high = self.interval
        return low <= self.estimate <= high

    @property
    def same_side(self) -> bool:
        """The replicate's estimate has the original's sign (a difference of zero has either)."""
        return self.estimate * self.original.difference >= 0

    @property
    def contradicted(self) -> bool:
        """A verdict of worse (better) whose replicate interval lies wholly below (above) zero."""
        verdict = self.original.verdict
        return (verdict == "worse" and self.replicate.high < 0) or (verdict == "better" and self.replicate.low > 0)

    @property
    def tie_held(self) -> bool | None:
        """For a tie, whether the replicate's estimate lies within its ±T; None for a verdict."""
        if self.original.verdict != "tie":
            return None
        return abs(self.estimate) <= self.original.tie_within


def replicate_sweep(sweep_dir: Path, replicate_dir: Path) -> list[ReplicatedPair]:
    """Every value the sweep compared with its leader, against that leader on the replicate.

    Raises:
        InputError: either folder is not a sweep with finished runs.
    """
    original = read_results(Path(sweep_dir))
    replicate = read_results(Path(replicate_dir))
    outcomes = {value: {repeat: run.outcome for repeat, run in finished.items()}
                for value, finished in replicate.runs.items()}
    leader = original.leader
    if leader not in outcomes:
        return []
    noise = sweep_noise(outcomes)
    return [ReplicatedPair(original.info["name"], comparison,
                           compare(value, outcomes[value], leader, outcomes[leader], noise))
            for value, comparison in original.comparisons.items() if value in outcomes]


def checks(pairs: list[ReplicatedPair]) -> dict:
    """The three checks of the replication rule, with what each counted."""
    inside = sum(pair.inside for pair in pairs)
    ties = [pair for pair in pairs if pair.tie_held is not None]
    contradicted = [pair for pair in pairs if pair.contradicted]
    return {
        "pairs": len(pairs),
        "inside": inside,
        "inside_share": inside / len(pairs) if pairs else float("nan"),
        "contradicted": [f"{pair.sweep} {pair.original.value}" for pair in contradicted],
        "ties": len(ties),
        "ties_held": sum(pair.tie_held for pair in ties),
        "passed": (not contradicted and bool(pairs) and inside >= LEAST_INSIDE * len(pairs)
                   and all(pair.tie_held for pair in ties)),
    }


def report_lines(pairs: list[ReplicatedPair]) -> list[str]:
    """A table of the pairs: original label, replicate estimate and interval, and the checks."""
    lines = ["| sweep | value | leader | original | replicate estimate | replicate interval | inside | same side | held |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for pair in pairs:
        low, high = pair.replicate.points(pair.replicate.low), pair.replicate.points(pair.replicate.high)
        if pair.original.verdict == "tie":
            held = "yes" if pair.tie_held else "no: outside its ±T"
        else:
            held = "no: contradicted" if pair.contradicted else "yes"
        lines.append(f"| {pair.sweep} | {pair.original.value} | {pair.original.leader} | {pair.original.label()} "
                     f"| {pair.estimate:+.2f} "
                     f"| [{low:.2f}, {high:.2f}] | {'yes' if pair.inside else 'no'} "
                     f"| {'yes' if pair.same_side else 'no'} | {held} |")
    return lines
