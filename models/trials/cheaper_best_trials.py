"""Apply the rule of a cheaper-`best` candidate (models/trials/CANDIDATE/RULE.md) against `strided`.

    python models/trials/cheaper_best_trials.py quarter|half

Reads the candidate's three stories in models/trials/CANDIDATE/ and the three `strided`
ones in models/trials/writers/ (the same seeds and writer-disjoint splits), pools each
recipe's validation errors, and writes models/trials/CANDIDATE/RESULT.md: every member,
the decision, and whether the candidate kept within a quarter of `strided`'s CPU-minutes.
Only validation figures are read; the stories' test figures are never printed.
Instant: it reads six stories. The runs themselves are `bash models/trials/cheaper_best_trials.sh`.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT / "models" / "trials" / "writers"))  # the rule these candidates share
from writer_trials import decide, pooled_members  # noqa: E402

TRIALS = ROOT / "models" / "trials"
CANDIDATES = ("quarter", "half")  # models/trials/cheaper_best_trials.sh trains them
TARGET_SHARE = 0.25


def result(candidate: str) -> str:
    """RESULT.md's text for `candidate`, from the stories on disk."""
    stories = {"strided": TRIALS / "writers" / "strided-seed-{seed}.json",
               candidate: TRIALS / candidate / (candidate + "-seed-{seed}.json")}
    lines = [f"# `{candidate}` against `strided` on unseen writers: the result",
             "",
             f"Written by `python models/trials/cheaper_best_trials.py {candidate}` from the stories of the runs in "
             "[RULE.md](RULE.md), by its rule. Validation figures only.",
             "",
             "| recipe | seed | valid writers | valid images | valid errors | valid accuracy | minutes |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    rows, errors, minutes, missing, machines = pooled_members(stories)
    lines += rows
    lines.append("")
    for recipe in errors:
        lines.append(f"{recipe}: {errors[recipe]} validation errors pooled over its three members, "
                     f"{minutes[recipe]:.1f} CPU-minutes per member on average.")
    lines.append("")
    if missing:
        lines.append(f"Not decided yet: {len(missing)} runs still to train ({', '.join(missing)}); "
                     f"`bash models/trials/cheaper_best_trials.sh {candidate}` trains only those.")
    else:
        # The stories say where each recipe trained (the two sets of trials ran in different sessions).
        where = "; ".join(f"{recipe}'s on {' and '.join(sorted(machines[recipe]))}" for recipe in errors)
        decision = decide(errors, minutes, where)
        share = minutes[candidate] / minutes["strided"]
        target = "within" if share <= TARGET_SHARE else "outside"
        lines.append("Decision: " + decision + ".")
        lines.append("")
        lines.append(f"`{candidate}` took {share:.0%} of `strided`'s CPU-minutes per member, {target} the "
                     f"issue's quarter ({TARGET_SHARE * minutes['strided']:.1f} minutes); minutes measured "
                     f"{where}.")
    return "\n".join(lines) + "\n"


def main() -> None:
    candidate = sys.argv[1] if len(sys.argv) > 1 else ""
    if candidate not in CANDIDATES:
        sys.exit(f"name a candidate: {' or '.join(CANDIDATES)}")
    text = result(candidate)
    (TRIALS / candidate / "RESULT.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    from script_help import answer_help

    answer_help(__doc__)
    main()
