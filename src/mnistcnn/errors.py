"""The errors a user can cause. The CLI turns them into one-line messages.

Both are `ValueError`s so library callers can catch them as such; the CLI maps
`UsageError` to exit code 2 (a wrong option) and `InputError` to exit code 1 (a
file or data set that cannot be used).
"""


class UsageError(ValueError):
    """A setting or option value that cannot work, with how to fix it."""


class InputError(ValueError):
    """A data, model or image file that cannot be read, with how to fix it."""
