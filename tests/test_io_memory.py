"""Loading changes two settings of the process only while it runs
(:func:`selector.io._memory.bulk`): the garbage collector and Arrow's memory pool are
as they were afterwards, whether the load succeeded, failed or ran in several threads."""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pyarrow as pa
import pytest

from selector import InvalidInputError, load_proposals, save_proposals
from selector.datasets import generate_call
from selector.io._memory import bulk


def _pool() -> str:
    return pa.default_memory_pool().backend_name


def test_a_load_leaves_the_pool_and_the_collector_as_they_were(tmp_path: Path) -> None:
    good, bad = tmp_path / "call.csv", tmp_path / "bad.csv"
    save_proposals(generate_call(30, seed=3), good, headers="zh")
    bad.write_text("项目编号,领域,预算金额(元),预计受益人数\nP1,helth,10,5\n", encoding="utf-8")
    before = _pool()
    loaded = load_proposals(good)
    with pytest.raises(InvalidInputError):
        load_proposals(bad)
    assert (_pool(), gc.isenabled()) == (before, True)
    assert len(loaded) == 30 and loaded.frame["id"].is_unique  # made in the other pool


def test_bulk_is_reentrant_and_shared_by_threads() -> None:
    before = _pool()
    inside: list[str] = []
    gate = threading.Barrier(3)

    def work() -> None:
        with bulk():
            gate.wait()  # all three inside at once
            inside.append(_pool())
            with bulk():
                inside.append(_pool())
            gate.wait()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(inside) == 6 and len(set(inside)) == 1
    chosen = bool(os.environ.get("ARROW_DEFAULT_MEMORY_POOL"))  # the user's choice is kept
    expected = "jemalloc" if before == "mimalloc" and _has_jemalloc() and not chosen else before
    assert inside[0] == expected
    assert _pool() == before


def _has_jemalloc() -> bool:
    try:
        pa.jemalloc_memory_pool()
    except NotImplementedError:
        return False
    return True
