"""Rule changes for what-if questions: every rule lifted, or loosened by one step.

A :class:`~selector.engine.families.RuleChange` is a copy of the rules with one limit
lifted (to find what blocks a runner-up) or loosened by a documented step (to measure
what one more unit of room is worth). Each rule family says how its rules change
(:meth:`~selector.engine.families.Family.lifts`,
:meth:`~selector.engine.families.Family.loosenings`); the steps are in each family's
docstring:

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

from collections.abc import Iterable

from selector.engine.families import RuleChange, active_families
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["label_columns", "lifts", "loosenings"]


def lifts(rules: Rules, problem: Problem, labels_of: Iterable[str] | None = None) -> list[RuleChange]:
    """Every single-rule lift that could let a runner-up in.

    Group rules are lifted whole (key without a label) and, for the groups in
    ``labels_of`` (default: every group), one group at a time.
    """
    labels = None if labels_of is None else set(labels_of)
    return [change for family in active_families(rules)
            for change in family.lifts(rules, problem, labels)]


def loosenings(rules: Rules, problem: Problem) -> list[RuleChange]:
    """Every cap and floor loosened by one step, one group at a time."""
    return [change for family in active_families(rules)
            for change in family.loosenings(rules, problem)]


def label_columns(rules: Rules) -> tuple[str, ...]:
    """The columns whose groups some rule limits one group at a time (a lift of one group
    concerns the proposals of that group only)."""
    return tuple(dict.fromkeys(column for family in active_families(rules)
                               for column in family.label_columns(rules)))
