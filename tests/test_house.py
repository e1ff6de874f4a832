"""The house rules a reader relies on: short functions, and modules without import cycles
(counting the imports made inside functions, which a cycle hides in as easily)."""

import ast
import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SOURCE = PROJECT / "src"
LONGEST_FUNCTION = 80


def modules() -> dict[str, Path]:
    found = {}
    for path in SOURCE.rglob("*.py"):
        name = ".".join(path.relative_to(SOURCE).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def imports_of(path: Path, known: dict) -> set[str]:
    """The project's modules that `path` imports anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name in known}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module):
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            component = []
            while not component or component[-1] != module:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for module in graph:
        if module not in index:
            visit(module)
    return found


def test_no_function_is_longer_than_80_lines():
    long = [f"{path.relative_to(SOURCE)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in SOURCE.rglob("*.py") for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION]
    assert not long, "split these functions: " + "; ".join(long)


def test_no_module_imports_itself_in_a_circle():
    known = modules()
    graph = {name: imports_of(path, known) - {name} for name, path in known.items()}
    assert not cycles(graph), f"import cycles: {cycles(graph)}"


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_layers_hold():
    """pyproject.toml's import-linter contract: a family importing one above it fails here,
    with the import named."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


HELPERS = {"markdown_blocks.py", "wall_clock.py", "script_help.py"}  # imported by scripts, never run
# A sentence saying how long the script takes on these machines, from a run ("About 5 minutes
# here.", "Instant: it reads ..."), or that it was not timed and what its time is made of.
HOW_LONG = r"\b(seconds?|minutes?|hours?)\b[^.]*\bhere\b|\bInstant:|\bNot timed\b"


def test_every_script_answers_help_with_what_it_makes_and_how_long_it_takes():
    scripts = PROJECT / "scripts"
    trials = [*(PROJECT / "models").rglob("*.py"), *(PROJECT / "models").rglob("*.sh")]  # beside their rules
    for path in sorted([*scripts.glob("*.py"), *(path for path in trials if path.suffix == ".py")]):
        if path.name in HELPERS:
            continue
        text = path.read_text()
        assert "description=__doc__" in text or "answer_help(__doc__)" in text, f"{path.name}: no --help"
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert re.search(HOW_LONG, doc, flags=re.I | re.S), f"{path.name}: how long does it take here?"
    for path in sorted([*scripts.glob("*.sh"), *(path for path in trials if path.suffix == ".sh")]):
        text = path.read_text()
        assert "--help" in text and re.search(r"\b(minutes|hours?)\b", text), f"{path.name}: no --help or time"


def test_a_script_prints_its_help():
    result = subprocess.run([sys.executable, str(PROJECT / "models" / "trials" / "writers" / "writer_trials.py"),
                             "--help"],
                            capture_output=True, text=True)
    assert result.returncode == 0 and "Instant: it reads six stories" in result.stdout
    shell = subprocess.run(["bash", str(PROJECT / "scripts" / "final_models.sh"), "--help"], capture_output=True,
                           text=True)
    assert shell.returncode == 0 and "About 3.5 hours here" in shell.stdout
