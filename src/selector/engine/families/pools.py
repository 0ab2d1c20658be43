r"""Funding pools: each with its own money and its own eligibility.

Rules file::

    [[pools]]
    name = "fiscal"
    amount = 20_000_000
    column = "pools"                    # eligible when `name` is listed in this column
                                        # (an empty list = eligible for every pool)
    only = { column = "domain", values = ["hardship", "migrant", "life"] }   # optional

Screening: a proposal no pool may pay for is never a candidate.

Rows (``A_p`` the pools' amounts in fen, ``c_k`` the costs). Up to
:data:`HALL_MAX_POOLS` pools, Hall's condition (one row per set ``S`` of pools: the
projects that only ``S`` may pay for cost at most ``S``'s money) replaces the payment
variables — exactly equivalent by the supply–demand theorem, and much smaller; the exact
payment plan (integer fen) is computed after the solve. With more pools, ``y_kp ≥ 0`` fen
paid by pool ``p`` for candidate ``k``::

    Σ_{k: pools(k) ⊆ S} c_k x_k ≤ Σ_{p∈S} A_p  ∀ pool sets S     [pool[a+b]]   (≤ 6 pools)
    Σ_p y_kp − c_k x_k = 0                       ∀ k             [pay[k]]      (more pools)
    Σ_k y_kp ≤ A_p                               ∀ p             [pool[name]]  (more pools)

Checks: ``pools[<name>]`` (a pool pays at most its money) and ``pools.plan`` (each
selected project is paid in full, only by pools that may fund it, no payment negative).

Binding: a pool is tight when the money it has left is less than the cost of every
unselected candidate it may pay for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from selector._errors import InputProblem
from selector.engine.families.base import Family, Outcome, RuleCheck, Screen, no_column
from selector.engine.program import Builder, Formulation, Inputs
from selector.engine.words import Words
from selector.money import from_fen, to_fen
from selector.problem import Problem
from selector.rules import Pool, Rules

__all__ = ["HALL_MAX_POOLS", "Pools", "pool_amounts", "pool_eligibility"]

INF = np.inf

#: Up to this many pools, pools are written as Hall rows (one per set of pools) instead
#: of payment variables: 2^P − 1 short rows, no extra columns.
HALL_MAX_POOLS = 6


def pool_amounts(pools: Iterable[Pool]) -> np.ndarray:
    """The pools' amounts in whole fen (rounded down to the fen)."""
    return np.array([to_fen(p.amount, "pools.amount", rounding="floor") for p in pools],
                    dtype=np.int64)


def pool_eligibility(problem: Problem, pools: Iterable[Pool]) -> np.ndarray:
    """``n × P`` boolean matrix: may pool ``p`` pay for proposal ``i`` (cached on the
    problem per pool list; read-only).

    A proposal may use a pool when the pool's ``column`` lists the pool's name, or lists
    nothing at all (an empty list means every pool); an ``only`` filter must also hold.
    """
    pools = list(pools)
    key = tuple(p.model_dump_json() for p in pools)
    cache: dict[tuple[str, ...], np.ndarray] = problem.__dict__.setdefault("_pool_cache", {})
    if key in cache:
        return cache[key]
    frame = problem.proposals.frame
    out = np.ones((problem.n, len(pools)), dtype=bool)
    for p, pool in enumerate(pools):
        ok = _lists_each(frame[pool.column].to_numpy(dtype=object), pool.name)
        if pool.only is not None:
            member = problem.membership(pool.only.column)
            ok &= member.union(list(pool.only.values))
        out[:, p] = ok
    out.setflags(write=False)
    cache[key] = out
    return out


def _lists_each(values: np.ndarray, name: str) -> np.ndarray:
    """:func:`_lists` of every value, computed once per distinct value."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:   # unhashable cells (lists): one by one
        return np.fromiter((_lists(v, name) for v in values), dtype=bool, count=len(values))
    ok = np.array([_lists(v, name) for v in distinct] + [True], dtype=bool)
    return ok[codes]   # code -1 (missing) takes the last entry: every pool


def _lists(value: object, name: str) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    if isinstance(value, tuple | list | set | frozenset):
        return len(value) == 0 or name in value
    text = str(value).strip()
    return text == "" or name in [t.strip() for t in text.replace(";", ",").split(",")]


def _name(pool: Pool) -> str:
    """The pool's name in messages: its ``label`` when the rules give one."""
    return str(getattr(pool, "label", None) or pool.name)


class Pools(Family):
    """Funding pools (Hall rows, or payment variables with many pools)."""

    key = "pools"

    def active(self, rules: Rules) -> bool:
        return bool(rules.pools)

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        out = []
        columns = problem.proposals.frame.columns
        for k, pool in enumerate(rules.pools):
            if pool.column not in columns:
                out.append(no_column(pool.column, f"pools.{k}.column", columns))
            if pool.only is not None and pool.only.column not in columns:
                out.append(no_column(pool.only.column, f"pools.{k}.only.column", columns))
        return out

    def screen(self, s: Screen) -> None:
        payable = pool_eligibility(s.problem, s.rules.pools).any(axis=1)
        s.flag(np.asarray(~payable), self.key, "no_pool")

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        pools = inp.rules.pools
        ok = pool_eligibility(inp.problem, pools)[cand]
        amounts = pool_amounts(pools).astype(float)
        listing = tuple(Words("rules.pools.item", {"name": _name(p), "amount": from_fen(int(a))})
                        for p, a in zip(pools, amounts, strict=True))
        u = b.unit("pools", self.key, Words("rules.pools.words", {"pools": listing}))
        cost = inp.cost[cand].astype(float)
        if len(pools) <= HALL_MAX_POOLS:
            _hall(b, pools, ok, amounts, cost, u)
            return
        kk, pp = np.nonzero(ok)
        start = b.cols("pay", len(kk), 0.0, INF, False)
        n = len(cand)
        # pay[k]: Σ_p y_kp − c_k x_k = 0
        rows = np.concatenate([kk, np.arange(n)])
        cols = np.concatenate([start + np.arange(len(kk)), np.arange(n)])
        vals = np.concatenate([np.ones(len(kk)), -cost])
        b.rows([f"pay[{k}]" for k in range(n)], u, rows, cols, vals, 0.0, 0.0,
               check="pools.plan")
        b.rows([f"pool[{p.name}]" for p in pools], u, pp, start + np.arange(len(kk)),
               np.ones(len(kk)), -INF, amounts, check=[f"pools[{p.name}]" for p in pools])
        b.pay_pairs = np.column_stack([kk, pp]).astype(np.int64)

    def checks(self, o: Outcome) -> list[RuleCheck]:
        pools = o.rules.pools
        amounts = pool_amounts(pools)
        allowed = pool_eligibility(o.problem, pools)
        n_sel = len(o.selected)
        if o.payments is None:
            paid = np.zeros(len(pools), dtype=np.int64)
            wrong = o.chosen.copy()
        else:
            pay = np.asarray(o.payments, dtype=np.int64)
            wrong = ((pay < 0).any(axis=1) | (pay * ~allowed != 0).any(axis=1)
                     | (pay.sum(axis=1) != np.where(o.chosen, o.cost, 0)))
            paid = pay.sum(axis=0)
        bad = int(wrong.sum())
        out = [RuleCheck(f"pools[{p.name}]", self.key, f"pools[{p.name}]", "max",
                         from_fen(int(a)), from_fen(int(got)), bool(got <= a), "money",
                         Words("rules.pools.one", {"name": _name(p)}))
               for p, a, got in zip(pools, amounts, paid, strict=True)]
        out.append(RuleCheck("pools.plan", self.key, "pools", "", 0, bad if n_sel else 0,
                             bad == 0, "count", Words("rules.pools.plan"), o.ids(wrong)))
        return out

    def binding(self, form: Formulation, tight: Callable[[np.ndarray], np.ndarray],
                columns: np.ndarray, o: Outcome) -> list[str]:
        if o.payments is None:
            return []
        pools = o.rules.pools
        allowed = pool_eligibility(o.problem, pools)[form.cand]
        sel = np.rint(columns[: form.n_x]) > 0.5
        cost = o.cost[form.cand]
        out = []
        for p, (pool, amount) in enumerate(zip(pools, pool_amounts(pools), strict=True)):
            room = int(amount) - int(o.payments[:, p].sum())
            could = cost[allowed[:, p] & ~sel]
            if room <= 0 or (len(could) and room < could.min()):
                out.append(f"pools[{pool.name}]")
        return out


def _hall(b: Builder, pools: tuple[Pool, ...], ok: np.ndarray, amounts: np.ndarray,
          cost: np.ndarray, unit: int) -> None:
    """Pools as Hall's condition: for every set S of pools, the projects that only S may
    pay for cost at most S's amounts together."""
    npools = len(pools)
    code = ok.astype(np.int64) @ (1 << np.arange(npools))   # bit mask of allowed pools
    names, checks, rows, cols, vals, caps = [], [], [], [], [], []
    for mask in range(1, 1 << npools):
        inside = np.flatnonzero((code & ~mask) == 0)   # every allowed pool lies in S
        if not len(inside):
            continue
        members = [pools[p].name for p in range(npools) if mask >> p & 1]
        names.append("pool[" + "+".join(members) + "]")
        checks.append(f"pools[{members[0]}]" if len(members) == 1 else "pools.plan")
        rows.append(np.full(len(inside), len(names) - 1))
        cols.append(inside)
        vals.append(cost[inside])
        caps.append(sum(amounts[p] for p in range(npools) if mask >> p & 1))
    if names:
        b.rows(names, unit, np.concatenate(rows), np.concatenate(cols), np.concatenate(vals),
               -INF, np.array(caps), check=checks)

