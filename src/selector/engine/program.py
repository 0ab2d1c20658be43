"""The integer program in matrix form, and the builder the rule families write it with.

A :class:`Formulation` is solver-neutral: ``row_lower ≤ A·v ≤ row_upper`` with column
bounds and integrality, plus what the engine needs to read an answer back (which column
is which candidate) and to talk about it (which rule, :class:`Unit`, each row belongs to,
and which :class:`~selector.engine.families.RuleCheck` key it implements). The rule
families (:mod:`selector.engine.families`) add their columns and rows to a
:class:`Builder`, which assembles the sparse matrix once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["Builder", "Formulation", "Inputs", "Unit"]


@dataclass(frozen=True)
class Unit:
    """One rule as the planner wrote it: the thing the diagnosis may relax.

    Attributes
    ----------
    key:
        Stable key, e.g. ``"budget"``, ``"count.max"``, ``"groups[0]"``, ``"force_in[P7]"``.
    family:
        The rule family (registry key) the rule belongs to.
    words:
        The rule in a planner's words, e.g. "at most 5 projects".
    fact:
        A fact that helps to see a conflict, e.g. "there are 7 domains" (may be ``None``).
    structural:
        True for bookkeeping rows (auxiliary totals) that cannot conflict on their own.
    """

    key: str
    family: str
    words: Words
    fact: Words | None = None
    structural: bool = False


@dataclass(frozen=True)
class Inputs:
    """Numbers a formulation is built from (after overrides and screening)."""

    problem: Problem
    rules: Rules
    cost: np.ndarray            # int64 fen, all n proposals
    weight: np.ndarray          # float64 objective coefficient, all n proposals
    benefit: np.ndarray         # float64 beneficiaries, all n proposals
    budget_minor: int | None
    eligible: np.ndarray        # bool, all n proposals
    force_in: tuple[str, ...] = ()


@dataclass
class Formulation:
    """A maximisation MILP in matrix form.

    Attributes
    ----------
    objective:
        Coefficients of every column (maximised).
    matrix:
        ``rows × cols`` CSR constraint matrix; ``row_lower ≤ A·v ≤ row_upper``.
    row_names, row_unit, row_check:
        A stable name per row (from positions and rule names), the index into
        :attr:`units` of the rule it belongs to, and the key of the rule check it
        implements (``""`` for bookkeeping rows).
    col_lower, col_upper, integer:
        Column bounds and integrality.
    cand:
        Positions (in the proposal set) of the candidates: column k is ``x`` of ``cand[k]``.
    layout:
        ``{"x" | "pay" | "total[m]" | "cover[d]" | "start": slice}`` of the column blocks.
    pay_pairs, start_pairs:
        ``(k, p)`` for each payment column, ``(k, month)`` for each start column.
    units, col_unit:
        The rules; ``col_unit`` maps forced-in columns to their unit.
    integral_objective:
        True when every objective coefficient is an integer (gap < 1 proves optimality).
    """

    objective: np.ndarray
    matrix: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    row_names: list[str]
    row_unit: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray
    cand: np.ndarray
    layout: dict[str, slice]
    units: list[Unit]
    col_unit: dict[int, int] = field(default_factory=dict)
    pay_pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))
    start_pairs: np.ndarray = field(default_factory=lambda: np.empty((0, 2), dtype=np.int64))
    integral_objective: bool = True
    row_check: list[str] = field(default_factory=list)

    @property
    def n_x(self) -> int:
        """Number of x columns (candidates)."""
        return len(self.cand)

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, columns)."""
        return (len(self.row_names), len(self.objective))

    def is_knapsack(self) -> bool:
        """True when the model is one budget row over x only (a 0/1 knapsack)."""
        return (self.shape[1] == self.n_x and self.row_names == ["budget"]
                and not self.col_unit)

    def rows_of(self, family: str) -> np.ndarray:
        """Positions of the rows that belong to the rules of ``family``."""
        units = [u for u, unit in enumerate(self.units) if unit.family == family]
        return np.flatnonzero(np.isin(self.row_unit, units))


class Builder:
    """Collects column blocks and row blocks (COO triplets), then assembles CSR once.

    A rule family calls :meth:`unit` once per rule, then :meth:`rows` for its rows (and
    :meth:`cols` for its own columns); :meth:`fix_lower` forces x columns to 1.
    """

    def __init__(self) -> None:
        self.ncols = 0
        self.col_lo: list[np.ndarray] = []
        self.col_hi: list[np.ndarray] = []
        self.col_int: list[np.ndarray] = []
        self.obj: list[np.ndarray] = []
        self.layout: dict[str, slice] = {}
        self.nrows = 0
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.names: list[str] = []
        self.checks: list[str] = []
        self.unit_of_row: list[np.ndarray] = []
        self.units: list[Unit] = []
        self.fixed: dict[int, int] = {}
        self.pay_pairs = np.empty((0, 2), dtype=np.int64)
        self.start_pairs = np.empty((0, 2), dtype=np.int64)

    def cols(self, kind: str, count: int, lo: float, hi: float, integer: bool,
             obj: np.ndarray | None = None) -> int:
        """Add ``count`` columns named ``kind`` in the layout; returns the first column."""
        start = self.ncols
        self.col_lo.append(np.full(count, lo))
        self.col_hi.append(np.full(count, hi))
        self.col_int.append(np.full(count, integer))
        self.obj.append(np.zeros(count) if obj is None else np.asarray(obj, dtype=float))
        self.ncols += count
        self.layout[kind] = slice(start, self.ncols)
        return start

    def unit(self, key: str, family: str, words: Words, fact: Words | None = None, *,
             structural: bool = False) -> int:
        """Declare one rule; returns its index for :meth:`rows`."""
        self.units.append(Unit(key, family, words, fact, structural))
        return len(self.units) - 1

    def rows(self, names: list[str], unit: int, row: np.ndarray, col: np.ndarray,
             val: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float, *,
             check: str | list[str] = "") -> None:
        """Add ``len(names)`` rows; ``row`` indexes them from 0; ``check`` is the rule-check
        key each row implements (one for all, or one per row)."""
        m = len(names)
        if m == 0:
            return
        self.r.append(np.asarray(row, dtype=np.int64) + self.nrows)
        self.c.append(np.asarray(col, dtype=np.int64))
        self.v.append(np.asarray(val, dtype=float))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (m,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (m,)).copy())
        self.unit_of_row.append(np.full(m, unit, dtype=np.int64))
        self.names.extend(names)
        self.checks.extend([check] * m if isinstance(check, str) else check)
        self.nrows += m

    def fix_lower(self, col: int, unit: int) -> None:
        """Force x column ``col`` to 1 (a forced-in candidate), as rule ``unit``."""
        self.fixed[col] = unit

    def build(self, cand: np.ndarray) -> Formulation:
        """The assembled :class:`Formulation`."""
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return (np.concatenate(parts).astype(dtype, copy=False) if parts
                    else np.empty(0, dtype=dtype))

        matrix = sp.csr_matrix(
            (cat(self.v, float), (cat(self.r, np.int64), cat(self.c, np.int64))),
            shape=(self.nrows, self.ncols))
        matrix.sum_duplicates()
        objective = cat(self.obj, float)
        col_lower = cat(self.col_lo, float)
        for col in self.fixed:
            col_lower[col] = 1.0
        weight = objective[: len(cand)]
        return Formulation(
            objective=objective, matrix=matrix,
            row_lower=cat(self.lo, float), row_upper=cat(self.hi, float),
            row_names=self._unique(self.names), row_unit=cat(self.unit_of_row, np.int64),
            col_lower=col_lower, col_upper=cat(self.col_hi, float),
            integer=cat(self.col_int, bool), cand=cand, layout=dict(self.layout),
            units=list(self.units), col_unit=dict(self.fixed), pay_pairs=self.pay_pairs,
            start_pairs=self.start_pairs,
            integral_objective=bool(np.all(weight == np.round(weight))),
            row_check=list(self.checks))

    @staticmethod
    def _unique(names: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        out = []
        for name in names:
            k = seen.get(name, 0)
            seen[name] = k + 1
            out.append(name if k == 0 else f"{name}#{k + 1}")
        return out
