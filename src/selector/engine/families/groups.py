r"""Breadth of benefit: caps and floors on groups of any column.

Rules file::

    [[groups]]
    name = "every domain gets a project"   # optional: the planner's own words
    column = "domain"                   # single- or multi-valued (target_groups, ...)
    values = []                         # empty: each value of the column on its own
    combine = false                     # true: the listed values form one union group
    measure = "cost"                    # "cost" | "beneficiaries" | "count"
    max_share = 0.30                    # of the selected total of `measure`
    min_share = 0.0
    max_total = 9_000_000               # absolute (yuan, beneficiaries or projects)
    min_total = 1

Rows (``m_k`` the measure of candidate ``k``: fen, beneficiaries or 1; ``G`` a group; a
share ``s = p/q`` as the fraction its decimal text says, 0.7 = 7/10)::

    T_m − Σ_k m_k x_k = 0                                   [total[measure]]
    q·Σ_{k∈G} m_k x_k − p·T_m ≤ 0  (≥ 0 for a floor)  ∀ G   [share_max[col=G]], [share_min[col=G]]
    L ≤ Σ_{k∈G} m_k x_k ≤ U                   ∀ G           [total_max[col=G]], [total_min[col=G]]

A share cap is written against one auxiliary total ``T_m`` (one dense row per measure) so
that each group row holds only that group's members: the rows stay sparse at scale. In
fen or counts a row then holds whole numbers, and a list exactly at the cap stays
feasible. A share whose fraction has a denominator above
:data:`SHARE_DENOMINATOR_MAX` keeps its decimal coefficient.

Checks ``groups[g].<limit>[<column>=<group>]`` (``limit``: ``max_share``, ``min_share``,
``max_total``, ``min_total``): a share of money or of projects exactly (whole fen and
counts against the exact fraction), of beneficiaries within 1e-6 of the total; a total
within 1e-6.

Relaxations: a cap or floor lifted (whole, and one group at a time), or loosened by one
step: one percentage point of a share, 1 % of a money or beneficiaries total (rounded up,
at least 1), one project. A rule over every value of a column is split so that only one
group's limit changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_CEILING, Decimal
from typing import Any

import numpy as np

from selector._errors import InputProblem
from selector.engine.families.base import (
    Family,
    Outcome,
    RuleChange,
    RuleCheck,
    Side,
    ValueUnit,
    no_column,
)
from selector.engine.program import Builder, Inputs
from selector.engine.words import Column, Label, Words
from selector.i18n import has
from selector.problem import Problem
from selector.rules import GroupRule, Rules, exact_share

__all__ = ["SHARE_DENOMINATOR_MAX", "Groups", "group_labels", "group_sets"]

INF = np.inf

#: A share whose exact fraction has a denominator up to this is written in whole numbers
#: (den·part − num·total ≤ 0); finer shares keep the decimal coefficient.
SHARE_DENOMINATOR_MAX = 1000

#: The limits of a group rule: (attribute, side, kind).
LIMITS: tuple[tuple[str, Side, str], ...] = (
    ("max_share", "max", "share"), ("min_share", "min", "share"),
    ("max_total", "max", "total"), ("min_total", "min", "total"))


def group_labels(problem: Problem, rule: GroupRule) -> list[str]:
    """The groups a rule constrains separately (one combined label when ``combine``)."""
    if rule.combine:
        return ["+".join(rule.values)]
    return list(rule.values) or list(problem.membership(rule.column).labels)


def group_sets(problem: Problem, rule: GroupRule) -> list[tuple[str, np.ndarray]]:
    """The groups of a rule: ``(label, 0/1 mask over all proposals)``."""
    member = problem.membership(rule.column)
    if rule.combine:
        return [("+".join(rule.values), member.union(list(rule.values)))]
    return [(lab, member.union([lab])) for lab in group_labels(problem, rule)]


def measure_of(problem: Problem, measure: str, cost: np.ndarray,
               benefit: np.ndarray) -> np.ndarray:
    """Per-proposal amount of a group measure (cost in fen, beneficiaries, count)."""
    if measure == "cost":
        return cost.astype(np.float64)
    if measure == "beneficiaries":
        return np.asarray(benefit, dtype=np.float64)
    return np.ones(problem.n)


# -- words ------------------------------------------------------------------------------------
def _who(rule: GroupRule, label: str | None) -> Words:
    """The group(s) a limit is about: "each domain", "domain Health", "target_groups A+B"."""
    if label is None:
        return Words("rules.groups.who_each", {"column": Column(rule.column)})
    values = tuple(label.split("+")) if rule.combine else (label,)
    return Words("rules.groups.who_one", {
        "column": Column(rule.column),
        "label": Words("rules.groups.joined", {"items": tuple(
            Label(rule.column, v) for v in values)})})


def _unit_of(rule: GroupRule, kind: str) -> ValueUnit:
    if kind == "share":
        return "share"
    units: dict[str, ValueUnit] = {"cost": "money", "count": "count", "beneficiaries": "number"}
    return units[rule.measure]


def _amount(rule: GroupRule, value: Any, kind: str) -> Words:
    """A limit's value in words: "30% of the money", "¥9,000,000", "1 projects"."""
    if kind == "share":
        return Words("rules.groups.limit_share", {
            "share": exact_share(float(value)),
            "measure": Words(f"rules.groups.measure_{rule.measure}")})
    if rule.measure == "cost":
        return Words("rules.groups.limit_money", {"amount": Decimal(str(value))})
    return Words(f"rules.groups.limit_{rule.measure}", {"n": _whole(value)})


def _whole(value: Any) -> int | float:
    number = float(value)
    return int(number) if number.is_integer() else number


def limit_words(rule: GroupRule, side: Side, label: str | None, value: Any,
                kind: str) -> Words:
    """One limit in words: "the cap of 30% of the money for domain Health"."""
    return Words(f"rules.groups.{'cap' if side == 'max' else 'floor'}", {
        "limit": _amount(rule, value, kind), "who": _who(rule, label)})


def name_words(rule: GroupRule, label: str, kind: str) -> Words:
    """What one limit measures: "domain Health: share of the money", "domain Health:
    spending"."""
    if kind == "share":
        return Words("rules.groups.name_share", {
            "who": _who(rule, label), "measure": Words(f"rules.groups.measure_{rule.measure}")})
    return Words("rules.groups.name_total", {
        "who": _who(rule, label), "measure": Words(f"rules.groups.amount_{rule.measure}")})


def rule_words(rule: GroupRule) -> Words:
    """A whole group rule in words: its ``name`` when it has one (the planner's own
    words), else e.g. "every domain gets at least 1 project(s)"."""
    if rule.name:
        return Words("rules.named", {"name": rule.name})
    column = Column(rule.column)
    values = tuple(Label(rule.column, v) for v in rule.values)
    if rule.combine:
        who = Words("rules.groups.rule_combined", {"column": column, "values": values})
    elif rule.values:
        who = Words("rules.groups.rule_listed", {"column": column, "values": values})
    else:
        who = Words("rules.groups.rule_every", {"column": column})
    parts = []
    for attr in ("min_total", "max_total", "min_share", "max_share"):
        value = getattr(rule, attr)
        if value is None:
            continue
        side, kind = attr.split("_")
        if kind == "share":
            parts.append(Words(f"rules.groups.gets_{side}_share", {
                "share": exact_share(value),
                "measure": Words(f"rules.groups.measure_{rule.measure}")}))
        elif rule.measure == "cost":
            parts.append(Words(f"rules.groups.gets_{side}_money", {"amount": Decimal(value)}))
        else:
            parts.append(Words(f"rules.groups.gets_{side}_{rule.measure}", {"n": _whole(value)}))
    limits = parts[0]
    for part in parts[1:]:
        limits = Words("rules.groups.and", {"first": limits, "then": part})
    return Words("rules.groups.rule", {"who": who, "limits": limits})


def _plural(column: str) -> Words:
    """The values of a column, counted: "domains", "district values"."""
    key = f"rules.plural.{column}"
    return Words(key) if has(key) else Words("rules.groups.values_of", {"column": Column(column)})


class Groups(Family):
    """Caps and floors on shares and totals of groups."""

    key = "groups"

    def active(self, rules: Rules) -> bool:
        return bool(rules.groups)

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        out = []
        columns = problem.proposals.frame.columns
        for k, group in enumerate(rules.groups):
            if group.column not in columns:
                out.append(no_column(group.column, f"groups.{k}.column", columns))
                continue
            labels = problem.membership(group.column).labels
            out.extend(InputProblem(
                str(Words("rules.invalid.no_group", {"column": group.column, "value": v})),
                column=f"groups.{k}.values", value=v) for v in group.values if v not in labels)
        return out

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        totals: dict[str, int] = {}
        for g, rule in enumerate(inp.rules.groups):
            sets = group_sets(inp.problem, rule)
            meas = measure_of(inp.problem, rule.measure, inp.cost, inp.benefit)[cand]
            empty = sum(1 for _, mask in sets if not mask[cand].any())
            fact = None if rule.combine else Words(
                "rules.groups.fact_empty" if empty else "rules.groups.fact",
                {"n": len(sets), "values": _plural(rule.column), "empty": empty})
            u = b.unit(f"groups[{g}]", self.key, rule_words(rule), fact)
            for label, mask in sets:
                self._group_rows(b, u, g, rule, label, np.flatnonzero(mask[cand]), meas, totals)

    def _group_rows(self, b: Builder, u: int, g: int, rule: GroupRule, label: str,
                    k: np.ndarray, meas: np.ndarray, totals: dict[str, int]) -> None:
        vals = meas[k]
        scale = 100.0 if rule.measure == "cost" else 1.0
        suffix = "" if rule.measure == "cost" else f",{rule.measure}"
        tag = f"[{rule.column}={label}{suffix}]"
        where = f"[{rule.column}={label}]"
        for attr, name in (("max_share", "share_max"), ("min_share", "share_min")):
            share = getattr(rule, attr)
            if share is None:
                continue
            if rule.measure not in totals:
                totals[rule.measure] = _total(b, rule.measure, meas)
            cols = np.concatenate([k, [totals[rule.measure]]])
            frac = exact_share(share)
            if frac.denominator <= SHARE_DENOMINATOR_MAX:
                # den·part − num·total: whole numbers for fen and counts, so a list
                # exactly at the cap is not lost to 0.7 being 0.6999… in binary
                coef = np.concatenate([vals * frac.denominator, [-float(frac.numerator)]])
            else:
                coef = np.concatenate([vals, [-float(share)]])
            lo, hi = (-INF, 0.0) if attr == "max_share" else (0.0, INF)
            b.rows([name + tag], u, np.zeros(len(k) + 1), cols, coef, lo, hi,
                   check=f"groups[{g}].{attr}{where}")
        if rule.max_total is not None:
            b.rows(["total_max" + tag], u, np.zeros(len(k)), k, vals, -INF,
                   float(rule.max_total) * scale, check=f"groups[{g}].max_total{where}")
        if rule.min_total is not None:
            b.rows(["total_min" + tag], u, np.zeros(len(k)), k, vals,
                   float(rule.min_total) * scale, INF, check=f"groups[{g}].min_total{where}")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        out = []
        for g, rule in enumerate(o.rules.groups):
            m = measure_of(o.problem, rule.measure, o.cost, o.benefit)
            total = float(m[o.chosen].sum())
            for label, mask in group_sets(o.problem, rule):
                inside = o.chosen & mask
                got = float(m[inside].sum())
                members = o.ids(inside)
                for attr, side, kind in LIMITS:
                    limit = getattr(rule, attr)
                    if limit is None:
                        continue
                    limit_shown, achieved, ok = _measured(rule, side, kind, limit, got, total)
                    out.append(RuleCheck(
                        f"groups[{g}].{attr}[{rule.column}={label}]", self.key, f"groups[{g}]",
                        side, limit_shown, achieved, ok, _unit_of(rule, kind),
                        name_words(rule, label, kind), members, label, rule.column))
        return out

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        return _changes(rules, problem, labels, loosen=False)

    def label_columns(self, rules: Rules) -> tuple[str, ...]:
        return tuple(rule.column for rule in rules.groups)

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        return _changes(rules, problem, None, loosen=True)


def _measured(rule: GroupRule, side: Side, kind: str, limit: Any, got: float,
              total: float) -> tuple[Any, Any, bool]:
    """``(limit, achieved, holds)`` of one limit of a group: a share of the selected total
    (exact for money and counts), or a total (money as ``Decimal`` yuan, counts whole)."""
    exact = rule.measure in ("cost", "count")     # whole fen / projects
    if kind == "share":
        return limit, (got / total if total else 0.0), _share_holds(got, total, limit, side,
                                                                     exact)
    scale = 100.0 if rule.measure == "cost" else 1.0
    ok = (got <= float(limit) * scale + 1e-6 if side == "max"
          else got >= float(limit) * scale - 1e-6)
    if rule.measure == "cost":
        return Decimal(limit), Decimal(int(round(got))) / 100, ok
    if rule.measure == "count":
        return _whole(limit), int(round(got)), ok
    return float(limit), got, ok


def _share_holds(part: float, total: float, share: float, side: Side, exact: bool) -> bool:
    """``part ≤ share × total`` (a cap) or ``≥`` (a floor): exactly (the share as the
    fraction its decimal text says, 0.7 = 7/10) for whole fen or project counts, else
    within 1e-6 of the total."""
    if exact:
        frac = exact_share(share)
        lhs, rhs = round(part) * frac.denominator, frac.numerator * round(total)
        return lhs <= rhs if side == "max" else lhs >= rhs
    tol = 1e-6 * max(1.0, total)
    return part <= share * total + tol if side == "max" else part >= share * total - tol


def _total(b: Builder, measure: str, meas: np.ndarray) -> int:
    """An auxiliary column T = Σ m·x and its defining row; returns T's column."""
    t = b.cols(f"total[{measure}]", 1, 0.0, INF, False)
    u = b.unit(f"total[{measure}]", "groups",
               Words("rules.groups.total", {"measure": Words(f"rules.groups.measure_{measure}")}),
               structural=True)
    n = len(meas)
    b.rows([f"total[{measure}]"], u, np.zeros(n + 1), np.concatenate([np.arange(n), [t]]),
           np.concatenate([-meas, [1.0]]), 0.0, 0.0)
    return t


# -- relaxations ------------------------------------------------------------------------------
def _limits(side: Side) -> tuple[str, str]:
    return ("max_share", "max_total") if side == "max" else ("min_share", "min_total")


def _rewrite(rule: GroupRule, **update: Any) -> GroupRule | None:
    data = rule.model_dump()
    data.update(update)
    try:
        return GroupRule(**data)
    except ValueError:                   # no limit left: the rule disappears
        return None


def _with_group(rules: Rules, g: int, label: str | None, labels: list[str],
                changed: GroupRule | None) -> Rules:
    """Rules where group rule ``g`` is ``changed`` for ``label`` (others unchanged)."""
    rule = rules.groups[g]
    new: list[GroupRule] = []
    if label is not None and not rule.combine and len(labels) > 1:
        kept = _rewrite(rule, values=tuple(lab for lab in labels if lab != label))
        if kept is not None:
            new.append(kept)
    if changed is not None:
        if label is not None and not rule.combine:
            changed = _rewrite(changed, values=(label,))
        if changed is not None:
            new.append(changed)
    return rules.model_copy(update={"groups": (*rules.groups[:g], *new, *rules.groups[g + 1:])})


def _step_up(value: Decimal | float) -> Decimal:
    step = max(Decimal(str(value)) / 100, Decimal(1))
    return step.to_integral_value(rounding=ROUND_CEILING)


def _loosened(rule: GroupRule, side: Side) -> tuple[dict[str, Any], Any, Any, str]:
    """The one-step loosening of a group rule's cap or floor: (update, old, new, kind)."""
    share_attr, total_attr = _limits(side)
    share = getattr(rule, share_attr)
    total = getattr(rule, total_attr)
    if share is not None:
        if side == "max" and share < 1:
            new_share = min(1.0, round(share + 0.01, 10))
            return {share_attr: new_share}, share, new_share, "share"
        if side == "min" and share > 0:
            new_share = max(0.0, round(share - 0.01, 10))
            return {share_attr: new_share}, share, new_share, "share"
        return {}, None, None, "share"
    if total is None:
        return {}, None, None, "total"
    step = Decimal(1) if rule.measure == "count" else _step_up(total)
    if side == "max":
        return {total_attr: total + step}, total, total + step, "total"
    if total <= 0:
        return {}, None, None, "total"
    new_total = max(Decimal(0), total - step)
    return {total_attr: new_total}, total, new_total, "total"


def _targets(rule: GroupRule, labels: list[str], only: set[str] | None,
             loosen: bool) -> list[str | None]:
    """The groups a change is made for: the whole rule (lifts only) and each group."""
    if rule.combine or len(labels) == 1:
        return [labels[0]]
    whole: list[str | None] = [] if loosen else [None]
    return whole + [lab for lab in labels if only is None or lab in only]


def _changes(rules: Rules, problem: Problem, labels_of: Iterable[str] | None,
             loosen: bool) -> list[RuleChange]:
    out = []
    only = None if labels_of is None else set(labels_of)
    for g, rule in enumerate(rules.groups):
        labels = group_labels(problem, rule)
        for side in ("max", "min"):
            share_attr, total_attr = _limits(side)
            if getattr(rule, share_attr) is None and getattr(rule, total_attr) is None:
                continue
            kind = "share" if getattr(rule, share_attr) is not None else "total"
            shown = getattr(rule, share_attr if kind == "share" else total_attr)
            for label in _targets(rule, labels, only, loosen):
                if loosen:
                    update, old, new, kind = _loosened(rule, side)
                    if not update:
                        continue
                else:
                    update, old, new = {share_attr: None, total_attr: None}, None, None
                where = "" if label is None else f"[{rule.column}={label}]"
                out.append(RuleChange(
                    f"groups[{g}].{side}{where}", "groups", f"groups[{g}]", side,
                    _with_group(rules, g, label, labels, _rewrite(rule, **update)),
                    limit_words(rule, side, label, shown, kind), label,
                    None if label is None else rule.column, old, new, _unit_of(rule, kind),
                    label is None or rule.combine or len(labels) == 1))
    return out

