"""Status lines: what the tool is doing, said in one place.

They go to standard error, so that standard output holds only results and
`--json` output stays clean when both are shown.
"""

import sys


def say(message: str) -> None:
    """One status line (or a few), on standard error, at once."""
    print(message, file=sys.stderr, flush=True)
