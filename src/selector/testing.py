"""Testing helpers: a brute-force oracle for the selection engine.

:func:`brute_force` tries every subset of a small proposal set (n ≤ 16) and evaluates
every rule family straight from the meaning of :class:`~selector.rules.Rules`, with
plain Python and numpy. It shares no code with the integer program (only the
:class:`~selector.problem.Problem` arrays), so a test that compares the two checks the
formulation, not a copy of it.

A rule family that declares its own rules-file table (see
:mod:`selector.engine.families`) is unknown here on purpose: its tests hand the oracle
their own brute-force reading of the rule (``tables={name: keeps}``), written again from
its meaning.

Examples
--------
>>> from selector import Proposal, ProposalSet, Rules
>>> ps = ProposalSet.from_proposals([
...     Proposal(id=str(i), domain="health", cost=c, beneficiaries=b,
...              indicators=[{"name": "served", "target": 1}])
...     for i, (c, b) in enumerate([(40, 50), (50, 60), (30, 35)])])
>>> brute_force(ps, Rules(budget=80))
95.0
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np

from selector.model import ProposalSet
from selector.money import MoneyLike, parse_money, to_fen
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["MAX_N", "Keeps", "brute_force", "holds"]

MAX_N = 16

#: The oracle's reading of a family's own table: ``keeps(subsets, problem, table)`` is the
#: mask of the subsets (rows of a ``k × n`` 0/1 matrix) that keep the rule.
Keeps = Callable[[np.ndarray, Problem, Any], np.ndarray]


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v == ""


def _eligible(problem: Problem, rules: Rules, budget: int | None) -> np.ndarray:
    frame = problem.proposals.frame
    ok = np.array([_finishes(row, rules) and _reviewed(row, rules)
                   and _affordable(row, rules, budget)
                   for _, row in frame.iterrows()], dtype=bool)
    for f in rules.force_out:
        ok[problem.index[f.id]] = False
    if rules.relations.requires:   # a project needing a non-candidate is no candidate
        requires = frame["requires"].to_numpy(dtype=object)
        changed = True
        while changed:
            changed = False
            for i in range(problem.n):
                if ok[i] and any(str(o) not in problem.index or not ok[problem.index[str(o)]]
                                 for o in requires[i]):
                    ok[i] = False
                    changed = True
    return ok


def _finishes(row: Any, rules: Rules) -> bool:
    """Ends by the deadline (and gives its schedule data when that is required)."""
    completion = rules.completion
    if completion is None:
        return True
    start = 1.0 if _missing(row["earliest_start"]) else float(row["earliest_start"])
    dur = row["duration_months"]
    if completion.require_schedule_data and (_missing(dur) or _missing(row["earliest_start"])):
        return False
    return _missing(dur) or start + math.ceil(float(dur)) - 1 <= completion.deadline_month


def _reviewed(row: Any, rules: Rules) -> bool:
    """Has a measurable indicator, the scores required, the completion probability."""
    e = rules.eligibility
    if e.require_indicator and not any(not _missing(t) for _, t, _u in row["indicators"]):
        return False
    for col, low in (("expert_score", e.min_expert_score),
                     ("worker_score", e.min_worker_score),
                     ("worker_votes", e.min_worker_votes)):
        if low is not None and (_missing(row[col]) or float(row[col]) < low):
            return False
    p = row["completion_probability"]
    return (e.min_completion_probability is None or _missing(p)
            or float(p) >= e.min_completion_probability)


def _affordable(row: Any, rules: Rules, budget: int | None) -> bool:
    """Some pool may pay for it; it fits the budget and ``max_project_share`` of it."""
    if rules.pools and not any(_may_pay(row, pool) for pool in rules.pools):
        return False
    cost = int(row["cost_minor"])
    if budget is None:
        return True
    if cost > budget:
        return False
    if rules.max_project_share is not None:   # exactly: 0.7 is 7/10, in fen
        frac = Fraction(str(rules.max_project_share))
        return cost * frac.denominator <= frac.numerator * budget
    return True


def _may_pay(row: object, pool: object) -> bool:
    listed = row[pool.column]  # type: ignore[attr-defined, index]
    if isinstance(listed, tuple | list):
        allowed = not listed or pool.name in listed  # type: ignore[attr-defined]
    else:
        allowed = _missing(listed) or pool.name in str(listed).split(",")  # type: ignore[attr-defined]
    only = pool.only  # type: ignore[attr-defined]
    if allowed and only is not None:
        value = row[only.column]  # type: ignore[index]
        values = value if isinstance(value, tuple | list) else (value,)
        allowed = any(str(v) in only.values for v in values if not _missing(v))
    return bool(allowed)


def _max_flow_ok(costs: list[int], allowed: list[list[int]], amounts: list[int]) -> bool:
    """Can pools with ``amounts`` pay every cost, each project only from its allowed pools?

    Plain augmenting paths on the bipartite network source → project → pool → sink.
    """
    n, m = len(costs), len(amounts)
    size = n + m + 2
    cap: dict[tuple[int, int], int] = {}
    adj: list[set[int]] = [set() for _ in range(size)]
    src, sink = n + m, n + m + 1

    def edge(a: int, b: int, c: int) -> None:
        cap[(a, b)] = cap.get((a, b), 0) + c
        cap.setdefault((b, a), 0)
        adj[a].add(b)
        adj[b].add(a)

    for i, c in enumerate(costs):
        edge(src, i, c)
        for p in allowed[i]:
            edge(i, n + p, c)
    for p, a in enumerate(amounts):
        edge(n + p, sink, a)
    flow = 0
    while True:
        parent = _augmenting_path(adj, cap, src, sink)
        if parent is None:
            return flow == sum(costs)
        push, b = math.inf, sink
        while b != src:
            push = min(push, cap[(parent[b], b)])
            b = parent[b]
        b = sink
        while b != src:
            cap[(parent[b], b)] -= int(push)
            cap[(b, parent[b])] += int(push)
            b = parent[b]
        flow += int(push)


def _augmenting_path(adj: list[set[int]], cap: dict[tuple[int, int], int], src: int,
                     sink: int) -> dict[int, int] | None:
    """Breadth-first search for a path with room left: ``{node: parent}``, or ``None``."""
    parent = {src: src}
    queue = [src]
    while queue and sink not in parent:
        nxt = []
        for a in queue:
            for b in adj[a]:
                if b not in parent and cap[(a, b)] > 0:
                    parent[b] = a
                    nxt.append(b)
        queue = nxt
    return parent if sink in parent else None


def _schedule_ok(problem: Problem, rules: Rules, chosen: list[int], cost: np.ndarray) -> bool:
    sched = rules.schedule
    if sched is None or not chosen:
        return True
    frame = problem.proposals.frame
    horizon = rules.completion.deadline_month if rules.completion else 12
    starts_col = frame["earliest_start"].to_numpy(dtype=float)
    durations = frame["duration_months"].to_numpy(dtype=float)
    windows = []
    for i in chosen:
        s, d = float(starts_col[i]), float(durations[i])
        first = 1 if _missing(s) else int(s)
        length = 1 if _missing(d) else max(1, math.ceil(float(d)))
        last = max(horizon - length + 1, first)
        windows.append([(m, length) for m in range(first, last + 1)])
    months = 1 + max(m + ln - 1 for w in windows for m, ln in w)
    cap = None if sched.monthly_spend_cap is None else float(sched.monthly_spend_cap) * 100
    for starts in itertools.product(*windows):
        spend = np.zeros(months + 1)
        running = np.zeros(months + 1)
        for (m, ln), i in zip(starts, chosen, strict=True):
            spend[m:m + ln] += cost[i] / ln
            running[m:m + ln] += 1
        if cap is not None and spend.max() > cap + 1e-6:
            continue
        if sched.max_concurrent is not None and running.max() > sched.max_concurrent:
            continue
        return True
    return False


def _share_holds(part: np.ndarray, total: np.ndarray, share: float, measure: str, *,
                 below: bool) -> np.ndarray:
    """``part ≤ share × total`` (or ``≥``) for every subset: exactly, in whole fen or
    projects, when the measure is money or a count (the share as the exact fraction its
    decimal text says: 0.7 is 7/10); with a relative 1e-9 for beneficiaries."""
    if measure in ("cost", "count"):
        frac = Fraction(str(share))
        lhs = np.rint(part).astype(np.int64) * frac.denominator
        rhs = np.rint(total).astype(np.int64) * frac.numerator
        return np.asarray(lhs <= rhs if below else lhs >= rhs)
    slack = 1e-9 * np.maximum(1.0, total)
    return np.asarray(part <= share * total + slack if below else part >= share * total - slack)


def brute_force(proposals: ProposalSet, rules: Rules | None = None, *,
                budget: MoneyLike | None = None,
                tables: Mapping[str, Keeps] | None = None) -> float | None:
    """The best objective value over all subsets that satisfy every rule, or ``None``.

    Parameters
    ----------
    proposals:
        At most 16 proposals.
    rules, budget:
        As for :func:`selector.select`.
    tables:
        The oracle's reading of each rule-family table the rules use (see the module
        docstring); a table without one is an error.
    """
    rules = rules or Rules()
    problem = Problem(proposals)
    if problem.n > MAX_N:
        raise ValueError(f"brute_force needs at most {MAX_N} proposals, got {problem.n}")
    subsets = ((np.arange(1 << problem.n)[:, None] >> np.arange(problem.n)) & 1).astype(bool)
    keep = _keeps(problem, rules, subsets, _budget_fen(rules, budget), tables)
    value = subsets @ _weights(problem, rules)
    order = np.flatnonzero(keep)
    for s in order[np.argsort(-value[order], kind="stable")]:
        if _plans_exist(problem, rules, [int(i) for i in np.flatnonzero(subsets[s])]):
            return float(value[s])
    return None


def holds(proposals: ProposalSet, rules: Rules | None, selected: Iterable[str], *,
          budget: MoneyLike | None = None, tables: Mapping[str, Keeps] | None = None) -> bool:
    """Whether the list ``selected`` satisfies every rule (a payment plan and a monthly
    plan must exist), decided like :func:`brute_force`."""
    rules = rules or Rules()
    problem = Problem(proposals)
    chosen = np.zeros((1, problem.n), dtype=bool)
    chosen[0, [problem.index[i] for i in selected]] = True
    keep = _keeps(problem, rules, chosen, _budget_fen(rules, budget), tables)
    return bool(keep[0]) and _plans_exist(problem, rules,
                                          [int(i) for i in np.flatnonzero(chosen[0])])


def _budget_fen(rules: Rules, budget: MoneyLike | None) -> int | None:
    total = parse_money(budget, "budget") if budget is not None else rules.total_budget
    return None if total is None else to_fen(total, "amount", rounding="floor")


def _weights(problem: Problem, rules: Rules) -> np.ndarray:
    frame = problem.proposals.frame
    benefit = problem.benefit
    if rules.objective.kind == "beneficiaries":
        return benefit.copy()
    if rules.objective.kind == "risk_adjusted":
        p = frame["completion_probability"].to_numpy(dtype=float)
        return np.asarray(benefit * np.where(np.isnan(p), 1.0, p))
    w = np.zeros(problem.n)
    for col, weight in rules.objective.weights.items():
        v = frame[col].to_numpy(dtype=float)
        w += weight * np.where(np.isnan(v), 0.0, v)
    return w


def _keeps(problem: Problem, rules: Rules, subsets: np.ndarray, bud: int | None,
           tables: Mapping[str, Keeps] | None) -> np.ndarray:
    """Mask of the subsets (rows) that keep every rule but the pools' payment plan and the
    monthly plan (see :func:`_plans_exist`)."""
    unknown = sorted(set(rules.tables) - set(tables or {}))
    if unknown:
        raise ValueError(f"the oracle does not know the rules tables {unknown}: "
                         "give tables={name: keeps}")
    cost = problem.cost.astype(np.int64)
    keep: np.ndarray = ~(subsets & ~_eligible(problem, rules, bud)).any(axis=1)
    for f in rules.force_in:
        keep &= subsets[:, problem.index[f.id]]
    if bud is not None:
        keep &= subsets.astype(np.int64) @ cost <= bud
    frame = problem.proposals.frame
    for res in rules.resources:
        use = np.nan_to_num(frame[res.column].to_numpy(dtype=float), nan=0.0)
        keep &= subsets @ use <= res.capacity + 1e-9
    keep &= _keep_groups(problem, rules, subsets)
    keep &= _keep_distinct(problem, rules, subsets)
    count = subsets.sum(axis=1)
    if rules.count is not None and rules.count.min is not None:
        keep &= count >= rules.count.min
    if rules.count is not None and rules.count.max is not None:
        keep &= count <= rules.count.max
    keep &= _keep_relations(problem, rules, subsets)
    for name, table in rules.tables.items():
        keep &= np.asarray((tables or {})[name](subsets, problem, table), dtype=bool)
    return keep


def _keep_groups(problem: Problem, rules: Rules, subsets: np.ndarray) -> np.ndarray:
    frame = problem.proposals.frame
    keep = np.ones(len(subsets), dtype=bool)
    measure = {"cost": problem.cost.astype(float), "beneficiaries": problem.benefit,
               "count": np.ones(problem.n)}
    for g in rules.groups:
        m = measure[g.measure]
        unit = 100.0 if g.measure == "cost" else 1.0
        labels = g.values if g.values else tuple(_labels(frame[g.column]))
        tot = subsets @ m
        for grp in [g.values] if g.combine else [(lab,) for lab in labels]:
            member = np.array([_in(v, grp) for v in frame[g.column]], dtype=bool)
            part = (subsets & member) @ m
            if g.max_share is not None:
                keep &= _share_holds(part, tot, g.max_share, g.measure, below=True)
            if g.min_share is not None:
                keep &= _share_holds(part, tot, g.min_share, g.measure, below=False)
            if g.max_total is not None:
                keep &= part <= float(g.max_total) * unit + 1e-7
            if g.min_total is not None:
                keep &= part >= float(g.min_total) * unit - 1e-7
    return keep


def _keep_distinct(problem: Problem, rules: Rules, subsets: np.ndarray) -> np.ndarray:
    frame = problem.proposals.frame
    keep = np.ones(len(subsets), dtype=bool)
    for d in rules.distinct:
        covered = np.zeros(len(subsets), dtype=np.int64)
        for lab in _labels(frame[d.column]):
            member = np.array([_in(v, (lab,)) for v in frame[d.column]], dtype=bool)
            covered += (subsets & member).any(axis=1)
        keep &= covered >= d.min
    return keep


def _keep_relations(problem: Problem, rules: Rules, subsets: np.ndarray) -> np.ndarray:
    frame = problem.proposals.frame
    keep = np.ones(len(subsets), dtype=bool)
    idx = problem.index
    pairs = []
    if rules.relations.requires:   # i selected ⇒ o selected
        pairs += [(i, idx[str(o)], "requires") for i, needs in enumerate(frame["requires"])
                  for o in needs if str(o) in idx]
    if rules.relations.excludes:   # not both
        pairs += [(i, idx[str(o)], "excludes") for i, other in enumerate(frame["excludes"])
                  for o in other if str(o) in idx and idx[str(o)] != i]
    for i, j, kind in pairs:
        keep &= (~subsets[:, i] | subsets[:, j]) if kind == "requires" \
            else ~(subsets[:, i] & subsets[:, j])
    if rules.relations.variants:
        for lab in _labels(frame["variant_group"]):
            member = np.array([_in(v, (lab,)) for v in frame["variant_group"]], dtype=bool)
            keep &= (subsets & member).sum(axis=1) <= 1
    return keep


def _plans_exist(problem: Problem, rules: Rules, chosen: list[int]) -> bool:
    """A payment plan from the pools (max flow) and a monthly plan exist for ``chosen``."""
    cost = problem.cost.astype(np.int64)
    pools = rules.pools
    if pools:
        frame = problem.proposals.frame
        allowed = [[p for p, pool in enumerate(pools) if _may_pay(frame.iloc[i], pool)]
                   for i in chosen]
        if not _max_flow_ok([int(cost[i]) for i in chosen], allowed,
                            [to_fen(p.amount, "amount", rounding="floor") for p in pools]):
            return False
    return _schedule_ok(problem, rules, chosen, cost)


def _labels(column: object) -> list[str]:
    seen: dict[str, None] = {}
    for v in np.asarray(column, dtype=object):
        for item in (v if isinstance(v, tuple | list) else (v,)):
            if not _missing(item):
                seen.setdefault(str(item), None)
    return list(seen)


def _in(value: object, group: tuple[str, ...]) -> bool:
    items = value if isinstance(value, tuple | list) else (value,)
    return any(not _missing(v) and str(v) in group for v in items)
