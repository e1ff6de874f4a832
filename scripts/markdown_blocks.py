"""Filling a marked block of a Markdown file, so committed tables come from scripts, not hands."""

import re
from pathlib import Path


def replace_block(path: Path, name: str, text: str) -> None:
    """Put `text` between the file's `<!-- name -->` and `<!-- /name -->` markers; prose stays."""
    document = path.read_text()
    pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", flags=re.S)
    if not pattern.search(document):
        raise ValueError(f"{path} has no <!-- {name} --> ... <!-- /{name} --> block to fill; add one")
    path.write_text(pattern.sub(lambda match: match.group(1) + text + "\n" + match.group(2), document))


def markdown_table(header: list[str], rows: list[list]) -> str:
    """A Markdown table: the header, its rule, then one line per row of already formatted cells."""
    lines = [header, ["---"] * len(header), *rows]
    return "\n".join("| " + " | ".join(str(cell) for cell in line) + " |" for line in lines)
