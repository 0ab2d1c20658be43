"""What a rule family is made of: its screening, its rows, its check, its relaxations.

A family is one module of :mod:`selector.engine.families` with one :class:`Family`
subclass. Every part of the engine asks the families in turn and never knows a rule
itself:

==================  ===========================================  =============================
method              answers                                      used by
==================  ===========================================  =============================
``validate``        which columns / ids / values the rules name   ``Model.build`` (an error)
                    that the proposals do not have
``screen``          who is never a candidate, and why             screening (``Reason``)
``rows``            the family's rows of the integer program      :mod:`..formulate`
``checks``          every limit at a chosen list, exactly         :mod:`..verify` (``RuleCheck``)
``binding``         which of its checks are tight at the optimum  :mod:`..binding`
``lifts``           the rule lifted (what blocks a runner-up)     explanations (``RuleChange``)
``loosenings``      the rule loosened by one step (its worth)     explanations (``RuleChange``)
==================  ===========================================  =============================

Every word a family produces is a :class:`~selector.engine.words.Words` (a catalogue key
of the ``rules`` area and parameters), rendered later in the reader's language.

The check is written from the meaning of the rule, not from the rows: it reads the
:class:`~selector.problem.Problem` arrays and the rules, never the formulation, so a
modelling or solver error cannot pass silently.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import cached_property
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
from pydantic import BaseModel

from selector._errors import InputProblem
from selector.engine.program import Builder, Formulation, Inputs
from selector.engine.words import Words
from selector.i18n import Lang
from selector.model import ProposalSet
from selector.problem import Problem
from selector.rules import Rules

__all__ = [
    "Family",
    "Outcome",
    "Reason",
    "RuleChange",
    "RuleCheck",
    "Screen",
    "Side",
    "ValueUnit",
    "no_column",
]

#: ``"max"`` a cap, ``"min"`` a floor, ``""`` a condition.
Side = Literal["max", "min", ""]
#: What a limit counts: money (``Decimal`` yuan), a count (``int``), a share of a
#: selected total (``float``), another number (``float``).
ValueUnit = Literal["money", "count", "share", "number"]


class Reason(NamedTuple):
    """Why a proposal is never a candidate: a code and its parameters.

    Rendered through the catalogue key ``rules.reason.<code>``.

    Attributes
    ----------
    family:
        The family that screened it out (registry key).
    code:
        What is wrong, e.g. ``"over_budget"``, ``"score_low"``.
    params:
        The values the sentence needs (see :mod:`selector.engine.words`).
    """

    family: str
    code: str
    params: Mapping[str, Any] = {}   # read-only

    @property
    def words(self) -> Words:
        """The reason as a sentence."""
        return Words(f"rules.reason.{self.code}", self.params)

    def render(self, lang: Lang = "en", proposals: ProposalSet | None = None) -> str:
        """The reason in ``lang``."""
        return self.words.render(lang, proposals)

    def __str__(self) -> str:
        return self.render("en")


@dataclass(frozen=True)
class RuleCheck:
    """One limit of the rules at a chosen list, checked exactly.

    Attributes
    ----------
    key:
        Unique and stable, e.g. ``"budget"``, ``"pools[fiscal]"``, ``"count.max"``,
        ``"groups[0].max_share[domain=health]"``. ``Selection.binding`` lists these keys.
    family:
        The family (registry key).
    rule:
        The rule it belongs to, as the diagnosis and the explanations name it
        (``"groups[0]"``, ``"count"``, ``"resources[1]"``).
    side:
        ``"max"`` (a cap), ``"min"`` (a floor) or ``""`` (a condition that must hold:
        :attr:`achieved` counts the proposals that break it, :attr:`limit` is 0).
    limit, achieved:
        The limit as written and the list's value, in :attr:`unit`.
    met:
        True when the list keeps the limit (decided exactly: whole fen and counts, shares
        as the fraction their decimal text says; beneficiaries and monthly spending with
        the documented tolerance).
    unit:
        ``"money"`` (``Decimal`` yuan), ``"count"`` (``int``), ``"share"`` (``float`` of the
        selected total), ``"number"`` (``float``).
    words:
        The rule in words.
    members:
        The proposals it is about: the selected members of a group, or the ids that
        break a condition (empty when it is about the whole list).
    label:
        The group (value of a column) it concerns, if any.
    column:
        The column of that group, if any.
    """

    key: str
    family: str
    rule: str
    side: Side
    limit: Any
    achieved: Any
    met: bool
    unit: ValueUnit
    words: Words
    members: tuple[str, ...] = ()
    label: str | None = None
    column: str | None = None

    @property
    def slack(self) -> Any:
        """Room left: ``limit − achieved`` for a cap, ``achieved − limit`` for a floor."""
        if self.side == "max":
            return self.limit - self.achieved
        if self.side == "min":
            return self.achieved - self.limit
        return None

    def render(self, lang: Lang = "en", proposals: ProposalSet | None = None) -> str:
        """The check in one line: the rule, the limit and what the list achieves."""
        if not self.side:
            key = "rules.check.condition" if self.members else "rules.check.condition_n"
            return Words(key, {"rule": self.words, "n": int(self.achieved),
                               "ids": self.members[:5]}).render(lang, proposals)
        return Words("rules.check.line", {
            "rule": self.words, "limit": Words(f"rules.check.side_{self.side or 'eq'}",
                                                {"value": shown(self.limit, self.unit)}),
            "achieved": shown(self.achieved, self.unit)}).render(lang, proposals)


def shown(value: Any, unit: ValueUnit) -> Any:
    """A check's value as a message parameter of its unit (money as ``Decimal``, a share
    as ``Fraction``, a count as ``int``)."""
    if value is None:
        return "–"
    if unit == "money":
        return Decimal(value)
    if unit == "share":
        return Fraction(str(round(float(value), 6)))
    if unit == "count":
        return int(value)
    return float(value)


@dataclass(frozen=True)
class RuleChange:
    """One rule lifted or loosened by one step (a copy of the rules with that change).

    Attributes
    ----------
    key:
        Stable key, e.g. ``"groups[0].max[domain=health]"``, ``"count.max"``.
    family:
        The family (registry key).
    rule:
        The rule changed (as in :attr:`RuleCheck.rule`).
    side:
        ``"max"`` for a cap, ``"min"`` for a floor, ``""`` otherwise.
    rules:
        The changed rules.
    words:
        The rule changed, in words ("the cap of 30% of the money for domain Health").
    label, column:
        The group this change is about when it concerns one group of several.
    old, new:
        The limit before and after (``None`` when lifted or not a number).
    unit:
        What ``old`` and ``new`` count (as in :attr:`RuleCheck.unit`).
    whole:
        True when the change covers the whole rule (not one group of several).
    """

    key: str
    family: str
    rule: str
    side: Side
    rules: Rules
    words: Words
    label: str | None = None
    column: str | None = None
    old: Any = None
    new: Any = None
    unit: ValueUnit = "number"
    whole: bool = True


#: A flag's parameters: one mapping for all flagged proposals, or one per flagged position
Params = Mapping[str, Any] | Callable[[np.ndarray], list[Mapping[str, Any]]] | None


class Screen:
    """The screening of one case: families flag proposals with reasons.

    Attributes
    ----------
    problem, rules:
        The call.
    cost:
        Exact cost in fen of every proposal (after overrides).
    budget_minor:
        The budget in fen, or ``None``.
    explain:
        False: only eligibility is decided; no reason is built.
    """

    def __init__(self, problem: Problem, rules: Rules, cost: np.ndarray,
                 budget_minor: int | None, explain: bool = True) -> None:
        self.problem = problem
        self.rules = rules
        self.cost = cost
        self.budget_minor = budget_minor
        self.explain = explain
        #: True for every proposal screened out so far
        self.screened = np.zeros(problem.n, dtype=bool)
        #: what was flagged, in order: positions, family, code, parameters (one mapping for
        #: all, or a function of the positions); turned into reasons only when read
        self.records: list[tuple[np.ndarray, str, str, Params]] = []

    def flag(self, mask: np.ndarray, family: str, code: str, params: Params = None) -> None:
        """Screen out the proposals in ``mask``: one set of parameters for all, or
        ``params(positions)`` giving one per flagged proposal. Reasons are built only when
        read (:meth:`reasons`), so ``params`` may be called later: it must read only
        values that do not change (the arrays the family computed for this screening)."""
        where = np.flatnonzero(mask)
        if not len(where):
            return
        self.screened[where] = True
        if self.explain:
            self.records.append((where, family, code, params))

    def add_reason(self, i: int, family: str, code: str,
                   params: Mapping[str, Any] | None = None) -> None:
        """Screen out proposal ``i`` for one reason."""
        self.screened[i] = True
        if self.explain:
            self.records.append((np.array([i]), family, code, params))

    def out(self, i: int) -> bool:
        """True when proposal ``i`` is screened out so far."""
        return bool(self.screened[i])

    def reasons(self) -> dict[int, list[Reason]]:
        """``{position: [Reason, ...]}`` of every screened proposal, in the order flagged
        (empty lists without ``explain``)."""
        out: dict[int, list[Reason]] = {int(i): [] for i in np.flatnonzero(self.screened)}
        for where, family, code, params in self.records:
            if callable(params):
                for i, p in zip(where.tolist(), params(where), strict=True):
                    out[i].append(Reason(family, code, p))
            else:
                reason = Reason(family, code, params or {})     # immutable: one for all
                for i in where.tolist():
                    out[i].append(reason)
        return out


@dataclass(frozen=True)
class Outcome:
    """A chosen list and everything said about it, as a family's check reads it.

    Attributes
    ----------
    problem, rules:
        The call.
    chosen:
        Boolean mask over all proposals.
    cost, benefit:
        Exact cost in fen and beneficiaries of every proposal (after overrides).
    budget_minor:
        The budget in fen, or ``None``.
    eligible:
        The screening mask.
    payments:
        ``n × pools`` integer fen paid by each pool (``None`` when there are no pools or
        no plan).
    starts:
        ``{position: start month}`` of the selected proposals (schedule only).
    detail:
        Fill :attr:`RuleCheck.members` (False when only ``met`` matters).
    """

    problem: Problem
    rules: Rules
    chosen: np.ndarray
    cost: np.ndarray
    benefit: np.ndarray
    budget_minor: int | None
    eligible: np.ndarray
    payments: np.ndarray | None = None
    starts: Mapping[int, int] = field(default_factory=dict)
    detail: bool = True

    @cached_property
    def selected(self) -> np.ndarray:
        """Positions of the chosen proposals."""
        return np.flatnonzero(self.chosen)

    def ids(self, mask: np.ndarray) -> tuple[str, ...]:
        """Ids of the proposals in ``mask`` (empty unless :attr:`detail`)."""
        if not self.detail:
            return ()
        return tuple(str(i) for i in self.problem.ids[np.asarray(mask, dtype=bool)])


class Family:
    """One rule family. Subclasses override what their rules need; the defaults do nothing.

    Attributes
    ----------
    key:
        The registry key, also the ``family`` of every check, change and reason.
    table:
        The rules-file table this family declares itself (``None`` for the tables of
        :class:`~selector.rules.Rules`); see :func:`selector.rules.register_table`.
    schema:
        The pydantic model of that table.
    """

    key: ClassVar[str] = ""
    table: ClassVar[str | None] = None
    schema: ClassVar[type[BaseModel] | None] = None

    def active(self, rules: Rules) -> bool:
        """True when the rules use this family at all."""
        return True

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        """Problems with the rules' references (unknown columns, values, ids)."""
        return []

    def screen(self, s: Screen) -> None:
        """Flag the proposals this family rules out (see :meth:`Screen.flag`)."""

    def screen_closure(self, s: Screen) -> None:
        """Flag more once every family has screened (e.g. "requires a non-candidate")."""

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        """Add this family's columns and rows (``cand``: candidates' positions)."""

    def checks(self, o: Outcome) -> list[RuleCheck]:
        """Every limit of this family at the list ``o``, checked from the rules' meaning."""
        return []

    def binding(self, form: Formulation, tight: Callable[[np.ndarray], np.ndarray],
                columns: np.ndarray, o: Outcome) -> list[str]:
        """Keys of this family's checks that are tight at the optimum.

        Default: the checks of its rows that are tight (``tight(rows)``: a mask over
        ``rows``, see :mod:`selector.engine.binding`).
        """
        rows = np.array([r for r in form.rows_of(self.key) if form.row_check[r]], dtype=np.int64)
        keys = [form.row_check[r] for r in rows[tight(rows)]] if len(rows) else []
        return list(dict.fromkeys(keys))

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        """Each rule of this family lifted (for groups: whole and one group at a time, for
        the groups in ``labels``; ``None`` every group)."""
        return []

    def loosenings(self, rules: Rules, problem: Problem) -> list[RuleChange]:
        """Each cap or floor of this family loosened by one step."""
        return []

    def label_columns(self, rules: Rules) -> tuple[str, ...]:
        """The columns whose groups this family's rules limit one group at a time (its
        per-group :meth:`lifts` carry one of these as ``column``)."""
        return ()


def no_column(column: str, key: str, columns: Iterable[object]) -> InputProblem:
    """The problem "the rules name a column the proposals do not have", with the nearest
    column when one is close (``key``: where in the rules)."""
    near = difflib.get_close_matches(column, [str(c) for c in columns], n=1)
    words = (Words("rules.invalid.no_column_near", {"column": column, "near": near[0]}) if near
             else Words("rules.invalid.no_column", {"column": column}))
    return InputProblem(str(words), column=key, value=column)
