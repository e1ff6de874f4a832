"""The README's promises that can be checked without training."""

import re

from conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)


def test_quick_start_is_exactly_two_commands():
    commands = quick_start_commands()
    assert len(commands) == 2 and all("\n" not in command for command in commands)
    assert "mnistcnn train-final" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim():
    ci_script = (PROJECT_ROOT / ".ci" / "run").read_text()
    assert quick_start_commands()[1] in ci_script.splitlines()


def test_quick_start_leaves_the_committed_model_alone():
    assert "--output models/my-model.h5" in quick_start_commands()[0]


def test_every_relative_link_and_image_exists():
    targets = re.findall(r"\]\(([^)#\s]+)\)", README)
    relative = [target for target in targets if "://" not in target]
    assert relative, "the README links its committed results"
    missing = [target for target in relative if not (PROJECT_ROOT / target).exists()]
    assert not missing, missing


def test_sweep_readings_quote_the_committed_summaries():
    # Each reading's winner figure is the mean best validation accuracy in that sweep's summary.
    import csv

    for sweep, value in [("pooling", "none"), ("learning_rate", "0.001"), ("loss", "categorical_hinge"),
                         ("activation", "gelu"), ("kernel_size", "5")]:
        with open(PROJECT_ROOT / "experiments" / sweep / "summary.csv") as stream:
            rows = {row["value"]: row for row in csv.DictReader(stream)}
        measured = float(rows[value]["best_valid_accuracy_mean"])
        reading = next(line for line in README.splitlines() if line.startswith(f"| [{sweep}]"))
        quoted = [float(figure) for figure in re.findall(r"0\.9\d{3}", reading)]
        assert any(abs(figure - measured) <= 0.00006 for figure in quoted), (sweep, measured, quoted)
