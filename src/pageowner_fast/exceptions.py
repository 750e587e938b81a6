"""The package's errors and warnings: one hierarchy, each error carrying its exit code.

The command line prints any `PageOwnerError` as one line on stderr and exits with its
``exit_code`` (docs/compatibility.md, "Exit codes"):

* 1 -- `UsageError`: bad options or arguments, in every command and in the Python API;
  `InputOpenError` / `OutputOpenError`: a file that cannot be opened (page_owner_sort's
  failed ``fopen`` exits 1 too);
* 2 -- every other error: unreadable or corrupt input (`InputError`), write errors
  (`OutputError`), an input that is neither a dump nor a show_stacks file (`DumpFormatError`).
"""
from __future__ import annotations


class PageOwnerError(Exception):
    """Base class of this package's errors."""

    exit_code: int = 2


class UsageError(PageOwnerError, ValueError):
    """Bad command-line options or API arguments."""

    exit_code = 1


class UnsupportedKeyError(UsageError):
    """A grouping the input cannot give (e.g. ``--by comm`` of a show_stacks file, which has
    no comms): an option that does not fit the input."""


class InputError(PageOwnerError, OSError):
    """The input cannot be read (read error, corrupt or truncated compressed data)."""


class InputOpenError(InputError):
    """The input cannot be opened (missing file, directory, no permission)."""

    exit_code = 1


class OutputError(PageOwnerError, OSError):
    """The output cannot be written (disk full, write error, the same file as the input)."""


class OutputOpenError(OutputError):
    """The output cannot be created (missing directory, a directory, no permission)."""

    exit_code = 1


class DumpFormatError(PageOwnerError, ValueError):
    """The input is not a page_owner dump (or show_stacks file) at all."""

    def __init__(self, message: str, lineno: int | None = None) -> None:
        if lineno is not None:
            message = f"line {lineno}: {message}"
        super().__init__(message)
        self.lineno = lineno


class PageOwnerWarning(UserWarning):
    """Something about the input worth saying (malformed blocks, options that had no
    effect); issued through `warnings` when the caller passes no reporter."""
