"""Which rules are tight at the chosen list (``Selection.binding``).

The answer is a tuple of :class:`~selector.engine.families.RuleCheck` keys, asked of each
rule family (:meth:`~selector.engine.families.Family.binding`). By default a family's
check is tight when one of its rows is: a row ``lo ≤ a·x ≤ hi`` is *tight* when its upper
side leaves no room to add any one unselected candidate that would raise it
(``hi − a·x`` smaller than that candidate's coefficient), or its lower side leaves no
room to drop any one selected proposal that supports it; rows with auxiliary totals
(shares) are judged with the totals written out in ``x``. Families whose limits are not
plain rows say themselves (a pool: its money left is less than the cost of every
unselected candidate it may pay for; a coverage rule: exactly its minimum covered; a
monthly cap: less than one fen, or one project, left in its busiest month).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from selector.engine.families import active_families
from selector.engine.families.base import Outcome
from selector.engine.program import Formulation

__all__ = ["Tightness", "binding_keys"]


class Tightness:
    """Which rows of ``form`` are tight at ``columns`` (see the module docstring); rows are
    judged only when asked (``tightness(rows)`` gives a mask over ``rows``)."""

    def __init__(self, form: Formulation, columns: np.ndarray) -> None:
        self.form = form
        nx = form.n_x
        self.x = np.rint(columns[:nx])
        a = form.matrix.tocsc()
        ax: sp.csr_matrix = a[:, :nx].tocsr()
        totals = [(name, form.layout[name].start) for name in form.layout
                  if name.startswith("total[")]
        if totals:
            def_rows = [form.row_names.index(name) for name, _ in totals]
            ax = sp.csr_matrix(ax + a[:, [t for _, t in totals]] @ (-ax[def_rows]))
        self.ax = ax
        self.act = ax @ self.x
        self.sel = self.x > 0.5

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return np.array([self._tight(int(r)) for r in rows], dtype=bool)

    def _tight(self, r: int) -> bool:
        form = self.form
        row = self.ax.getrow(r)
        cols, vals = row.indices, row.data
        if not len(cols):
            return False
        hi, lo = form.row_upper[r], form.row_lower[r]
        if np.isfinite(hi):
            slack = hi - self.act[r]
            grow = vals[(~self.sel[cols]) & (vals > 0)]
            if slack <= 1e-9 * max(1.0, abs(hi)) or (len(grow) > 0 and slack < grow.min()):
                return True
        if np.isfinite(lo):
            surplus = self.act[r] - lo
            shrink = vals[self.sel[cols] & (vals > 0)]
            return bool(surplus <= 1e-9 * max(1.0, abs(lo)) or (
                len(shrink) > 0 and surplus < shrink.min()))
        return False


def binding_keys(form: Formulation, columns: np.ndarray, outcome: Outcome) -> tuple[str, ...]:
    """Keys of the rule checks that are tight at the optimum, in the families' order."""
    if form.shape[0] == 0:
        return ()
    tight = Tightness(form, columns)
    keys = [key for family in active_families(outcome.rules)
            for key in family.binding(form, tight, columns, outcome)]
    return tuple(dict.fromkeys(keys))
