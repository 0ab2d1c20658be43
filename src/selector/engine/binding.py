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
    judged only when asked (``tightness(rows)`` gives a mask over ``rows``), all the asked
    rows at once: at 100,000 proposals judging them one by one, over the whole matrix with
    the totals written out, took 0.15 s of a 0.4 s call."""

    def __init__(self, form: Formulation, columns: np.ndarray) -> None:
        self.form = form
        nx = form.n_x
        self.x = np.rint(columns[:nx])
        self.sel = self.x > 0.5
        self.a = form.matrix.tocsr()
        totals = [(name, form.layout[name].start) for name in form.layout
                  if name.startswith("total[")]
        #: the columns of the auxiliary totals, and their defining rows over the candidates
        self.total_cols = np.array([c for _, c in totals], dtype=np.int64)
        def_rows = [form.row_names.index(name) for name, _ in totals]
        self.totals_x = -self.a[def_rows][:, :nx] if totals else None

    def rows_over_candidates(self, rows: np.ndarray) -> sp.csr_matrix:
        """The rows ``rows`` as sums over the candidates, totals written out."""
        nx = self.form.n_x
        part = self.a[rows]
        out = part[:, :nx]
        if self.totals_x is not None:
            out = out + part[:, self.total_cols] @ self.totals_x
        out = sp.csr_matrix(out)
        out.sum_duplicates()
        out.eliminate_zeros()
        return out

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros(0, dtype=bool)
        m = self.rows_over_candidates(rows)
        act = m @ self.x
        lengths = np.diff(m.indptr)
        owner = np.repeat(np.arange(len(rows)), lengths)
        positive = m.data > 0
        chosen = self.sel[m.indices]

        def least(mask: np.ndarray) -> np.ndarray:
            """Per row: the least entry in ``mask`` (``inf`` when none: the entries are
            finite coefficients)."""
            low = np.full(len(rows), np.inf)
            np.minimum.at(low, owner[mask], m.data[mask])
            return low

        grow = least(~chosen & positive)
        shrink = least(chosen & positive)
        hi, lo = self.form.row_upper[rows], self.form.row_lower[rows]
        with np.errstate(invalid="ignore"):
            slack, surplus = hi - act, act - lo
            upper = np.isfinite(hi) & ((slack <= 1e-9 * np.maximum(1.0, np.abs(hi)))
                                       | (np.isfinite(grow) & (slack < grow)))
            lower = np.isfinite(lo) & ((surplus <= 1e-9 * np.maximum(1.0, np.abs(lo)))
                                       | (np.isfinite(shrink) & (surplus < shrink)))
        tight: np.ndarray = (lengths > 0) & (upper | lower)
        return tight


def binding_keys(form: Formulation, columns: np.ndarray, outcome: Outcome) -> tuple[str, ...]:
    """Keys of the rule checks that are tight at the optimum, in the families' order."""
    if form.shape[0] == 0:
        return ()
    tight = Tightness(form, columns)
    keys = [key for family in active_families(outcome.rules)
            for key in family.binding(form, tight, columns, outcome)]
    return tuple(dict.fromkeys(keys))
