"""Benchmark: loading proposals from CSV against plain ``pandas.read_csv``.

For each size, a call drawn by :func:`selector.datasets.generate_call` is written as a
Chinese-header CSV (as the bundled example), then read (a) by plain
``pandas.read_csv(path)`` and (b) by :func:`selector.load_proposals` (encoding and
delimiter detection, every cell validated, exact money). The target is a ratio of at
most 3. Best of ``repeat`` runs each, to damp the noise of a shared machine.

Run: ``python benchmarks/bench_load.py [n ...]``.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from selector import load_proposals, save_proposals
from selector.datasets import generate_call


def _best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(sizes: Sequence[int] = (10_000, 100_000), repeat: int = 3) -> list[dict[str, Any]]:
    """Measure ``load_proposals`` against ``pandas.read_csv``; one row per size.

    Returns
    -------
    list of dict
        ``n``, ``mb`` (file size), ``pandas_s``, ``selector_s`` and ``ratio``.
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"call_{n}.csv"
            save_proposals(generate_call(n, seed=7), path, headers="zh")
            plain = _best(partial(pd.read_csv, path), repeat)
            ours = _best(partial(load_proposals, path), repeat)
            rows.append({"benchmark": "load_csv", "n": n,
                         "mb": round(path.stat().st_size / 1e6, 2),
                         "pandas_s": round(plain, 3), "selector_s": round(ours, 3),
                         "ratio": round(ours / plain, 2)})
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for row in run(sizes):
        print(row)
