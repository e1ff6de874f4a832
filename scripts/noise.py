"""How noisy a sweep's paired differences are, and where the noise comes from: experiments/NOISE.md.

  train-aa  trains the sweep recipe (the defaults' run) with weight seeds 0-3 on one and
            the same writer split (seed 0's) into experiments/noise/aa/: the A/A check of
            how far runs differing only in their seed disagree. 4 runs, about 2 minutes here.
  report    writes experiments/NOISE.md from saved files only: the A/A spread, the
            dispersion between splits (paired.py's statistic) over the committed sweeps,
            and which verdicts the new statistic changed against issue 25's committed
            labels (read with git from --before, a commit). Seconds.

  MNISTCNN_DATA=../shared/data/mnist python scripts/noise.py train-aa
  python scripts/noise.py report [--before 64707d0]
"""

import argparse
import csv
import io
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from mnistcnn.sweeps.paired import COLLAPSED_ERROR_RATE, DISPERSION, DISPERSION_DF, repeat_difference, sweep_spread
from mnistcnn.sweeps.report import read_results
from mnistcnn.sweeps.runs import read_outcome, write_predictions

EXPERIMENTS = Path("experiments")
AA_FOLDER = EXPERIMENTS / "noise" / "aa"
SWEEPS = ("pooling", "learning_rate", "loss", "activation", "kernel_size", "batch_size", "dropout", "filters",
          "optimizer")
AA_SEEDS = range(4)


def train_aa() -> None:
    from mnistcnn.data import read_source, split_source
    from mnistcnn.reports import evaluate
    from mnistcnn.core import atomic_write_text
    from mnistcnn.core import get_preset
    from mnistcnn.training import train

    source = read_source()
    dataset = split_source(source, 0.2, 0, "writers")
    for seed in AA_SEEDS:
        folder = AA_FOLDER / f"seed-{seed}"
        if (folder / "run.json").is_file():
            continue
        config = get_preset("sweep").with_changes(valid_split="writers", seed=seed)
        result = train(config, dataset, verbose=0)
        _, probabilities = evaluate(result.model, dataset, splits=("valid",))
        folder.mkdir(parents=True, exist_ok=True)
        write_predictions(folder, dataset.valid_index, dataset.y_valid, probabilities["valid"].argmax(axis=1),
                          dataset.valid_writer)
        atomic_write_text(folder / "run.json", json.dumps({
            "config": config.to_dict(), "split_seed": 0, "data_fingerprint": source.fingerprint,
            "training_seconds": round(result.seconds, 1)}, indent=2) + "\n")
        print(f"A/A seed {seed}: {int((probabilities['valid'].argmax(axis=1) != dataset.y_valid).sum())} errors "
              f"in {result.seconds:.0f} s", file=sys.stderr)


def aa_lines() -> list[str]:
    outcomes = {int(folder.name.split("-")[1]): read_outcome(folder) for folder in sorted(AA_FOLDER.glob("seed-*"))}
    if len(outcomes) < 2:
        return ["No A/A runs yet: `python scripts/noise.py train-aa`."]
    lines = ["| seeds | errors | only the first wrong | only the second wrong | difference | writer variance |",
             "| --- | --- | --- | --- | --- | --- |"]
    ratios = []
    for first, second in itertools.combinations(sorted(outcomes), 2):
        a, b = outcomes[first], outcomes[second]
        difference = repeat_difference(a, b)
        ratios.append(difference.total ** 2 / difference.variance)
        lines.append(f"| {first} vs {second} | {a.errors} vs {b.errors} | {int((a.wrong & ~b.wrong).sum())} "
                     f"| {int((b.wrong & ~a.wrong).sum())} | {difference.total:+d} | {difference.variance:.0f} |")
    lines += ["", f"Mean of difference² / writer variance over the {len(ratios)} pairs: **{np.mean(ratios):.2f}** "
              "(1 if the seed adds nothing beyond the images' own noise; the pairs share runs, so this is a "
              "rough figure)."]
    return lines


def dispersion_lines(experiments: Path) -> list[str]:
    lines = ["| sweep | pairs with 2+ shared repeats | spread / df (writer variance) | df |", "| --- | --- | --- | --- |"]
    total, total_df = 0.0, 0
    for name in SWEEPS:
        results = read_results(experiments / name)
        outcomes = {value: {repeat: run.outcome for repeat, run in finished.items()}
                    for value, finished in results.runs.items()}
        spread, df = sweep_spread(outcomes)
        total, total_df = total + spread, total_df + df
        pairs = sum(1 for a, b in itertools.combinations(outcomes, 2) if len(set(outcomes[a]) & set(outcomes[b])) > 1)
        lines.append(f"| {name} | {pairs} | {spread / df if df else float('nan'):.2f} | {df} |")
    lines.append(f"| **all** | | **{total / total_df:.2f}** | **{total_df}** |")
    return lines


def _summary_at(commit: str, name: str) -> dict:
    text = subprocess.run(["git", "show", f"{commit}:experiments/{name}/summary.csv"], capture_output=True,
                          text=True, check=True).stdout
    return {row["value"]: row for row in csv.DictReader(io.StringIO(text))}


def _kind(row: dict) -> str:
    if not row:
        return "absent"
    if row["label"].startswith("undecided") or row["decided"] != "True":
        return "undecided"
    return row["verdict"]


def change_lines(before: str) -> list[str]:
    kinds = []
    lines = ["| sweep | value | issue 25 (committed at " + before + ") | issue 36 (now) |", "| --- | --- | --- | --- |"]
    for name in SWEEPS:
        old = _summary_at(before, name)
        with open(EXPERIMENTS / name / "summary.csv", newline="") as stream:
            new = {row["value"]: row for row in csv.DictReader(stream)}
        for value in new:
            then = old.get(value, {}).get("label", "")
            then += "" if old.get(value, {}).get("decided", "True") == "True" else " (not decided)"
            now = new[value]["label"] + ("" if new[value]["decided"] == "True" or new[value]["label"].startswith("undecided")
                                         else " (not decided)")
            if then != now:
                lines.append(f"| {name} | {value} | {then} | {now} |")
            if _kind(old.get(value, {})) != _kind(new[value]):
                kinds.append(f"{name} {value} ({_kind(old.get(value, {}))} to {_kind(new[value])})")
    return [f"Verdicts whose kind changed (worse, tie, leader, undecided): {len(kinds)}: " + "; ".join(kinds) + ". "
            "Every other value kept its kind; its interval widened, as the statistic now counts the split's noise.",
            "", *lines]


def report(before: str, prior_experiments: Path | None) -> None:
    text = [
        "# Noise in the sweeps' paired differences (issue 36)",
        "",
        "Made by `python scripts/noise.py report --before " + before
        + (f" --prior {prior_experiments}" if prior_experiments else "") + "` from saved files; the A/A runs by "
        "`MNISTCNN_DATA=../shared/data/mnist python scripts/noise.py train-aa`. The prior's folder is a checkout "
        f"of {before} whose runs were given their data fingerprints: `git worktree add ../issue25 {before} && "
        "cd ../issue25 && MNISTCNN_DATA=../shared/data/mnist python ../main/scripts/fingerprint_runs.py`. "
        "The statistic is `src/mnistcnn/sweeps/paired.py`, the rule experiments/RULE.md.",
        "",
        "## Within one split: the A/A check",
        "",
        "The sweep recipe (the defaults' run) trained with weight seeds 0-3 on one and the same writer split "
        "(seed 0's, 11,999 images by 109 writers). A pair's difference is what the seed alone moves.",
        "",
        *aa_lines(),
        "",
        "## Between splits: the dispersion",
        "",
        "For each pair of values of a sweep, over the repeats both have, the spread of the per-repeat "
        "differences D_k about their common rate, each in units of its own writer variance (paired.py's "
        "`between_repeat_spread`): about 1 per degree of freedom if the images of each split were all the noise "
        f"there is. Pairs with a value wrong on more than {COLLAPSED_ERROR_RATE:.0%} of its images (learning rate "
        "0.1, which collapses) are left out.",
        "",
    ]
    if prior_experiments:
        text += [f"On issue 25's committed runs (`{prior_experiments}`), the figure experiments/RULE.md fixed "
                 f"before the re-runs as the prior (paired.py: {DISPERSION:.2f} on {DISPERSION_DF}):", "",
                 *dispersion_lines(prior_experiments), ""]
    text += ["On the sweeps as committed now, the race's new repeats included (each sweep pools this with the prior):",
             "", *dispersion_lines(EXPERIMENTS), "",
             "## What the new statistic changed", "",
             "Each value whose label differs from issue 25's (the leader may have changed too):", "",
             *change_lines(before), ""]
    (EXPERIMENTS / "NOISE.md").write_text("\n".join(text))
    print(EXPERIMENTS / "NOISE.md")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("train-aa", "report"))
    parser.add_argument("--before", default="64707d0", help="the commit holding issue 25's committed sweeps")
    parser.add_argument("--prior", type=Path, default=None,
                        help="a checkout's experiments/ folder of that commit, to measure the prior on")
    arguments = parser.parse_args()
    if arguments.action == "train-aa":
        train_aa()
    else:
        report(arguments.before, arguments.prior)


if __name__ == "__main__":
    main()
