"""Eligibility screening: which proposals are never candidates, and why.

Every rule family screens in turn (:meth:`~selector.engine.families.Family.screen`),
then once more after all of them (:meth:`~selector.engine.families.Family.screen_closure`:
"requires a proposal that is screened out"). A proposal flagged by any family gets no
variable. Each reason is a :class:`~selector.engine.families.Reason` — a code and its
parameters — rendered in the reader's language; what screens a proposal out is
documented in each family's module:

- :mod:`~selector.engine.families.eligibility`: no measurable indicator, a review score
  missing or below its minimum, a completion probability below its minimum;
- :mod:`~selector.engine.families.budget`: dearer than the budget, or than
  ``max_project_share`` of it;
- :mod:`~selector.engine.families.pools`: no pool may pay for it;
- :mod:`~selector.engine.families.schedule`: cannot finish by the deadline;
- :mod:`~selector.engine.families.force`: forced out;
- :mod:`~selector.engine.families.relations`: requires a proposal that is missing or
  screened out (transitively).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import numpy as np

from selector._errors import InputProblem, InvalidInputError
from selector.engine.families import active_families
from selector.engine.families.base import Reason, Screen
from selector.engine.families.pools import pool_eligibility
from selector.engine.objective import objective_problems
from selector.i18n import Lang
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["RenderedReasons", "ScreenedReasons", "Screening", "check_columns", "pool_eligibility",
           "screen_problem"]

_V = TypeVar("_V")


@dataclass(frozen=True)
class Screening:
    """The outcome of screening.

    Attributes
    ----------
    eligible:
        Boolean mask over the proposals: True for candidates.
    why:
        ``{id: (Reason, ...)}`` for every proposal that is not a candidate (empty when
        screened without reasons): a :class:`ScreenedReasons`, whose reasons are built
        when first read.
    """

    eligible: np.ndarray
    why: Mapping[str, tuple[Reason, ...]]

    @cached_property
    def reasons(self) -> RenderedReasons:
        """``{id: (reason, ...)}`` in English (the catalogue's ``en``), rendered when read."""
        return RenderedReasons(self.why, "en")


class _ReadWhenAsked(Mapping[str, _V]):
    """A mapping whose keys are known at once and whose values are built when read:
    counting, listing the keys and ``in`` build nothing."""

    __slots__ = ("_keys",)

    def __init__(self, keys: Mapping[str, Any]) -> None:
        self._keys = keys

    def __contains__(self, pid: object) -> bool:
        return pid in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict(self)!r})"


class RenderedReasons(_ReadWhenAsked[tuple[str, ...]]):
    """``{id: (reason, ...)}`` in one language, each proposal's reasons rendered when first
    read and each distinct reason rendered once.

    A solve returns it as :attr:`Selection.ineligible <selector.Selection.ineligible>`:
    counting, listing the ids and ``in`` render nothing. Rendering eagerly cost a 1,000-
    proposal solve a third of its time (the catalogue and the number formats loaded for
    words no one had asked for yet); at 100,000 proposals (78,284 screened out, 1,106
    distinct reasons) rendering each one apart took 0.85 s of a 1.2 s solve.

    >>> from selector.engine.families.base import Reason
    >>> r = RenderedReasons({"P1": (Reason("force", "forced_out", {}),)}, "en")
    >>> len(r), "P1" in r
    (1, True)
    """

    __slots__ = ("_lang", "_seen", "_shown", "_why")

    def __init__(self, why: Mapping[str, tuple[Reason, ...]], lang: Lang) -> None:
        super().__init__(why)
        self._why = why
        self._lang = lang
        self._seen: dict[tuple[str, str, tuple[tuple[str, str], ...]], str] = {}
        self._shown: dict[str, tuple[str, ...]] = {}

    def _render(self, reason: Reason) -> str:
        # repr tells 10 from 10.0 and Decimal("1.0") from Decimal("1"): they render apart
        key = (reason.family, reason.code,
               tuple((k, repr(v)) for k, v in reason.params.items()))
        text = self._seen.get(key)
        if text is None:
            text = self._seen[key] = reason.render(self._lang)
        return text

    def __getitem__(self, pid: str) -> tuple[str, ...]:
        shown = self._shown.get(pid)
        if shown is None:
            shown = self._shown[pid] = tuple(self._render(r) for r in self._why[pid])
        return shown

    def __reduce__(self) -> tuple[Any, ...]:
        return (RenderedReasons, (dict(self._why), self._lang))


def check_columns(problem: Problem, rules: Rules) -> None:
    """Raise :class:`InvalidInputError` for rules that name unknown columns, groups or ids,
    or weigh a column that holds no numbers (every problem at once)."""
    found: list[InputProblem] = []
    for family in active_families(rules):
        found.extend(family.validate(problem, rules))
    found.extend(objective_problems(problem, rules))
    if found:
        raise InvalidInputError(found, source="rules")


def screen_problem(problem: Problem, rules: Rules, cost: np.ndarray,
                   budget_minor: int | None, *, explain: bool = True) -> Screening:
    """Screen every proposal (see the module docstring).

    ``explain=False`` decides eligibility only: no reason is built (what
    :func:`selector.verify` needs).
    """
    s = Screen(problem, rules, cost, budget_minor, explain)
    families = active_families(rules)
    for family in families:
        family.screen(s)
    for family in families:
        family.screen_closure(s)
    eligible = ~s.screened
    if not explain:
        return Screening(eligible=eligible, why={})
    return Screening(eligible=eligible, why=ScreenedReasons(problem.ids, s))


class ScreenedReasons(_ReadWhenAsked[tuple[Reason, ...]]):
    """``{id: (Reason, ...)}`` of every screened proposal, in input order; the ids are
    known at once, the reasons are built when one is first read (the families only record
    what they flagged). A generated call of 100,000 proposals screens out 78,284: building
    their reasons took a third of ``Model.build``, for a list most calls never read."""

    __slots__ = ("_reasons", "_screen")

    def __init__(self, ids: np.ndarray, screen: Screen) -> None:
        super().__init__(dict.fromkeys(map(str, ids[np.flatnonzero(screen.screened)].tolist())))
        self._screen = screen
        self._reasons: dict[str, tuple[Reason, ...]] | None = None

    def __getitem__(self, pid: str) -> tuple[Reason, ...]:
        if self._reasons is None:
            found = self._screen.reasons()   # positions in input order, as the ids
            self._reasons = dict(zip(self._keys, map(tuple, found.values()), strict=True))
        return self._reasons[pid]

    def __reduce__(self) -> tuple[Any, ...]:
        return (dict, (dict(self),))
