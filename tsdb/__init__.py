"""Strata's storage engine: sharded, memory-mapped chunk files with exact bucket statistics.

Public API: `Store.open(path, StoreConfig(...))`, `Store.write`, `Store.read`, `Store.find`,
`Store.expand`, `Store.maintain`, `Store.sync`, `Store.close`.  The on-disk format is
specified in tsdb/FORMAT.md and mirrored by tsdb/format.py.
"""

from .errors import (ConfigMismatch, CorruptFile, StorageError, StoreClosed, StoreLocked,
                     UnknownFormatVersion)
from .store import Series, Store, StoreConfig, WriteResult

__all__ = ["Store", "StoreConfig", "Series", "WriteResult", "StorageError", "CorruptFile",
           "UnknownFormatVersion", "StoreLocked", "StoreClosed", "ConfigMismatch"]
