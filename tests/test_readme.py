"""The README's promises, and those of the docs pages behind it, that can be checked without
training."""

import re
import shlex
import shutil

from conftest import PROJECT_ROOT, run_cli

README = (PROJECT_ROOT / "README.md").read_text()
COMMANDS_PAGE = (PROJECT_ROOT / "docs" / "commands.md").read_text()


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
    # One reading for each committed sweep, quoting what its summary decided: the leader's
    # error rate, and each other value's interval (worse by X [lo, hi]) or tie bound (±D).
    import csv

    readings = {re.match(r"\| (\w+) \(", line).group(1): line for line in COMMANDS_PAGE.splitlines()
                if re.match(r"\| \w+ \(`experiments/", line)}
    committed = sorted(path.parent.name for path in (PROJECT_ROOT / "experiments").glob("*/summary.csv"))
    assert committed and sorted(readings) == committed
    for sweep, reading in readings.items():
        with open(PROJECT_ROOT / "experiments" / sweep / "summary.csv") as stream:
            rows = list(csv.DictReader(stream))
        leader = next(row for row in rows if row["verdict"] == "leader")
        assert f"{float(leader['error_rate']):.2f}%" in reading, sweep
        for row in rows:
            if row is not leader:
                quoted = re.search(r"(\[.*?\]|±[\d.]+)", row["label"]).group(1)
                assert quoted.replace("±", "") in reading, (sweep, row["value"], quoted)


def section_commands(heading: str) -> list[str]:
    """The `mnistcnn ...` lines of the bash blocks under `heading`, comments dropped."""
    section = COMMANDS_PAGE.split(heading, 1)[1].split("\n## ", 1)[0]
    lines = [line.split("  #")[0].strip() for block in re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
             for line in block.splitlines()]
    return [line for line in lines if line.startswith("mnistcnn ")]


def test_no_path_leads_out_of_the_repository():
    for page in [PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").glob("*.md")]:
        assert "../" not in page.read_text(), page


def test_the_predict_examples_run_as_written(tmp_path, monkeypatch):
    """In a copy of what a fresh clone has: the example digits and the committed model."""
    shutil.copytree(PROJECT_ROOT / "examples", tmp_path / "examples")
    (tmp_path / "models").mkdir()
    for name in ("mnistcnn.h5", "mnistcnn.json"):
        shutil.copy(PROJECT_ROOT / "models" / name, tmp_path / "models")
    monkeypatch.chdir(tmp_path)
    commands = [command for command in section_commands("## `mnistcnn predict") if "--kaggle-csv" not in command]
    assert len(commands) == 3
    results = [run_cli(*shlex.split(command)[1:]) for command in commands]
    for command, result in zip(commands, results):
        assert result.exit_code == 0 and result.stdout, (command, result.output)
    assert results[0].stdout.startswith("examples/digits/digit-7.png: 7 (")
    assert (tmp_path / "seen").is_dir()
