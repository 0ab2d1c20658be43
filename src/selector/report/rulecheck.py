"""How each rule of the call was met by a selection (pure; reads the Problem arrays).

One row per rule (per group for breadth rules): the limit, the value achieved, whether it
holds, and whether it is binding. "Binding" is what the engine reported in
``Selection.binding`` (rule names matched by :func:`is_binding`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from selector.problem import Problem
from selector.report.fmt import money, number, percent
from selector.report.i18n import Lang
from selector.result import Selection
from selector.rules import GroupRule

__all__ = ["RuleRow", "evaluate_rules", "is_binding"]

_TOL = 1e-6


@dataclass(frozen=True)
class RuleRow:
    """One rule and how it was met."""

    key: str          # stable name, compared with ``Selection.binding``
    rule: str         # in words
    limit: str
    achieved: str
    met: bool
    binding: bool


def is_binding(names: Iterable[str], binding: Iterable[str]) -> bool:
    """True when the engine reported one of ``names`` as binding.

    ``names`` are the engine's constraint-row names of the rule (``"budget"``,
    ``"pool[fiscal]"``, ``"share_max[domain=health]"``, ...) or its rule keys
    (``"groups[0]"``, ``"count.max"``); a name ending in ``[`` matches any row it starts.

    Examples
    --------
    >>> is_binding(["budget"], ["budget", "count_max"])
    True
    >>> is_binding(["pool[fiscal]"], ["pool[charity]"])
    False
    >>> is_binding(["spend["], ["spend[month=3]"])
    True
    """
    tight = set(binding)
    for name in names:
        if name in tight:
            return True
        if name.endswith("[") and any(b.startswith(name) for b in tight):
            return True
    return False


def _w(lang: Lang, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _yuan(minor: float) -> Decimal:
    return Decimal(int(round(minor))) / 100


def _measure(problem: Problem, measure: str) -> np.ndarray:
    if measure == "cost":
        return problem.cost.astype(np.float64)
    if measure == "beneficiaries":
        return problem.benefit
    return np.ones(problem.n)


def _show(measure: str, value: float) -> str:
    if measure == "cost":
        return money(_yuan(value))
    return number(value)


def _group_rows(problem: Problem, x: np.ndarray, g: int, rule: GroupRule, lang: Lang,
                binding: Sequence[str]) -> list[RuleRow]:
    values = _measure(problem, rule.measure)
    member = problem.membership(rule.column, list(rule.values) or None)
    total = float(values @ x)
    if rule.combine:
        groups = [("+".join(rule.values), member.union(list(rule.values)))]
    else:
        labels = list(rule.values) or member.labels
        groups = [(lab, member.union([lab])) for lab in labels]
    scale = 100.0 if rule.measure == "cost" else 1.0  # totals in the rules file are yuan
    what = {"cost": _w(lang, "支出", "spend"), "beneficiaries": _w(lang, "受益人数", "beneficiaries"),
            "count": _w(lang, "项目数", "projects")}[rule.measure]
    rows = []
    for label, mask in groups:
        val = float(values[mask] @ x[mask])
        share = val / total if total > 0 else 0.0
        limits, ok = [], True
        if rule.max_share is not None:
            limits.append(f"≤ {percent(rule.max_share)}")
            ok &= share <= rule.max_share + _TOL
        if rule.min_share is not None:
            limits.append(f"≥ {percent(rule.min_share)}")
            ok &= share >= rule.min_share - _TOL
        if rule.max_total is not None:
            limits.append(f"≤ {_show(rule.measure, float(rule.max_total) * scale)}")
            ok &= val <= float(rule.max_total) * scale + _TOL
        if rule.min_total is not None:
            limits.append(f"≥ {_show(rule.measure, float(rule.min_total) * scale)}")
            ok &= val >= float(rule.min_total) * scale - _TOL
        key = f"{rule.key}[{label}]"
        tag = f"[{rule.column}={label}{'' if rule.measure == 'cost' else ',' + rule.measure}]"
        names = [f"{n}{tag}" for n in ("share_max", "share_min", "total_max", "total_min")]
        rows.append(RuleRow(
            key=key,
            rule=_w(lang, f"{rule.column} = {label}：{what}", f"{rule.column} = {label}: {what}"),
            limit="; ".join(limits),
            achieved=f"{_show(rule.measure, val)} ({percent(share)})",
            met=bool(ok),
            binding=is_binding([*names, f"groups[{g}]"], binding),
        ))
    return rows


def evaluate_rules(selection: Selection, lang: Lang = "en",
                   problem: Problem | None = None) -> list[RuleRow]:
    """Every rule of ``selection.rules`` with its limit and the value achieved."""
    rules = selection.rules
    problem = problem or Problem(selection.proposals)
    index = problem.index
    x = np.zeros(problem.n)
    x[[index[i] for i in selection.selected]] = 1.0
    binding = list(selection.binding)
    rows: list[RuleRow] = []

    def add(key: str, rule: str, limit: str, achieved: str, met: bool,
            names: Sequence[str] | None = None) -> None:
        tight = is_binding([key] if names is None else names, binding)
        rows.append(RuleRow(key, rule, limit, achieved, met, tight))

    spent = selection.total_cost
    if selection.budget is not None:
        add("budget", _w(lang, "总预算", "Total budget"), f"≤ {money(selection.budget)}",
            money(spent), spent <= selection.budget)
    for pool in rules.pools:
        paid = sum((p.get(pool.name, Decimal(0)) for p in selection.pool_payments.values()),
                   Decimal(0))
        add(f"pool[{pool.name}]", _w(lang, f"资金池 {pool.name}", f"Pool {pool.name}"),
            f"≤ {money(pool.amount)}", money(paid), paid <= pool.amount)
    for res in rules.resources:
        used = float(np.nan_to_num(problem.column(res.column)) @ x)
        add(f"resource[{res.name}]", _w(lang, f"资源 {res.name}（{res.column}）",
                                        f"Resource {res.name} ({res.column})"),
            f"≤ {number(res.capacity, 1)}", number(used, 1), used <= res.capacity + _TOL)
    for g, group in enumerate(rules.groups):
        rows.extend(_group_rows(problem, x, g, group, lang, binding))
    for d, dist in enumerate(rules.distinct):
        member = problem.membership(dist.column)
        covered = int(np.count_nonzero(member.matrix @ x))
        key = dist.name or f"distinct[{dist.column}]"
        add(key, _w(lang, f"覆盖不同的 {dist.column}", f"Distinct {dist.column} covered"),
            f"≥ {dist.min}", str(covered), covered >= dist.min,
            [f"distinct[{dist.column}]", f"distinct[{d}]"])
    if rules.max_project_share is not None and selection.budget:
        largest = max((problem.cost[index[i]] for i in selection.selected), default=0)
        share = float(_yuan(largest) / selection.budget)
        add("max_project_share", _w(lang, "单个项目占预算比例", "Largest project's share of budget"),
            f"≤ {percent(rules.max_project_share)}", percent(share),
            share <= rules.max_project_share + _TOL)
    if rules.count is not None:
        lim = []
        if rules.count.min is not None:
            lim.append(f"≥ {rules.count.min}")
        if rules.count.max is not None:
            lim.append(f"≤ {rules.count.max}")
        n = selection.count
        ok = (rules.count.min is None or n >= rules.count.min) and (
            rules.count.max is None or n <= rules.count.max)
        add("count", _w(lang, "项目数", "Number of projects"), "; ".join(lim), str(n), ok,
            ["count_min", "count_max", "count.min", "count.max"])
    if rules.schedule is not None:
        rows.extend(_schedule_rows(selection, problem, lang, binding))
    for force in rules.force_in:
        add(f"force_in[{force.id}]", _w(lang, f"指定入选 {force.id}", f"Forced in: {force.id}"),
            force.reason or "–", _w(lang, "入选", "selected") if force.id in selection.selected
            else _w(lang, "未入选", "not selected"), force.id in selection.selected)
    for force in rules.force_out:
        add(f"force_out[{force.id}]", _w(lang, f"指定排除 {force.id}", f"Forced out: {force.id}"),
            force.reason or "–", _w(lang, "未入选", "not selected")
            if force.id not in selection.selected else _w(lang, "入选", "selected"),
            force.id not in selection.selected)
    return rows


def _schedule_rows(selection: Selection, problem: Problem, lang: Lang,
                   binding: Sequence[str]) -> list[RuleRow]:
    sched = selection.rules.schedule
    assert sched is not None
    duration = problem.column("duration_months")
    spans = []
    for pid, start in selection.schedule.items():
        i = problem.index[pid]
        d = int(duration[i]) if np.isfinite(duration[i]) and duration[i] >= 1 else 1
        spans.append((i, int(start), d))
    horizon = max([12, *(s + d for _, s, d in spans)])
    spend = np.zeros(horizon + 1)
    running = np.zeros(horizon + 1)
    for i, start, d in spans:
        spend[start:start + d] += problem.cost[i] / d
        running[start:start + d] += 1
    rows = []
    if sched.monthly_spend_cap is not None:
        peak = _yuan(float(spend.max()))
        rows.append(RuleRow("schedule.monthly_spend_cap",
                            _w(lang, "月度支出上限", "Monthly spend cap"),
                            f"≤ {money(sched.monthly_spend_cap)}", money(peak),
                            peak <= sched.monthly_spend_cap + Decimal("0.01"),
                            is_binding(["spend[", "schedule"], binding)))
    if sched.max_concurrent is not None:
        peak_n = int(running.max())
        rows.append(RuleRow("schedule.max_concurrent",
                            _w(lang, "同时实施项目数上限", "Projects running at once"),
                            f"≤ {sched.max_concurrent}", str(peak_n),
                            peak_n <= sched.max_concurrent,
                            is_binding(["concurrent[", "schedule"], binding)))
    return rows
