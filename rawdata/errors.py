"""The errors of data acquisition, so callers can catch one base class or a precise failure."""

from __future__ import annotations


class DatasetError(Exception):
    """Base class of every error raised by this package."""


class DownloadError(DatasetError, RuntimeError):
    """A download failed: network error, HTTP error status or a connection that dropped."""


class ChecksumError(DatasetError, RuntimeError):
    """A file's sha256 differs from the published one."""


class UnsafeArchiveError(DatasetError, ValueError):
    """An archive member would be written outside the target folder or is not a plain file."""


class CorruptArchiveError(DatasetError, ValueError):
    """An archive or compressed file is truncated, corrupt or not of the expected format."""


class DatasetLayoutError(DatasetError, ValueError):
    """A dataset folder or file does not have the expected layout or content."""


class DatasetPathError(DatasetError, ValueError):
    """A given path does not exist, is ambiguous, or is not a kind of input this package accepts."""
