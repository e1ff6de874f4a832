"""The committed joint search's time and what its pruner stopped, read from its study.

    python scripts/benchmark_search.py

Trains nothing (a second or two here): opens experiments/search/joint/study.journal, the
Optuna study `mnistcnn search joint --budget 45` wrote, and counts its trials by state,
the wall time from the first trial's start to the last one's end, and the training
minutes of completed and pruned trials. Writes the search table in BENCHMARKS.md.
"""

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import markdown_table, replace_block  # noqa: E402

SEARCH = ROOT / "experiments" / "search" / "joint"


def minutes(trials) -> float:
    return sum((trial.datetime_complete - trial.datetime_start).total_seconds() for trial in trials) / 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.parse_args()
    import json

    import optuna
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.JournalStorage(JournalFileBackend(str(SEARCH / "study.journal")))
    trials = [trial for summary in optuna.get_all_study_summaries(storage)
              for trial in optuna.load_study(study_name=summary.study_name, storage=storage).trials]
    finished = [trial for trial in trials if trial.datetime_complete is not None]
    states = Counter(trial.state.name for trial in trials)
    wall = (max(trial.datetime_complete for trial in finished) - min(trial.datetime_start for trial in trials))
    complete = [trial for trial in finished if trial.state.name == "COMPLETE"]
    pruned = [trial for trial in finished if trial.state.name == "PRUNED"]
    info = json.loads((SEARCH / "search.json").read_text())
    rows = [["trials", len(trials)], ["completed (4 epochs)", states["COMPLETE"]],
            ["stopped by the median pruner", states["PRUNED"]],
            ["wall minutes, first start to last end", f"{wall.total_seconds() / 60:.1f}"],
            ["budget (minutes)", f"{info['budget_minutes']:g}"],
            ["mean minutes of a completed trial", f"{minutes(complete) / max(len(complete), 1):.1f}"],
            ["mean minutes of a pruned trial", f"{minutes(pruned) / max(len(pruned), 1):.1f}"]]
    text = (markdown_table(["experiments/search/joint", ""], rows) +
            f"\n\nSearch made by `{info['command']}` with two worker processes on "
            f"{info['hardware']['device']}; figures read from its study by `python scripts/benchmark_search.py`.")
    replace_block(ROOT / "BENCHMARKS.md", "search", text)
    print(text)


if __name__ == "__main__":
    main()
