"""The judging race: a search's best trials against the sweeps' combination and the recipe,
on splits neither the search nor the sweeps used, before anything trains on them.

It is a sweep of whole recipes (`catalog.Contest`) through the sweeps' runner, race and
statistic, into SEARCH/judged/. Its winner is the leader if the recipe was decided worse
than it, else the recipe: a change that cannot be told from no change is not made. Both
`train-final --from-search` and `--from-sweeps` train only a winner (experiments/search/RULE.md).
"""

import json
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.core import Config
from mnistcnn.core import InputError, UsageError

JUDGED = "judged"  # the race's folder inside the search's
JUDGE_SEED = 2000  # its repeats' seeds and splits: past any sweep race (6) and replication (1000+)
BEST_CANDIDATES = 3
RECIPE = "recipe"
FROM_SWEEPS = "from-sweeps"


@dataclass(frozen=True)
class Verdict:
    race: Path  # the judged/ folder
    winner: str  # a candidate's name
    changes: dict  # its settings beside the recipe's
    sentence: str  # why, for a status line and the model's story


def read_search(folder: Path) -> dict:
    folder = Path(folder)
    try:
        return json.loads((folder / "search.json").read_text())
    except (OSError, ValueError):
        raise InputError(f"{folder} holds no search (no search.json); pass the folder `mnistcnn search NAME` "
                         "wrote, e.g. experiments/search/joint") from None


def candidates(folder: Path, storage_url: str | None = None, status=lambda message: None) -> dict:
    """{name: settings beside the recipe} of the search's best trials, the sweeps'
    combination (from the experiments folder the search sits in) and the recipe; a
    configuration already named is not raced twice."""
    import optuna

    from mnistcnn.search.report import completed
    from mnistcnn.sweeps.recipe import config_from_sweeps
    from mnistcnn.sweeps.studies import open_storage

    info = read_search(folder)
    base = Config.from_dict(info["base_config"])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name="search", storage=open_storage(storage_url, folder))
    best = completed(study.get_trials(deepcopy=False))[:BEST_CANDIDATES]
    if not best:
        raise UsageError(f"{folder}'s search has no completed trial yet; run `mnistcnn search {info['name']}` first")
    found = {f"trial-{trial.number}": dict(trial.params) for trial in best}
    try:
        combined, _ = config_from_sweeps(base, Path(folder).parents[1])
        found[FROM_SWEEPS] = _beside(combined, base)
    except (InputError, UsageError) as error:
        status(f"note: no sweeps' combination to judge: {error}")
    found[RECIPE] = {}
    unique = {}
    for name, changes in found.items():
        if base.with_changes(**changes) not in [base.with_changes(**seen) for seen in unique.values()]:
            unique[name] = changes
    return unique


def _beside(config: Config, base: Config) -> dict:
    return {field: value for field, value in config.to_dict().items() if getattr(base, field) != value}


def judge_search(folder: Path, data_source: str | None, storage_url: str | None, strategy_name: str,
                 status) -> Path:
    """Race the candidates (sweep rules: paired, 2 repeats then more for contenders, up to 6),
    on seeds from JUDGE_SEED; returns the race's folder."""
    from mnistcnn.sweeps.catalog import Contest
    from mnistcnn.sweeps.plan import SweepPlan, run_planned
    from mnistcnn.sweeps.race import RaceSettings

    info = read_search(folder)
    contest = Contest(JUDGED, candidates(folder, storage_url, status),
                      description=f"The best trials of search {info['name']} against the sweeps' combination "
                                  "and the recipe.")
    status(f"judging {folder}: " + "; ".join(f"{name} {changes or '(no change)'}"
                                             for name, changes in contest.candidates.items()))
    base = Config.from_dict(info["base_config"]).with_changes(seed=JUDGE_SEED)
    plan = SweepPlan((contest,), {contest.name: contest.values}, base, {})
    return run_planned(plan, data_source, RaceSettings(), Path(folder), False, (1, 1), strategy_name, status)[0]


def verdict(race: Path) -> Verdict:
    """The winner of a finished judging race.

    Raises:
        InputError: no race there, or one still going.
    """
    from mnistcnn.sweeps.report import read_results

    race = Path(race)
    if not (race / "sweep.json").is_file():
        raise InputError(f"{race.parent} has not been judged; run `mnistcnn search {race.parent.name} --judge` first "
                         "(experiments/search/RULE.md)")
    results = read_results(race)
    if results.stopped is None:
        raise InputError(f"the judging race {race} is still going; rerun `mnistcnn search {race.parent.name} "
                         "--judge` to finish it")
    changes = {str(value): settings for value, settings in results.info["changes"].items()}
    leader = str(results.leader)
    recipe = results.comparisons.get(RECIPE)
    if leader == RECIPE:
        winner, why = RECIPE, f"the recipe led the race {race}"
    elif recipe is not None and recipe.verdict == "worse":
        winner, why = leader, f"{leader} led the race {race}, where the recipe was decided {recipe.label()}"
    else:
        label = recipe.label() if recipe is not None else "not raced"
        winner, why = RECIPE, f"the recipe: {leader} led the race {race} but the recipe was {label} (not decided)"
    return Verdict(race, winner, changes.get(winner, {}), why)


def config_from_search(config: Config, folder: Path) -> tuple[Config, dict]:
    """`train-final --from-search`: the recipe with the judging race's winner's settings.

    Raises:
        InputError: the search has not been judged, or its race is unfinished.
        UsageError: the recipe given is not the one the search was made with.
    """
    from mnistcnn.sweeps.recipe import recipe_differences

    info = read_search(folder)
    differences = recipe_differences(Config.from_dict(info["base_config"]), config)
    if differences:
        raise UsageError(f"{folder} searched with another recipe ({', '.join(differences[:3])}); pass the preset "
                         "and options it was made with, e.g. --preset sweep")
    judged = verdict(Path(folder) / JUDGED)
    origins = {field: f"{value}: {judged.winner}, the winner of {judged.race}" for field, value in judged.changes.items()}
    origins["judged_by"] = judged.sentence
    return config.with_changes(**judged.changes), origins


def judged_combination(experiments: Path, combination: dict) -> Verdict:
    """The judging race under `experiments/search/` that raced the sweeps' `combination` and
    chose it; InputError naming the race to run, or what the race chose instead."""
    races = sorted(Path(experiments).glob(f"search/*/{JUDGED}/sweep.json"))
    for path in races:
        judged = verdict(path.parent)
        raced = json.loads(path.read_text()).get("changes", {}).get(FROM_SWEEPS)
        if raced == combination:
            if judged.winner == FROM_SWEEPS:
                return judged
            raise InputError(f"the sweeps' combination lost its judging race: {judged.sentence}; train the "
                             f"winner with --from-search {path.parent.parent}")
    raise InputError(f"the sweeps' combination in {experiments} has not won a judging race; run `mnistcnn search "
                     "NAME` and `mnistcnn search NAME --judge` first (experiments/search/RULE.md), then "
                     "--from-search experiments/search/NAME")
