"""Which rules are tight at the chosen list (``Selection.binding``).

A rule row ``lo ≤ a·x ≤ hi`` is *binding* when its upper side leaves no room to add any
one unselected candidate that would raise it (``hi − a·x`` smaller than that
candidate's coefficient), or its lower side leaves no room to drop any one selected
proposal that supports it; rows with auxiliary totals (shares) are judged with the
totals written out in ``x``. A pool is binding when its remaining money is less than the
cost of every unselected candidate it may pay for. Monthly schedule rows are binding when
their slack is below one fen (or one project).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.engine.formulate import Formulation

__all__ = ["binding_rows"]

_INTERNAL = ("pay[", "total[", "cover[", "start[", "spend[", "concurrent[")


def binding_rows(form: Formulation, columns: np.ndarray, case: Any,
                 payments: np.ndarray | None) -> tuple[str, ...]:
    """Names of the tight rules (see the module docstring)."""
    nx = form.n_x
    if form.shape[0] == 0:
        return ()
    x = np.rint(columns[:nx])
    a = form.matrix.tocsc()
    ax: sp.csr_matrix = a[:, :nx].tocsr()
    totals = [(name, form.layout[name].start) for name in form.layout if name.startswith("total[")]
    if totals:
        def_rows = [form.row_names.index(name) for name, _ in totals]
        m = -ax[def_rows]
        ax = sp.csr_matrix(ax + a[:, [t for _, t in totals]] @ m)
    act = ax @ x
    out: list[str] = []
    sel = x > 0.5
    for r, name in enumerate(form.row_names):
        if name.startswith(_INTERNAL) or name.startswith("distinct["):
            continue
        row = ax.getrow(r)
        cols, vals = row.indices, row.data
        if not len(cols):
            continue
        hi, lo = form.row_upper[r], form.row_lower[r]
        tight = False
        if np.isfinite(hi):
            slack = hi - act[r]
            grow = vals[(~sel[cols]) & (vals > 0)]
            tight = slack <= 1e-9 * max(1.0, abs(hi)) or (len(grow) > 0 and slack < grow.min())
        if not tight and np.isfinite(lo):
            surplus = act[r] - lo
            shrink = vals[sel[cols] & (vals > 0)]
            tight = surplus <= 1e-9 * max(1.0, abs(lo)) or (
                len(shrink) > 0 and surplus < shrink.min())
        if tight:
            out.append(name)
    out.extend(_distinct(form, columns))
    out.extend(_pools(form, case, payments, sel))
    out.extend(_schedule(form, columns))
    return tuple(out)


def _distinct(form: Formulation, columns: np.ndarray) -> list[str]:
    """A coverage rule is binding when exactly its minimum of values is covered."""
    x = np.rint(columns[: form.n_x])
    a = sp.csr_matrix(form.matrix)
    out = []
    for r, name in enumerate(form.row_names):
        if not name.startswith("distinct["):
            continue
        prefix = "cover[" + name[len("distinct["):-1] + "="
        cover = [q for q, n in enumerate(form.row_names[:r]) if n.startswith(prefix)]
        covered = int(((-a[cover][:, : form.n_x]) @ x > 0.5).sum()) if cover else 0
        if covered <= form.row_lower[r] + 0.5:
            out.append(name)
    return out


def _pools(form: Formulation, case: Any, payments: np.ndarray | None,
           sel: np.ndarray) -> list[str]:
    from selector.engine.screening import pool_eligibility, to_minor

    rules = case.rules
    if payments is None or not rules.pools or "pay" not in form.layout:
        return []
    allowed = pool_eligibility(case.inputs.problem, rules.pools)[form.cand]
    cost = case.cost[form.cand]
    out = []
    for p, pool in enumerate(rules.pools):
        room = to_minor(pool.amount) - int(payments[:, p].sum())
        could = cost[allowed[:, p] & ~sel]
        if room <= 0 or (len(could) and room < could.min()):
            out.append(f"pool[{pool.name}]")
    return out


def _schedule(form: Formulation, columns: np.ndarray) -> list[str]:
    cols = np.asarray(columns, dtype=float).copy()
    cols[form.integer] = np.rint(cols[form.integer])
    rows = [r for r, n in enumerate(form.row_names) if n.startswith(("spend[", "concurrent["))]
    if not rows:
        return []
    act = sp.csr_matrix(form.matrix)[rows] @ cols
    return [form.row_names[r] for r, v in zip(rows, act, strict=True)
            if form.row_upper[r] - v < 1.0]
