"""The errors a user can cause. The CLI turns them into one-line messages.

All are `ValueError`s so library callers can catch them as such. Each carries the
exit code the CLI ends with, so the code lives in one place: 2 for a wrong option,
1 for a file or data set that cannot be used, 3 for results a command refused to
overwrite (scripts can tell "keep or replace?" from a failure).
"""


class UsageError(ValueError):
    """A setting or option value that cannot work, with how to fix it."""

    exit_code = 2


class InputError(ValueError):
    """A data, model or image file that cannot be read, with how to fix it."""

    exit_code = 1


class OverwriteRefused(ValueError):
    """Existing results (a model, a report, a sweep run) that this command would replace;
    the message names another output, and the flag (`--overwrite`, `--force`) that replaces."""

    exit_code = 3
