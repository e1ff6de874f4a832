"""`train-final --from-sweeps`: a recipe whose fields come from what the sweeps decided.

A field takes its sweep's leader only when the recipe's own value was decided worse than
the leader; when the recipe's value is the leader, or tied with it, it stays (nothing
changes, the cheaper choice). Sweeps made with another base recipe are refused: their
winners answer another question. One-at-a-time winners need not combine, so the recipe
this gives is a candidate to judge on validation, not a result (experiments/RULE.md).
"""

from pathlib import Path

from mnistcnn.core import Config
from mnistcnn.core import InputError, UsageError

# Fields that do not make a recipe different: which images validate it, how it is seeded,
# the arithmetic it runs in.
NOT_RECIPE = ("seed", "valid_fraction", "valid_split", "precision", "deterministic")


def recipe_differences(swept_with: Config, recipe: Config) -> list[str]:
    return [f"{field} {getattr(swept_with, field)} (here {getattr(recipe, field)})"
            for field in swept_with.to_dict() if field not in NOT_RECIPE
            and getattr(swept_with, field) != getattr(recipe, field)]


def config_from_sweeps(config: Config, experiments: Path) -> tuple[Config, dict]:
    """The recipe `config` with each decided winner of the sweeps in `experiments`.

    Returns:
        (the new config, {field: where its value came from}), for the model's story.

    Raises:
        InputError: no sweep in the folder.
        UsageError: a sweep made with another base recipe.
    """
    from mnistcnn.sweeps.report import read_results

    experiments = Path(experiments)
    folders = sorted(path.parent for path in experiments.glob("*/sweep.json"))
    if not folders:
        raise InputError(f"{experiments} holds no sweep (no */sweep.json); pass the folder `mnistcnn sweep` "
                         "wrote, e.g. --from-sweeps experiments")
    results = [read_results(folder) for folder in folders]
    for folder, result in zip(folders, results):
        differences = recipe_differences(Config.from_dict(result.info["base_config"]), config)
        if differences:
            raise UsageError(f"{folder} was swept with another recipe ({', '.join(differences[:3])}); "
                             "pass the preset and options it was swept with, e.g. --preset sweep")
    changes, origins = {}, {}
    for folder, result in zip(folders, results):
        field, leader = result.info["field"], result.leader
        own = getattr(config, field)
        comparison = result.comparisons.get(own)
        if own == leader:
            origins[field] = f"{own}: the recipe's value, the leader of {folder}"
        elif comparison is None:
            origins[field] = f"{own}: the recipe's value, which {folder} did not try"
        elif comparison.verdict == "worse":
            changes.update(result.info.get("changes", {}).get(str(leader), {field: leader}))
            origins[field] = (f"{leader}: the leader of {folder}, where the recipe's {own} was decided "
                              f"{comparison.label()}")
        else:
            origins[field] = f"{own}: the recipe's value, {comparison.label()} with the leader {leader} in {folder}"
    return config.with_changes(**changes), origins


def sweeps_data(experiments: Path) -> frozenset:
    """The data fingerprints the sweeps in `experiments` recorded (sweep.json)."""
    from mnistcnn.sweeps.runs import sweep_info

    return frozenset(sweep_info(path.parent).get("data_fingerprint", "unrecorded")
                     for path in Path(experiments).glob("*/sweep.json"))
