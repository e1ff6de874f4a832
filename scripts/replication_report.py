"""experiments/REPLICATION.md: every committed sweep's verdicts against their replicates.

Reads experiments/NAME/ (the sweep) and experiments/replication/NAME/ (`mnistcnn sweep
NAME --replicate`) for the nine sweeps, from saved files only, and judges them by the
replication rule of experiments/RULE.md (paired.py's statistic; replication.py's
checks). Seconds.

    python scripts/replication_report.py
Not timed here; short: it reads the saved runs' predictions and trains nothing.
"""

import argparse
import sys
from pathlib import Path

from mnistcnn.sweeps.replication import LEAST_INSIDE, checks, replicate_sweep, report_lines

EXPERIMENTS = Path("experiments")
SWEEPS = ("pooling", "learning_rate", "loss", "activation", "kernel_size", "batch_size", "dropout", "filters",
          "optimizer")


def report_text(experiments: Path = EXPERIMENTS) -> str:
    """REPLICATION.md's text, from the sweeps and replicates under `experiments`."""
    pairs = []
    for name in SWEEPS:
        if not (experiments / "replication" / name / "sweep.json").is_file():
            sys.exit(f"no replicate of {name}: run `mnistcnn sweep {name} --replicate` first")
        pairs += replicate_sweep(experiments / name, experiments / "replication" / name)
    result = checks(pairs)
    verdicts = [pair for pair in pairs if pair.original.verdict != "tie"]
    same_side = sum(pair.same_side for pair in verdicts)
    text = [
        "# Do the sweeps' verdicts replicate? (issue 36)",
        "",
        "Each committed sweep's values against its leader, rerun with 2 repeats at seeds 1000 and 1001: writer "
        "splits and weights its race never used (`mnistcnn sweep NAME --replicate`, in "
        "`experiments/replication/NAME/`). The replicate's estimate is its difference from the same leader on "
        "its own images, in points of validation error; its interval is the same statistic on its two repeats. "
        "The rule (experiments/RULE.md, committed before these runs): no verdict contradicted, at least "
        f"{LEAST_INSIDE:.0%} of the estimates inside the original 95% intervals, each tie's estimate within its ±D.",
        "",
        "Made by `python scripts/replication_report.py` from the saved runs (trained by "
        "`MNISTCNN_DATA=../shared/data/mnist bash scripts/run_sweeps.sh`).",
        "",
        "## The checks",
        "",
        f"- Contradicted verdicts: **{len(result['contradicted'])}**"
        + (f" ({', '.join(result['contradicted'])})" if result["contradicted"] else "") + ".",
        f"- Estimates inside the original interval: **{result['inside']} of {result['pairs']}** "
        f"({result['inside_share']:.0%}; the rule asks {LEAST_INSIDE:.0%}).",
        f"- Ties whose estimate lies within their ±D: **{result['ties_held']} of {result['ties']}**.",
        f"- Verdicts (worse or better) whose estimate has the same sign: {same_side} of {len(verdicts)}.",
        "",
        f"**The replication {'passes' if result['passed'] else 'fails'} the rule.**",
        "",
        "## Every pair",
        "",
        *report_lines(pairs),
        "",
    ]
    return "\n".join(text)


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    (EXPERIMENTS / "REPLICATION.md").write_text(report_text())
    print(EXPERIMENTS / "REPLICATION.md")


if __name__ == "__main__":
    main()
