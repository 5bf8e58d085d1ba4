"""Errors a user can act on.

Every error the workbook raises on bad input derives from :class:`WorkbookError`; the command line prints its
message (no traceback) and exits 2, and notebooks show it as one readable line.
"""

from __future__ import annotations


class WorkbookError(Exception):
    """Base class: the message alone must tell the user what was wrong and what to do."""


class UnknownAreaError(WorkbookError, KeyError):
    """An LA code (or name) that is not in the LAIT code list."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class NoDataError(WorkbookError):
    """A year, indicator or area for which the shipped data hold nothing."""


class RawFileError(WorkbookError):
    """A raw file that is missing, unreadable or not what we expect."""


class ConfigError(WorkbookError):
    """A YAML rule or scenario file that fails validation (names the file, field and line)."""
