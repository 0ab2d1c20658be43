"""Rule changes for what-if questions: lift one rule, or loosen it by one step.

A :class:`RuleChange` is a copy of the rules with one limit lifted (to find what blocks a
runner-up) or loosened by a documented step (to measure what one more unit of room is
worth). A group rule over every value of a column ("at most 30 % of the money per
domain") is split so that only one group's limit changes: the rule is kept for the
other values and rewritten for that one.

Steps (one "unit of room"), chosen to be meaningful at any scale:

===========================  ==========================================================
limit                        one step
===========================  ==========================================================
a share (max/min)            one percentage point (0.30 → 0.31; a floor 0.10 → 0.09)
a money total (max/min)      1 % of the limit, rounded up to whole yuan (at least ¥1)
a beneficiaries total        1 % of the limit, rounded up to a whole number (at least 1)
a project count              one project
a resource capacity          1 % of the capacity (at least 1)
a distinct-values minimum    one value fewer
===========================  ==========================================================

The budget's own step lives in :mod:`selector.explain` (it is an override of the solve,
not a rule change).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

from selector.problem import Problem
from selector.rules import Count, Distinct, GroupRule, Relations, Resource, Rules

__all__ = ["RuleChange", "group_labels", "lifts", "loosenings"]

Side = Literal["max", "min", ""]


@dataclass(frozen=True)
class RuleChange:
    """One rule lifted or loosened.

    Attributes
    ----------
    key:
        Stable key, e.g. ``"groups[0].max[domain=health]"``, ``"count.max"``.
    family:
        ``"group"``, ``"count"``, ``"distinct"``, ``"resource"``, ``"max_project_share"``,
        ``"relations"``, ``"schedule"``, ``"force_in"`` or ``"pools"``.
    side:
        ``"max"`` for a cap, ``"min"`` for a floor, ``""`` otherwise.
    rule:
        The original rule object (``GroupRule``, ``Count``, ...) or ``None``.
    label:
        The group of a group rule this change is about, if any.
    rules:
        The changed rules.
    old, new:
        The limit before and after (``None`` when lifted or not a number).
    whole:
        True when the change covers the whole rule (not one group of several).
    """

    key: str
    family: str
    side: Side
    rule: Any
    label: str | None
    rules: Rules
    old: Any = None
    new: Any = None
    whole: bool = True


def group_labels(problem: Problem, rule: GroupRule) -> list[str]:
    """The groups a group rule constrains separately (one combined label when
    ``combine``)."""
    if rule.combine:
        return ["+".join(rule.values)]
    return list(rule.values) or list(problem.membership(rule.column).labels)


def _limits(rule: GroupRule, side: Side) -> tuple[str, str]:
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
        others = tuple(lab for lab in labels if lab != label)
        kept = _rewrite(rule, values=others)
        if kept is not None:
            new.append(kept)
    if changed is not None:
        if label is not None and not rule.combine:
            changed = _rewrite(changed, values=(label,))
        if changed is not None:
            new.append(changed)
    groups = (*rules.groups[:g], *new, *rules.groups[g + 1:])
    return rules.model_copy(update={"groups": groups})


def _group_changes(rules: Rules, problem: Problem, labels_of: Iterable[str] | None,
                   loosen: bool) -> list[RuleChange]:
    out = []
    only = None if labels_of is None else set(labels_of)
    for g, rule in enumerate(rules.groups):
        labels = group_labels(problem, rule)
        for side in ("max", "min"):
            share_attr, total_attr = _limits(rule, side)
            if getattr(rule, share_attr) is None and getattr(rule, total_attr) is None:
                continue
            targets: list[str | None] = [None] if not loosen else []
            if rule.combine or len(labels) == 1:
                targets = [labels[0]]
            else:
                targets += [lab for lab in labels if only is None or lab in only]
            for label in targets:
                if loosen:
                    update, old, new = _loosened(rule, side)
                    if not update:
                        continue
                else:
                    update, old, new = {share_attr: None, total_attr: None}, None, None
                changed = _rewrite(rule, **update)
                where = "" if label is None else f"[{rule.column}={label}]"
                whole = label is None or rule.combine or len(labels) == 1
                out.append(RuleChange(
                    f"groups[{g}].{side}{where}", "group", side, rule, label,
                    _with_group(rules, g, label, labels, changed), old, new, whole))
    return out


def _step_up(value: Decimal | float, minimum: float = 1.0) -> Decimal:
    step = max(Decimal(str(value)) / 100, Decimal(str(minimum)))
    return step.to_integral_value(rounding=ROUND_CEILING)


def _loosened(rule: GroupRule, side: Side) -> tuple[dict[str, Any], Any, Any]:
    """The one-step loosening of a group rule's cap or floor (see the module docstring)."""
    share_attr, total_attr = _limits(rule, side)
    share = getattr(rule, share_attr)
    total = getattr(rule, total_attr)
    if share is not None:
        if side == "max" and share < 1:
            new_share = min(1.0, round(share + 0.01, 10))
            return {share_attr: new_share}, share, new_share
        if side == "min" and share > 0:
            new_share = max(0.0, round(share - 0.01, 10))
            return {share_attr: new_share}, share, new_share
        return {}, None, None
    if total is None:
        return {}, None, None
    step = Decimal(1) if rule.measure == "count" else _step_up(total)
    if side == "max":
        return {total_attr: total + step}, total, total + step
    if total <= 0:
        return {}, None, None
    new_total = max(Decimal(0), total - step)
    return {total_attr: new_total}, total, new_total


def lifts(rules: Rules, problem: Problem,
          labels_of: Iterable[str] | None = None) -> list[RuleChange]:
    """Every single-rule lift that could let a runner-up in.

    Group rules are lifted whole (key without a label) and, for the groups in
    ``labels_of`` (default: every group), one group at a time.
    """
    out = _group_changes(rules, problem, labels_of, loosen=False)
    if rules.count is not None:
        for side in ("max", "min"):
            value = getattr(rules.count, side)
            if value is not None and not (side == "min" and value == 0):
                other = "min" if side == "max" else "max"
                rest = getattr(rules.count, other)
                count = None if rest is None else Count(**{other: rest})
                out.append(RuleChange(f"count.{side}", "count", side, rules.count, None,
                                      rules.model_copy(update={"count": count}), value))
    for d, dist in enumerate(rules.distinct):
        out.append(RuleChange(f"distinct[{d}]", "distinct", "min", dist, None, rules.model_copy(
            update={"distinct": rules.distinct[:d] + rules.distinct[d + 1:]}), dist.min))
    for r, res in enumerate(rules.resources):
        out.append(RuleChange(f"resources[{r}]", "resource", "max", res, None, rules.model_copy(
            update={"resources": rules.resources[:r] + rules.resources[r + 1:]}), res.capacity))
    if rules.max_project_share is not None:
        out.append(RuleChange("max_project_share", "max_project_share", "max",
                              rules.max_project_share, None,
                              rules.model_copy(update={"max_project_share": None}),
                              rules.max_project_share))
    for attr in ("requires", "excludes", "variants"):
        if getattr(rules.relations, attr):
            rel = Relations(**{**rules.relations.model_dump(), attr: False})
            out.append(RuleChange(f"relations.{attr}", "relations", "", attr, None,
                                  rules.model_copy(update={"relations": rel})))
    if rules.schedule is not None:
        out.append(RuleChange("schedule", "schedule", "max", rules.schedule, None,
                              rules.model_copy(update={"schedule": None})))
    for f, force in enumerate(rules.force_in):
        out.append(RuleChange(f"force_in[{force.id}]", "force_in", "", force, None,
                              rules.model_copy(update={
                                  "force_in": rules.force_in[:f] + rules.force_in[f + 1:]})))
    return out


def loosenings(rules: Rules, problem: Problem) -> list[RuleChange]:
    """Every cap and floor loosened by one step, one group at a time."""
    out = _group_changes(rules, problem, None, loosen=True)
    if rules.count is not None:
        if rules.count.max is not None:
            out.append(RuleChange("count.max", "count", "max", rules.count, None,
                                  rules.model_copy(update={"count": Count(
                                      min=rules.count.min, max=rules.count.max + 1)}),
                                  rules.count.max, rules.count.max + 1))
        if rules.count.min:
            out.append(RuleChange("count.min", "count", "min", rules.count, None,
                                  rules.model_copy(update={"count": Count(
                                      min=rules.count.min - 1, max=rules.count.max)}),
                                  rules.count.min, rules.count.min - 1))
    for d, dist in enumerate(rules.distinct):
        if dist.min > 1:
            looser = Distinct(**{**dist.model_dump(), "min": dist.min - 1})
            out.append(RuleChange(f"distinct[{d}]", "distinct", "min", dist, None,
                                  rules.model_copy(update={"distinct": (
                                      *rules.distinct[:d], looser, *rules.distinct[d + 1:])}),
                                  dist.min, dist.min - 1))
    for r, res in enumerate(rules.resources):
        cap = res.capacity + max(1.0, math.ceil(res.capacity / 100))
        looser_res = Resource(**{**res.model_dump(), "capacity": cap})
        out.append(RuleChange(f"resources[{r}]", "resource", "max", res, None,
                              rules.model_copy(update={"resources": (
                                  *rules.resources[:r], looser_res, *rules.resources[r + 1:])}),
                              res.capacity, cap))
    return out
