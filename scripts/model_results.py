"""The table of every committed model's runs, read from the stories beside the models.

    python scripts/model_results.py

For each committed model named in COMMITTED (a single model, or an ensemble and each
of its members) one row: seed, epochs, minutes of training, valid and test accuracy, and the
command that made it. Then each ensemble tried, named in TRIALS: its
validation split, its members' valid accuracy and loss and test accuracy, and every
recipe's mean member validation accuracy over all its runs (what a recipe is chosen
by). Writes the two tables between the `<!-- runs -->` and `<!-- trials -->` markers
of models/RESULTS.md, so the figures there are never typed by hand. Models of your own
saved under models/ stay out of it: only the models named here are covered.
Instant: it reads the stories.
"""

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import replace_block  # noqa: E402
from mnistcnn.core import RunRecord  # noqa: E402

# The stories (models/NAME.json) the tables cover, committed models first, then the tried ensembles.
COMMITTED = ("mnistcnn-ensemble", "mnistcnn")
TRIALS = ("deep-ensemble-of-3", "best-split-3", "strided-ensemble-of-3", "strided-split-3")


def read_stories(folder: Path, names) -> dict[str, RunRecord]:
    return {name: RunRecord.from_json(json.loads((folder / f"{name}.json").read_text())) for name in names}


def recipe_of(config: dict) -> str:
    """A recipe in a few words: network, schedule length, augmentation."""
    return f"{config['architecture']}, {config['epochs']} epochs" + (", augmented" if config.get("augment") else "")


def rows_of(name: str, story: RunRecord) -> list[str]:
    """Markdown rows for one story: its members first when it is an ensemble."""
    config = story.config
    recipe = recipe_of(config)

    def row(label, seed, epochs, seconds, metrics):
        # A model trained on all 60,000 training images (--valid-fraction 0) has no validation figures.
        valid = f"{metrics['valid']['accuracy']:.4f}" if "valid" in metrics else "- (trained on all)"
        return (f"| {label} | {recipe} | {seed} | {epochs} | {seconds / 60:.1f} "
                f"| {valid} | {metrics['test']['accuracy']:.4f} |")

    members = story.members
    lines = [row(f"`{name}` member {index}", member.seed, member.epochs_run, member.training_seconds,
                 member.metrics) for index, member in enumerate(members, start=1)]
    epochs = "-" if members else story.epochs_run
    seed = ", ".join(str(member.seed) for member in members) if members else config["seed"]
    label = f"`{name}` (ensemble of {len(members)})" if members else f"`{name}`"
    if "member_of" in story.provenance:
        label += f" ({story.provenance['member_of']})"
    lines.append(row(f"**{label}**", seed, epochs, story.training_seconds, story.metrics))
    return lines


def trial_row(name: str, story: RunRecord) -> str:
    """One Markdown row for a tried ensemble: the figures a recipe was judged by, then its test."""
    def figures(split, measure):
        return ", ".join(f"{member.metrics[split][measure]:.4f}" for member in story.members)

    return (f"| `{name}` | {recipe_of(story.config)} | {story.config['seed']} "
            f"| {', '.join(str(member.seed) for member in story.members)} "
            f"| {figures('valid', 'accuracy')} | {figures('valid', 'loss')} | {story.accuracy('valid'):.4f} "
            f"| {figures('test', 'accuracy')} | {story.accuracy('test'):.4f} "
            f"| {story.training_seconds / 60:.1f} |")


def recipe_means(ensembles: dict) -> list[str]:
    """Each recipe's members' mean last-epoch validation accuracy over every split it was run on."""
    by_recipe = {}
    for story in ensembles.values():
        settings = {key: value for key, value in story.config.items() if key != "seed"}
        label = recipe_of(settings)
        by_recipe.setdefault(json.dumps(settings, sort_keys=True), (label, []))[1].extend(story.members)
    lines = []
    for label, members in by_recipe.values():
        accuracies = [member.accuracy("valid") for member in members]
        lines.append(f"{label}: members' mean valid accuracy {statistics.mean(accuracies):.5f} over "
                     f"{len(members)} members (seeds {', '.join(str(member.seed) for member in members)}).")
    return lines


def trials_table(committed: dict, root: Path) -> str:
    """The tried ensembles, with the committed one, and each recipe's mean over all of them."""
    ensembles = {f"trials/{name}": story for name, story in read_stories(root / "models" / "trials", TRIALS).items()}
    # The committed ensemble joins the comparison when it kept a validation split to compare on.
    ensembles = {**{name: story for name, story in committed.items()
                    if story.members and "valid" in story.metrics}, **ensembles}
    lines = ["| ensemble | recipe | valid split (seed) | member seeds | members' valid accuracy "
             "| members' valid loss | ensemble valid accuracy | members' test accuracy "
             "| ensemble test accuracy | minutes |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    lines += [trial_row(name, story) for name, story in ensembles.items()]
    return "\n".join(lines + [""] + recipe_means(ensembles))


def runs_table(stories: dict) -> str:
    """Every committed model's runs, then each one's mean and the command that made it."""
    lines = ["| model | recipe | seed | epochs | minutes | valid accuracy | test accuracy |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, story in stories.items():
        lines += rows_of(name, story)
    lines.append("")
    for name, story in stories.items():
        if story.members:
            tests = [member.accuracy("test") for member in story.members]
            lines.append(f"`{name}`: members' mean test accuracy {statistics.mean(tests):.4f} "
                         f"(std {statistics.stdev(tests):.4f}), the ensemble's {story.accuracy('test'):.4f}.")
        made = story.provenance
        kept = f", then `{made['kept_by']}`" if "kept_by" in made else ""
        lines.append(f"`{name}`: `{made['command']}`{kept} ({made['date']}, {made['device']}, "
                     f"{story.precision}, TensorFlow {made['versions']['tensorflow']}).")
    return "\n".join(lines)


def blocks(root: Path = ROOT) -> dict[str, str]:
    """The text of each marked block of models/RESULTS.md, from the named stories on disk."""
    stories = read_stories(root / "models", COMMITTED)
    return {"runs": runs_table(stories), "trials": trials_table(stories, root)}


def main():
    for name, text in blocks().items():
        replace_block(ROOT / "models" / "RESULTS.md", name, text)
        print(text + "\n")


if __name__ == "__main__":
    from script_help import answer_help  # a script run from scripts/ has it on its path

    answer_help(__doc__)
    main()
