"""How the loaders use memory while a large table is read and checked: :func:`bulk`.

Three settings of the process are changed for the duration of a load, and restored
however it ends:

- the cyclic garbage collector is paused: a million rows of tuples and strings hold no
  reference cycles, and each collection would walk every object the program holds (a
  second or more on a large call);
- Arrow allocates from its bundled jemalloc instead of its default mimalloc. mimalloc
  hands freed pages back to the operating system at once, and the next allocation
  faults them in again: in a fresh process, loading a million rows spent 1-2 s of
  kernel time that way (3.0-4.0 s in all, against 2.2-2.3 s with jemalloc, on the
  shared 2-core machine; a warm process is ~0.1 s slower with jemalloc). mimalloc's
  first large allocations then fall to whatever comes next (the engine paid up to 0.5 s
  of it), yet a whole budget-only call of 1M rows in one process still took 3.1-3.8 s
  against 4.2-4.7 s without the switch. Arrays keep the pool that made them, so
  switching back afterwards is safe. Nothing is switched when the user chose a pool
  (``ARROW_DEFAULT_MEMORY_POOL``), when the default is not mimalloc, or when pyarrow
  was built without jemalloc;
- numpy stops asking the kernel for transparent huge pages (``madvise``) for its large
  arrays. A load makes and drops a few hundred arrays of 1-8 MB; where the kernel
  compacts memory to serve huge pages on demand (``defrag=madvise``, as on the shared
  machine), that cost 0.5-1.0 s of kernel time in a load of a million rows, against
  0.1-0.2 s with plain pages (the checks after the Arrow read: 0.45 s of kernel time
  down to 0.1 s). numpy's own switch (``NUMPY_MADVISE_HUGEPAGE``) is left alone when
  the user set it.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pyarrow as pa

__all__ = ["bulk"]


class _PoolSwitch:
    """Arrow's default memory pool set to jemalloc and numpy's huge pages off while at
    least one load runs (loads in several threads share one switch: the last to finish
    restores both)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._before: pa.MemoryPool | None = None
        self._huge_before: bool | None = None

    def enter(self) -> None:
        with self._lock:
            self._users += 1
            if self._users == 1:
                if (pool := _bulk_pool()) is not None:
                    self._before = pa.default_memory_pool()
                    pa.set_memory_pool(pool)
                if (huge := _huge_page_switch()) is not None:
                    self._huge_before = bool(huge(False))

    def leave(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                if self._before is not None:
                    pa.set_memory_pool(self._before)
                    self._before = None
                if self._huge_before is not None and (huge := _huge_page_switch()):
                    huge(self._huge_before)
                    self._huge_before = None


def _bulk_pool() -> pa.MemoryPool | None:
    """jemalloc, when Arrow's pool is mimalloc by default (not by the user's choice)."""
    if os.environ.get("ARROW_DEFAULT_MEMORY_POOL") or \
            pa.default_memory_pool().backend_name != "mimalloc":
        return None
    try:
        return pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc (e.g. on Windows)
        return None


def _huge_page_switch() -> Callable[[bool], bool] | None:
    """numpy's switch of ``madvise(MADV_HUGEPAGE)`` for large arrays (it returns the
    previous setting), unless the user set ``NUMPY_MADVISE_HUGEPAGE`` or this numpy has
    none (it is documented with that variable, and only on Linux)."""
    if os.environ.get("NUMPY_MADVISE_HUGEPAGE"):
        return None
    switch: Callable[[bool], bool] | None = getattr(
        getattr(getattr(np, "_core", None), "multiarray", None), "_set_madvise_hugepage", None)
    return switch


_POOL = _PoolSwitch()


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector, let Arrow allocate from jemalloc and numpy
    without huge pages (see the module docstring) for the duration of the block;
    re-entrant.

    >>> import gc
    >>> with bulk():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
    """
    was_enabled = gc.isenabled()
    gc.disable()
    _POOL.enter()
    try:
        yield
    finally:
        _POOL.leave()
        if was_enabled:
            gc.enable()
