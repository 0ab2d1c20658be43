"""Why the rules cannot all hold: a smallest conflicting set of rules, in words.

A deletion filter over the rules (each :class:`~selector.engine.program.Unit` of the
formulation — a budget, the pools, a resource, a group rule, a distinct rule, a count
bound, a relation kind, the schedule, a forced-in proposal — is one rule): starting from
all of them, each rule in turn is relaxed; if the rest is still infeasible it is left out
for good, otherwise it is kept. What remains is an irreducible conflict: every rule in it
is needed, and dropping any one of them makes the rest feasible.

The conflict is said in the words of each rule and the facts that help to see it
("'every domain gets a project' and 'at most 5 projects' cannot both hold: there are 7
domains"), in any language (:class:`RulesConflict`).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence

import numpy as np

from selector._errors import InfeasibleError
from selector.engine.program import Formulation, Unit
from selector.engine.solve import feasible
from selector.engine.words import Words
from selector.i18n import Lang
from selector.model import ProposalSet

__all__ = ["RulesConflict", "conflict", "conflict_words", "infeasible_error"]


class RulesConflict(InfeasibleError):
    """The rules cannot all hold, said in words any language can render.

    ``str()`` is the English rendering; :meth:`render` gives the others.

    Attributes
    ----------
    words:
        The explanation as :class:`~selector.engine.words.Words`.
    conflict:
        Keys of the rules in conflict (e.g. ``("groups[0]", "count.max")``).
    """

    def __init__(self, words: Words, conflict: Sequence[str] = ()) -> None:
        self.words = words
        super().__init__(words.render("en"), conflict)

    def render(self, lang: Lang, proposals: ProposalSet | None = None) -> str:
        """The explanation in ``lang`` (``proposals``: for the taxonomy's labels)."""
        return self.words.render(lang, proposals)


def _relaxed(form: Formulation, dropped: set[int]) -> Formulation:
    out = copy.copy(form)
    rows = np.isin(form.row_unit, list(dropped))
    out.row_lower = np.where(rows, -math.inf, form.row_lower)
    out.row_upper = np.where(rows, math.inf, form.row_upper)
    lower = form.col_lower.copy()
    for col, unit in form.col_unit.items():
        if unit in dropped:
            lower[col] = 0.0
    out.col_lower = lower
    return out


def conflict(form: Formulation, solver: str, time_limit: float | None = None) -> list[Unit]:
    """A minimal set of rules that cannot hold together (deletion filter).

    When a feasibility check cannot decide in time the rule is kept, so the set is
    still a conflict, only perhaps not minimal.
    """
    t0 = time.perf_counter()
    candidates = [u for u, unit in enumerate(form.units) if not unit.structural]
    dropped: set[int] = set()
    for u in candidates:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        if left is not None and left <= 0:
            break
        trial = dropped | {u}
        if feasible(_relaxed(form, trial), solver, left) is False:
            dropped = trial
    return [form.units[u] for u in candidates if u not in dropped]


def _joined(items: list[Words], key: str) -> Words:
    out = items[0]
    for item in items[1:]:
        out = Words(key, {"first": out, "then": item})
    return out


def conflict_words(units: Sequence[Unit], screened: int = 0) -> Words:
    """The conflict in a planner's words (see the module docstring)."""
    if not units:
        return Words("rules.conflict.none_screened" if screened else "rules.conflict.none",
                     {"screened": screened})
    quoted = [Words("rules.conflict.quoted", {"rule": u.words}) for u in units]
    if len(quoted) == 1:
        head = Words("rules.conflict.one", {"rule": quoted[0]})
    elif len(quoted) == 2:
        head = Words("rules.conflict.two", {"first": quoted[0], "second": quoted[1]})
    else:
        head = Words("rules.conflict.many", {"rules": _joined(quoted[:-1], "rules.conflict.list"),
                                             "last": quoted[-1]})
    facts = [u.fact for u in units if u.fact is not None]
    if screened:
        facts.append(Words("rules.conflict.screened", {"n": screened}))
    if not facts:
        return head
    return Words("rules.conflict.because", {"head": head,
                                            "facts": _joined(facts, "rules.conflict.facts")})


def infeasible_error(form: Formulation, solver: str, screened: int,
                     diagnose: bool = True, time_limit: float | None = None) -> InfeasibleError:
    """The error to raise for an infeasible model (with the diagnosis when asked for)."""
    if not diagnose:
        return RulesConflict(Words("rules.conflict.skipped"))
    units = conflict(form, solver, time_limit)
    return RulesConflict(conflict_words(units, screened), [u.key for u in units])
