import dataclasses

import pytest

from mnistcnn.core import CHOICES, Config, parse_value
from mnistcnn.core import UsageError


def test_json_round_trip():
    config = Config(architecture="deep", learning_rate=0.003, schedule="cosine", seed=7)
    assert Config.from_json(config.to_json()) == config


def test_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().epochs = 3


@pytest.mark.parametrize("field", sorted(CHOICES))
def test_unknown_choice_lists_the_valid_ones(field):
    with pytest.raises(UsageError) as caught:
        Config(**{field: "nonsense"})
    for valid in CHOICES[field]:
        assert valid in str(caught.value)


@pytest.mark.parametrize("changes", [{"epochs": 0}, {"epochs": -1}, {"batch_size": 0},
                                     {"valid_fraction": -0.1}, {"valid_fraction": 1.0},
                                     {"dropout": 1.0}, {"learning_rate": 0.0}, {"kernel_size": 0},
                                     {"beta_1": 1.0}, {"beta_2": 0.0}])
def test_impossible_numbers(changes):
    with pytest.raises(UsageError):
        Config(**changes)


def test_unknown_field():
    with pytest.raises(UsageError, match="unknown config field colour"):
        Config().with_changes(colour="blue")


def test_parse_value_types():
    assert parse_value("learning_rate", "1e-3") == 0.001
    assert parse_value("kernel_size", "5") == 5
    assert parse_value("pooling", "max") == "max"
    with pytest.raises(UsageError, match="not a valid int for kernel_size"):
        parse_value("kernel_size", "five")


def test_no_validation_needs_a_fixed_schedule():
    with pytest.raises(UsageError, match="--patience 12"):
        Config(valid_fraction=0.0, epochs=12, patience=3)
    assert Config(valid_fraction=0.0, epochs=12, patience=12).valid_fraction == 0


def test_records_from_before_valid_split_used_a_random_split():
    assert Config.from_dict({"epochs": 3}).valid_split == "random"
    assert Config.from_dict(Config(valid_split="writers").to_dict()).valid_split == "writers"


@pytest.mark.parametrize("epochs, steps_per_epoch, warmup_steps", [(15, 100, 100), (1, 100, 20), (3, 10, 6)])
def test_the_cosine_schedule_warms_up_one_epoch_or_a_fifth_of_a_short_run(epochs, steps_per_epoch, warmup_steps):
    from mnistcnn.models import learning_rate_schedule

    config = Config(schedule="cosine", learning_rate=0.003, epochs=epochs, patience=epochs)
    schedule = learning_rate_schedule(config, steps_per_epoch)
    total_steps = epochs * steps_per_epoch
    assert float(schedule(0)) == 0.0
    assert float(schedule(warmup_steps)) == pytest.approx(0.003)  # the peak, where warm-up ends
    assert float(schedule(warmup_steps // 2)) == pytest.approx(0.0015, rel=1e-3)  # linear on the way
    assert float(schedule(total_steps)) == pytest.approx(0.0, abs=1e-9)  # decayed to zero at the end
