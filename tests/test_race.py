"""The race with a fake trainer: synthetic per-image errors, no TensorFlow."""

import pytest
from fake_sweeps import outcome

from mnistcnn.core import UsageError
from mnistcnn.sweeps.race import RaceSettings, in_shard, next_round


def race(rates: dict, settings: RaceSettings, outcomes=None, stop_after_runs=None, seconds_a_run=60.0):
    """Run the race to its end (or for `stop_after_runs` runs, an interruption) with a trainer
    that returns each (value, repeat)'s synthetic errors. Returns (outcomes, rounds, reason)."""
    outcomes = outcomes if outcomes is not None else {}
    rounds, trained = [], 0
    seeds = {value: seed for seed, value in enumerate(rates)}
    while True:
        seconds = {(value, repeat): seconds_a_run for value, runs in outcomes.items() for repeat in runs}
        state = next_round(list(rates), outcomes, settings, seconds)
        if state.stopped:
            return outcomes, rounds, state.stopped
        rounds.append(state.to_train)
        for value, repeat in state.to_train:
            if stop_after_runs is not None and trained == stop_after_runs:
                return outcomes, rounds, "interrupted"
            outcomes.setdefault(value, {})[repeat] = outcome(rates[value], repeat, seeds[value])
            trained += 1


def test_a_clear_sweep_stops_after_the_first_two_repeats():
    outcomes, rounds, reason = race({"a": 0.01, "b": 0.03, "c": 0.05}, RaceSettings())
    assert reason == "every value is decided"
    assert len(rounds) == 1 and {len(runs) for runs in outcomes.values()} == {2}


def test_repeats_go_only_to_the_leader_and_the_undecided():
    outcomes, rounds, reason = race({"a": 0.0100, "b": 0.0104, "far": 0.05}, RaceSettings(max_repeats=4))
    assert len(outcomes["far"]) == 2  # decided worse after the first round, never trained again
    assert len(outcomes["a"]) == len(outcomes["b"]) > 2
    for round_ in rounds[1:]:
        assert {value for value, _ in round_} <= {"a", "b"} and len(round_) <= 2
    assert reason in ("every value is decided", "the leader and 1 undecided value reached 4 repeats")


def test_the_race_stops_at_max_repeats():
    # Two values that differ by far less than the sweep can see stay undecided to the end.
    outcomes, _, reason = race({"a": 0.0100, "b": 0.0101}, RaceSettings(max_repeats=3))
    assert reason == "the leader and 1 undecided value reached 3 repeats"
    assert max(len(runs) for runs in outcomes.values()) == 3


def test_the_race_respects_its_budget():
    # 60 s a run: the first round (2 values x 2 repeats) spends 4 minutes, past the budget of 3.
    outcomes, rounds, reason = race({"a": 0.0100, "b": 0.0101}, RaceSettings(budget_minutes=3))
    assert reason == "the time budget of 3 min was spent" and len(rounds) == 1


def test_an_interrupted_race_resumes_where_it_stood():
    rates = {"a": 0.0100, "b": 0.0104, "far": 0.05}
    whole, whole_rounds, whole_reason = race(rates, RaceSettings())
    partial, _, reason = race(rates, RaceSettings(), stop_after_runs=7)  # mid second round
    assert reason == "interrupted"
    resumed, _, resumed_reason = race(rates, RaceSettings(), outcomes=partial)
    assert resumed_reason == whole_reason
    assert {value: sorted(runs) for value, runs in resumed.items()} == {
        value: sorted(runs) for value, runs in whole.items()}


def test_fixed_repeats_train_exactly_that_many():
    outcomes, rounds, reason = race({"a": 0.0100, "b": 0.0101}, RaceSettings(repeats=3))
    assert reason == "every value has its 3 repeats" and len(rounds) == 1
    assert {len(runs) for runs in outcomes.values()} == {3}


@pytest.mark.parametrize("settings", [dict(repeats=0), dict(max_repeats=1), dict(budget_minutes=0)])
def test_bad_race_settings(settings):
    with pytest.raises(UsageError):
        RaceSettings(**settings)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_shards_partition_the_runs_exactly(count):
    values = [1e-4, 1e-3, 1e-2, 1e-1]
    shards = [in_shard(values, 2, (index, count)) for index in range(1, count + 1)]
    every = {(value, repeat) for value in values for repeat in range(2)}
    assert set().union(*shards) == every and sum(len(shard) for shard in shards) == len(every)
