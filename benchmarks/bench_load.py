"""Benchmark: loading proposals from CSV against plain ``pandas.read_csv``.

For each size, a call drawn by :func:`selector.datasets.generate_call` is written as a
Chinese-header CSV (as the bundled example), then read (a) by plain
``pandas.read_csv(path)`` and (b) by :func:`selector.load_proposals` (encoding and
delimiter detection, every cell validated, exact money). The target is a ratio of at
most 3. Best of ``repeat`` runs each, to damp the noise of a shared machine.

Run: ``python benchmarks/bench_load.py [n ...]``.

Recorded after the input door was hardened (#19: NFKC keys, invisible and control
characters, money grammar and ceilings, plausibility ranges, cell/header limits) and the
loader re-tuned (#18), on the shared 2-core machine (load average 5-7), readers
alternating, best of 3 (wall; CPU in brackets):

==========  ========  ==============  ===============  ===============
n           MB        pandas s        selector s       ratio
==========  ========  ==============  ===============  ===============
100,000     23        0.11 (0.08)     0.58 (0.28)      5.5 (3.6)
1,000,000   235       1.38-1.46       5.6-6.4          3.8-4.6
                      (0.68-0.70)     (2.72-3.18)      (4.0-4.5)
==========  ========  ==============  ===============  ===============

The target (at most 3× ``pandas.read_csv``) is not met. At 1,000,000 rows the selector's
CPU time is about 1.0 s reading (Arrow's CSV parser, text as ``large_string`` in 16 MB
blocks; pandas' whole read is 0.7 s) and 1.7-2.2 s validating: trimming 14 text columns
0.37 s, multi-valued columns 0.44 s (30,000 distinct target-group cells split in Python),
free text and ids 0.4 s (their Python ``str`` objects for the canonical frame), indicators
0.2 s. Before this work the same benchmark gave 3.8 (0.74 s against 2.81 s, wall, a quieter
moment of the same day) without the door checks. Where the time went instead of passes
over the text: door checks on bytes first (control and invisible characters), keys
normalised per distinct value, empty cells and the longest cell from the offsets, one hash
for id uniqueness, the cyclic GC paused while rows are built (1 s or more when the
program holds other large objects).
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


def _timed(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def run(sizes: Sequence[int] = (10_000, 100_000), repeat: int = 3) -> list[dict[str, Any]]:
    """Measure ``load_proposals`` against ``pandas.read_csv``; one row per size.

    The two readers alternate (pandas, selector, pandas, ...) so that a change in the
    machine's load hits both; each keeps its best wall time and its best CPU time.

    Returns
    -------
    list of dict
        ``n``, ``mb`` (file size), ``pandas_s``, ``selector_s`` and ``ratio`` (wall), and
        ``pandas_cpu_s``, ``selector_cpu_s`` and ``cpu_ratio`` (process CPU time, which a
        busy machine disturbs less).
    """
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"call_{n}.csv"
            save_proposals(generate_call(n, seed=7), path, headers="zh")
            plain: list[tuple[float, float]] = []
            ours: list[tuple[float, float]] = []
            for _ in range(repeat):
                plain.append(_timed(partial(pd.read_csv, path)))
                ours.append(_timed(partial(load_proposals, path)))
            wall_p, wall_o = min(w for w, _ in plain), min(w for w, _ in ours)
            cpu_p, cpu_o = min(c for _, c in plain), min(c for _, c in ours)
            rows.append({"benchmark": "load_csv", "n": n,
                         "mb": round(path.stat().st_size / 1e6, 2),
                         "pandas_s": round(wall_p, 3), "selector_s": round(wall_o, 3),
                         "ratio": round(wall_o / wall_p, 2),
                         "pandas_cpu_s": round(cpu_p, 3), "selector_cpu_s": round(cpu_o, 3),
                         "cpu_ratio": round(cpu_o / cpu_p, 2)})
    return rows


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000]
    for row in run(sizes):
        print(row)
