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
