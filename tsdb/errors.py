"""The storage engine's exceptions: one base class, one subclass per kind of failure.

Each message names the file or setting at fault so an operator can act on one log line.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error the storage engine raises on purpose."""


class CorruptFile(StorageError):
    """A file's bytes do not match tsdb/FORMAT.md."""

    def __init__(self, path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"corrupt file {self.path}: {reason}")


class UnknownFormatVersion(CorruptFile):
    """A file written by a format version this build does not know."""

    def __init__(self, path, version, known):
        self.version = version
        super().__init__(path, f"unknown format version {version} (this build reads {known})")


class StoreLocked(StorageError):
    """Another writer owns the data directory."""

    def __init__(self, path, holder: str):
        self.path = str(path)
        super().__init__(
            f"data directory {self.path} is locked by another writer ({holder}); "
            "only one strata process may write to a data directory")


class StoreClosed(StorageError):
    """The store was used after close()."""


class ConfigMismatch(StorageError):
    """A setting conflicts with what the data directory was created with."""
