"""Giving memory back to the system between photos.

Photos of many different sizes leave the C heap fragmented: glibc keeps freed blocks of one
photo's size for later, and the next photo, of another size, cannot use all of them, so a long
batch of varied photos slowly grows (measured with ``bench/batch_memory.py``).  Asking glibc to
return its free pages after each photo keeps the level flat.  Elsewhere this does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.lru_cache(maxsize=1)
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_freed_memory() -> None:
    """Hand the allocator's free pages back to the system (glibc; a few ms)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
