"""Which rows are tight at a list (``selector.engine.binding``), against the module's
definition written again row by row on the dense matrix: a row ``lo ≤ a·x ≤ hi`` (the
auxiliary totals written out over the candidates) is tight when its upper side leaves no
room to add one unselected candidate that raises it, or its lower side no room to drop one
selected candidate that supports it."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import Model, Rules
from selector.datasets import generate_call
from selector.engine.binding import Tightness
from selector.rules import Count, Distinct, Eligibility, GroupRule, Pool, PoolFilter, Resource


def _rules(n: int) -> Rules:
    return Rules(budget=40_000 * n, eligibility=Eligibility(require_indicator=False),
                 completion=None,
                 pools=(Pool(name="fiscal", amount=30_000 * n),
                        Pool(name="charity", amount=10_000 * n,
                             only=PoolFilter(column="domain", values=("hardship", "migrant")))),
                 groups=(GroupRule(column="domain", max_share=0.4),
                         GroupRule(column="domain", measure="count", min_total=1),
                         GroupRule(column="district", measure="beneficiaries", max_share=0.5)),
                 distinct=(Distinct(column="district", min=2),),
                 resources=(Resource(name="staff", column="staff_months", capacity=3 * n),),
                 count=Count(min=1, max=max(2, n // 3)))


def _expected(form, x: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    a = form.matrix.toarray()
    nx = form.n_x
    over = a[:, :nx].copy()
    for name in form.layout:
        if name.startswith("total["):
            col = form.layout[name].start
            definition = a[form.row_names.index(name), :nx]
            over -= np.outer(a[:, col], definition)   # total = Σ definition·x, moved over
    sel = x > 0.5
    out = []
    for r in range(a.shape[0]):
        row = over[r]
        act = float(row @ x)
        hi, lo = form.row_upper[r], form.row_lower[r]
        grow = [v for j, v in enumerate(row) if v > 0 and not sel[j]]
        shrink = [v for j, v in enumerate(row) if v > 0 and sel[j]]
        tight = False
        if not np.any(row != 0):
            out.append(False)
            continue
        if np.isfinite(hi) and (hi - act <= 1e-9 * max(1.0, abs(hi))
                                or (grow and hi - act < min(grow))):
            tight = True
        if np.isfinite(lo) and (act - lo <= 1e-9 * max(1.0, abs(lo))
                                or (shrink and act - lo < min(shrink))):
            tight = True
        out.append(tight)
    return np.array(out, dtype=bool)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(4, 24), seed=st.integers(0, 10_000), share=st.floats(0.0, 1.0),
       data=st.data())
def test_tight_rows_match_the_definition(n: int, seed: int, share: float,
                                         data: st.DataObject) -> None:
    model = Model.build(generate_call(n, seed=seed), _rules(n))
    form = model.case().form
    nx = form.n_x
    picks = data.draw(st.lists(st.booleans(), min_size=nx, max_size=nx)) if share < 0.5 \
        else list(np.random.default_rng(seed).random(nx) < share)
    columns = np.zeros(form.shape[1])
    columns[:nx] = np.array(picks, dtype=float)
    rows = np.arange(form.shape[0])
    got = Tightness(form, columns)(rows)
    assert np.array_equal(got, _expected(form, columns[:nx]))
    # asked in any order or in part, each row is judged the same
    order = np.random.default_rng(seed).permutation(rows)
    assert np.array_equal(Tightness(form, columns)(order), got[order])
