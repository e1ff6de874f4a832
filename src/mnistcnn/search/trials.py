"""One worker of a search: asks the study for settings, trains each trial as a sweep run.

Every worker started on the same folder (or `--storage`) asks the same Optuna study, so
several processes, on one machine or many, share one search. A trial trains once with
seed 0 on validation split 0, as every sweep's repeat 0 did, into
`SEARCH/trials/NNNN/` with a sweep run's files, and is scored by its validation error
rate. The rule is experiments/search/RULE.md.
"""

import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from mnistcnn.core import Config
from mnistcnn.core import OverwriteRefused, UsageError
from mnistcnn.core import atomic_write_text
from mnistcnn.core import get_preset
from mnistcnn.search.report import STUDY_NAME
from mnistcnn.search.space import search_space

RESULTS_FOLDER = Path("experiments/search")
OWN_FOLDER = Path("my-experiments/search")  # a user's, beside committed searches made on other data
DEFAULT_TRIALS = 20
SAMPLER_STARTUP_TRIALS = 10  # drawn at random before TPE models the rest
PRUNER_STARTUP_TRIALS = 5  # never stopped: the median needs some trials to mean anything
PRUNER_WARMUP_EPOCHS = 1  # the first epoch's error (mid warm-up) is not judged


@dataclass(frozen=True)
class SearchPlan:
    name: str
    base: Config
    space: dict
    trials: int | None
    budget_minutes: float | None
    storage_url: str | None


def plan_search(name: str, preset: str, options: dict, trials: int | None, budget: float | None,
                storage_url: str | None) -> SearchPlan:
    """Check a search's options before anything loads.

    Raises:
        UsageError: a name that is not a folder name, an option for a searched field, or
            no validation split.
    """
    from mnistcnn.sweeps.studies import check_storage_url

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name):
        raise UsageError(f"search name '{name}' must be a folder name (letters, digits, . _ -), e.g. joint")
    space = search_space()
    given = {field: value for field, value in options.items() if value is not None}
    searched = sorted(set(given) & set(space))
    if searched:
        raise UsageError(f"--{searched[0].replace('_', '-')} is one of the settings the search chooses; leave it "
                         f"out (the search varies {', '.join(space)})")
    base = get_preset(preset)
    epochs = given.get("epochs", base.epochs)
    base = base.with_changes(**{**given, "epochs": epochs, "patience": given.get("patience", epochs)})
    if base.valid_fraction == 0:
        raise UsageError("a search scores its trials on the validation split; pass a --valid-fraction above 0, "
                         "e.g. 0.2")
    check_storage_url(storage_url)
    if trials is None and budget is None:
        trials = DEFAULT_TRIALS
    return SearchPlan(name, base, space, trials, budget, storage_url)


def search_folder(plan: SearchPlan, output_dir: Path | None, data_fingerprint: str, base: Config) -> Path:
    """OUTPUT_DIR/NAME; by default experiments/search/NAME, or the user's own
    my-experiments/search/NAME when a committed search of that name was made otherwise."""
    if output_dir is not None:
        return Path(output_dir) / plan.name
    committed = RESULTS_FOLDER / plan.name
    if _made_otherwise(committed, data_fingerprint, base, plan.space):
        return OWN_FOLDER / plan.name
    return committed


def existing_folder(plan: SearchPlan, output_dir: Path | None) -> Path:
    """The folder of a search already run: OUTPUT_DIR/NAME, or where `search_folder` put it."""
    places = [Path(output_dir) / plan.name] if output_dir is not None else [OWN_FOLDER / plan.name,
                                                                             RESULTS_FOLDER / plan.name]
    for folder in places:
        if (folder / "search.json").is_file():
            return folder
    raise UsageError(f"no search named {plan.name} in {' or '.join(map(str, places))}; run `mnistcnn search "
                     f"{plan.name}` first")


def _made_otherwise(folder: Path, data_fingerprint: str, base: Config, space: dict) -> list[str]:
    path = folder / "search.json"
    if not path.is_file():
        return []
    info = json.loads(path.read_text())
    reasons = []
    if info.get("data_fingerprint") != data_fingerprint:
        reasons.append("other data")
    if Config.from_dict(info["base_config"]) != base:
        reasons.append("another recipe")
    if info.get("space") != {field: list(values) for field, values in space.items()}:
        reasons.append("another search space")
    return reasons


def run_search(plan: SearchPlan, data_source: str | None, output_dir: Path | None, strategy_name: str,
               status) -> Path:
    """Run this worker's share of the search, then write the search's report; returns its folder."""
    import optuna

    from mnistcnn.data import read_source
    from mnistcnn.training import check_devices
    from mnistcnn.training import make_strategy
    from mnistcnn.core import resolve_precision
    from mnistcnn.search.report import write_search_report
    from mnistcnn.sweeps.runner import Splits
    from mnistcnn.sweeps.studies import describe_storage, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # our own progress lines say what it would
    strategy = make_strategy(strategy_name)
    hardware = check_devices()
    status(f"devices: {hardware['device']}")
    splits = Splits(read_source(data_source), plan.base.valid_fraction, plan.base.valid_split)
    base = plan.base.with_changes(valid_split=splits.valid_split, precision=resolve_precision(plan.base.precision))
    folder = search_folder(plan, output_dir, splits.source.fingerprint, base)
    if folder != RESULTS_FOLDER / plan.name and output_dir is None:
        status(f"note: {RESULTS_FOLDER / plan.name} holds a search made otherwise; yours goes to {folder}")
    reasons = _made_otherwise(folder, splits.source.fingerprint, base, plan.space)
    if reasons:
        raise OverwriteRefused(f"{folder} holds a search made with {' and '.join(reasons)}; give the search "
                               "another NAME or --output-dir")
    storage = open_storage(plan.storage_url, folder)
    study = optuna.create_study(
        storage=storage, study_name=STUDY_NAME, direction="minimize", load_if_exists=True,
        # Seeded by the process: two workers seeded alike would propose the same random trials.
        # constant_liar: a running trial counts as a poor result, so parallel workers spread out.
        sampler=optuna.samplers.TPESampler(multivariate=True, seed=os.getpid(), constant_liar=True,
                                           n_startup_trials=SAMPLER_STARTUP_TRIALS),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=PRUNER_STARTUP_TRIALS,
                                           n_warmup_steps=PRUNER_WARMUP_EPOCHS))
    _write_search_info(folder, plan, base, splits, describe_storage(plan.storage_url, folder), hardware)
    dataset = splits.for_seed(base.seed)
    status(f"search {plan.name}: {_describe_limits(plan)}; {dataset.describe()}; study in "
           f"{describe_storage(plan.storage_url, folder)}")
    objective = _objective(plan, base, folder, storage, study, splits, dataset, hardware, strategy, status)
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED, optuna.trial.TrialState.FAIL)
    callbacks = [optuna.study.MaxTrialsCallback(plan.trials, states=finished)] if plan.trials else []
    if plan.trials and len(study.get_trials(deepcopy=False, states=finished)) >= plan.trials:
        status(f"search {plan.name}: it already has its {plan.trials} trials")
    else:
        study.optimize(objective, timeout=plan.budget_minutes * 60 if plan.budget_minutes else None,
                       callbacks=callbacks, catch=(UsageError,))
    write_search_report(folder, study)
    return folder


def _describe_limits(plan: SearchPlan) -> str:
    limits = ([f"{plan.trials} trials"] if plan.trials else []) + (
        [f"a budget of {plan.budget_minutes:g} min"] if plan.budget_minutes else [])
    return " or ".join(limits) + f" over {', '.join(plan.space)}"


def _write_search_info(folder: Path, plan: SearchPlan, base: Config, splits, storage: str, hardware: dict):
    from mnistcnn.sweeps.runs import split_fingerprint

    folder.mkdir(parents=True, exist_ok=True)
    command = " ".join(["mnistcnn", *sys.argv[1:]]) if sys.argv[0].endswith("mnistcnn") else ""
    path = folder / "search.json"
    if path.is_file():
        return  # the first worker's record stands; later workers joined it
    atomic_write_text(path, json.dumps({
        "name": plan.name, "base_config": base.to_dict(),
        "space": {field: list(values) for field, values in plan.space.items()},
        "trials": plan.trials, "budget_minutes": plan.budget_minutes, "storage": storage,
        "data_fingerprint": splits.source.fingerprint,
        "split": split_fingerprint(splits.for_seed(base.seed).valid_index),
        "command": command, "hardware": hardware,
    }, indent=2) + "\n")


def _objective(plan, base, folder, storage, study, splits, dataset, hardware, strategy, status):
    """The function Optuna calls for each trial: train the proposed settings, return the
    validation error rate, or stop early when the pruner says so."""
    import optuna

    from mnistcnn.search.report import write_trial_log
    from mnistcnn.search.space import suggest
    from mnistcnn.sweeps.runner import execute_run
    from mnistcnn.sweeps.runs import Run
    from mnistcnn.sweeps.studies import fail_stale, heartbeat

    study_id = storage.get_study_id_from_name(study.study_name)

    def objective(trial) -> float:
        stale = fail_stale(storage, study_id)
        if stale:
            status(f"search {plan.name}: trial {', '.join(map(str, stale))} stopped beating: marked failed")
        config = base.with_changes(**suggest(trial, plan.space))
        run = Run(f"trial-{trial.number}", 0, config, folder / "trials" / f"{trial.number:04d}")
        trial.set_user_attr("run", str(run.folder.relative_to(folder)))
        pruning = _pruning_callback(trial)

        def say_epoch(epoch: int, logs: dict) -> None:
            status(f"search {plan.name} trial {trial.number} epoch {epoch + 1}/{config.epochs}: "
                   f"val_accuracy {logs.get('val_accuracy', 0):.4f}")

        with heartbeat(storage, trial._trial_id):  # Optuna names no public id for a trial
            record = execute_run(run, dataset, splits.identity(run), say_epoch, {"device": hardware.get("device", "")},
                                 strategy, callbacks=(pruning,))
        write_trial_log(run.folder)  # by this worker alone: others sharing the folder never touch it
        error_rate = record.metrics["valid"]["errors"] / len(dataset.y_valid)
        if pruning.stopped_at is not None:
            status(f"search {plan.name} trial {trial.number}: stopped by the pruner after epoch {pruning.stopped_at}")
            raise optuna.TrialPruned()
        status(f"search {plan.name} trial {trial.number}: validation error {100 * error_rate:.2f}%")
        return error_rate

    return objective


def _pruning_callback(trial):
    """A Keras callback reporting each epoch's validation error to the trial, and ending
    training when the pruner says the trial is hopeless."""
    from mnistcnn.core import import_keras

    keras = import_keras()

    class Pruning(keras.callbacks.Callback):
        stopped_at = None

        def on_epoch_end(self, epoch, logs=None):
            trial.report(1.0 - (logs or {}).get("val_accuracy", 0.0), epoch)
            if trial.should_prune():
                self.stopped_at = epoch + 1
                self.model.stop_training = True

    return Pruning()
