"""Atomic file writes and small CSV helpers shared by runs, reports and models.

Every result file is written under a hidden temporary name and renamed into
place, so an interrupted command leaves the old file or the new one, never half.
"""

import csv
import glob
import io
import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path):
    """Yield a hidden temporary path beside `path` (same suffix); rename it over `path` on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_partials(path)
    temporary = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    try:
        yield temporary
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _remove_stale_partials(path: Path) -> None:
    """Delete temporaries of `path` left by processes that were killed mid-write."""
    prefix = f".{path.stem}.partial-"
    for stale in path.parent.glob(glob.escape(prefix) + "*" + glob.escape(path.suffix)):
        owner = stale.name[len(prefix):len(stale.name) - len(path.suffix)]
        if owner.isdigit() and not process_alive(int(owner)):
            stale.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process `pid` still runs (the owner of a temporary file or a lock)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, another user's
    return True


def atomic_write_text(path: Path, text: str) -> None:
    with atomic_path(path) as temporary:
        Path(temporary).write_text(text, encoding="utf-8")


def write_csv(path: Path, rows: list[list]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def read_csv_columns(path: Path) -> dict[str, list]:
    """A CSV with a header as {column: values}, numbers as floats where they parse."""
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    columns = {name: [] for name in (rows[0].keys() if rows else [])}
    for row in rows:
        for name, value in row.items():
            try:
                columns[name].append(float(value))
            except (TypeError, ValueError):
                columns[name].append(value)
    return columns
