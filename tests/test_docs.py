"""The README as a short front page, and the docs site behind it building without a broken
link, a missing page or a command reference out of step with the commands."""

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import click

from conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
FRONT_PAGE_SECTIONS = ["## Quick start", "## A ten-minute tour on the bundled sample", "## Results", "## More"]


def test_the_readme_is_a_front_page_under_200_lines_in_its_order():
    assert len(README.splitlines()) < 200
    positions = [README.index(heading) for heading in FRONT_PAGE_SECTIONS]
    assert positions == sorted(positions)
    assert README.index("![") < positions[0]  # one picture before the set-up commands


def tour_commands() -> list[str]:
    section = README.split("## A ten-minute tour", 1)[1].split("\n## ", 1)[0]
    return [line for block in re.findall(r"```bash\n(.*?)\n```", section, flags=re.S)
            for line in block.splitlines() if line.startswith("mnistcnn ")]


def test_the_tour_runs_every_step_on_the_sample_into_ignored_places():
    from mnistcnn.cli import main

    commands = tour_commands()
    assert [shlex.split(command)[1] for command in commands] == [
        "sweep", "plot", "train-final", "evaluate", "predict", "serve"]
    for command in commands:  # every option is one the command has (parsed, not run)
        arguments = shlex.split(command)[1:]
        subcommand = main.get_command(click.Context(main), arguments[0])
        subcommand.make_context(arguments[0], arguments[1:])
        assert "--data sample" in command or arguments[0] in ("plot", "predict", "serve"), command
    written = [argument + ("/" if option != "output" else "") for command in commands
               for option, argument in re.findall(r"--(output|output-dir|report-dir) (\S+)", command)]
    ignored = subprocess.run(["git", "check-ignore", *written], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert sorted(ignored.stdout.split()) == sorted(written), "the tour writes outside git-ignored places"


def test_the_docs_site_builds_strictly(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    quiet = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # Material's notice of its successor
    result = subprocess.run([str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, env=quiet)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    reference = (tmp_path / "site" / "reference" / "index.html").read_text()
    for name in ("train-final", "sweep", "search", "predict", "serve", "export"):
        assert f"mnistcnn {name}" in reference, name  # generated from the click commands
