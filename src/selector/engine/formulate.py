r"""The integer program, in a solver-neutral matrix form.

Decision variables::

    x_k ∈ {0, 1}                 fund candidate k (only candidates get a variable)
    y_kp ≥ 0                     fen paid by pool p for candidate k (only with > 6 pools)
    T_m ≥ 0                      selected total of measure m (one per measure used by a share)
    z_v ∈ {0, 1}                 value v of a distinct-coverage column is covered
    s_km ∈ {0, 1}                candidate k starts in month m (monthly schedule only)

Objective::

    max Σ_k w_k · x_k            w: beneficiaries, × completion probability, or weighted columns

Constraints (row names in brackets; every row is built from numpy arrays in one go)::

    Σ_k c_k x_k ≤ B                                         [budget]
    Σ_{k: pools(k) ⊆ S} c_k x_k ≤ Σ_{p∈S} A_p  ∀ pool sets S  [pool[a+b]]   (≤ 6 pools)
    Σ_p y_kp − c_k x_k = 0                    ∀ k           [pay[k]]      (more pools)
    Σ_k y_kp ≤ A_p                            ∀ p           [pool[name]]  (more pools)
    Σ_k r_k x_k ≤ R                                         [resource[name]]
    T_m − Σ_k m_k x_k = 0                                   [total[measure]]
    q·Σ_{k∈G} m_k x_k − p·T_m ≤ 0  (≥ 0 for a floor)  ∀ G   [share_max[col=G]], [share_min[col=G]]
    L ≤ Σ_{k∈G} m_k x_k ≤ U                   ∀ G           [total_max[col=G]], [total_min[col=G]]
    z_v − Σ_{k∈v} x_k ≤ 0,  Σ_v z_v ≥ D                     [cover[col=v]], [distinct[col]]
    Σ_k x_k ≥ N_min,  Σ_k x_k ≤ N_max                       [count_min], [count_max]
    x_a − x_b ≤ 0  (a requires b)                           [requires[a->b]]
    x_a + x_b ≤ 1  (a excludes b)                           [excludes[a|b]]
    Σ_{k∈V} x_k ≤ 1                           ∀ variant V   [variant[V]]
    Σ_m s_km − x_k = 0                        ∀ k           [start[k]]
    Σ_{k,m: m≤t<m+d_k} (c_k/d_k) s_km ≤ S     ∀ month t     [spend[month=t]]
    Σ_{k,m: m≤t<m+d_k} s_km ≤ K               ∀ month t     [concurrent[month=t]]

Pools: with up to six pools, Hall's condition (one row per set of pools) replaces the
payment variables — exactly equivalent by the supply–demand theorem, and much smaller;
the exact payment plan (integer fen) is computed after the solve.
A share cap is written against one auxiliary total ``T_m`` (one dense row per measure)
so that each group row holds only that group's members: the rows stay sparse at scale.
The share s = p/q is the fraction its decimal text says (0.7 = 7/10), so a row in fen or
counts holds whole numbers and a list exactly at the cap stays feasible.
Forced-in candidates get the lower bound 1. Row names are our own (for ``binding`` and
the diagnosis); solvers only see positions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from selector.problem import Problem
from selector.rules import GroupRule, Rules, exact_share

__all__ = ["Formulation", "Inputs", "Unit", "formulate"]

INF = math.inf

#: A share whose exact fraction has a denominator up to this is written in whole numbers
#: (den·part − num·total ≤ 0); finer shares keep the decimal coefficient.
SHARE_DENOMINATOR_MAX = 1000


@dataclass(frozen=True)
class Unit:
    """One rule as the planner wrote it: the thing the diagnosis may relax.

    Attributes
    ----------
    key:
        Stable key, e.g. ``"budget"``, ``"count.max"``, ``"groups[0]"``, ``"force_in[P7]"``.
    words:
        The rule in a planner's words, e.g. ``"at most 5 projects"``.
    fact:
        A fact that helps to see a conflict, e.g. ``"there are 7 domains"`` (may be empty).
    """

    key: str
    words: str
    fact: str = ""


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
    row_names, row_unit:
        A stable name per row and the index into :attr:`units` of the rule it belongs to.
    col_lower, col_upper, integer:
        Column bounds and integrality.
    cand:
        Positions (in the proposal set) of the candidates: column k is ``x`` of ``cand[k]``.
    layout:
        ``{"x" | "pay" | "total" | "cover" | "start": slice}`` of the column blocks.
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


class _Builder:
    """Collects column blocks and row blocks (COO triplets), then assembles CSR once."""

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
        self.unit_of_row: list[np.ndarray] = []
        self.units: list[Unit] = []

    def cols(self, kind: str, count: int, lo: float, hi: float, integer: bool,
             obj: np.ndarray | None = None) -> int:
        start = self.ncols
        self.col_lo.append(np.full(count, lo))
        self.col_hi.append(np.full(count, hi))
        self.col_int.append(np.full(count, integer))
        self.obj.append(np.zeros(count) if obj is None else np.asarray(obj, dtype=float))
        self.ncols += count
        self.layout[kind] = slice(start, self.ncols)
        return start

    def unit(self, key: str, words: str, fact: str = "") -> int:
        self.units.append(Unit(key, words, fact))
        return len(self.units) - 1

    def rows(self, names: list[str], unit: int | np.ndarray, row: np.ndarray, col: np.ndarray,
             val: np.ndarray, lo: np.ndarray | float, hi: np.ndarray | float) -> None:
        """Add ``len(names)`` rows; ``row`` indexes them from 0."""
        m = len(names)
        if m == 0:
            return
        self.r.append(np.asarray(row, dtype=np.int64) + self.nrows)
        self.c.append(np.asarray(col, dtype=np.int64))
        self.v.append(np.asarray(val, dtype=float))
        self.lo.append(np.broadcast_to(np.asarray(lo, dtype=float), (m,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, dtype=float), (m,)).copy())
        self.unit_of_row.append(np.broadcast_to(np.asarray(unit, dtype=np.int64), (m,)).copy())
        self.names.extend(names)
        self.nrows += m

    def build(self, cand: np.ndarray) -> Formulation:
        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts).astype(dtype) if parts else np.empty(0, dtype=dtype)

        matrix = sp.csr_matrix(
            (cat(self.v, float), (cat(self.r, np.int64), cat(self.c, np.int64))),
            shape=(self.nrows, self.ncols))
        matrix.sum_duplicates()
        return Formulation(
            objective=cat(self.obj, float), matrix=matrix,
            row_lower=cat(self.lo, float), row_upper=cat(self.hi, float),
            row_names=self._unique(self.names), row_unit=cat(self.unit_of_row, np.int64),
            col_lower=cat(self.col_lo, float), col_upper=cat(self.col_hi, float),
            integer=cat(self.col_int, bool), cand=cand, layout=dict(self.layout),
            units=list(self.units))

    @staticmethod
    def _unique(names: list[str]) -> list[str]:
        seen: dict[str, int] = {}
        out = []
        for name in names:
            k = seen.get(name, 0)
            seen[name] = k + 1
            out.append(name if k == 0 else f"{name}#{k + 1}")
        return out


def formulate(inputs: Inputs) -> Formulation:
    """Build the whole model from :class:`Inputs` (one small function per family)."""
    cand = np.flatnonzero(inputs.eligible)
    b = _Builder()
    weight = inputs.weight[cand]
    b.cols("x", len(cand), 0.0, 1.0, True, weight)
    _budget(b, inputs, cand)
    pay_pairs = _pools(b, inputs, cand)
    _resources(b, inputs, cand)
    _groups(b, inputs, cand)
    _distinct(b, inputs, cand)
    _count(b, inputs, cand)
    _relations(b, inputs, cand)
    start_pairs = _schedule(b, inputs, cand)
    form = b.build(cand)
    form.pay_pairs = pay_pairs
    form.start_pairs = start_pairs
    form.integral_objective = bool(np.all(weight == np.round(weight)))
    _force_in(form, inputs, cand)
    return form


def money_words(minor: float) -> str:
    """Fen as a readable yuan amount."""
    return f"{minor / 100:,.2f}".rstrip("0").rstrip(".")


def _budget(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    if inp.budget_minor is None:
        return
    u = b.unit("budget", f"the budget of {money_words(inp.budget_minor)}",
               f"the cheapest candidate costs {money_words(inp.cost[cand].min())}"
               if len(cand) else "")
    k = np.arange(len(cand))
    b.rows(["budget"], u, np.zeros(len(cand)), k, inp.cost[cand].astype(float), -INF,
           float(inp.budget_minor))


#: Up to this many pools, pools are written as Hall rows (one per set of pools) instead
#: of payment variables: 2^P − 1 short rows, no extra columns.
HALL_MAX_POOLS = 6


def _pools(b: _Builder, inp: Inputs, cand: np.ndarray) -> np.ndarray:
    from selector.engine.screening import pool_eligibility, to_minor

    rules = inp.rules
    if not rules.pools:
        return np.empty((0, 2), dtype=np.int64)
    ok = pool_eligibility(inp.problem, rules.pools)[cand]
    amounts = np.array([float(to_minor(p.amount)) for p in rules.pools])
    u = b.unit("pools", "the pools' amounts and eligibility (" + ", ".join(
        f"{p.name} {money_words(to_minor(p.amount))}" for p in rules.pools) + ")")
    cost = inp.cost[cand].astype(float)
    if len(rules.pools) <= HALL_MAX_POOLS:
        _pools_hall(b, rules.pools, ok, amounts, cost, u)
        return np.empty((0, 2), dtype=np.int64)
    kk, pp = np.nonzero(ok)
    pairs = np.column_stack([kk, pp]).astype(np.int64)
    start = b.cols("pay", len(kk), 0.0, INF, False)
    n = len(cand)
    # pay[k]: Σ_p y_kp − c_k x_k = 0
    rows = np.concatenate([kk, np.arange(n)])
    cols = np.concatenate([start + np.arange(len(kk)), np.arange(n)])
    vals = np.concatenate([np.ones(len(kk)), -cost])
    b.rows([f"pay[{k}]" for k in range(n)], u, rows, cols, vals, 0.0, 0.0)
    b.rows([f"pool[{p.name}]" for p in rules.pools], u, pp, start + np.arange(len(kk)),
           np.ones(len(kk)), -INF, amounts)
    return pairs


def _pools_hall(b: _Builder, pools: tuple[Any, ...], ok: np.ndarray, amounts: np.ndarray,
                cost: np.ndarray, unit: int) -> None:
    """Pools as Hall's condition: for every set S of pools, the projects that only S may
    pay for cost at most S's amounts together. By the supply–demand theorem this holds
    exactly when a payment plan exists (it is then found after the solve)."""
    npools = len(pools)
    code = ok.astype(np.int64) @ (1 << np.arange(npools))   # bit mask of allowed pools
    names, rows, cols, vals, caps = [], [], [], [], []
    for mask in range(1, 1 << npools):
        inside = np.flatnonzero((code & ~mask) == 0)   # every allowed pool lies in S
        if not len(inside):
            continue
        members = [pools[p].name for p in range(npools) if mask >> p & 1]
        names.append("pool[" + "+".join(members) + "]")
        rows.append(np.full(len(inside), len(names) - 1))
        cols.append(inside)
        vals.append(cost[inside])
        caps.append(sum(amounts[p] for p in range(npools) if mask >> p & 1))
    if names:
        b.rows(names, unit, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
               -INF, np.array(caps))


def _resources(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    for k, res in enumerate(inp.rules.resources):
        use = np.nan_to_num(inp.problem.column(res.column)[cand], nan=0.0)
        u = b.unit(f"resources[{k}]", f"at most {res.capacity:g} {res.column} ({res.name})")
        nz = np.flatnonzero(use)
        b.rows([f"resource[{res.name}]"], u, np.zeros(len(nz)), nz, use[nz], -INF,
               float(res.capacity))


def measure_vector(inp: Inputs, measure: str) -> np.ndarray:
    """Per-proposal amount of a group measure (cost in fen, beneficiaries, count)."""
    if measure == "cost":
        return inp.cost.astype(float)
    if measure == "beneficiaries":
        return inp.benefit.astype(float)
    return np.ones(len(inp.cost))


def group_sets(problem: Problem, rule: GroupRule) -> list[tuple[str, np.ndarray]]:
    """The groups of a rule: ``(label, 0/1 mask over all proposals)``."""
    member = problem.membership(rule.column)
    if rule.combine:
        return [("+".join(rule.values), member.union(list(rule.values)))]
    labels = list(rule.values) or list(member.labels)
    return [(lab, member.union([lab])) for lab in labels]


_MEASURE_WORDS = {"cost": "of the money", "beneficiaries": "of the beneficiaries",
                  "count": "of the projects"}


def group_words(rule: GroupRule, label: str | None = None) -> str:
    """A group rule in words: its ``name`` when it has one (the planner's own words),
    else e.g. "every domain gets at least 1 project(s)"."""
    if rule.name and label is None:
        return rule.name
    if label is not None:
        who = f"{rule.column} {label}"
    elif rule.combine:
        who = f"{rule.column} {' + '.join(rule.values)} together"
    elif rule.values:
        who = f"each of {rule.column} {', '.join(rule.values)}"
    else:
        who = f"every {rule.column}"
    parts = []
    unit = {"cost": " yuan", "beneficiaries": " beneficiaries", "count": " project(s)"}
    for attr, text in (("min_total", "gets at least {}"), ("max_total", "gets at most {}")):
        value = getattr(rule, attr)
        if value is not None:
            parts.append(text.format(f"{value:,f}".rstrip("0").rstrip(".") + unit[rule.measure]))
    for attr, text in (("min_share", "gets at least {}"), ("max_share", "gets at most {}")):
        value = getattr(rule, attr)
        if value is not None:
            parts.append(text.format(f"{value:.0%} {_MEASURE_WORDS[rule.measure]}"))
    return f"{who} " + " and ".join(parts)


def _groups(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    totals: dict[str, int] = {}
    for g, rule in enumerate(inp.rules.groups):
        sets = group_sets(inp.problem, rule)
        meas = measure_vector(inp, rule.measure)[cand]
        scale = 100.0 if rule.measure == "cost" else 1.0
        empty = sum(1 for _, mask in sets if not mask[cand].any())
        plural = f"{rule.column}s" if not rule.column.endswith("s") else f"{rule.column} values"
        fact = "" if rule.combine else f"there are {len(sets)} {plural}" + (
            f" ({empty} without any candidate)" if empty else "")
        u = b.unit(f"groups[{g}]", group_words(rule), fact)
        suffix = "" if rule.measure == "cost" else f",{rule.measure}"
        for label, mask in sets:
            k = np.flatnonzero(mask[cand])
            vals = meas[k]
            tag = f"[{rule.column}={label}{suffix}]"
            for attr, name in (("max_share", "share_max"), ("min_share", "share_min")):
                share = getattr(rule, attr)
                if share is None:
                    continue
                t = totals.get(rule.measure)
                if t is None:
                    t = _total(b, rule.measure, meas)
                    totals[rule.measure] = t
                rows = np.zeros(len(k) + 1)
                cols = np.concatenate([k, [t]])
                frac = exact_share(share)
                if frac.denominator <= SHARE_DENOMINATOR_MAX:
                    # den·part − num·total: whole numbers for fen and counts, so a list
                    # exactly at the cap is not lost to 0.7 being 0.6999… in binary
                    coef = np.concatenate([vals * frac.denominator, [-float(frac.numerator)]])
                else:
                    coef = np.concatenate([vals, [-float(share)]])
                lo, hi = (-INF, 0.0) if attr == "max_share" else (0.0, INF)
                b.rows([name + tag], u, rows, cols, coef, lo, hi)
            if rule.max_total is not None:
                b.rows(["total_max" + tag], u, np.zeros(len(k)), k, vals, -INF,
                       float(rule.max_total) * scale)
            if rule.min_total is not None:
                b.rows(["total_min" + tag], u, np.zeros(len(k)), k, vals,
                       float(rule.min_total) * scale, INF)


def _total(b: _Builder, measure: str, meas: np.ndarray) -> int:
    """An auxiliary column T = Σ m·x and its defining row; returns T's column."""
    t = b.cols(f"total[{measure}]", 1, 0.0, INF, False)
    u = b.unit(f"total[{measure}]", f"the selected total of {measure}")
    n = len(meas)
    rows = np.zeros(n + 1)
    cols = np.concatenate([np.arange(n), [t]])
    b.rows([f"total[{measure}]"], u, rows, cols, np.concatenate([-meas, [1.0]]), 0.0, 0.0)
    return t


def _distinct(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    for d, rule in enumerate(inp.rules.distinct):
        member = inp.problem.membership(rule.column)
        mat = member.matrix[:, cand].tocsr()
        labels = list(member.labels)
        z = b.cols(f"cover[{d}]", len(labels), 0.0, 1.0, True)
        u = b.unit(f"distinct[{d}]",
                   f"{rule.name + ': ' if rule.name else ''}at least {rule.min} different "
                   f"{rule.column} values covered",
                   f"the candidates cover {int((np.diff(mat.indptr) > 0).sum())} {rule.column} "
                   "values")
        coo = mat.tocoo()
        rows = np.concatenate([np.arange(len(labels)), coo.row])
        cols = np.concatenate([z + np.arange(len(labels)), coo.col])
        vals = np.concatenate([np.ones(len(labels)), -np.ones(len(coo.row))])
        b.rows([f"cover[{rule.column}={lab}]" for lab in labels], u, rows, cols, vals, -INF, 0.0)
        b.rows([f"distinct[{rule.column}]"], u, np.zeros(len(labels)),
               z + np.arange(len(labels)), np.ones(len(labels)), float(rule.min), INF)


def _count(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    count = inp.rules.count
    if count is None:
        return
    n = len(cand)
    k = np.arange(n)
    fact = f"there are {n} candidates"
    if count.min is not None and count.min > 0:
        u = b.unit("count.min", f"at least {count.min} projects", fact)
        b.rows(["count_min"], u, np.zeros(n), k, np.ones(n), float(count.min), INF)
    if count.max is not None:
        u = b.unit("count.max", f"at most {count.max} projects", fact)
        b.rows(["count_max"], u, np.zeros(n), k, np.ones(n), -INF, float(count.max))


def _relations(b: _Builder, inp: Inputs, cand: np.ndarray) -> None:
    rel = inp.rules.relations
    frame = inp.problem.proposals.frame
    pos = {int(i): k for k, i in enumerate(cand)}
    index = inp.problem.index
    ids = inp.problem.ids
    if rel.requires:
        req = frame["requires"].to_numpy(dtype=object)
        pairs = [(pos[int(i)], pos[index[str(o)]]) for i in cand if req[i]
                 for o in req[i] if index.get(str(o), -1) in pos]
        if pairs:
            u = b.unit("relations.requires", "projects that require another need it selected")
            a = np.array(pairs, dtype=np.int64)
            m = len(a)
            b.rows([f"requires[{ids[cand[x]]}->{ids[cand[y]]}]" for x, y in pairs], u,
                   np.repeat(np.arange(m), 2), a.ravel(), np.tile([1.0, -1.0], m), -INF, 0.0)
    if rel.excludes:
        seen = set()
        exc = frame["excludes"].to_numpy(dtype=object)
        for i in cand:
            if not exc[i]:
                continue
            for o in exc[i]:
                j = index.get(str(o), -1)
                if j in pos and j != i:
                    seen.add((min(pos[int(i)], pos[j]), max(pos[int(i)], pos[j])))
        pairs = sorted(seen)
        if pairs:
            u = b.unit("relations.excludes", "projects that exclude each other are not both "
                       "selected")
            a = np.array(pairs, dtype=np.int64)
            m = len(a)
            b.rows([f"excludes[{ids[cand[x]]}|{ids[cand[y]]}]" for x, y in pairs], u,
                   np.repeat(np.arange(m), 2), a.ravel(), np.ones(2 * m), -INF, 1.0)
    if rel.variants:
        groups = frame["variant_group"].to_numpy(dtype=object)[cand]
        labels: dict[str, list[int]] = {}
        for k, g in enumerate(groups):
            if g is not None and not (isinstance(g, float) and math.isnan(g)) and str(g):
                labels.setdefault(str(g), []).append(k)
        multi = {g: ks for g, ks in labels.items() if len(ks) > 1}
        if multi:
            u = b.unit("relations.variants", "at most one version of each idea (variant group)")
            rows = np.concatenate([np.full(len(ks), r) for r, ks in enumerate(multi.values())])
            cols = np.concatenate([np.array(ks) for ks in multi.values()])
            b.rows([f"variant[{g}]" for g in multi], u, rows, cols, np.ones(len(cols)), -INF, 1.0)


def schedule_window(inp: Inputs, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """First allowed start month and duration (whole months) of each candidate, and the
    number of months in the plan (the completion deadline, 12 without one)."""
    horizon = inp.rules.completion.deadline_month if inp.rules.completion else 12
    start = inp.problem.column("earliest_start")[cand]
    dur = inp.problem.column("duration_months")[cand]
    first = np.where(np.isnan(start), 1, start).astype(np.int64)
    length = np.where(np.isnan(dur), 1, np.ceil(dur)).astype(np.int64)
    return first, np.maximum(length, 1), horizon


def _schedule(b: _Builder, inp: Inputs, cand: np.ndarray) -> np.ndarray:
    sched = inp.rules.schedule
    if sched is None:
        return np.empty((0, 2), dtype=np.int64)
    first, length, horizon = schedule_window(inp, cand)
    last = np.maximum(horizon - length + 1, first)  # no deadline room: start at `first`
    counts = last - first + 1
    kk = np.repeat(np.arange(len(cand)), counts)
    offs = np.arange(len(kk)) - np.repeat(np.cumsum(counts) - counts, counts)
    months = np.repeat(first, counts) + offs
    pairs = np.column_stack([kk, months]).astype(np.int64)
    s = b.cols("start", len(kk), 0.0, 1.0, True)
    u = b.unit("schedule", "the monthly plan (" + ", ".join(
        ([f"at most {money_words(float(sched.monthly_spend_cap) * 100)} spent a month"]
         if sched.monthly_spend_cap is not None else [])
        + ([f"at most {sched.max_concurrent} projects running at once"]
           if sched.max_concurrent is not None else [])) + ")")
    n = len(cand)
    b.rows([f"start[{k}]" for k in range(n)], u,
           np.concatenate([kk, np.arange(n)]),
           np.concatenate([s + np.arange(len(kk)), np.arange(n)]),
           np.concatenate([np.ones(len(kk)), -np.ones(n)]), 0.0, 0.0)
    end_month = max(horizon, int((months + length[kk] - 1).max(initial=horizon)))
    # the start column j runs in months months[j] .. months[j] + length - 1
    run = length[kk]
    rr = np.repeat(months, run) + (np.arange(int(run.sum()))
                                   - np.repeat(np.cumsum(run) - run, run))
    cc = np.repeat(s + np.arange(len(kk)), run)
    if sched.monthly_spend_cap is not None:
        per_month = (inp.cost[cand][kk] / run).astype(float)
        b.rows([f"spend[month={t}]" for t in range(1, end_month + 1)], u, rr - 1, cc,
               np.repeat(per_month, run), -INF, float(sched.monthly_spend_cap) * 100)
    if sched.max_concurrent is not None:
        b.rows([f"concurrent[month={t}]" for t in range(1, end_month + 1)], u, rr - 1, cc,
               np.ones(len(cc)), -INF, float(sched.max_concurrent))
    return pairs


def _force_in(form: Formulation, inp: Inputs, cand: np.ndarray) -> None:
    pos = {int(i): k for k, i in enumerate(cand)}
    for fid in inp.force_in:
        k = pos[inp.problem.index[fid]]
        form.col_lower[k] = 1.0
        form.units.append(Unit(f"force_in[{fid}]", f"{fid} is forced in",
                               f"{fid} costs {money_words(inp.cost[cand[k]])}"))
        form.col_unit[k] = len(form.units) - 1
