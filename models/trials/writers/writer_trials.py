"""Apply the rule of models/trials/writers/RULE.md to the stories its runs saved.

    python models/trials/writers/writer_trials.py

Reads models/trials/writers/{deep,strided}-seed-{11,12,13}.json, counts each member's
validation errors (valid images x (1 - valid accuracy), on writers its training never
saw), and writes models/trials/writers/RESULT.md: every member, each recipe's pooled
errors, and the decision, or what is still missing. Only validation figures are read:
train-final measures the test split too and its stories keep it, but the rule decides
without it, and this script never prints it.
Instant: it reads six stories. The runs themselves are `bash models/trials/writers/writer_trials.sh`.
"""

import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from mnistcnn.core import RunRecord  # noqa: E402

FOLDER = ROOT / "models" / "trials" / "writers"
RECIPES = ("deep", "strided")
SEEDS = (11, 12, 13)
# The tie-break's CPU-minutes per model, both measured on one machine in issue 7 (RULE.md's
# addendum): the members' own minutes come from two different machines and do not compare.
TIE_BREAK_MINUTES = {"deep": 5, "strided": 27}


def member_facts(story: RunRecord) -> dict:
    accuracy, images = story.accuracy("valid"), story.data.valid
    return {
        "writers": story.data.valid_writers,
        "images": images,
        "errors": round(images * (1 - accuracy)),
        "accuracy": accuracy,
        "minutes": story.training_seconds / 60,
    }



def pooled_members(stories: dict) -> tuple[list, dict, dict, list, dict]:
    """Each recipe's members, read from `stories` ({recipe: path with a `{seed}` field}).

    Returns the result table's rows (one per member found), each complete recipe's
    pooled validation errors and mean minutes, the names of the stories still missing,
    and the machines each recipe trained on, as its stories record them."""
    rows, errors, minutes, missing, machines = [], {}, {}, [], {}
    for recipe, pattern in stories.items():
        members = []
        for seed in SEEDS:
            path = Path(str(pattern).format(seed=seed))
            if not path.is_file():
                missing.append(path.name)
                continue
            story = RunRecord.from_json(json.loads(path.read_text()))
            facts = member_facts(story)
            members.append(facts)
            machines.setdefault(recipe, set()).add(story.provenance.get("device", "an unrecorded machine"))
            rows.append(f"| {recipe} | {seed} | {facts['writers']} | {facts['images']} | {facts['errors']} "
                        f"| {facts['accuracy']:.4f} | {facts['minutes']:.1f} |")
        if len(members) == len(SEEDS):
            errors[recipe] = sum(member["errors"] for member in members)
            minutes[recipe] = sum(member["minutes"] for member in members) / len(members)
    return rows, errors, minutes, missing, machines

def decide(errors: dict, minutes: dict = TIE_BREAK_MINUTES,
           minutes_source: str = "measured on one machine in issue 7") -> str:
    """The rule, word for word: fewer pooled errors wins unless within counting noise,
    then the cheaper recipe wins (by the minutes both recipes took on one machine)."""
    (first, first_errors), (second, second_errors) = errors.items()
    noise = math.sqrt(first_errors + second_errors)
    if abs(first_errors - second_errors) <= noise:
        cheaper = min(minutes, key=minutes.get)
        return (f"a tie: |{first_errors} - {second_errors}| = {abs(first_errors - second_errors)} <= "
                f"sqrt({first_errors} + {second_errors}) = {noise:.1f}, so the recipe with fewer CPU-minutes "
                f"per model ({minutes_source}) wins: **{cheaper}** ({minutes[cheaper]:.1f} min "
                f"against {max(minutes.values()):.1f})")
    winner = min(errors, key=errors.get)
    return (f"**{winner}** wins: {errors[winner]} errors against {max(errors.values())}, a difference of "
            f"{abs(first_errors - second_errors)} > sqrt({first_errors} + {second_errors}) = {noise:.1f}")


def main() -> None:
    lines = ["# deep or strided on unseen writers: the result",
             "",
             "Written by `python models/trials/writers/writer_trials.py` from the stories of the runs in "
             "[RULE.md](RULE.md), by its rule. Validation figures only.",
             "",
             "| recipe | seed | valid writers | valid images | valid errors | valid accuracy | minutes |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    rows, errors, minutes, missing, _ = pooled_members({recipe: FOLDER / f"{recipe}-seed-{{seed}}.json"
                                                        for recipe in RECIPES})
    lines += rows + [""]
    for recipe in errors:
        lines.append(f"{recipe}: {errors[recipe]} validation errors pooled over its three members, "
                     f"{minutes[recipe]:.1f} CPU-minutes per model on average.")
    lines.append("")
    if missing:
        lines.append(f"Not decided yet: {len(missing)} of {len(RECIPES) * len(SEEDS)} runs still to train "
                     f"({', '.join(missing)}); `bash models/trials/writers/writer_trials.sh` trains only those.")
    else:
        lines.append("Decision: " + decide(errors) + ".")
    text = "\n".join(lines) + "\n"
    (FOLDER / "RESULT.md").write_text(text)
    sys.stdout.write(text)


if __name__ == "__main__":
    from script_help import answer_help

    answer_help(__doc__)
    main()
