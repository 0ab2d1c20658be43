"""A smoke run of benchmarks/bench_intake.py (2,000 rows), so that it cannot rot.

No timing is asserted: only that it runs in its child processes, scores the planted
corpus and finds the Dask run equal to the local one."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_quick_run_scores_and_compares() -> None:
    pytest.importorskip("distributed")
    spec = importlib.util.spec_from_file_location("_bench_intake", ROOT / "benchmarks" / "bench_intake.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (row,) = module.run(quick=True)
    assert row["n"] == 2000 and row["rows"] == row["clustered"] + row["set_aside"]
    assert row["pair_precision"] >= 0.9 and row["pair_recall"] >= 0.9
    assert row["dask_equal"] is True
    assert row["peak_mb"] > 0
