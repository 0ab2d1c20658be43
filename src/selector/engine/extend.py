"""Solve a formulation with extra columns and rows and another objective.

Some questions are one integer program over the model's own rules plus a little more:
the least cut in a proposal's cost at which a list holding it reaches the optimum
(:mod:`selector.engine.guess`), the least money of such a list, the list that is best in
the worst sampled scenario (:func:`selector.scenarios.robust_select`). They all keep every
row of a :class:`~selector.engine.program.Formulation`, add :class:`Columns` and
:class:`Rows`, and optimise an objective of their own; :func:`solve_extended` builds that
program and runs it through :func:`selector.engine.solve.run` with the engine's gap rules
(an integer objective is proven at the absolute gap
:data:`~selector.engine.solve.INTEGER_ABS_GAP`, never ``1 − ε``).

Examples
--------
>>> import numpy as np, scipy.sparse as sp
>>> from selector import Proposal, ProposalSet, Rules
>>> from selector.engine import Model
>>> ps = ProposalSet.from_proposals([
...     Proposal(id=str(i), domain="health", cost=c, beneficiaries=b,
...              indicators=[{"name": "served", "target": b}])
...     for i, (c, b) in enumerate([(40, 50), (50, 60), (30, 35)])])
>>> form = Model.build(ps, Rules(budget=80)).case().form
>>> money = np.array([4000.0, 5000.0, 3000.0])      # the least money serving 90 or more
>>> raw = solve_extended(form, money, maximize=False, options=SolveOptions("highs"), rows=Rows(
...     sp.csr_matrix(form.objective.reshape(1, -1)), np.array([90.0]), np.array([np.inf])))
>>> round(raw.objective)
8000
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from selector.engine.backends import MatrixModel, RawResult
from selector.engine.options import SolveOptions
from selector.engine.program import Formulation
from selector.engine.solve import INTEGER_ABS_GAP, run

__all__ = ["Columns", "Rows", "solve_extended"]


@dataclass(frozen=True)
class Columns:
    """New columns: bounds, integrality, and their coefficients in the formulation's rows
    (``in_rows``: ``rows × len(lower)``; ``None`` when they appear only in new rows)."""

    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    in_rows: sp.csr_matrix | None = None


@dataclass(frozen=True)
class Rows:
    """New rows ``lower ≤ matrix · v ≤ upper`` over every column (the formulation's, then
    the new ones)."""

    matrix: sp.csr_matrix
    lower: np.ndarray
    upper: np.ndarray


def solve_extended(form: Formulation, objective: np.ndarray, *, maximize: bool,
                   columns: Columns | None = None, rows: Rows | None = None,
                   options: SolveOptions | None = None, integral: bool = True) -> RawResult:
    """Optimise ``objective`` (over every column) subject to the rows of ``form`` and
    ``rows``, with ``form``'s columns and ``columns``.

    ``options``: the solver (default CBC, the engine's), its time limit, and the relative
    gap (default 0: proven). ``integral``: the objective takes whole values on integer
    points (proven at the absolute gap :data:`~selector.engine.solve.INTEGER_ABS_GAP`;
    else 1e-6).
    """
    options = options or SolveOptions()
    matrix = form.matrix
    col_lower, col_upper, integer = form.col_lower, form.col_upper, form.integer
    if columns is not None:
        extra = len(columns.lower)
        block = (columns.in_rows if columns.in_rows is not None
                 else sp.csr_matrix((matrix.shape[0], extra)))
        matrix = sp.hstack([matrix, block], format="csr")
        col_lower = np.concatenate([col_lower, columns.lower])
        col_upper = np.concatenate([col_upper, columns.upper])
        integer = np.concatenate([integer, columns.integer])
    row_lower, row_upper = form.row_lower, form.row_upper
    if rows is not None:
        matrix = sp.vstack([matrix, rows.matrix], format="csr")
        row_lower = np.concatenate([row_lower, rows.lower])
        row_upper = np.concatenate([row_upper, rows.upper])
    if len(objective) != matrix.shape[1]:
        raise ValueError(f"the objective needs {matrix.shape[1]} coefficients, got {len(objective)}")
    model = MatrixModel(objective=np.asarray(objective, dtype=float), matrix=matrix,
                        row_lower=row_lower, row_upper=row_upper, col_lower=col_lower,
                        col_upper=col_upper, integer=integer, maximize=maximize)
    return run(model, options.solver or "cbc", time_limit=options.time_limit,
               rel_gap=0.0 if options.gap is None else options.gap,
               abs_gap=INTEGER_ABS_GAP if integral else 1e-6)

