"""Explain every decision of a selection, each claim checked by a re-solve.

:func:`explain` answers, for one proven-optimal selection:

**Rules** (:class:`RuleRoom`): how much room each limit leaves and what one more unit of
room is worth, by re-solving (LP duals mean little for integer programs and are not
shown). One unit of room is, for the budget, **1 % of the budget rounded up to whole
yuan**; the search also finds the **smallest whole-yuan increase that gains anything**
(exact: the optimum never falls when the budget grows, so a bisection is a proof). For
group caps and floors, counts, distinct-values minimums and resources the step is the
one of :mod:`selector._relax` (one percentage point of a share, 1 % of a total, one
project).

**Runners-up** (:class:`RunnerUp`, eligible but not selected): the rules that block it
(lifting that one rule and re-solving selects it: "blocked by the 30 % cap on the money
for domain Health"); the budget at which it enters; the cut in its cost or rise in its
beneficiaries that brings it in; and what forcing it in costs and removes. Thresholds
are verified transitions (see :mod:`selector.whatif`): "at ¥X it is selected, at
¥X − 1 it is not".

**Selected** (:class:`SelectedPlace`): the beneficiaries lost if it were forced out and
what would replace it.

**Ineligible** (:class:`IneligibleProposal`): the screening reasons.

Every one-line sentence about a proposal comes from :meth:`Explanation.why_not` (one
function, :func:`reason`), so the reports' "why not" column and ``selector explain ID``
agree word for word.

Examples
--------
>>> from selector import Proposal, ProposalSet, Rules
>>> ps = ProposalSet.from_proposals([
...     Proposal(id="A", domain="health", cost=60, beneficiaries=600),
...     Proposal(id="B", domain="skills", cost=50, beneficiaries=400),
...     Proposal(id="C", domain="life", cost=50, beneficiaries=150)])
>>> from selector.engine import Model
>>> rules = Rules(budget=100, eligibility={"require_indicator": False})
>>> ex = explain(Model.build(ps, rules, solver="highs"))
>>> print(ex.why_not("B"))  # doctest: +NORMALIZE_WHITESPACE
Not selected: would enter at a budget of ¥110 (+¥10), or if its cost fell by ¥10
(to ¥40), or if its beneficiaries rose by 51; forcing it in costs 50 beneficiaries
and removes A (adds C).
>>> print(ex.why_not("A", lang="zh"))
已入选：若剔除将减少50名受益职工，由B、C替补。
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, fields
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from typing import Any, Generic, TypeVar

import numpy as np
import pandas as pd

from selector import _display  # _repr_html_ only
from selector._errors import InfeasibleError, InputProblem, InvalidInputError
from selector.engine import Model, RuleChange, RuleCheck, Words, check
from selector.engine.options import SOLVERS, SolverName
from selector.engine.relax import label_columns, lifts, loosenings
from selector.engine.whatif import (
    Resolver,
    benefit_threshold,
    bracket,
    budget_threshold,
    cost_threshold,
    forced_in,
    forced_out,
    map_each,
)
from selector.engine.words import Count
from selector.i18n import DEFAULT_LANG, Lang
from selector.result import Selection

__all__ = [
    "Explanation",
    "IneligibleProposal",
    "RuleRoom",
    "RunnerUp",
    "Section",
    "SelectedPlace",
    "explain",
    "reason",
    "why_not",
]

_Row = TypeVar("_Row")

#: Relative tolerance under which two objectives count as equal ("no gain").
GAIN_TOLERANCE = 1e-7

#: Extra solves a runner-up's entry-budget search may spend walking down the budgets
#: below its answer to prove it is the smallest (see :func:`selector.whatif.budget_threshold`).
BUDGET_WALK = 3

@dataclass(frozen=True)
class RuleRoom:
    """One limit at the optimum and what one more unit of room is worth.

    Attributes
    ----------
    key:
        ``"budget"`` or the rule change key (e.g. ``"groups[0].max[domain=health]"``).
    rule:
        The limit in words (in the explanation's language).
    used, limit, slack:
        The selection's amount, the limit, and the room left (money in yuan as
        ``Decimal``; shares as fractions of the selected total).
    tight:
        The engine lists this rule in ``Selection.binding`` (no single proposal fits in
        the room left).
    step:
        One unit of room, in words.
    gain:
        Objective gained with one step more room (a re-solve); ``> 0`` means the limit
        costs beneficiaries now.
    added, removed:
        How the list changes with that step.
    first_gain_at, first_gain:
        Budget only: the smallest whole-yuan increase that gains anything (verified:
        a gain at it, none one yuan less) and that gain; ``None`` when no increase up to
        every candidate's cost helps.
    """

    key: str
    rule: str
    used: Any
    limit: Any
    slack: Any
    tight: bool
    step: str
    gain: float
    added: tuple[str, ...]
    removed: tuple[str, ...]
    first_gain_at: Decimal | None = None
    first_gain: float | None = None


@dataclass(frozen=True)
class RunnerUp:
    """An eligible proposal that was not selected, and why.

    Attributes
    ----------
    id, title, cost, beneficiaries:
        The proposal.
    blocked_by:
        Keys of the single rules whose lifting selects it (most specific first).
    entry_budget:
        Verified budget (yuan) at which it enters; ``None`` if no budget does.
    entry_budget_first:
        True when every budget between the base and :attr:`entry_budget` was checked
        and none selects it (selection is not monotone in the budget; the walk down is
        limited to :data:`BUDGET_WALK` solves).
    cost_cut:
        Verified cut in its cost (whole yuan) that brings it in; ``None`` if not even free.
    benefit_rise:
        Verified rise in its beneficiaries (whole) that brings it in; ``None`` if none.
    force_in_feasible, force_in_loss, force_in_removed, force_in_added, force_in_why:
        Forcing it in: possible at all, objective lost, selected projects removed, other
        projects added, and the conflict in words when impossible.
    reason:
        The one-line reason (see :func:`reason`).
    """

    id: str
    title: str
    cost: Decimal
    beneficiaries: float
    blocked_by: tuple[str, ...]
    entry_budget: Decimal | None
    entry_budget_first: bool
    cost_cut: Decimal | None
    benefit_rise: float | None
    force_in_feasible: bool
    force_in_loss: float
    force_in_removed: tuple[str, ...]
    force_in_added: tuple[str, ...]
    force_in_why: str
    reason: str = ""


@dataclass(frozen=True)
class SelectedPlace:
    """How secure a selected proposal's place is.

    Attributes
    ----------
    id, title, cost, beneficiaries:
        The proposal.
    loss:
        Objective lost if it were forced out (``inf`` when the rules need it).
    replaced_by, also_removed:
        Proposals that join, and other selected ones that leave, when it is forced out.
    feasible, why:
        False (with the conflict in words) when the rules cannot hold without it.
    forced_in:
        The rules' reason when it is forced in by the rules, else ``""``.
    reason:
        The one-line summary (see :func:`reason`).
    """

    id: str
    title: str
    cost: Decimal
    beneficiaries: float
    loss: float
    replaced_by: tuple[str, ...]
    also_removed: tuple[str, ...]
    feasible: bool
    why: str
    forced_in: str
    reason: str = ""


@dataclass(frozen=True)
class IneligibleProposal:
    """A proposal that was never a candidate, with every screening reason."""

    id: str
    title: str
    cost: Decimal
    beneficiaries: float
    reasons: tuple[str, ...]
    reason: str = ""


def _plain(value: Any) -> Any:
    """JSON-ready: Decimal as exact text, tuples as lists, infinities as None."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Section(Generic[_Row]):
    """The rows of one part of an explanation (a tuple with table exports)."""

    rows: tuple[_Row, ...] = ()

    def __iter__(self) -> Iterator[_Row]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> _Row:
        return self.rows[i]

    def get(self, key: str) -> _Row | None:
        """The row with this ``id`` (or ``key``), or ``None``."""
        for row in self.rows:
            if getattr(row, "id", getattr(row, "key", None)) == key:
                return row
        return None

    def to_dict(self) -> list[dict[str, Any]]:
        """The rows as JSON-ready dicts."""
        return [_plain(asdict(row)) for row in self.rows]  # type: ignore[call-overload]

    def to_frame(self) -> pd.DataFrame:
        """The rows as a DataFrame (one column per field; tuples joined by ", ")."""
        if not self.rows:
            return pd.DataFrame()
        names = [f.name for f in fields(self.rows[0])]  # type: ignore[arg-type]
        data = [{n: (", ".join(v) if isinstance(v, tuple) else v)
                 for n, v in ((n, getattr(row, n)) for n in names)} for row in self.rows]
        return pd.DataFrame(data, columns=names)


@dataclass(frozen=True)
class Explanation:
    """Every decision of one selection, explained (see the module docstring).

    Attributes
    ----------
    selection:
        The proven-optimal selection explained.
    lang:
        Language of the ``reason`` texts (``"zh"`` or ``"en"``).
    rules, runners_up, selected, ineligible:
        The sections; each has ``.to_frame()`` and ``.to_dict()``.
    solves:
        Re-solves run to check the claims.
    seconds:
        Wall time of :func:`explain`.
    changes:
        The rule changes behind :attr:`RunnerUp.blocked_by` and :attr:`rules`, by key.
    conflicts:
        Why forcing a proposal in (``"in:<id>"``) or out (``"out:<id>"``) breaks the
        rules, as words to render in any language.
    """

    selection: Selection
    lang: Lang
    rules: Section[RuleRoom]
    runners_up: Section[RunnerUp]
    selected: Section[SelectedPlace]
    ineligible: Section[IneligibleProposal]
    solves: int
    seconds: float
    changes: Mapping[str, RuleChange] = field(default_factory=dict, repr=False)
    conflicts: Mapping[str, Words] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        return (f"<Explanation: {len(self.selected)} selected, {len(self.runners_up)} "
                f"runners-up, {len(self.ineligible)} ineligible, {len(self.rules)} limits; "
                f"{self.solves} re-solves in {self.seconds:.2f} s>")

    def _repr_html_(self) -> str:
        return _display.explanation_html(self)

    def row(self, pid: str) -> RunnerUp | SelectedPlace | IneligibleProposal:
        """The explanation row of one proposal.

        Raises
        ------
        KeyError
            When the proposal was not explained (not in ``ids``, or unknown).
        """
        for section in (self.runners_up, self.selected, self.ineligible):
            found = section.get(pid)
            if found is not None:
                return found
        raise KeyError(f"proposal {pid!r} was not explained")

    def why_not(self, pid: str, lang: Lang | None = None) -> str:
        """The one-line reason for a proposal (also for selected and ineligible ones)."""
        return reason(self, self.row(pid), lang or self.lang)

    def reasons(self, lang: Lang | None = None) -> dict[str, str]:
        """``{id: one-line reason}`` for every proposal explained, in input order."""
        rows = [*self.runners_up, *self.selected, *self.ineligible]
        order = {pid: k for k, pid in enumerate(self.selection.proposals.ids)}
        rows.sort(key=lambda r: order.get(r.id, len(order)))
        return {r.id: reason(self, r, lang or self.lang) for r in rows}

    def rule_words(self, key: str, lang: Lang | None = None) -> str:
        """A rule change key (e.g. from :attr:`RunnerUp.blocked_by`) in words."""
        return self.changes[key].words.render(lang or self.lang, self.selection.proposals)

    def to_dict(self) -> dict[str, Any]:
        """The whole explanation as JSON-ready data (money as exact strings)."""
        base = self.selection
        return {
            "objective": base.objective,
            "budget": None if base.budget is None else str(base.budget),
            "currency": base.proposals.currency,
            "selected_ids": list(base.selected),
            "lang": self.lang,
            "rules": self.rules.to_dict(),
            "runners_up": self.runners_up.to_dict(),
            "selected": self.selected.to_dict(),
            "ineligible": self.ineligible.to_dict(),
            "solves": self.solves,
            "seconds": self.seconds,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per explained proposal: id, status and the one-line reason."""
        status = {**{r.id: "not selected" for r in self.runners_up},
                  **{r.id: "selected" for r in self.selected},
                  **{r.id: "ineligible" for r in self.ineligible}}
        texts = self.reasons()
        return pd.DataFrame({"id": list(texts), "status": [status[i] for i in texts],
                             "reason": list(texts.values())})


# -- the one place that writes sentences about a proposal -----------------------------------
def why_not(explanation: Explanation, pid: str, lang: Lang | None = None) -> str:
    """The one-line reason for ``pid`` (same as :meth:`Explanation.why_not`)."""
    return explanation.why_not(pid, lang)


def reason(explanation: Explanation, row: RunnerUp | SelectedPlace | IneligibleProposal,
           lang: Lang = DEFAULT_LANG) -> str:
    """The one-line reason for one row of an explanation, in ``lang``.

    Reports and the command line both call this (through
    :meth:`Explanation.why_not`), so their words agree.
    """
    proposals = explanation.selection.proposals
    if isinstance(row, IneligibleProposal):
        why = explanation.selection.ineligible_reasons.get(row.id)
        items: tuple[Any, ...] = (tuple(r.words for r in why) if why is not None
                                  else row.reasons)
        return Words("explain.ineligible", {"why": joined(items, "explain.join.semicolon")}
                     ).render(lang, proposals)
    if isinstance(row, SelectedPlace):
        return _selected_words(explanation, row).render(lang, proposals)
    return _runner_words(explanation, row).render(lang, proposals)


def joined(items: tuple[Any, ...] | list[Any], key: str) -> Any:
    """``items`` joined by the message ``key`` (``{first}…{then}``) as nested words."""
    if not items:
        return ""
    out = items[0]
    for item in items[1:]:
        out = Words(key, {"first": out, "then": item})
    return out


def id_list(ids: tuple[str, ...], limit: int = 4) -> Any:
    """Ids for a sentence, the tail counted ("P1, P2 and 3 more" / "P1、P2及另外3个项目")."""
    shown = tuple(ids[:limit])
    if len(ids) <= limit:
        return shown
    return Words("explain.ids_more", {"ids": shown, "rest": len(ids) - len(shown)})


def _unit(explanation: Explanation) -> Words:
    """What the objective counts: beneficiaries, expected beneficiaries or points."""
    return Words(f"explain.unit.{explanation.selection.rules.objective.kind}")


def _no_loss(explanation: Explanation, loss: float) -> bool:
    return loss <= GAIN_TOLERANCE * max(1.0, abs(explanation.selection.objective))


def _selected_words(explanation: Explanation, row: SelectedPlace) -> Words:
    head = (Words("explain.selected_forced", {"why": row.forced_in}) if row.forced_in
            else Words("explain.selected"))
    if not row.feasible:
        why = explanation.conflicts.get(f"out:{row.id}") or row.why
        tail = Words("explain.out.needed", {"why": why})
    elif _no_loss(explanation, row.loss):
        tail = Words("explain.out.tie")
    else:
        tail = Words("explain.out.loss", {"n": Count(row.loss),
                                          "unit": _unit(explanation)})
        if row.replaced_by:
            tail = Words("explain.out.replaced", {"loss": tail,
                                                  "ids": id_list(row.replaced_by)})
    return Words("explain.sentence", {"head": head, "tail": tail})


def _runner_words(explanation: Explanation, row: RunnerUp) -> Words:
    base = explanation.selection
    parts: list[Any] = []
    specific = _most_specific(explanation, row.blocked_by)
    if specific:
        parts.append(Words("explain.blocked", {"rules": joined(
            [explanation.changes[k].words for k in specific], "explain.join.or")}))
    offers: list[Any] = []
    if row.entry_budget is not None and base.budget is not None:
        offers.append(Words("explain.offer.budget", {
            "budget": Decimal(row.entry_budget),
            "extra": Decimal(row.entry_budget) - Decimal(base.budget)}))
    elif base.budget is not None:
        offers.append(Words("explain.offer.no_budget"))
    if row.cost_cut is not None:
        offers.append(Words("explain.offer.cost", {
            "cut": Decimal(row.cost_cut),
            "to": max(Decimal(row.cost) - Decimal(row.cost_cut), Decimal(0))}))
    if row.benefit_rise is not None:
        offers.append(Words("explain.offer.benefit", {"n": Count(row.benefit_rise)}))
    if offers:
        parts.append(joined(offers, "explain.join.or_list"))
    parts.append(_force_in_words(explanation, row))
    return Words("explain.not_selected", {"parts": joined(parts, "explain.join.semicolon")})


def _force_in_words(explanation: Explanation, row: RunnerUp) -> Words:
    if not row.force_in_feasible:
        why = explanation.conflicts.get(f"in:{row.id}") or row.force_in_why
        return Words("explain.in.impossible", {"why": why})
    if _no_loss(explanation, row.force_in_loss):
        return Words("explain.in.tie")
    text = Words("explain.in.loss", {"n": Count(row.force_in_loss),
                                     "unit": _unit(explanation)})
    if row.force_in_removed:
        text = Words("explain.in.removes", {"loss": text, "ids": id_list(row.force_in_removed)})
    if row.force_in_added:
        text = Words("explain.in.adds", {"loss": text, "ids": id_list(row.force_in_added)})
    return text


def _most_specific(explanation: Explanation, keys: tuple[str, ...]) -> list[str]:
    """Blocking rule keys without a whole-rule lift already covered by one of its groups
    (a lift of the same rule and side for one group)."""
    changes = explanation.changes

    def narrower(whole: RuleChange) -> bool:
        return any(not changes[o].whole and changes[o].rule == whole.rule
                   and changes[o].side == whole.side for o in keys)

    return [k for k in keys if not (changes[k].whole and changes[k].label is None
                                    and narrower(changes[k]))]


# -- computing the explanation --------------------------------------------------------------
def _model_and_base(obj: Selection | Model, solver: SolverName | None) -> tuple[Model, Selection | None]:
    if isinstance(obj, Selection):
        # re-solved with the solver the selection's caller asked for (the record names
        # the one that answered, which the model's shape may have routed elsewhere)
        asked: SolverName = next((s for s in SOLVERS if s == obj.solver.asked), "cbc")
        model = Model.build(obj.proposals, obj.rules, budget=obj.budget, solver=asked)
        return model, obj if obj.is_optimal else None
    if isinstance(obj, Model):
        return obj, None
    raise TypeError(f"explain needs a Selection or a Model, got {type(obj).__name__}")


def _gain(res: Resolver, sel: Selection | None) -> float:
    if sel is None:
        return -math.inf
    return sel.objective - res.base.objective


def _improves(res: Resolver, sel: Selection | None) -> bool:
    return _gain(res, sel) > GAIN_TOLERANCE * max(1.0, abs(res.base.objective))


def _diff(model: Model, before: Iterable[str], after: Iterable[str]) -> tuple[tuple[str, ...],
                                                                                tuple[str, ...]]:
    b, a = set(before), set(after)
    ids = list(model.problem.index)
    return tuple(i for i in ids if i in a - b), tuple(i for i in ids if i in b - a)


class _Changed:
    """Solves of changed rules (one model build each), cached by change key."""

    def __init__(self, model: Model, solver: SolverName | None,
                 hint: tuple[str, ...] | None = None) -> None:
        self.model = model
        self.solver = solver
        self.hint = hint          # the base list: a first incumbent when it still fits
        self.solves = 0
        self._cache: dict[str, Selection | None] = {}
        self._lock = threading.Lock()

    def solve(self, change: RuleChange) -> Selection | None:
        key = change.rules.model_dump_json()       # lifts and loosenings share keys
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        kwargs: dict[str, Any] = {} if self.solver is None else {"solver": self.solver}
        try:
            m = Model.build(self.model.proposals, change.rules, budget=self.model.budget,
                            solver=self.model.default_solver)
            sel: Selection | None = m.solve(diagnose=False, hint=self.hint, **kwargs)
        except InfeasibleError:
            sel = None
        if sel is not None and not sel.is_optimal:
            sel = None
        with self._lock:
            self.solves += 1
            self._cache[key] = sel
        return sel


def _budget_room(model: Model, res: Resolver, lang: Lang) -> RuleRoom | None:
    budget = res.budget
    if budget is None:
        return None
    base = res.base
    step = max(Decimal(1), (budget / 100).to_integral_value(rounding=ROUND_CEILING))
    sel = res.solve(budget=budget + step)
    gain = max(0.0, _gain(res, sel))
    added, removed = _diff(model, base.selected, sel.selected if sel else base.selected)
    # the smallest whole-yuan increase that gains anything: the optimum never falls as the
    # budget grows, so this bracket is monotone and its end is the first gain.
    top = Decimal(int(model.problem.cost.sum())) / 100
    top_yuan = int(max(top, step).to_integral_value(rounding=ROUND_CEILING))

    infer = True

    def pred(x: int) -> Selection | None:
        s = res.at_budget(budget + x, infer=infer)
        return s if _improves(res, s) else None

    hi = int(step)
    lo = 0
    while pred(hi) is None and hi < top_yuan:
        lo, hi = hi, min(2 * hi, top_yuan)
    first_at: Decimal | None = None
    first_gain: float | None = None
    if pred(hi) is not None:
        def guess(x: int, s: Selection) -> int | None:
            return int((Decimal(s.total_cost) - budget).to_integral_value(
                rounding=ROUND_CEILING))

        x, s = bracket(pred, lo, hi, guess)
        infer = False                     # the claim itself: two real solves
        verified = pred(x)
        if verified is not None and pred(x - 1) is None:
            first_at, first_gain = Decimal(x), _gain(res, verified)
    proposals = model.proposals
    return RuleRoom("budget", Words("explain.room.budget").render(lang, proposals),
                    Decimal(base.total_cost), budget, budget - Decimal(base.total_cost),
                    "budget" in base.binding,
                    Words("explain.room.budget_step", {"step": step}).render(lang, proposals),
                    gain, added, removed, first_at, first_gain)


def _usage(checks: tuple[RuleCheck, ...], base: Selection,
           change: RuleChange) -> tuple[Any, Any, Any, bool]:
    """(used, limit, slack, engine says tight) of a limit at the base selection, read off
    the base list's checks (the first check of the rule, side and group: a share before a
    total)."""
    for c in checks:
        if c.rule == change.rule and c.side == change.side and c.label == change.label:
            return c.achieved, c.limit, c.slack, c.key in base.binding
    return None, None, None, False


def _step_words(change: RuleChange) -> Words:
    """``old → new`` of a loosening, in the limit's unit."""
    def value(v: Any) -> Any:
        if change.unit == "share":
            return Fraction(str(v))
        if change.unit == "money":
            return Decimal(v)
        return int(v) if change.unit == "count" else float(v)

    return Words("explain.room.step", {"old": value(change.old), "new": value(change.new)})


def _rule_rooms(model: Model, res: Resolver, changed: _Changed, lang: Lang,
                executor: Executor | None) -> tuple[list[RuleRoom], dict[str, RuleChange]]:
    rooms = []
    budget_room = _budget_room(model, res, lang)
    if budget_room is not None:
        rooms.append(budget_room)
    changes = loosenings(model.rules, model.problem)
    sels = map_each(changed.solve, changes, executor)
    checks = res.base.checks or check(res.base)
    proposals = model.proposals
    for change, sel in zip(changes, sels, strict=True):
        used, limit, slack, tight = _usage(checks, res.base, change)
        added, removed = _diff(model, res.base.selected,
                               sel.selected if sel else res.base.selected)
        rooms.append(RuleRoom(change.key, change.words.render(lang, proposals), used,
                              limit, slack, tight, _step_words(change).render(lang, proposals),
                              max(0.0, _gain(res, sel)), added, removed))
    return rooms, {c.key: c for c in changes}


def explain(selection_or_model: Selection | Model, ids: Iterable[str] | None = None, *,
            executor: Executor | None = None, workers: int | None = None,
            lang: Lang = DEFAULT_LANG,
            rules: bool | None = None, solver: SolverName | None = None,
            resolver: Resolver | None = None) -> Explanation:
    """Explain a proven-optimal selection, every claim checked by a re-solve.

    Parameters
    ----------
    selection_or_model:
        A :class:`~selector.result.Selection` (its proposals, rules and budget are
        recompiled) or a compiled :class:`selector.engine.Model` (solved here).
    ids:
        Explain only these proposals (default: every proposal). The rows of a proposal
        are the same whichever ``ids`` it is explained with.
    executor:
        Optional :class:`concurrent.futures.Executor` for the re-solves (a thread pool
        suits: each solve runs in the solver, outside the interpreter lock).
    workers:
        Without ``executor``: the re-solves run on a thread pool of this many threads
        (default: the machine's cores, at most 8; ``1``: in this thread). The answers are
        the same whichever order the re-solves run in: every claim is a verified re-solve.
    lang:
        ``"zh"`` or ``"en"``: language of the ``reason`` texts and rule words.
    rules:
        Compute the rules section (room and marginal values); default: only when
        ``ids`` is not given.
    solver:
        ``"cbc"`` or ``"highs"`` for the re-solves (default: the
        :class:`~selector.engine.whatif.Resolver`'s, HiGHS in-process up to
        :data:`~selector.engine.whatif.FAST_SOLVER_MAX` candidates, else the model's).
    resolver:
        A :class:`~selector.engine.whatif.Resolver` of this model already used by other
        what-ifs (reserve scoring): its base is the selection explained and its cached
        re-solves are reused; ``selection_or_model`` must be its model, ``solver`` is
        then the resolver's.

    Returns
    -------
    Explanation

    Raises
    ------
    InvalidInputError
        An id in ``ids`` that is not a proposal.
    SolverError
        A re-solve failed or was not proven optimal (no unproven claim is made).
    """
    if executor is None:
        n = min(8, os.cpu_count() or 1) if workers is None else workers
        if n > 1:
            with ThreadPoolExecutor(n, thread_name_prefix="selector-explain") as pool:
                return explain(selection_or_model, ids, executor=pool, lang=lang,
                               rules=rules, solver=solver, resolver=resolver)
    t0 = time.perf_counter()
    if resolver is not None:
        if selection_or_model is not resolver.model:
            raise TypeError("explain(resolver=...) explains the resolver's own model")
        model, res = resolver.model, resolver
    else:
        model, first = _model_and_base(selection_or_model, solver)
        res = Resolver(model, first, solver=solver)
    solver, start = res.options.solver, res.solves
    base = res.base
    wanted = _wanted(model, ids)
    chosen = set(base.selected)
    runner_ids = [i for i in wanted if i not in chosen and i not in base.ineligible]
    changed = _Changed(model, solver, base.selected)
    titles = dict(zip(model.problem.index, model.proposals.frame["title"].astype(str),
                      strict=True))
    blocked, changes = _blocking(model, runner_ids, changed, executor)
    runners = map_each(lambda pid: _runner(model, res, pid, titles[pid], blocked[pid]),
                       runner_ids, executor)
    places = _places(model, res, [i for i in wanted if i in chosen], titles, executor)
    inel = [IneligibleProposal(pid, titles[pid], res.cost_of(pid), res.benefit_of(pid),
                               tuple(r.render(lang, model.proposals)
                                     for r in base.ineligible_reasons.get(pid, ())))
            for pid in wanted if pid in base.ineligible]
    rooms: list[RuleRoom] = []
    if (ids is None) if rules is None else rules:
        rooms, loose = _rule_rooms(model, res, changed, lang, executor)
        changes.update({f"room:{k}": v for k, v in loose.items()})
    conflicts = {f"in:{pid}": w for pid, w in _conflicts(runners)} | {
        f"out:{o.id}": w for o, w in places if w is not None}
    draft = Explanation(base, lang, Section(tuple(rooms)), Section(tuple(r for r, _ in runners)),
                        Section(tuple(p for p, _ in places)), Section(tuple(inel)),
                        res.solves - start + changed.solves, 0.0, changes, conflicts)

    def worded(row: Any) -> Any:
        return type(row)(**{**{f.name: getattr(row, f.name) for f in fields(row)},
                            "reason": reason(draft, row, lang)})

    return Explanation(
        base, lang, draft.rules, Section(tuple(worded(r) for r in draft.runners_up)),
        Section(tuple(worded(r) for r in draft.selected)),
        Section(tuple(worded(r) for r in inel)),
        res.solves - start + changed.solves, time.perf_counter() - t0, changes, conflicts)


def _conflicts(runners: list[tuple[RunnerUp, Words | None]]) -> list[tuple[str, Words]]:
    """``(id, why it cannot be forced in)`` of the runners-up that cannot."""
    return [(row.id, words) for row, words in runners if words is not None]


def _wanted(model: Model, ids: Iterable[str] | None) -> list[str]:
    """The proposals to explain, in input order (every one when ``ids`` is ``None``)."""
    problem = model.problem
    all_ids = list(problem.index)
    if ids is None:
        return all_ids
    asked = list(dict.fromkeys(str(i) for i in ids))
    unknown = [i for i in asked if i not in problem.index]
    if unknown:
        raise InvalidInputError([InputProblem(str(Words("rules.invalid.no_id", {"id": i})))
                                 for i in unknown])
    keep = set(asked)
    return [i for i in all_ids if i in keep]


def _blocking(model: Model, runner_ids: list[str], changed: _Changed,
              executor: Executor | None) -> tuple[dict[str, tuple[str, ...]],
                                                  dict[str, RuleChange]]:
    """``{runner-up: keys of the single lifts that select it}`` and every lift by key:
    each rule (and each group of a runner-up) lifted once, re-solved once."""
    if not runner_ids:
        return {}, {}
    own = {pid: _own_groups(model, pid) for pid in runner_ids}
    labels = {lab for groups in own.values() for labs in groups.values() for lab in labs}
    lift_list = lifts(model.rules, model.problem, labels)
    sels = dict(zip([c.key for c in lift_list], map_each(changed.solve, lift_list, executor),
                    strict=True))
    changes = {c.key: c for c in lift_list}
    blocked = {pid: tuple(k for k, s in sels.items()
                          if s is not None and pid in s.selected
                          and _relevant(changes[k], own[pid]))
               for pid in runner_ids}
    return blocked, changes


def _runner(model: Model, res: Resolver, pid: str, title: str,
            blocked: tuple[str, ...]) -> tuple[RunnerUp, Words | None]:
    """One runner-up's row (every threshold verified), and why it cannot be forced in."""
    base = res.base
    fin = forced_in(model, base, [pid], resolver=res)[pid]
    bt = budget_threshold(model, base, pid, resolver=res, walk=BUDGET_WALK)
    ct = cost_threshold(model, base, pid, resolver=res)
    zt = benefit_threshold(model, base, pid, resolver=res)
    row = RunnerUp(pid, title, res.cost_of(pid), res.benefit_of(pid), blocked,
                   None if bt is None else bt.value, bt is not None and bt.first,
                   None if ct is None else ct.value,
                   None if zt is None else float(zt.value), fin.feasible, fin.loss,
                   fin.removed, fin.added, fin.why)
    return row, fin.conflict


def _places(model: Model, res: Resolver, selected_ids: list[str], titles: dict[str, str],
            executor: Executor | None) -> list[tuple[SelectedPlace, Words | None]]:
    """Every selected proposal's row (forced out, verified), and why the rules need it."""
    outs = forced_out(model, res.base, selected_ids, executor=executor, resolver=res)
    return [(SelectedPlace(pid, titles[pid], res.cost_of(pid), res.benefit_of(pid), o.loss,
                           o.replaced_by, o.removed, o.feasible, o.why,
                           res.base.forced_in.get(pid, "")), o.conflict)
            for pid, o in ((pid, outs[pid]) for pid in selected_ids)]


def _own_groups(model: Model, pid: str) -> dict[str, set[str]]:
    """``{column: labels}`` of a proposal for every column whose groups a rule family
    limits one at a time (:meth:`~selector.engine.families.Family.label_columns`)."""
    problem = model.problem
    out: dict[str, set[str]] = {}
    for column in label_columns(model.rules):
        member = problem.membership(column)
        col = member.matrix[:, problem.index[pid]]
        out[column] = {member.labels[g] for g in col.nonzero()[0]}
    return out


def _relevant(change: RuleChange, own: dict[str, set[str]]) -> bool:
    """A per-group lift names the runner-up's own group; other lifts always count.

    (Lifts for other runners-up's groups are solved once and shared; a runner-up is only
    said to be blocked by a group-level limit of its own group, or by a whole rule.)
    """
    if change.whole or change.column is None:
        return True
    return str(change.label) in own.get(change.column, set())
