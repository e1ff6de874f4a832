"""From `mnistcnn sweep`'s options to trained sweeps: the policy the command follows.

Which sweeps, which values, with what settings (a preset, any config field given, a
fixed number of epochs without early stopping), everything checked before the first
minute of training; then one data set, one device report, and `sweep_runner.run_sweep`
for each sweep.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.config import Config, parse_value
from mnistcnn.errors import UsageError
from mnistcnn.presets import get_preset
from mnistcnn.sweeps import RESERVED_NAMES, Sweep, all_sweeps, get_sweep

# The baseline's 12 epochs suit one model; 8 are enough for a sweep's curves to separate.
SWEEP_EPOCHS = 8


@dataclass(frozen=True)
class SweepPlan:
    sweeps: tuple[Sweep, ...]
    values: dict  # sweep name -> the values to try
    base: Config  # the settings every value is tried with


def plan_sweeps(name: str, values_text: str | None, preset: str, options: dict) -> SweepPlan:
    """The sweeps `name` (one, or `all`) with `--values` and the config options given.

    Raises:
        UsageError: an unknown sweep, malformed or empty --values, an option for the very
            field a sweep varies, no validation split, or a value that cannot train.
    """
    sweeps = tuple(all_sweeps()) if name == "all" else (get_sweep(name),)
    if values_text is not None and name in RESERVED_NAMES:
        raise UsageError("--values needs a single sweep, not all; e.g. mnistcnn sweep pooling --values max,none")
    given = {field: value for field, value in options.items() if value is not None}
    for sweep in sweeps:
        if sweep.field in given:
            raise UsageError(f"--{sweep.field.replace('_', '-')} is what the {sweep.name} sweep varies; "
                             f"give the values to try with --values, e.g. --values {_example(sweep)}")
    base = get_preset(preset)
    epochs = given.get("epochs") or (SWEEP_EPOCHS if preset == "baseline" else base.epochs)
    # Runs train the same fixed number of epochs unless --patience asks for early stopping.
    base = base.with_changes(**{**given, "epochs": epochs, "patience": given.get("patience", epochs)})
    if base.valid_fraction == 0:
        raise UsageError("a sweep compares its values on the validation split; pass a --valid-fraction above 0, "
                         "e.g. 0.1")
    values = {sweep.name: parse_values(sweep.field, values_text) if values_text is not None else sweep.values
              for sweep in sweeps}
    for sweep in sweeps:
        for value in values[sweep.name]:
            base.with_changes(**{sweep.field: value})  # a UsageError for a value that cannot train
    return SweepPlan(sweeps, values, base)


def _example(sweep: Sweep) -> str:
    return ",".join(str(value) for value in sweep.values[:2])


def parse_values(field: str, text: str) -> tuple:
    """`--values 1e-3,1e-2` as values of the field's type."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise UsageError(f"--values is empty; give the values to try, separated by commas, e.g. --values "
                         f"{_example(get_sweep(field))}")
    if not all(items):
        raise UsageError(f"--values '{text}' has an empty item; separate values with commas, e.g. 1e-3,1e-2")
    return tuple(parse_value(field, item) for item in items)


def parse_shard(text: str | None) -> tuple[int, int]:
    """`--shard K/N` as (K, N); None is the whole sweep, (1, 1)."""
    if text is None:
        return (1, 1)
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard '{text}' is not K/N; e.g. --shard 1/3 for the first of three machines") from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N; e.g. --shard 2/3")
    return index, count


def run_planned(plan: SweepPlan, data_source: str | None, repeats: int, output_dir: Path, force: bool,
                shard: tuple[int, int], strategy_name: str, status) -> list[Path]:
    """Load the data once, check every sweep, then train each; returns the sweep folders."""
    from mnistcnn.data import load_dataset
    from mnistcnn.devices import check_devices
    from mnistcnn.distribution import make_strategy
    from mnistcnn.sweep_runner import check_before_training, run_sweep

    strategy = make_strategy(strategy_name)
    hardware = check_devices()
    status(f"devices: {hardware['device']}")
    base = plan.base
    dataset = load_dataset(data_source, base.valid_fraction, base.seed, base.valid_split)
    base = base.with_changes(valid_split=dataset.valid_split)
    status(dataset.describe())
    for sweep in plan.sweeps:
        check_before_training(sweep, base, plan.values[sweep.name], repeats, output_dir, dataset.record(), force,
                              shard)
    command = " ".join(["mnistcnn", *sys.argv[1:]]) if sys.argv[0].endswith("mnistcnn") else ""
    return [run_sweep(sweep, base, plan.values[sweep.name], repeats, dataset, output_dir, force=force,
                      hardware=hardware, command=command, shard=shard, strategy=strategy)
            for sweep in plan.sweeps]


def list_text() -> str:
    """`mnistcnn sweep list`: each sweep, its default values and what it varies."""
    sweeps = all_sweeps()
    width = max(len(sweep.name) for sweep in sweeps) + 2
    lines = [f"{'sweep':{width}}values (what it varies)"]
    lines += [f"{sweep.name:{width}}{', '.join(map(str, sweep.values))}  ({sweep.description})" for sweep in sweeps]
    return "\n".join(lines)


def result_text(sweep_dir: Path) -> str:
    from mnistcnn.sweep_report import summary_text

    return summary_text(sweep_dir)
