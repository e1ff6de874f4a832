"""The table of every committed model's runs, read from the stories beside the models.

    python scripts/model_results.py

For each `models/*.json` (a single model, or an ensemble and each of its members)
one row: seed, epochs, minutes of training, valid and test accuracy, and the
command that made it. Writes the table between the `<!-- runs -->` markers of
models/RESULTS.md, so the figures there are never typed by hand.
"""

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from markdown_blocks import replace_block  # noqa: E402


def rows_of(name: str, story: dict) -> list[str]:
    """Markdown rows for one story: its members first when it is an ensemble."""
    config = story["config"]
    recipe = f"{config['architecture']}, {config['epochs']} epochs" + (", augmented" if config.get("augment") else "")

    def row(label, seed, epochs, seconds, metrics):
        return (f"| {label} | {recipe} | {seed} | {epochs} | {seconds / 60:.1f} "
                f"| {metrics['valid']['accuracy']:.4f} | {metrics['test']['accuracy']:.4f} |")

    members = story.get("members", [])
    lines = [row(f"`{name}` member {index}", member["seed"], member["epochs_run"], member["training_seconds"],
                 member["metrics"]) for index, member in enumerate(members, start=1)]
    epochs = "-" if members else story["epochs_run"]
    seed = ", ".join(str(member["seed"]) for member in members) if members else config["seed"]
    label = f"`{name}` (ensemble of {len(members)})" if members else f"`{name}`"
    if "member_of" in story:
        label += f" ({story['member_of']})"
    lines.append(row(f"**{label}**", seed, epochs, story["training_seconds"], story["metrics"]))
    return lines


def main():
    stories = {path.stem: json.loads(path.read_text()) for path in sorted((ROOT / "models").glob("*.json"))}
    lines = ["| model | recipe | seed | epochs | minutes | valid accuracy | test accuracy |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, story in stories.items():
        lines += rows_of(name, story)
    lines.append("")
    for name, story in stories.items():
        members = story.get("members", [])
        if members:
            tests = [member["metrics"]["test"]["accuracy"] for member in members]
            lines.append(f"`{name}`: members' mean test accuracy {statistics.mean(tests):.4f} "
                         f"(std {statistics.stdev(tests):.4f}), the ensemble's {story['metrics']['test']['accuracy']:.4f}.")
        kept = f", then `{story['kept_by']}`" if "kept_by" in story else ""
        lines.append(f"`{name}`: `{story['command']}`{kept} ({story['date']}, {story['device']}, "
                     f"{story['precision']}, TensorFlow {story['versions']['tensorflow']}).")
    replace_block(ROOT / "models" / "RESULTS.md", "runs", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
