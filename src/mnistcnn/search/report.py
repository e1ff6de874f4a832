"""A search's folder from its study: summary.csv, README.md and plots drawn with matplotlib
(the optimisation history, each parameter's importance, each parameter's slice).

Importance is Optuna's PED-ANOVA (Watanabe et al. 2023): how far each setting's values
among the best quarter of the completed trials differ from their spread over all of them,
as shares that sum to one. It needs no random forest (fANOVA's needs scikit-learn) and no
seed, so the same study gives the same ranking. The README puts it beside what each one-factor sweep
of the same experiments folder decided, and names where they disagree.
"""

import csv
import io
import json
import warnings
from pathlib import Path

from mnistcnn.core import atomic_write_text

TOP_QUANTILE = 0.25  # the best quarter: with tens of trials, a tenth (the default) is a handful
BEST_SHOWN = 5
# An importance this large means the setting matters to the search; a sweep that found
# its values all tied then disagrees with it (and the reverse below the small mark).
MATTERS = 0.10
HARDLY = 0.03
PLOTS = ("history.png", "slices.png", "importance.png")
STUDY_NAME = "search"  # a search's one study, in its folder's journal or its --storage


def write_search_report(folder: Path, study) -> None:
    """summary.csv, importance.json, the plots and README.md, all from the study."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    info = json.loads((folder / "search.json").read_text())
    trials = study.get_trials(deepcopy=False)
    atomic_write_text(folder / "summary.csv", _summary_csv(trials, list(info["space"])))
    importance = parameter_importance(study)
    atomic_write_text(folder / "importance.json", json.dumps(importance, indent=2) + "\n")
    _draw(study, folder, importance)
    atomic_write_text(folder / "README.md", search_readme(folder, info, trials, importance))


def replot_search(folder: Path) -> list[Path]:
    """`mnistcnn plot` on a search folder: its report redrawn from the study its search.json
    names (or the journal file beside it), and each trial's TensorBoard folder, HParams
    session included, where it has none yet; returns what it wrote."""
    import optuna

    from mnistcnn.sweeps.studies import EMBEDDED_NAME, JOURNAL_PREFIX, open_storage

    folder = Path(folder)
    info = json.loads((folder / "search.json").read_text())
    url = info.get("storage")
    # A journal named by a path relative to where the search ran, or moved with its folder:
    # the folder's own journal file is the study.
    if url is None or url.startswith(JOURNAL_PREFIX) and not Path(url[len(JOURNAL_PREFIX):]).is_file():
        url = None if (folder / EMBEDDED_NAME).is_file() else url
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(url, folder)
    study = optuna.load_study(study_name=STUDY_NAME, storage=storage)
    write_search_report(folder, study)
    logs = write_trial_logs(folder)
    return [folder / name for name in ("summary.csv", "importance.json", "README.md", *PLOTS)
            if (folder / name).is_file()] + logs


def write_trial_logs(folder: Path) -> list[Path]:
    """The `tensorboard/` of every finished trial that has none yet (`plot` on a search
    made before trials wrote their own); returns the folders written."""
    from mnistcnn.sweeps.runs import is_finished
    from mnistcnn.reports import LOG_FOLDER

    return [write_trial_log(trial) for trial in sorted(Path(folder, "trials").glob("*"))
            if not (trial / LOG_FOLDER).is_dir() and is_finished(trial)]


def write_trial_log(trial: Path) -> Path:
    """A trial's `tensorboard/`: its curves and an HParams session of its config and
    figures. Written once, by the worker that trained it: a finished trial never changes."""
    from mnistcnn.core import Config, read_csv_columns, read_sweep_run
    from mnistcnn.reports import LOG_FOLDER, write_run_logs

    record = read_sweep_run(trial)
    return write_run_logs(trial / LOG_FOLDER, read_csv_columns(trial / "history.csv"),
                          Config.from_dict(record.config), record.data.train if record.data else 0,
                          record.sweep_figures())


def completed(trials) -> list:
    from optuna.trial import TrialState

    return sorted((trial for trial in trials if trial.state == TrialState.COMPLETE),
                  key=lambda trial: (trial.value, trial.number))


def parameter_importance(study) -> dict:
    """{field: share of the error's variance it explains}, largest first; empty until two
    completed trials differ."""
    import optuna

    if len({tuple(sorted(trial.params.items())) for trial in completed(study.get_trials(deepcopy=False))}) < 2:
        return {}
    evaluator = optuna.importance.PedAnovaImportanceEvaluator(target_quantile=TOP_QUANTILE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Optuna's "experimental" notes
        return {field: round(float(share), 4) for field, share in
                optuna.importance.get_param_importances(study, evaluator=evaluator).items()}


def _summary_csv(trials, fields: list[str]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["trial", "state", "valid_error_percent", "epochs_run", "run", *fields])
    for trial in sorted(trials, key=lambda trial: trial.number):
        value = trial.value if trial.value is not None else (
            trial.intermediate_values[max(trial.intermediate_values)] if trial.intermediate_values else None)
        writer.writerow([trial.number, trial.state.name.lower(), "" if value is None else f"{100 * value:.2f}",
                         len(trial.intermediate_values), trial.user_attrs.get("run", ""),
                         *(trial.params.get(field, "") for field in fields)])
    return stream.getvalue()


def _draw(study, folder: Path, importance: dict) -> None:
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as optuna_plots

    if not completed(study.get_trials(deepcopy=False)):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        drawings = {"history.png": lambda: optuna_plots.plot_optimization_history(study, target_name="validation error"),
                    "slices.png": lambda: optuna_plots.plot_slice(study, target_name="validation error")}
        if importance:
            drawings["importance.png"] = lambda: _importance_axes(importance)
        for name, draw in drawings.items():
            axes = draw()
            figure = (axes.flat[0] if hasattr(axes, "flat") else axes).figure
            figure.savefig(folder / name, dpi=90, bbox_inches="tight", metadata={"Software": None})
            plt.close(figure)


def _importance_axes(importance: dict):
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 0.4 * len(importance) + 1))
    names = list(importance)[::-1]
    axes.barh(names, [importance[name] for name in names], color="#3b6ea8")
    axes.set_xlabel("importance to being in the best quarter of trials (PED-ANOVA)")
    axes.set_title("Which settings matter")
    return axes


def sweeps_said(experiments: Path, field: str) -> str | None:
    """What the one-factor sweep of `field` in `experiments` decided, in a few words."""
    from mnistcnn.sweeps.report import read_results

    if not (experiments / field / "sweep.json").is_file():
        return None
    results = read_results(experiments / field)
    decided = [value for value, comparison in results.comparisons.items() if comparison.verdict == "worse"]
    tied = [value for value, comparison in results.comparisons.items() if comparison.verdict != "worse"]
    words = f"leader {results.leader}"
    if decided:
        words += f"; decided worse: {', '.join(map(str, decided))}"
    if tied:
        words += f"; not told apart from it: {', '.join(map(str, tied))}"
    return words


def _agreement(share: float, said: str | None) -> str:
    if said is None:
        return "no sweep"
    all_tied = "decided worse" not in said
    if share >= MATTERS and all_tied:
        return "**disagree**: matters jointly, no value decided alone"
    if share < HARDLY and not all_tied:
        return "**disagree**: the sweep decided values apart, jointly it hardly matters"
    return "agree"


def search_readme(folder: Path, info: dict, trials, importance: dict) -> str:
    from optuna.trial import TrialState

    states = [trial.state for trial in trials]
    done = completed(trials)
    experiments = Path(folder).parents[1]
    lines = [f"# Search: {info['name']}", "",
             f"{len(trials)} trials: {states.count(TrialState.COMPLETE)} completed, "
             f"{states.count(TrialState.PRUNED)} stopped early by the pruner, "
             f"{states.count(TrialState.FAIL)} failed, {states.count(TrialState.RUNNING)} running. "
             "Each trained once (seed 0, validation split 0) with the recipe below, scored by its validation "
             "error; the rule is experiments/search/RULE.md. A best trial is a candidate, not a result: "
             "`mnistcnn search NAME --judge` races the best against the sweeps' combination and the recipe on "
             "fresh splits.", ""]
    if done:
        fields = list(info["space"])
        lines += [f"## The best {min(BEST_SHOWN, len(done))}", "",
                  "| trial | valid error % | " + " | ".join(fields) + " |",
                  "| --- | --- | " + " | ".join("---" for _ in fields) + " |"]
        lines += [f"| {trial.number} | {100 * trial.value:.2f} | "
                  + " | ".join(str(trial.params.get(field, "")) for field in fields) + " |"
                  for trial in done[:BEST_SHOWN]]
        lines.append("")
    if importance:
        lines += ["## Which settings matter", "",
                  "![importance](importance.png)", "",
                  "| setting | importance | the one-factor sweep said | |", "| --- | --- | --- | --- |"]
        for field, share in importance.items():
            said = sweeps_said(experiments, field)
            lines.append(f"| {field} | {share:.2f} | {said or 'no sweep'} | {_agreement(share, said)} |")
        lines += ["", "Importance is across the whole search's trials (pruned ones left out); a sweep's verdict is "
                  "one setting moved with the others at the recipe's values. Importance is PED-ANOVA's: how much "
                  "a setting's values in the best quarter of trials differ from all trials'. They answer different questions, "
                  "so where they disagree, the setting's effect depends on the others.", ""]
    if done:
        lines += ["![optimisation history](history.png)", "![each setting's slice](slices.png)", ""]
    lines += ["## Recipe", "", "```json", json.dumps(info["base_config"], indent=2, sort_keys=True), "```", "",
              f"Made by: `{info.get('command') or 'mnistcnn search ' + info['name']}`, "
              f"study in {info.get('storage', 'study.journal')}.", ""]
    return "\n".join(lines)
