"""From `mnistcnn sweep`'s options to trained sweeps: the policy the command follows.

Which sweeps, which values, with what settings (a preset, by default `sweep`; any config
field given; a fixed number of epochs without early stopping), how many repeats (a race,
or a fixed number), everything checked before the first minute of training; then one
read of the data, one device report, and `runner.run_sweep` for each sweep.
"""

import sys
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.core import Config, parse_value
from mnistcnn.core import UsageError
from mnistcnn.core import get_preset
from mnistcnn.sweeps.race import RaceSettings
from mnistcnn.sweeps.catalog import NOT_SWEPT, RESERVED_NAMES, Sweep, all_sweeps, catalog_sweeps, get_sweep

SWEEP_PRESET = "sweep"  # the recipe sweeps try their values with, unless --preset says otherwise
RESULTS_FOLDER = Path("experiments")  # where sweeps go, and the committed ones lie
OWN_FOLDER = Path("my-experiments")  # where a user's sweeps go when the committed ones were made otherwise
REPLICATION_FOLDER = "replication"  # beside the sweeps: OUTPUT_DIR/replication/NAME/
# A replicate's seeds (and so its writer splits) start this far above the sweep's, where
# no race reaches (it stops at --max-repeats, a handful).
REPLICATION_SEED_OFFSET = 1000
REPLICATION_REPEATS = 2


@dataclass(frozen=True)
class SweepPlan:
    sweeps: tuple[Sweep, ...]
    values: dict  # sweep name -> the values to try
    base: Config  # the settings every value is tried with
    given: dict  # the config options given on the command line (they override a value's companions)


def plan_sweeps(name: str, values_text: str | None, preset: str, options: dict) -> SweepPlan:
    """The sweeps `name` (one, or `all`) with `--values` and the config options given.

    Raises:
        UsageError: an unknown sweep, malformed or empty --values, an option for the very
            field a sweep varies, no validation split, or a value that cannot train.
    """
    sweeps = tuple(all_sweeps()) if name == "all" else (get_sweep(name),)
    if values_text is not None and name in RESERVED_NAMES:
        raise UsageError("--values needs a single sweep, not all; e.g. mnistcnn sweep pooling --values max,none")
    if values_text is None and not sweeps[0].values:
        raise UsageError(f"{name} has no sweep values of its own; give them with --values, e.g. mnistcnn sweep "
                         f"{name} --values {_example(sweeps[0])}")
    given = {field: value for field, value in options.items() if value is not None}
    for sweep in sweeps:
        if sweep.field in given:
            raise UsageError(f"--{sweep.field.replace('_', '-')} is what the {sweep.name} sweep varies; "
                             f"give the values to try with --values, e.g. --values {_example(sweep)}")
    base = get_preset(preset)
    epochs = given["epochs"] if "epochs" in given else base.epochs
    # Runs train the same fixed number of epochs unless --patience asks for early stopping.
    base = base.with_changes(**{**given, "epochs": epochs, "patience": given.get("patience", epochs)})
    if base.valid_fraction == 0:
        raise UsageError("a sweep compares its values on the validation split; pass a --valid-fraction above 0, "
                         "e.g. 0.1")
    values = {sweep.name: parse_values(sweep.field, values_text) if values_text is not None else sweep.values
              for sweep in sweeps}
    for sweep in sweeps:
        for value in values[sweep.name]:
            base.with_changes(**sweep.changes(value, given))  # a UsageError for a value that cannot train
    return SweepPlan(sweeps, values, base, given)


def replication_of(plan: SweepPlan, repeats_text: str, output_dir: Path | None) -> tuple:
    """(plan, race settings, output folder) of `--replicate`: the same values and settings
    at seeds the race never uses, a fixed number of repeats, beside the sweeps it replicates."""
    if repeats_text != "auto":
        raise UsageError("--replicate trains a fixed 2 repeats a value; leave out --repeats")
    folder = Path(output_dir) if output_dir is not None else RESULTS_FOLDER
    for sweep in plan.sweeps:  # checked before any training: a replicate needs its sweep's verdicts
        if not (folder / sweep.name / "sweep.json").is_file():
            raise UsageError(f"--replicate reruns a finished sweep, and {folder / sweep.name} holds none; run "
                             f"`mnistcnn sweep {sweep.name}` first (or pass the --output-dir it went to)")
    base = plan.base.with_changes(seed=plan.base.seed + REPLICATION_SEED_OFFSET)
    return (SweepPlan(plan.sweeps, plan.values, base, plan.given), RaceSettings(REPLICATION_REPEATS),
            folder / REPLICATION_FOLDER)


def replication_text(replicate_dir: Path) -> str:
    """What `--replicate` prints: each verdict of the sweep beside its replicate."""
    from mnistcnn.sweeps.replication import replicate_sweep, report_lines

    return "\n".join(report_lines(replicate_sweep(replicate_dir.parents[1] / replicate_dir.name, replicate_dir)))


def _example(sweep: Sweep) -> str:
    """Two values to show in a message: the sweep's own, or the field's default and another."""
    if sweep.values:
        return ",".join(str(value) for value in sweep.values[:2])
    default = getattr(Config(), sweep.field)
    other = {bool: lambda: not default, int: lambda: default * 2 or 2, float: lambda: default / 2 or 0.1}.get(type(default))
    return f"{default},{other()}".lower() if other else f"{default},…"


def parse_values(field: str, text: str) -> tuple:
    """`--values 1e-3,1e-2` as values of the field's type."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip():
        raise UsageError(f"--values is empty; give the values to try, separated by commas, e.g. --values "
                         f"{_example(get_sweep(field))}")
    if not all(items):
        raise UsageError(f"--values '{text}' has an empty item; separate values with commas, e.g. 1e-3,1e-2")
    return tuple(parse_value(field, item) for item in items)


def parse_repeats(text: str, max_repeats: int, budget: float | None) -> RaceSettings:
    """`--repeats auto` (a race) or a whole number, with the race's limits."""
    if text == "auto":
        return RaceSettings(None, max_repeats, budget)
    try:
        repeats = int(text)
    except ValueError:
        raise UsageError(f"--repeats '{text}' is not auto or a whole number; e.g. --repeats auto or --repeats 3") from None
    return RaceSettings(repeats, max(max_repeats, repeats), budget)


def parse_shard(text: str | None, settings: RaceSettings, storage_url: str | None = None) -> tuple[int, int]:
    """`--shard K/N` as (K, N); None is the whole sweep, (1, 1). Only with a fixed --repeats,
    and not with --storage (which shares any race without dividing it beforehand)."""
    if text is None:
        return (1, 1)
    if storage_url is not None:
        raise UsageError("--shard and --storage are two ways to share a sweep; with --storage every worker runs "
                         "the same command and the storage hands out the runs, so leave out --shard")
    if settings.repeats is None:
        raise UsageError("--shard needs a fixed --repeats N: a race decides its runs as it goes, on one machine; "
                         "e.g. --repeats 3 --shard 1/2")
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise UsageError(f"--shard '{text}' is not K/N; e.g. --shard 1/3 for the first of three machines") from None
    if not 1 <= index <= count:
        raise UsageError(f"--shard {text}: K must be between 1 and N; e.g. --shard 2/3")
    return index, count


def run_planned(plan: SweepPlan, data_source: str | None, settings: RaceSettings, output_dir: Path | None,
                force: bool, shard: tuple[int, int], strategy_name: str, status,
                storage_url: str | None = None) -> list[Path]:
    """Read the data once, check every sweep, then run each; returns the sweep folders.
    `output_dir` None is experiments/, or my-experiments/ beside committed sweeps made
    otherwise. With `storage_url`, each sweep's race is shared through that storage."""
    from mnistcnn.data import read_source
    from mnistcnn.training import check_devices
    from mnistcnn.training import make_strategy
    from mnistcnn.core import resolve_precision
    from mnistcnn.sweeps.runner import Splits, SweepRuns, check_before_training, run_sweep

    strategy = make_strategy(strategy_name)
    hardware = check_devices()
    status(f"devices: {hardware['device']}")
    splits = Splits(read_source(data_source), plan.base.valid_fraction, plan.base.valid_split)
    first = splits.for_seed(plan.base.seed)
    # The precision is part of a run's identity as it trains, not as asked: `auto` resolved
    # here, so machines that resolve it differently never share or mix their runs.
    base = plan.base.with_changes(valid_split=splits.valid_split, precision=resolve_precision(plan.base.precision))
    status(f"{first.describe()} (repeat k draws its own split with seed {base.seed}+k)")
    if output_dir is None:
        output_dir = _folder_for(plan, base, splits, settings, status)
    runs = [SweepRuns(sweep, base, plan.values[sweep.name], plan.given, Path(output_dir) / sweep.name, splits)
            for sweep in plan.sweeps]
    for sweep_runs in runs:
        check_before_training(sweep_runs, settings, force)
    command = " ".join(["mnistcnn", *sys.argv[1:]]) if sys.argv[0].endswith("mnistcnn") else ""
    if storage_url is not None:
        from mnistcnn.sweeps.runner import run_shared_sweep
        from mnistcnn.sweeps.shared import Board
        from mnistcnn.sweeps.studies import open_storage

        return [run_shared_sweep(sweep_runs, settings, output_dir,
                                 Board(open_storage(storage_url, sweep_runs.sweep_dir), study_name(sweep_runs, settings)),
                                 hardware=hardware, command=command, strategy=strategy)
                for sweep_runs in runs]
    return [run_sweep(sweep_runs, settings, output_dir, force=force, hardware=hardware, command=command,
                      shard=shard, strategy=strategy)
            for sweep_runs in runs]


def study_name(runs, settings: RaceSettings) -> str:
    """The shared race's study: the sweep's name and a digest of everything that makes it
    this race (values, recipe, data, the race's limits), so workers join only the very same
    race, and one database can hold many."""
    import hashlib
    import json

    plan = {"values": [str(value) for value in runs.values], "changes": {str(k): v for k, v in runs.changes.items()},
            "base": runs.base.to_dict(), "data": runs.splits.source.fingerprint,
            "race": [settings.repeats, settings.max_repeats, settings.budget_minutes]}
    digest = hashlib.sha256(json.dumps(plan, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"sweep-{runs.sweep.name}-{digest}"


def _folder_for(plan: SweepPlan, base: Config, splits, settings: RaceSettings, status) -> Path:
    """`experiments/`, unless a sweep there holds runs made with other settings (the committed
    sweeps, on the full set): then the user's own `my-experiments/`, so the command works and
    leaves the committed results as they are."""
    from mnistcnn.sweeps.runner import SweepRuns

    most = settings.repeats or settings.max_repeats
    for sweep in plan.sweeps:
        runs = SweepRuns(sweep, base, plan.values[sweep.name], plan.given, RESULTS_FOLDER / sweep.name, splits)
        if runs.conflicts(most):
            status(f"note: {RESULTS_FOLDER / sweep.name} holds a sweep made with other settings (or data); "
                   f"yours goes to {OWN_FOLDER / sweep.name}")
            return OWN_FOLDER
    return RESULTS_FOLDER


def list_text() -> str:
    """`mnistcnn sweep list`: each sweep, its default values and what it varies."""
    sweeps = catalog_sweeps()
    width = max(len(sweep.name) for sweep in sweeps) + 2
    lines = [f"{'sweep':{width}}values (what it varies)"]
    lines += [f"{sweep.name:{width}}{', '.join(map(str, sweep.values))}  ({sweep.description})"
              + ("" if sweep.in_all else "  [not in all]") for sweep in sweeps]
    lines += ["", "Any other config field can be swept with --values, e.g. mnistcnn sweep crop_width --values 0,2 "
              f"(all but {', '.join(NOT_SWEPT)}: they are the yardstick)."]
    return "\n".join(lines)


def result_text(sweep_dir: Path) -> str:
    from mnistcnn.sweeps.report import summary_text

    return summary_text(sweep_dir)
