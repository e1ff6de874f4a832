"""What the search varies: the sweep catalog's fields over their sweeps' own values, and
`augment` (experiments/search/RULE.md). No TensorFlow, no Optuna at import."""

from mnistcnn.sweeps.catalog import all_sweeps

# Beyond the catalog: whether training images are randomly moved, a setting no sweep tries.
EXTRA = {"augment": (False, True)}


def search_space() -> dict:
    """{config field: the values a trial may take}, in the catalog's order."""
    return {**{sweep.field: tuple(sweep.values) for sweep in all_sweeps()}, **EXTRA}


def suggest(trial, space: dict) -> dict:
    """The settings an Optuna trial proposes: one of each field's values."""
    return {field: trial.suggest_categorical(field, list(values)) for field, values in space.items()}
