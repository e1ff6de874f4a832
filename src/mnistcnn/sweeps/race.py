"""How many repeats each value of a sweep gets: a race (no TensorFlow).

As in algorithm configuration's racing (F-Race, irace), repeats go only to the values
still in contention: every value gets the first repeats, then the leader and the values
not yet decided against it (paired.py) get one more each, round after round, until
every value is decided, the repeats run out or the time budget is spent. The race is a
pure function of the finished runs, so a rerun after an interruption resumes it where
it stood. The rule is experiments/RULE.md.
"""

from dataclasses import dataclass

from mnistcnn.core import UsageError

MIN_REPEATS = 2
MAX_REPEATS = 6


@dataclass(frozen=True)
class RaceSettings:
    """`repeats` None races (`--repeats auto`); a number trains exactly that many per value."""

    repeats: int | None = None
    max_repeats: int = MAX_REPEATS
    budget_minutes: float | None = None

    def __post_init__(self):
        if self.repeats is not None and self.repeats < 1:
            raise UsageError(f"--repeats must be auto or a whole number >= 1, got {self.repeats}")
        if self.max_repeats < MIN_REPEATS:
            raise UsageError(f"--max-repeats must be at least {MIN_REPEATS}, got {self.max_repeats}")
        if self.budget_minutes is not None and self.budget_minutes <= 0:
            raise UsageError(f"--budget must be a number of minutes above 0, got {self.budget_minutes}")

    @property
    def first_repeats(self) -> int:
        return self.repeats if self.repeats is not None else min(MIN_REPEATS, self.max_repeats)

    def describe(self) -> str:
        if self.repeats is not None:
            return f"{self.repeats} repeat{'s' if self.repeats != 1 else ''} a value"
        budget = f", budget {self.budget_minutes:g} min" if self.budget_minutes else ""
        return f"repeats auto: {MIN_REPEATS} a value, more for contenders up to {self.max_repeats}{budget}"


@dataclass(frozen=True)
class RaceState:
    """What to train next, or why the race stopped (then `to_train` is empty)."""

    to_train: tuple  # (value, repeat) pairs, in training order
    stopped: str | None = None


def next_round(values: list, outcomes: dict, settings: RaceSettings, seconds: dict | None = None) -> RaceState:
    """The runs the race trains next, or why it stopped.

    The race is replayed from its start, round by round, over the finished runs: a round
    whose runs are all there is taken as done, and the first one with runs missing gives
    them. So a race interrupted mid-round resumes that very round, and ends as it would
    have without the interruption.

    Args:
        values: the sweep's values, in its order.
        outcomes: {value: {repeat: RepeatOutcome}} of the finished runs of this plan.
        seconds: {(value, repeat): training seconds} of those runs, for the budget.
    """
    known = {value: {} for value in values}
    spent = 0.0
    while True:
        state = _round(values, known, settings, spent)
        if state.stopped:
            return state
        missing = tuple((value, repeat) for value, repeat in state.to_train
                        if repeat not in outcomes.get(value, {}))
        if missing:
            return RaceState(missing)
        for value, repeat in state.to_train:
            known[value][repeat] = outcomes[value][repeat]
            spent += (seconds or {}).get((value, repeat), 0.0)


def _round(values: list, outcomes: dict, settings: RaceSettings, spent_seconds: float) -> RaceState:
    """One round of the race, from the runs it has so far."""
    from mnistcnn.sweeps.paired import compare_all  # NumPy and SciPy: not for the CLI's --help

    budget_spent = settings.budget_minutes is not None and spent_seconds >= settings.budget_minutes * 60
    first = [(value, repeat) for repeat in range(settings.first_repeats) for value in values
             if repeat not in outcomes[value]]
    if first:
        if budget_spent:
            return RaceState((), f"the time budget of {settings.budget_minutes:g} min was spent "
                                 "before every value had its first repeats")
        return RaceState(tuple(first))
    if settings.repeats is not None:
        return RaceState((), f"every value has its {settings.repeats} repeat{'s' if settings.repeats != 1 else ''}")
    if len(values) < 2:
        return RaceState((), "a single value has nothing to race")
    leader, comparisons = compare_all(outcomes)
    undecided = [value for value in values if value in comparisons and not comparisons[value].decided]
    if not undecided:
        return RaceState((), "every value is decided")
    to_train = []
    for value in [leader] + undecided:
        missing = [repeat for repeat in range(settings.max_repeats) if repeat not in outcomes[value]]
        if missing:
            to_train.append((value, missing[0]))
    if not to_train:
        return RaceState((), f"the leader and {len(undecided)} undecided value{'s' if len(undecided) != 1 else ''} "
                             f"reached {settings.max_repeats} repeats")
    if budget_spent:
        return RaceState((), f"the time budget of {settings.budget_minutes:g} min was spent")
    return RaceState(tuple(to_train))


def in_shard(values: list, repeats: int, shard: tuple[int, int]) -> set:
    """The (value, repeat) pairs shard K of N trains: the K-th of every N in repeat-major
    order, so N machines' shards partition a fixed-repeats sweep exactly."""
    index, count = shard
    every = [(value, repeat) for repeat in range(repeats) for value in values]
    return set(every[index - 1::count])
