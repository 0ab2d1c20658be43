"""Named scenarios solved side by side.

A :class:`Scenario` is a rule set, a proposal set and/or a budget; whatever it leaves out
comes from the shared ``proposals`` / ``rules`` given to :func:`compare`. Each scenario
is solved once (on any executor); the :class:`Comparison` holds the verified selections
and tidy tables: totals per scenario, totals per domain and per target group, and the
projects that enter and leave relative to a baseline scenario.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from selector import _display  # __repr__ and _repr_html_ only
from selector._errors import InfeasibleError, InputProblem, InvalidInputError, SolverError
from selector.engine import Model
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, parse_money
from selector.result import Selection
from selector.rules import Rules
from selector.scenarios._common import RunOptions, SolveOptions, settings
from selector.scenarios.execution import run_tasks

__all__ = ["Comparison", "Scenario", "compare"]


@dataclass(frozen=True)
class Scenario:
    """One named scenario: any of a rule set, a proposal set and a budget.

    Examples
    --------
    >>> Scenario("thirty million", budget=30_000_000).name
    'thirty million'
    """

    name: str
    rules: Rules | None = None
    proposals: ProposalSet | None = None
    budget: MoneyLike | None = None


@dataclass(frozen=True)
class _Task:
    name: str
    proposals: ProposalSet
    rules: Rules | None
    budget: Decimal | None
    options: SolveOptions


@dataclass(frozen=True)
class _Outcome:
    name: str
    selection: Selection | None
    status: str
    message: str = ""


def _solve(task: _Task) -> _Outcome:
    try:
        model = Model.build(task.proposals, task.rules)
        selection = model.solve(budget=task.budget, **task.options.solve_kwargs(diagnose=True))
    except InfeasibleError as exc:
        return _Outcome(task.name, None, "infeasible", str(exc))
    except SolverError as exc:
        return _Outcome(task.name, None, "error", str(exc))
    return _Outcome(task.name, selection, selection.status.value)


@dataclass(frozen=True)
class Comparison:
    """Scenarios solved side by side.

    Attributes
    ----------
    names:
        The scenarios, in the order given.
    baseline:
        The scenario the others are compared with.
    selections:
        ``{name: Selection}`` for every scenario that has a list.
    messages:
        ``{name: why}`` for every scenario without one (infeasible, solver error).
    totals:
        One row per scenario: ``scenario, status, budget, objective, bound, beneficiaries,
        cost_used, count, entered, left, message`` (``entered``/``left``: how many projects
        differ from the baseline).
    by_domain, by_target_group:
        Long tables ``scenario, group, count, cost, beneficiaries`` of the selected
        projects. A project with several target groups counts in each of them, so the
        target-group rows of a scenario may add up to more than its totals.
    changes:
        ``scenario, change ("enters" | "leaves"), id, title, domain, cost, beneficiaries``
        relative to the baseline.
    """

    names: tuple[str, ...]
    baseline: str
    selections: dict[str, Selection]
    messages: dict[str, str]
    totals: pd.DataFrame
    by_domain: pd.DataFrame
    by_target_group: pd.DataFrame
    changes: pd.DataFrame = field(repr=False)

    def __repr__(self) -> str:
        return f"<Comparison {_display.comparison_repr(self)}>"

    def _repr_html_(self) -> str:
        return _display.comparison_html(self)

    def pivot(self, by: str = "domain", value: str = "cost") -> pd.DataFrame:
        """A wide table: one row per group, one column per scenario (zeros where absent).

        ``by`` is ``"domain"`` or ``"target_group"``; ``value`` is ``count``, ``cost`` or
        ``beneficiaries``.
        """
        long = {"domain": self.by_domain, "target_group": self.by_target_group}.get(by)
        if long is None:
            raise InvalidInputError(InputProblem.of("engine.arg.one_of", name="by",
                                                    allowed="domain, target_group", got=repr(by)))
        if value not in ("count", "cost", "beneficiaries"):
            raise InvalidInputError(InputProblem.of("engine.arg.one_of", name="value",
                                                    allowed="count, cost, beneficiaries",
                                                    got=repr(value)))
        names = [n for n in self.names if n in self.selections]
        if long.empty:
            return pd.DataFrame(columns=names)
        values = long.assign(v=[float(v) for v in long[value]])
        wide = values.pivot_table(index="group", columns="scenario", values="v", aggfunc="sum",
                                  fill_value=0.0, sort=False)
        return wide.reindex(columns=names, fill_value=0.0)


def compare(
    scenarios: Sequence[Scenario],
    *,
    proposals: ProposalSet | None = None,
    rules: Rules | None = None,
    baseline: str | None = None,
    options: SolveOptions | None = None,
    run: RunOptions | None = None,
    **shorthands: Any,
) -> Comparison:
    """Solve named scenarios side by side and tabulate what changes.

    Parameters
    ----------
    scenarios:
        At least one :class:`Scenario`; names must be unique.
    proposals, rules:
        Used by every scenario that does not bring its own.
    baseline:
        The scenario to compare with (default: the first).
    options:
        Passed to every solve (:class:`~selector.engine.options.SolveOptions`).
    run:
        Where the scenarios run (:class:`~selector.scenarios.execution.RunOptions`; by
        default in this process; one task per scenario, so ``chunks`` does not apply).
    **shorthands:
        ``solver=``, ``time_limit=``, ``gap=``, ``workers=``, ``executor=``,
        ``progress=``: one setting of ``options`` or ``run`` each.

    Returns
    -------
    Comparison

    Raises
    ------
    InvalidInputError
        No scenarios, duplicate names, an unknown baseline, a scenario without proposals,
        or rules that refer to unknown columns (from the engine).

    Examples
    --------
    >>> from selector.datasets import generate_call
    >>> from selector.rules import Rules, Eligibility
    >>> call = generate_call(10, seed=2)
    >>> rules = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
    >>> c = compare([Scenario("small", budget=300_000), Scenario("large", budget=600_000)],
    ...             proposals=call, rules=rules, solver="highs", progress=False)
    >>> list(c.totals["scenario"])
    ['small', 'large']
    """
    names = [s.name for s in scenarios]
    if not names:
        raise InvalidInputError(InputProblem.of("engine.arg.no_scenario"))
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InvalidInputError(InputProblem.of("engine.arg.duplicate_names", names=", ".join(dup)))
    base = names[0] if baseline is None else baseline
    if base not in names:
        raise InvalidInputError(InputProblem.of("engine.arg.one_of", name="baseline",
                                                allowed=", ".join(names), got=repr(base)))
    options, where = settings("compare", options, run, shorthands,
                              run_keys=("workers", "executor", "progress"))
    tasks = []
    for s in scenarios:
        ps = s.proposals if s.proposals is not None else proposals
        if ps is None:
            raise InvalidInputError(InputProblem.of("engine.arg.no_proposals", name=repr(s.name)))
        budget = None if s.budget is None else parse_money(s.budget, "budget")
        tasks.append(_Task(s.name, ps, s.rules if s.rules is not None else rules, budget,
                           options))
    outcomes = run_tasks(_solve, tasks, executor=where.executor, workers=where.workers,
                         progress=where.progress, description="Scenarios")
    selections = {o.name: o.selection for o in outcomes if o.selection is not None}
    messages = {o.name: o.message for o in outcomes if o.selection is None}
    changes = _changes(names, base, selections)
    return Comparison(
        names=tuple(names), baseline=base, selections=selections, messages=messages,
        totals=_totals(outcomes, tasks, base, changes),
        by_domain=_by_group(names, selections, "domain"),
        by_target_group=_by_group(names, selections, "target_groups"),
        changes=changes,
    )


def _totals(outcomes: list[_Outcome], tasks: list[_Task], base: str,
            changes: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for o, t in zip(outcomes, tasks, strict=True):
        s = o.selection
        mine = changes[changes["scenario"] == o.name]
        budget: Decimal | None
        if s is not None:
            budget = s.budget
        elif t.budget is not None:
            budget = t.budget
        else:
            budget = None if t.rules is None else t.rules.total_budget
        rows.append({
            "scenario": o.name,
            "status": o.status,
            "budget": budget,
            "objective": None if s is None else s.objective,
            "bound": None if s is None else s.bound,
            "beneficiaries": None if s is None else s.beneficiaries,
            "cost_used": None if s is None else s.total_cost,
            "count": 0 if s is None else s.count,
            "entered": int((mine["change"] == "enters").sum()),
            "left": int((mine["change"] == "leaves").sum()),
            "message": o.message,
        })
    return pd.DataFrame(rows)


def _by_group(names: list[str], selections: dict[str, Selection], column: str) -> pd.DataFrame:
    cols = ["scenario", "group", "count", "cost", "beneficiaries"]
    parts = []
    for name in names:
        s = selections.get(name)
        if s is None or not s.selected:
            continue
        frame = s.proposals.frame
        chosen = frame[frame["id"].isin(list(s.selected))]
        rows = chosen[[column, "cost_minor", "beneficiaries"]]
        if column == "target_groups":
            rows = rows.explode(column).dropna(subset=[column])
        grouped = rows.groupby(column, sort=False).agg(
            count=("cost_minor", "size"), cost=("cost_minor", "sum"),
            beneficiaries=("beneficiaries", "sum"))
        for group, g in grouped.iterrows():
            parts.append({"scenario": name, "group": str(group), "count": int(g["count"]),
                          "cost": from_fen(int(g["cost"])),
                          "beneficiaries": float(g["beneficiaries"])})
    return pd.DataFrame(parts, columns=cols)


def _changes(names: list[str], base: str, selections: dict[str, Selection]) -> pd.DataFrame:
    cols = ["scenario", "change", "id", "title", "domain", "cost", "beneficiaries"]
    rows: list[dict[str, Any]] = []
    ref = selections.get(base)
    if ref is None:
        return pd.DataFrame(rows, columns=cols)
    before = set(ref.selected)
    for name in names:
        s = selections.get(name)
        if name == base or s is None:
            continue
        after = set(s.selected)
        for change, ids, source in (("enters", [i for i in s.selected if i not in before], s),
                                    ("leaves", [i for i in ref.selected if i not in after], ref)):
            frame = source.proposals.frame
            pos = {str(v): k for k, v in enumerate(frame["id"])}
            title = frame["title"].to_numpy(dtype=object)
            domain = frame["domain"].to_numpy(dtype=object)
            cost = frame["cost_minor"].to_numpy(dtype=np.int64)
            benefit = frame["beneficiaries"].to_numpy(dtype=np.float64)
            for i in ids:
                k = pos[i]
                rows.append({"scenario": name, "change": change, "id": i,
                             "title": title[k], "domain": domain[k],
                             "cost": from_fen(int(cost[k])), "beneficiaries": float(benefit[k])})
    return pd.DataFrame(rows, columns=cols)
