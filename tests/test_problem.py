"""The numeric view of a call: group membership of a column (``Problem.membership``),
against its meaning written again cell by cell."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from selector.datasets import generate_call
from selector.problem import Problem

_VALUE = st.one_of(st.none(), st.just(""), st.sampled_from(["a", "b", "1", "中"]),
                   st.integers(0, 2), st.just(float("nan")))


def _expected(values: list[Any], given_labels: list[str]) -> dict[str, set[int]]:
    """Label -> positions: a cell belongs to str(value) of each of its values (a tuple's
    items), missing and empty ones to nothing; the labels asked for first, then first-seen."""
    out: dict[str, set[int]] = {lab: set() for lab in dict.fromkeys(given_labels)}
    for pos, cell in enumerate(values):
        for v in (cell if isinstance(cell, tuple) else (cell,)):
            if v is None or v == "" or (isinstance(v, float) and v != v):
                continue
            out.setdefault(str(v), set()).add(pos)
    return out


@settings(max_examples=60, deadline=None)
@given(cells=st.lists(st.one_of(_VALUE, st.lists(_VALUE, max_size=3).map(tuple)),
                      min_size=1, max_size=12),
       labels=st.lists(st.sampled_from(["b", "x", "1"]), max_size=3))
def test_membership_matches_its_meaning(cells: list[Any], labels: list[str]) -> None:
    base = generate_call(len(cells), seed=1).frame.copy()
    multi = any(isinstance(c, tuple) for c in cells)
    if multi:   # a multi-valued column holds tuples in every cell
        cells = [c if isinstance(c, tuple) else (c,) for c in cells]
    base["district"] = pd.Series(cells, index=base.index, dtype=object)
    problem = Problem(SimpleNamespace(frame=base))  # type: ignore[arg-type]
    member = problem.membership("district", labels or None)
    want = _expected(cells, labels)
    assert member.labels == list(want)
    got = {lab: set(np.flatnonzero(np.asarray(member.matrix[g].todense()).ravel()).tolist())
           for g, lab in enumerate(member.labels)}
    assert got == want
