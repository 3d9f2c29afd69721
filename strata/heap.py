"""Keep freed heap memory for reuse instead of handing it back to the kernel at once.

Why: a render query allocates and frees numpy temporaries of a few hundred KB to a few MB.
glibc's malloc serves those from fresh mmaps, or trims the heap's top after each free, so
the next query touches new pages and pays a page fault for each, which on a VM costs as
much as the arithmetic.  Raising the mmap and trim thresholds to `keep` bytes makes the
process hold up to that much freed memory between queries instead.  No-op where the C
library has no mallopt (musl, macOS).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger("strata.heap")

# mallopt parameters (glibc malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
# glibc refuses an mmap threshold above HEAP_MAX_SIZE / 2 on 64-bit systems
_MMAP_THRESHOLD_MAX = 32 << 20


def keep_freed_memory(keep: int) -> bool:
    """Let the process keep up to `keep` bytes of freed heap; True if the C library took it."""
    if keep <= 0:
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):
        log.debug("no mallopt in this C library: freed memory is returned as it is by default")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    trim = mallopt(_M_TRIM_THRESHOLD, min(keep, 2**31 - 1))
    mmap = mallopt(_M_MMAP_THRESHOLD, min(keep, _MMAP_THRESHOLD_MAX))
    return bool(trim and mmap)
