"""Typed errors. The CLI maps each to a one-line message and an exit code."""


class PageOwnerError(Exception):
    """Base class of this package's errors."""

    exit_code = 2


class InputError(PageOwnerError, OSError):
    """The input cannot be opened or read (missing file, directory, corrupt archive)."""


class OutputError(PageOwnerError, OSError):
    """The output cannot be written (missing directory, disk full, same file as input)."""


class UsageError(PageOwnerError, ValueError):
    """Bad command-line options or API arguments."""

    exit_code = 1


class DumpFormatError(PageOwnerError, ValueError):
    """The input is not a page_owner dump (or show_stacks file) at all."""

    def __init__(self, message, lineno=None):
        if lineno is not None:
            message = f"line {lineno}: {message}"
        super().__init__(message)
        self.lineno = lineno
