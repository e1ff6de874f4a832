"""`--help` for the scripts that take their arguments plainly: their docstring, which says
what the script makes, how it is run and how long it takes here."""

import sys


def answer_help(doc: str) -> None:
    """Print `doc` and exit when the command line asks for help."""
    if any(argument in ("-h", "--help") for argument in sys.argv[1:]):
        print(doc.strip())
        sys.exit(0)
