"""Re-check every rule on a chosen list with plain numpy, straight from the rules.

Nothing here reads the formulation: the checks are written again from the meaning of
each rule, so a modelling or solver error cannot pass silently. Money is compared in
exact integer fen; a share of money or of projects is exact too (the share as the fraction
its decimal text says); a share of beneficiaries and monthly spending allow a tolerance.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from selector._errors import SolverError
from selector.problem import Problem
from selector.rules import Rules, exact_share

__all__ = ["rule_violations", "verify_selection"]


def rule_violations(problem: Problem, rules: Rules, chosen: np.ndarray, *,
                    cost: np.ndarray, benefit: np.ndarray, budget_minor: int | None,
                    eligible: np.ndarray, payments: np.ndarray | None = None,
                    starts: Mapping[int, int] | None = None) -> list[str]:
    """Every rule the 0/1 vector ``chosen`` breaks, in words (empty when all hold).

    Parameters
    ----------
    chosen:
        Boolean mask over all proposals.
    cost, benefit:
        Exact cost in fen and beneficiaries of every proposal (after overrides).
    eligible:
        The screening mask: a non-candidate must not be chosen.
    payments:
        ``n × pools`` integer fen paid by each pool (required when there are pools).
    starts:
        ``{position: start month}`` (required when there is a schedule).
    """
    from selector.engine.formulate import group_sets
    from selector.engine.screening import pool_eligibility, to_minor

    chosen = np.asarray(chosen, dtype=bool)
    ids = problem.ids
    bad: list[str] = []
    sel = np.flatnonzero(chosen)
    if np.any(chosen & ~eligible):
        bad.append(f"non-candidates selected: {list(ids[chosen & ~eligible])}")
    spent = int(cost[chosen].sum())
    if budget_minor is not None and spent > budget_minor:
        bad.append(f"budget: spends {spent} fen > {budget_minor}")
    index = problem.index
    for f in rules.force_in:
        if not chosen[index[f.id]]:
            bad.append(f"force_in: {f.id} not selected")
    for f in rules.force_out:
        if chosen[index[f.id]]:
            bad.append(f"force_out: {f.id} selected")
    if rules.pools:
        amounts = np.array([to_minor(p.amount) for p in rules.pools], dtype=np.int64)
        allowed = pool_eligibility(problem, rules.pools)
        if payments is None:
            bad.append("pools: no payment plan")
        else:
            pay = np.asarray(payments, dtype=np.int64)
            if np.any(pay < 0):
                bad.append("pools: a negative payment")
            if np.any(pay[~allowed] != 0):
                bad.append("pools: a pool pays for a project it may not fund")
            if np.any(pay.sum(axis=1) != np.where(chosen, cost, 0)):
                bad.append("pools: payments do not add up to the cost of each project")
            over = pay.sum(axis=0) > amounts
            for p in np.flatnonzero(over):
                bad.append(f"pool {rules.pools[p].name}: pays more than its amount")
    for res in rules.resources:
        use = float(np.nan_to_num(problem.column(res.column)[chosen], nan=0.0).sum())
        if use > res.capacity + 1e-9 * max(1.0, res.capacity):
            bad.append(f"resource {res.name}: uses {use:g} > {res.capacity:g}")
    measures = {"cost": cost.astype(np.float64), "beneficiaries": benefit,
                "count": np.ones(problem.n)}
    for rule in rules.groups:
        m = measures[rule.measure]
        total = float(m[chosen].sum())
        scale = 100.0 if rule.measure == "cost" else 1.0
        exact = rule.measure in ("cost", "count")     # whole fen / projects
        tol = 1e-6 * max(1.0, total)
        for label, mask in group_sets(problem, rule):
            got = float(m[chosen & mask].sum())
            where = f"group {rule.key} ({rule.column}={label})"
            if rule.max_share is not None and _over(got, total, rule.max_share, exact, tol):
                bad.append(f"{where}: share {got / total:.6f} > {rule.max_share}")
            if rule.min_share is not None and _over(-got, -total, rule.min_share, exact, tol):
                bad.append(f"{where}: share below {rule.min_share}")
            if rule.max_total is not None and got > float(rule.max_total) * scale + 1e-6:
                bad.append(f"{where}: total {got:g} > {rule.max_total}")
            if rule.min_total is not None and got < float(rule.min_total) * scale - 1e-6:
                bad.append(f"{where}: total {got:g} < {rule.min_total}")
    for dist in rules.distinct:
        member = problem.membership(dist.column)
        covered = int((np.asarray(member.matrix[:, sel].sum(axis=1)).ravel() > 0).sum())
        if covered < dist.min:
            bad.append(f"distinct {dist.column}: {covered} values covered < {dist.min}")
    if rules.count is not None:
        k = int(chosen.sum())
        if rules.count.min is not None and k < rules.count.min:
            bad.append(f"count: {k} < {rules.count.min}")
        if rules.count.max is not None and k > rules.count.max:
            bad.append(f"count: {k} > {rules.count.max}")
    bad.extend(_relations(problem, rules, chosen))
    if rules.schedule is not None:
        bad.extend(_schedule(problem, rules, chosen, cost, starts or {}))
    return bad


def _over(part: float, total: float, share: float, exact: bool, tol: float) -> bool:
    """``part > share × total``: exactly (the share as the fraction its decimal text says,
    0.7 = 7/10) for whole fen or project counts, else beyond ``tol``."""
    if exact:
        frac = exact_share(share)
        return round(part) * frac.denominator > frac.numerator * round(total)
    return part > share * total + tol


def _relations(problem: Problem, rules: Rules, chosen: np.ndarray) -> list[str]:
    frame = problem.proposals.frame
    index = problem.index
    ids = problem.ids
    requires = frame["requires"].to_numpy(dtype=object)
    excludes = frame["excludes"].to_numpy(dtype=object)
    bad = []
    for i in np.flatnonzero(chosen):
        if rules.relations.requires:
            for o in requires[i]:
                j = index.get(str(o))
                if j is None or not chosen[j]:
                    bad.append(f"requires: {ids[i]} selected without {o}")
        if rules.relations.excludes:
            for o in excludes[i]:
                j = index.get(str(o))
                if j is not None and j != i and chosen[j]:
                    bad.append(f"excludes: {ids[i]} and {o} both selected")
    if rules.relations.variants:
        groups = frame["variant_group"].to_numpy(dtype=object)[chosen]
        names = [str(g) for g in groups
                 if g is not None and not (isinstance(g, float) and np.isnan(g)) and str(g)]
        dup = sorted({g for g in names if names.count(g) > 1})
        if dup:
            bad.append(f"variants: more than one version of {dup}")
    return bad


def _schedule(problem: Problem, rules: Rules, chosen: np.ndarray, cost: np.ndarray,
              starts: Mapping[int, int]) -> list[str]:
    from selector.engine.formulate import Inputs, schedule_window

    sched = rules.schedule
    assert sched is not None
    sel = np.flatnonzero(chosen)
    inputs = Inputs(problem=problem, rules=rules, cost=cost, weight=cost.astype(float),
                    benefit=cost.astype(float), budget_minor=None, eligible=chosen)
    first, length, horizon = schedule_window(inputs, sel)
    bad = []
    months = max(horizon, int((first + length - 1).max(initial=horizon)))
    spend = np.zeros(months + 2)
    running = np.zeros(months + 2, dtype=np.int64)
    for k, i in enumerate(sel):
        m = starts.get(int(i))
        if m is None:
            bad.append(f"schedule: {problem.ids[i]} has no start month")
            continue
        last = max(horizon - int(length[k]) + 1, int(first[k]))
        if not first[k] <= m <= last:
            bad.append(f"schedule: {problem.ids[i]} starts in month {m}, allowed "
                       f"{first[k]}..{last}")
            continue
        spend[m:m + length[k]] += cost[i] / length[k]
        running[m:m + length[k]] += 1
    if sched.monthly_spend_cap is not None:
        cap = float(sched.monthly_spend_cap) * 100
        for t in np.flatnonzero(spend > cap + 1.0):
            bad.append(f"schedule: month {t} spends {spend[t] / 100:.2f} > {cap / 100:.2f}")
    if sched.max_concurrent is not None:
        for t in np.flatnonzero(running > sched.max_concurrent):
            bad.append(f"schedule: {running[t]} projects run in month {t}")
    return bad


def verify_selection(problem: Problem, rules: Rules, chosen: np.ndarray, **kwargs: object) -> None:
    """Raise :class:`SolverError` when the list breaks any rule (see :func:`rule_violations`)."""
    bad = rule_violations(problem, rules, chosen, **kwargs)  # type: ignore[arg-type]
    if bad:
        raise SolverError("the solver's list breaks the rules: " + "; ".join(bad[:10]),
                          solver_status="verification failed")

