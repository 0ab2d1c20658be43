"""What an office does without an optimiser: rank by beneficiaries per yuan, fund down the list.

:func:`greedy` is the baseline the benchmarks compare the exact engine against. It respects
the rules the way a careful office would, in one pass down the ranking:

- screening first (the engine's own :func:`~selector.engine.screen` reasons);
- forced-in proposals are funded first, then the rest by objective per yuan (highest
  first; ties: cheaper first, then input order);
- a proposal is skipped when it would break a cap: the budget, a pool's money (it is paid
  from the pools it may use, in the order the rules list them), a resource capacity, a
  group's ``max_total``, a group's ``max_share`` of the money (read as a share of the
  *budget*, since the final total is not known during the pass), ``count.max``, an
  ``excludes`` relation, a second version of a variant group, or a ``requires`` whose
  prerequisite is not funded yet;
- rules it cannot guarantee in one pass (floors, shares of the final total, coverage,
  ``count.min``, schedules: greedy gives no start months) are checked afterwards with
  the engine's verifier, and every broken one is reported in
  :attr:`GreedyResult.violations`: honest, not hidden.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from selector.engine.families import Outcome, Reason, RuleCheck
from selector.engine.families.groups import group_sets, measure_of
from selector.engine.families.pools import pool_amounts, pool_eligibility
from selector.engine.families.resources import resource_use
from selector.engine.objective import objective_weights
from selector.engine.screening import check_columns, screen_problem
from selector.engine.verify import rule_violations
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, parse_money, to_fen
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["GreedyResult", "greedy"]


@dataclass(frozen=True)
class GreedyResult:
    """The list a greedy office would fund.

    Attributes
    ----------
    selected:
        Ids funded, in input order.
    chosen:
        Boolean mask over the proposals.
    objective:
        The value of the rules' objective (beneficiaries by default).
    beneficiaries:
        Estimated beneficiaries of the list.
    total_cost:
        Exact money spent (major units).
    violations:
        Every rule check the list breaks (empty: the list satisfies all rules);
        ``check.render(lang)`` says each in words.
    ineligible:
        ``{id: (reason, ...)}`` from screening (English).
    ineligible_reasons:
        The same, structured (``reason.render(lang)``).
    pool_payments:
        ``{id: {pool: amount}}`` in major units (empty when there are no pools).
    seconds:
        Wall time of the call.
    """

    selected: tuple[str, ...]
    chosen: np.ndarray
    objective: float
    beneficiaries: float
    total_cost: Decimal
    violations: tuple[RuleCheck, ...]
    ineligible: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ineligible_reasons: Mapping[str, tuple[Reason, ...]] = field(default_factory=dict)
    pool_payments: dict[str, dict[str, Decimal]] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def feasible(self) -> bool:
        """True when the list satisfies every rule."""
        return not self.violations


class _Caps:
    """Running totals of every cap the greedy pass can check before funding a proposal."""

    def __init__(self, problem: Problem, rules: Rules, cost: np.ndarray, benefit: np.ndarray,
                 budget_minor: int | None) -> None:
        self.cost = cost
        self.left = budget_minor
        self.rules = rules
        # pools
        self.pool_left = pool_amounts(rules.pools)
        self.pool_ok = pool_eligibility(problem, rules.pools) if rules.pools else None
        self.payments = np.zeros((problem.n, len(rules.pools)), dtype=np.int64)
        # resources
        self.use = [resource_use(problem, r) for r in rules.resources]
        self.res_left = [float(r.capacity) for r in rules.resources]
        # group caps: (member mask, measure vector, room left)
        self.groups: list[tuple[np.ndarray, np.ndarray, list[float]]] = []
        count_max = rules.count.max if rules.count is not None else None
        for rule in rules.groups:
            caps = []
            if rule.max_total is not None:
                caps.append(float(rule.max_total) * (100.0 if rule.measure == "cost" else 1.0))
            if rule.max_share is not None and rule.measure == "cost" and budget_minor is not None:
                caps.append(rule.max_share * budget_minor)
            if rule.max_share is not None and rule.measure == "count" and count_max is not None:
                caps.append(rule.max_share * count_max)
            if not caps:
                continue
            for _label, mask in group_sets(problem, rule):
                self.groups.append((mask, measure_of(problem, rule.measure, cost, benefit),
                                    [min(caps)]))
        self.count_left = count_max
        frame = problem.proposals.frame
        self.index = problem.index
        self.requires = frame["requires"].to_numpy(dtype=object)
        self.excludes = frame["excludes"].to_numpy(dtype=object)
        self.variant = frame["variant_group"].to_numpy(dtype=object)
        self.variant_taken: set[str] = set()
        self.excluded = np.zeros(problem.n, dtype=bool)

    def try_fund(self, i: int, chosen: np.ndarray) -> bool:
        """Fund proposal ``i`` when no cap breaks; update the running totals."""
        if self._over_a_cap(i) or self._breaks_a_relation(i, chosen):
            return False
        pay = self._payment(i)
        if pay is False:
            return False
        chosen[i] = True
        self._count(i, pay if isinstance(pay, np.ndarray) else None)
        return True

    def _over_a_cap(self, i: int) -> bool:
        """The budget, ``count.max``, a resource or a group's cap has no room for ``i``."""
        if self.left is not None and int(self.cost[i]) > self.left:
            return True
        if self.count_left is not None and self.count_left < 1:
            return True
        if any(use[i] > self.res_left[r] + 1e-9 for r, use in enumerate(self.use)):
            return True
        return any(mask[i] and measure[i] > room[0] + 1e-9 for mask, measure, room in self.groups)

    def _breaks_a_relation(self, i: int, chosen: np.ndarray) -> bool:
        """``i`` is excluded by (or excludes) a funded one, is a second version of an idea,
        or requires one not funded yet."""
        rel = self.rules.relations
        if rel.excludes and (self.excluded[i] or any(
                self.index.get(str(o)) is not None and chosen[self.index[str(o)]]
                for o in self.excludes[i])):
            return True
        if rel.variants and self._variant(i) in self.variant_taken:
            return True
        return rel.requires and any(self.index.get(str(o)) is None or not chosen[self.index[str(o)]]
                                    for o in self.requires[i])

    def _variant(self, i: int) -> str | None:
        variant = self.variant[i]
        return variant if isinstance(variant, str) and variant != "" else None

    def _payment(self, i: int) -> np.ndarray | bool:
        """How the pools pay for ``i`` (in the order the rules list them), ``False`` when
        they cannot, ``True`` when there are no pools."""
        if self.pool_ok is None:
            return True
        ok = self.pool_ok[i]
        due = int(self.cost[i])
        if int(self.pool_left[ok].sum()) < due:
            return False
        pay = np.zeros(len(self.pool_left), dtype=np.int64)
        for p in np.flatnonzero(ok):
            take = min(due, int(self.pool_left[p]))
            pay[p] = take
            due -= take
        return pay

    def _count(self, i: int, pay: np.ndarray | None) -> None:
        """Take funded ``i`` off every running total."""
        if self.left is not None:
            self.left -= int(self.cost[i])
        if self.count_left is not None:
            self.count_left -= 1
        if pay is not None:
            self.pool_left -= pay
            self.payments[i] = pay
        for r, use in enumerate(self.use):
            self.res_left[r] -= float(use[i])
        for mask, measure, room in self.groups:
            if mask[i]:
                room[0] -= float(measure[i])
        variant = self._variant(i)
        if self.rules.relations.variants and variant is not None:
            self.variant_taken.add(variant)
        if self.rules.relations.excludes:
            for other in self.excludes[i]:
                j = self.index.get(str(other))
                if j is not None:
                    self.excluded[j] = True


def greedy(proposals: ProposalSet, rules: Rules | None = None, *,
           budget: MoneyLike | None = None) -> GreedyResult:
    """Rank by objective per yuan and fund down the list while every cap holds.

    Parameters
    ----------
    proposals:
        The proposals.
    rules:
        The rules (default: budget only).
    budget:
        Overrides the rules' total budget.

    Returns
    -------
    GreedyResult
        The list, its totals and every rule it breaks (see the module docstring).

    Examples
    --------
    >>> from selector import Proposal, ProposalSet, Rules
    >>> ps = ProposalSet.from_proposals([
    ...     Proposal(id=str(i), domain="health", cost=c, beneficiaries=b,
    ...              indicators=[{"name": "served", "target": b}])
    ...     for i, (c, b) in enumerate([(40, 50), (50, 60), (30, 35)])])
    >>> g = greedy(ps, Rules(budget=80))
    >>> g.selected, g.beneficiaries, g.feasible
    (('0', '2'), 85.0, True)
    """
    start = time.perf_counter()
    rules = rules or Rules()
    if budget is not None:
        rules = rules.with_budget(parse_money(budget, "budget"))
    problem = Problem(proposals)
    check_columns(problem, rules)
    total = rules.total_budget
    budget_minor = None if total is None else to_fen(total, "budget", rounding="floor")
    cost = problem.cost
    benefit = problem.benefit
    screening = screen_problem(problem, rules, cost, budget_minor)
    weight = objective_weights(problem, rules, benefit)

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cost > 0, weight / np.maximum(cost, 1), np.inf * np.sign(weight))
    ratio = np.nan_to_num(ratio, nan=0.0)
    order = np.lexsort((np.arange(problem.n), cost, -ratio))
    forced = [problem.index[f.id] for f in rules.force_in]
    chosen = np.zeros(problem.n, dtype=bool)
    caps = _Caps(problem, rules, cost, benefit, budget_minor)
    eligible = screening.eligible
    for i in forced:
        if eligible[i]:
            caps.try_fund(i, chosen)
    for i in order:
        if eligible[i] and not chosen[i] and weight[i] > 0:
            caps.try_fund(int(i), chosen)
    payments = caps.payments if rules.pools else None
    bad = rule_violations(Outcome(problem=problem, rules=rules, chosen=chosen, cost=cost,
                                  benefit=benefit, budget_minor=budget_minor,
                                  eligible=eligible, payments=payments))
    pool_payments: dict[str, dict[str, Decimal]] = {}
    if rules.pools:
        names = [p.name for p in rules.pools]
        for k in np.flatnonzero(chosen):
            pool_payments[str(problem.ids[k])] = {
                names[p]: from_fen(v) for p, v in enumerate(caps.payments[k]) if v}
    return GreedyResult(
        selected=tuple(str(problem.ids[i]) for i in np.flatnonzero(chosen)),
        chosen=chosen,
        objective=float(weight[chosen].sum()),
        beneficiaries=float(benefit[chosen].sum()),
        total_cost=from_fen(int(cost[chosen].sum())),
        violations=tuple(bad),
        ineligible=screening.reasons,
        ineligible_reasons=screening.why,
        pool_payments=pool_payments,
        seconds=time.perf_counter() - start,
    )
