"""What-if re-solves: the shared machinery of explanations and reserve scoring.

Every function takes a compiled :class:`selector.engine.Model` and the base
:class:`~selector.result.Selection` returned by ``model.solve()``, and answers one
question by re-solving the same model with overrides (``force_in``, ``force_out``,
``budget``, ``cost``, ``beneficiaries``). The model is never mutated; repeated questions
share one :class:`Resolver` whose cache makes every distinct re-solve happen once.

Threshold searches
------------------
:func:`entry_budget`, :func:`cost_to_enter` and :func:`benefit_to_enter` search exact
integer steps (whole yuan, whole beneficiaries). Whether a proposal is selected need not
be monotone in the budget or in its own cost (a larger budget can let a bigger project
replace it; a share cap depends on the selected total), so a bisection alone proves
nothing. Each search therefore keeps a *verified bracket*: a value where the proposal is
not selected and one where it is, both from actual re-solves, and stops when they are
one step apart. The result is a verified transition point:

- budget ``X``: selected at ``X``, not selected at ``X − 1`` yuan;
- cost cut ``Y``: selected with its cost lowered by ``Y`` yuan, not when lowered by
  ``Y − 1``;
- benefit rise ``Z``: selected with ``Z`` more beneficiaries, not with ``Z − 1`` more.

Selection is not monotone even in a budget-only call (at ¥4 the best list may hold the
proposal and at ¥5 a list without it may be better), so a verified transition need not
be the first one. For the budget, :func:`budget_threshold` also walks down the budgets
below its answer (each solve settles a whole interval of budgets) and says in
:attr:`Threshold.first` whether the answer is proven to be the smallest. The searches
probe informed guesses first (the total cost of the last selection that contained the
proposal, the loss from forcing it in), each guess a real re-solve that only narrows the
bracket, alternating with bisection steps.

Examples
--------
>>> from selector import Proposal, ProposalSet, Rules
>>> from selector.engine import Model
>>> ps = ProposalSet.from_proposals([
...     Proposal(id="A", domain="health", cost=60, beneficiaries=600),
...     Proposal(id="B", domain="skills", cost=50, beneficiaries=400),
...     Proposal(id="C", domain="life", cost=50, beneficiaries=150)])
>>> rules = Rules(budget=100, eligibility={"require_indicator": False})
>>> model = Model.build(ps, rules, solver="highs")
>>> base = model.solve()
>>> base.selected
('A',)
>>> entry_budget(model, base, "B")
Decimal('110')
>>> forced_in(model, base, ["C"])["C"]
ForcedIn(id='C', feasible=True, loss=50.0, removed=('A',), added=('B',), why='')
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, TypeVar

import numpy as np

from selector._errors import InfeasibleError, SolverError
from selector.engine.case import Overrides
from selector.engine.diagnose import RulesConflict
from selector.engine.guess import NO_CUT, cost_cut_guess, min_cost_with
from selector.engine.model import Model
from selector.engine.options import SolveOptions, SolverName
from selector.engine.words import Words
from selector.money import from_fen, to_fen
from selector.result import Selection

__all__ = [
    "FAST_SOLVER_MAX",
    "ForcedIn",
    "ForcedOut",
    "Resolver",
    "Threshold",
    "benefit_threshold",
    "bracket",
    "benefit_to_enter",
    "budget_threshold",
    "cost_threshold",
    "cost_to_enter",
    "entry_budget",
    "forced_in",
    "forced_out",
    "map_each",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: At most this many informed guesses in a row that fail to close the bracket before the
#: search falls back to pure bisection (keeps the worst case at about 2·log2(range)).
_MAX_GUESS_MISSES = 3


@dataclass(frozen=True)
class ForcedIn:
    """What forcing a proposal into the selection costs.

    "Forcing it in costs ``loss`` beneficiaries and removes projects ``removed``."

    Attributes
    ----------
    id:
        The proposal.
    feasible:
        False when forcing it in breaks the rules (the reason is in :attr:`why`).
    loss:
        Base objective minus the objective with it forced in (``>= 0``; ``inf`` when
        infeasible).
    removed, added:
        Selected proposals that leave, and other proposals that join, in input order.
    why:
        The conflicting rules, in words (English), when infeasible.
    conflict:
        The same as :class:`~selector.engine.Words`, to render in any language.
    """

    id: str
    feasible: bool
    loss: float
    removed: tuple[str, ...]
    added: tuple[str, ...]
    why: str = ""
    conflict: Words | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ForcedOut:
    """How secure a selected proposal's place is.

    Attributes
    ----------
    id:
        The proposal.
    loss:
        Base objective minus the objective with it forced out (``inf`` when the rules
        cannot hold without it).
    replaced_by:
        Proposals that join when it leaves, in input order.
    feasible:
        False when the rules cannot hold without it (reason in :attr:`why`).
    removed:
        Other selected proposals that also leave.
    why:
        The conflicting rules, in words (English), when infeasible.
    conflict:
        The same as :class:`~selector.engine.Words`, to render in any language.
    """

    id: str
    loss: float
    replaced_by: tuple[str, ...]
    feasible: bool = True
    removed: tuple[str, ...] = ()
    why: str = ""
    conflict: Words | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Threshold:
    """A verified transition: the proposal is selected at :attr:`value` but not one step
    before it.

    Attributes
    ----------
    id:
        The proposal.
    kind:
        ``"budget"`` (value = the total budget, yuan), ``"cost"`` (value = the cut in its
        cost, yuan) or ``"beneficiaries"`` (value = the rise in its beneficiaries).
    value:
        The verified entering value (``Decimal`` yuan or a whole number of beneficiaries).
    step:
        One step (1 yuan, or 1 beneficiary): the proposal is not selected at
        ``value - step`` (for a cut or rise: the smaller change).
    objective:
        The objective of the selection at ``value``.
    selected:
        The selection at ``value``.
    solves:
        Re-solves this search ran.
    first:
        True when every value between the base and :attr:`value` was settled (by a
        solve or an interval known from one) and none selects it: the value is the
        smallest. False: a verified transition, maybe not the first.
    """

    id: str
    kind: Literal["budget", "cost", "beneficiaries"]
    value: Decimal
    step: Decimal
    objective: float
    selected: tuple[str, ...]
    solves: int
    first: bool = False


#: Up to this many eligible candidates the re-solves run in HiGHS in-process unless a
#: solver is asked for (no CBC subprocess per re-solve: a what-if question is a re-solve
#: of a model already proven, so only its speed depends on the solver). Measured on the
#: bundled example (150 proposals, every rule family, schedule on): a tie-broken re-solve
#: took ~1.1 s in HiGHS and ~2.8 s in CBC; a reserve of 10 scored 9.3 s in CBC, 5.7 s in HiGHS.
FAST_SOLVER_MAX = 500


class Resolver:
    """Re-solves one model with overrides, caching each distinct question.

    Thread-safe: it may be shared by the tasks of an executor. An infeasible re-solve
    is cached as ``None``. Every question is an :class:`~selector.engine.Overrides`;
    :meth:`ask` answers one, :meth:`solve` builds it from keyword arguments.

    Parameters
    ----------
    model:
        The compiled model.
    base:
        The base selection (``model.solve()``); a fresh solve when omitted.
    options:
        Passed to every re-solve (:class:`~selector.engine.SolveOptions`; default: the
        engine's defaults). ``solver``, ``time_limit`` and ``gap`` are shorthands for it.
        Without a solver: HiGHS in-process up to :data:`FAST_SOLVER_MAX` eligible
        candidates, else the model's.

    Attributes
    ----------
    solves:
        Number of re-solves actually run (cache misses).
    """

    def __init__(self, model: Model, base: Selection | None = None, *,
                 solver: SolverName | None = None, time_limit: float | None = None,
                 gap: float | None = None, options: SolveOptions | None = None) -> None:
        self.model = model
        self.options = (options or SolveOptions()).merged(solver=solver, time_limit=time_limit,
                                                          gap=gap)
        if self.options.solver is None and int(model.eligible.sum()) <= FAST_SOLVER_MAX:
            self.options = self.options.merged(solver="highs")
        self._holding: dict[str, tuple[str, ...]] = {}   # see _hint
        self._hints_lock = threading.Lock()
        self._cache: dict[tuple[str, Overrides], Selection | None] = {}
        self._lock = threading.Lock()
        self.solves = 0
        self._path: list[tuple[int, int, Selection]] = []
        self.base = base if base is not None else self._call(Overrides(), None)
        if self.budget is not None:
            self._remember(_budget_fen(self.budget), self.base)

    @property
    def solver(self) -> str:
        """The solver of the re-solves."""
        return self.options.solver or self.model.default_solver

    @property
    def mip_solver(self) -> str:
        """The solver of the extra integer programs a search runs beside its re-solves (the
        guesses and certificates of :mod:`selector.engine.guess`): the one asked for, else
        HiGHS in-process. Their answers are bounds that every claim re-checks with real
        re-solves, so only their speed depends on the solver. Measured on a generated call of
        2,000 proposals (examples/rules-alt.toml), three certificates of one entry budget:
        1.4, 6.3 and 0.9 s in HiGHS against 22.2, 13.2 and 10.8 s in CBC."""
        return self.options.solver or "highs"

    @property
    def time_limit(self) -> float | None:
        """The time limit of each re-solve (seconds), or ``None``."""
        return self.options.time_limit

    # -- solving ----------------------------------------------------------------------------
    def _call(self, question: Overrides, tie_break: bool | None) -> Selection:
        extra: dict[str, Any] = {} if tie_break is None else {"tie_break": tie_break}
        # A start for value-only re-solves only: a tie-broken solve given a start proves
        # its list unique or solves again without it (the start may change the time, never
        # the list), which made budget probes on a generated 2,000-proposal call take
        # about twice as long as without one (an entry-budget search: 261 s against 127 s;
        # a reserve of 10 on the example: 3.2 s against 2.7 s).
        hint = self._hint(question) if tie_break is False else None
        if hint is not None:
            extra["hint"] = hint
        sel = self.model.solve(**self.options.solve_kwargs(), **question.solve_kwargs(),
                               **extra)
        self._keep_hint(question, sel)
        if not sel.is_optimal:
            raise SolverError(str(Words("explain.not_proven", {
                "status": sel.status.value, "gap": f"{sel.gap:.2g}"})), sel.status.value)
        return sel

    def _hint(self, question: Overrides) -> tuple[str, ...] | None:
        """A list likely to keep every rule of this re-solve, handed to the solver as a
        first incumbent (it is checked exactly there and never changes the answer): the
        last answer holding a proposal this re-solve is about, else the base list."""
        with self._hints_lock:
            for pid in question.about:
                if pid in self._holding:
                    return self._holding[pid]
        base: Selection | None = getattr(self, "base", None)
        return None if base is None else base.selected

    def _keep_hint(self, question: Overrides, sel: Selection) -> None:
        if question.cost or question.budget is not None:
            return   # found with a cut cost or more money: it may not fit the others
        chosen = set(sel.selected)
        with self._hints_lock:
            for pid in question.about:
                if pid in chosen:
                    self._holding[pid] = sel.selected

    def ask(self, question: Overrides, *, value_only: bool = False) -> Selection | None:
        """The optimum for ``question``, or ``None`` when the rules cannot hold (cached).

        ``value_only``: one solver stage without the tie-break (about half the time);
        only its objective value is a claim ("does some optimal list have this
        property"), never which of the equal lists it is. A cached full solve answers it
        too.

        Raises
        ------
        SolverError
            When the solver fails or the re-solve is not proven optimal.
        """
        if question.none:
            return self.base
        keys = [("full", question)] + ([("value", question)] if value_only else [])
        with self._lock:
            for key in keys:
                if key in self._cache:
                    return self._cache[key]
        result: Selection | None
        try:
            result = self._call(question, False if value_only else None)
        except InfeasibleError:
            result = None
        with self._lock:
            self.solves += 1
            self._cache[keys[-1]] = result
        return result

    def solve(self, *, budget: Decimal | None = None, force_in: Iterable[str] = (),
              force_out: Iterable[str] = (), cost: Mapping[str, Decimal] | None = None,
              beneficiaries: Mapping[str, float] | None = None) -> Selection | None:
        """:meth:`ask` with the overrides given as keyword arguments (any order: the same
        question is the same cache entry)."""
        return self.ask(_question(budget, force_in, force_out, cost, beneficiaries))

    def value(self, *, force_in: Iterable[str] = (),
              cost: Mapping[str, Decimal] | None = None) -> Selection | None:
        """:meth:`ask` with ``value_only``: an optimal list without the tie-break."""
        return self.ask(_question(None, force_in, (), cost, None), value_only=True)

    # -- the budget path ---------------------------------------------------------------------
    def _remember(self, budget_fen: int, sel: Selection) -> None:
        """Record that ``sel`` is the answer for every budget from
        :meth:`~selector.engine.Model.answer_holds_from` up to ``budget_fen``."""
        low = self.model.answer_holds_from(sel.selected, _budget_fen(Decimal(sel.total_cost)))
        if low <= budget_fen:
            with self._lock:
                self._path.append((low, budget_fen, sel))

    def known_at(self, budget: Decimal) -> tuple[int, Selection] | None:
        """``(lowest budget in fen, selection)`` of a known interval holding ``budget``."""
        b = _budget_fen(budget)
        with self._lock:
            for low, high, sel in self._path:
                if low <= b <= high:
                    return low, sel
        return None

    def at_budget(self, budget: Decimal, *, infer: bool = True) -> Selection | None:
        """The optimum at another budget; with ``infer``, answered from an earlier solve
        when the budget falls in an interval where that list is known to be the answer
        (see :meth:`_remember`). Claims are still verified by real solves at the end."""
        b = _budget_fen(budget)
        if infer:
            known = self.known_at(budget)
            if known is not None:
                return known[1]
        result = self.solve(budget=budget)
        if result is not None:
            self._remember(b, result)
        return result

    def why_infeasible(self, question: Overrides) -> Words | None:
        """The conflicting rules, in words, for a question whose rules cannot hold."""
        try:
            self.model.solve(**self.options.solve_kwargs(diagnose=True),
                             **question.solve_kwargs())
        except RulesConflict as exc:
            return exc.words
        except InfeasibleError as exc:
            return Words("rules.named", {"name": exc.explanation})
        return None

    # -- facts about the base -----------------------------------------------------------------
    @property
    def budget(self) -> Decimal | None:
        """The base budget (yuan), or ``None`` when the call has no budget."""
        if self.base.budget is not None:
            return Decimal(self.base.budget)
        if self.model.budget is not None:
            return Decimal(self.model.budget)
        total = self.model.rules.total_budget
        return None if total is None else Decimal(total)

    def cost_of(self, pid: str) -> Decimal:
        """The cost of a proposal (yuan, exact)."""
        problem = self.model.problem
        return from_fen(problem.cost[problem.index[pid]])

    def benefit_of(self, pid: str) -> float:
        """The estimated beneficiaries of a proposal."""
        problem = self.model.problem
        return float(problem.benefit[problem.index[pid]])

    def check_id(self, pid: str) -> None:
        """Raise ``KeyError`` for an id that is not in the proposals."""
        if pid not in self.model.problem.index:
            raise KeyError(f"unknown proposal id {pid!r}")


def _budget_fen(amount: Decimal) -> int:
    """A budget in whole fen (rounded down: budgets between two fen act as the lower)."""
    return to_fen(amount, "budget", rounding="floor")


def _question(budget: Decimal | None, force_in: Iterable[str], force_out: Iterable[str],
              cost: Mapping[str, Decimal] | None,
              beneficiaries: Mapping[str, float] | None) -> Overrides:
    """The overrides of a question, in a canonical order (one cache entry per question)."""
    return Overrides.of(budget=budget, force_in=sorted(set(force_in)),
                        force_out=sorted(set(force_out)),
                        cost=dict(sorted((cost or {}).items())),
                        beneficiaries=dict(sorted((beneficiaries or {}).items())))


def _resolver(model: Model, base: Selection, resolver: Resolver | None) -> Resolver:
    if resolver is not None:
        return resolver
    return Resolver(model, base)


def map_each(fn: Callable[[_T], _R], items: Sequence[_T], executor: Executor | None) -> list[_R]:
    """``[fn(x) for x in items]``, on ``executor`` when given (results in order)."""
    if executor is None or len(items) < 2:
        return [fn(x) for x in items]
    return list(executor.map(fn, items))


def _in_order(model: Model, ids: Iterable[str]) -> tuple[str, ...]:
    wanted = set(ids)
    return tuple(i for i in model.problem.index if i in wanted)


# -- forcing in and out ---------------------------------------------------------------------
def forced_in(model: Model, base: Selection, ids: Iterable[str] | None = None, *,
              executor: Executor | None = None,
              resolver: Resolver | None = None) -> dict[str, ForcedIn]:
    """What forcing each proposal in would cost.

    Parameters
    ----------
    model, base:
        The compiled model and its base selection.
    ids:
        Proposals to force in, one at a time (default: every candidate not selected).
    executor:
        Optional executor to run the re-solves in parallel.
    resolver:
        A shared :class:`Resolver` (its cache is reused).

    Returns
    -------
    dict
        ``{id: ForcedIn}`` in the order of ``ids``.
    """
    res = _resolver(model, base, resolver)
    if ids is None:
        chosen = set(base.selected)
        ids = [i for i, ok in zip(model.problem.index, model.eligible, strict=True)
               if ok and i not in chosen]
    todo = list(ids)
    for pid in todo:
        res.check_id(pid)

    def one(pid: str) -> ForcedIn:
        if pid in base.selected:
            return ForcedIn(pid, True, 0.0, (), ())
        sel = res.solve(force_in=[pid])
        if sel is None:
            words = res.why_infeasible(Overrides.of(force_in=[pid]))
            return ForcedIn(pid, False, math.inf, (), (), "" if words is None else str(words),
                            words)
        before, after = set(base.selected), set(sel.selected)
        return ForcedIn(pid, True, base.objective - sel.objective,
                        _in_order(model, before - after), _in_order(model, after - before - {pid}))

    return dict(zip(todo, map_each(one, todo, executor), strict=True))


def forced_out(model: Model, base: Selection, ids: Iterable[str] | None = None, *,
               executor: Executor | None = None,
               resolver: Resolver | None = None) -> dict[str, ForcedOut]:
    """How much each selected proposal's place is worth.

    Parameters
    ----------
    model, base:
        The compiled model and its base selection.
    ids:
        Selected proposals to force out, one at a time (default: every selected one).
    executor:
        Optional executor to run the re-solves in parallel.
    resolver:
        A shared :class:`Resolver` (its cache is reused).

    Returns
    -------
    dict
        ``{id: ForcedOut}`` in the order of ``ids``; a proposal that is not selected
        loses nothing (``loss == 0``).
    """
    res = _resolver(model, base, resolver)
    todo = list(base.selected if ids is None else ids)
    for pid in todo:
        res.check_id(pid)

    def one(pid: str) -> ForcedOut:
        if pid not in base.selected:
            return ForcedOut(pid, 0.0, ())
        sel = res.solve(force_out=[pid])
        if sel is None:
            words = res.why_infeasible(Overrides.of(force_out=[pid]))
            return ForcedOut(pid, math.inf, (), False, (), "" if words is None else str(words),
                             words)
        before, after = set(base.selected), set(sel.selected)
        return ForcedOut(pid, base.objective - sel.objective, _in_order(model, after - before),
                         True, _in_order(model, before - after - {pid}))

    return dict(zip(todo, map_each(one, todo, executor), strict=True))


# -- verified threshold search --------------------------------------------------------------
def bracket(pred: Callable[[int], Selection | None], lo: int, hi: int,
             guess: Callable[[int, Selection], int | None]) -> tuple[int, Selection]:
    """Close a verified bracket ``pred(lo)`` false, ``pred(hi)`` selected.

    ``pred(v)`` returns the selection when the proposal is selected at ``v``, else
    ``None``. ``guess(v, sel)`` proposes a smaller value likely still selected. Returns
    ``(x, selection at x)`` with the proposal selected at ``x`` and not at ``x - 1``.
    """
    sel_hi = pred(hi)
    if sel_hi is None:
        raise ValueError("the bracket's upper end must select the proposal")
    misses = 0
    tried: set[int] = {lo, hi}
    last = "bisect"                      # what the previous probe was
    while hi - lo > 1:
        cand: int | None = None
        kind = "bisect"
        if misses < _MAX_GUESS_MISSES and last != "guess-false":
            g = guess(hi, sel_hi)
            if last != "guess" and g is not None and lo < g < hi and g not in tried:
                cand, kind = g, "guess"       # the same selection, one step cheaper
            elif g is not None and g >= hi and hi - 1 not in tried:
                cand, kind = hi - 1, "guess"  # tight at hi: the step just below often fails
        if cand is None:
            cand = (lo + hi) // 2
        tried.add(cand)
        sel = pred(cand)
        if sel is not None:
            hi, sel_hi = cand, sel
            last = kind
        else:
            lo = cand
            if kind == "guess":
                misses += 1
                last = "guess-false"
            else:
                last = kind
    return hi, sel_hi


def _up(amount: Decimal) -> int:
    """``amount`` in whole yuan, rounded up."""
    return -(-to_fen(amount, "amount", rounding="ceiling") // 100)


def _down(amount: Decimal) -> int:
    """``amount`` in whole yuan, rounded down."""
    return to_fen(amount, "amount", rounding="floor") // 100


def budget_threshold(model: Model, base: Selection, pid: str, *,
                     max_budget: Decimal | int | None = None,
                     resolver: Resolver | None = None,
                     walk: int = 8) -> Threshold | None:
    """The verified budget at which a runner-up enters (see the module docstring).

    The search starts at the base budget and gallops upwards in steps of the proposal's
    cost (doubling) up to ``max_budget`` (default: every proposal's cost, since a larger
    budget also lets in proposals screened out as dearer than the budget; and enough for
    ``max_project_share``), then closes the bracket to one yuan. Selection is not
    monotone in the budget (at ¥4 a list with it may be best and at ¥5 a list without
    it), so the search then *walks down* the budgets below the answer, up to ``walk``
    more solves: each solve settles a whole interval of budgets (see
    :meth:`Resolver.at_budget`); if it finds the proposal selected lower down, the
    bracket is closed again below. :attr:`Threshold.first` says whether every budget
    between the base and the answer was settled.

    Returns
    -------
    Threshold or None
        ``None`` when it is already selected, the call has no budget, or no budget up to
        ``max_budget`` selects it.
    """
    res = _resolver(model, base, resolver)
    res.check_id(pid)
    budget = res.budget
    if budget is None or pid in base.selected:
        return None
    search = _BudgetSearch(res, pid, budget)
    top_yuan = _up(Decimal(_top_budget(model, res, pid, budget) if max_budget is None
                                  else max_budget))
    lo = _down(budget)
    if Decimal(lo) != budget and search.pred(lo) is not None:
        lo = _up(budget)           # non-monotone below a fractional base budget
        if search.pred(lo) is not None:
            return None
    proven = _budget_by_certificates(res, pid, budget, lo, top_yuan)
    if proven is not None:
        if proven[0] is None:
            return None
        x, sel = proven
        return search.threshold(x, sel, True)
    bracketed = search.gallop(lo, top_yuan)
    if bracketed is None:
        return None
    floor_, (lo, hi) = lo, bracketed
    while True:
        closed = search.close(lo, hi)
        if closed is None:
            return None
        x, sel = closed
        lower, first = search.walk_down(x, floor_, walk)
        if lower is None:
            return search.threshold(x, sel, first)
        lo, hi = floor_, lower           # selected lower down: close the bracket there


def _top_budget(model: Model, res: Resolver, pid: str, budget: Decimal) -> int:
    """The default end of a budget search: every proposal's cost (a larger budget also
    lets in proposals screened out as dearer than the budget), enough for
    ``max_project_share``, and at least the base budget; whole yuan, one more."""
    top = from_fen(int(model.problem.cost.sum())) + res.cost_of(pid)
    share = model.rules.max_project_share
    if share is not None:
        top = max(top, res.cost_of(pid) / Decimal(str(share)))
    return _up(max(top, budget)) + 1


class _BudgetSearch:
    """The steps of :func:`budget_threshold` for one proposal, sharing one resolver.

    ``infer`` says whether a budget may be answered from an interval known from an
    earlier solve (searching) or needs a real solve (the claims).
    """

    def __init__(self, res: Resolver, pid: str, budget: Decimal) -> None:
        self.res = res
        self.pid = pid
        self.budget = budget
        self.start = res.solves
        self.infer = True

    def pred(self, x: int) -> Selection | None:
        """The selection at budget ``x`` when it holds the proposal, else ``None``."""
        sel = self.res.at_budget(Decimal(x), infer=self.infer)
        return sel if sel is not None and self.pid in sel.selected else None

    def threshold(self, x: int, sel: Selection, first: bool) -> Threshold:
        return Threshold(self.pid, "budget", Decimal(x), Decimal(1), sel.objective,
                         sel.selected, self.res.solves - self.start, first)

    def gallop(self, lo: int, top: int) -> tuple[int, int] | None:
        """A bracket ``(lo, hi)`` with the proposal selected at ``hi``: the informed guess
        first, then steps of its cost, doubling; ``None`` when no budget up to ``top``."""
        step = max(1, _up(self.res.cost_of(self.pid)))
        hi = min(lo + step, top)
        g = _budget_guess(self.res, self.pid, self.budget)
        if g is not None and lo < g < top:
            if self.pred(g) is not None:
                hi = g
            else:
                lo = g
                hi = min(lo + step, top)
        while self.pred(hi) is None:
            if hi >= top:
                return None
            lo, step = hi, step * 2
            hi = min(lo + step, top)
        return lo, hi

    def close(self, lo: int, hi: int) -> tuple[int, Selection] | None:
        """The bracket closed to one yuan, its claim confirmed by two real solves."""
        def guess(v: int, sel: Selection) -> int | None:
            return _up(Decimal(sel.total_cost))

        self.infer = True
        x, _ = bracket(self.pred, lo, hi, guess)
        self.infer = False                # the claim itself: two real solves
        real = self.pred(x)
        if real is None or self.pred(x - 1) is not None:
            if self.pred(hi) is None:     # (never seen: the inference was wrong)
                return None
            x, real = bracket(self.pred, lo, hi, guess)
        self.infer = True
        return x, real

    def walk_down(self, x: int, floor_: int, walk: int) -> tuple[int | None, bool]:
        """Is it selected at some budget in ``[floor_ + 1, x − 1]``? ``(that budget, _)``
        when found; else ``(None, every budget there settled)``. Budgets a certificate
        rules out are skipped (see :func:`_never_below`); at most ``walk`` more solves."""
        res = self.res
        top_gap, steps = x - 1, walk
        settled = max(floor_, _never_below(res, self.pid, self.budget, x - 1))
        while top_gap > settled:
            known = res.known_at(Decimal(top_gap))
            if known is None:
                if steps <= 0:
                    break
                steps -= 1
                res.at_budget(Decimal(top_gap))
                continue
            low_fen, found = known
            if self.pid in found.selected:
                return top_gap, False
            top_gap = -(-low_fen // 100) - 1
        return None, top_gap <= settled


#: At most this many certificate rounds (each a MIP and a re-solve) per interval of
#: budgets before :func:`budget_threshold` falls back to its gallop and bisection.
_MAX_CERT_ROUNDS = 4


def _screen_points(model: Model, low: int, high: int) -> list[int]:
    """Whole-yuan budgets in ``(low, high]`` at which a proposal dearer than the budget (or
    than ``max_project_share`` of it) stops being screened out: the only budgets where the
    candidates change."""
    cost = model.problem.cost.astype(float)
    need = cost.copy()
    share = model.rules.max_project_share
    if share is not None:
        need = np.maximum(need, cost / float(share))
    pts = np.ceil(need / 100.0).astype(np.int64)
    return sorted({int(p) for p in pts if low < p <= high})


def _budget_by_certificates(res: Resolver, pid: str, budget: Decimal, lo: int,
                            top: int) -> tuple[int, Selection] | tuple[None] | None:
    """The smallest whole-yuan budget above ``lo`` that selects ``pid``, proven by
    certificates (:func:`selector.engine.guess.min_cost_with`) instead of a walk.

    The budgets up to ``top`` are cut where the candidates change; within a piece only the
    budget row moves, so the optimum at the piece's start ``a`` is a floor for the whole
    piece and a certified least money ``C`` of a list holding ``pid`` serving that much
    rules out every budget below ``C``. The first budget not ruled out is probed by a
    re-solve; if it does not select ``pid``, the floor rises to that optimum and the next
    round starts one yuan higher. Returns ``(X, selection)`` (selected at ``X``; every
    budget in ``(lo, X)`` ruled out, and ``X − 1`` also re-solved), ``(None,)`` when every
    budget up to ``top`` is ruled out, or ``None`` when a piece has no certificate (the
    caller then searches as before).
    """
    model = res.model
    solver = res.mip_solver
    edges = [lo + 1, *_screen_points(model, lo + 1, top), top + 1]
    for a, nxt in zip(edges, edges[1:], strict=False):
        high = nxt - 1
        if high < a:
            continue
        for _ in range(_MAX_CERT_ROUNDS):
            floor_sel = res.at_budget(Decimal(a))
            if floor_sel is None:
                return None
            if pid in floor_sel.selected:
                real = res.at_budget(Decimal(a), infer=False)
                below = res.at_budget(Decimal(a - 1), infer=False)
                if real is None or pid not in real.selected or (
                        below is not None and pid in below.selected):
                    return None
                return a, real
            fen, certified = min_cost_with(model, pid, floor_sel.objective, Decimal(a),
                                           Decimal(high), solver=solver,
                                           time_limit=res.time_limit)
            if not certified or fen is None:
                return None
            if fen == NO_CUT:
                break
            g = max(a + 1, -(-fen // 100))
            if g > high:
                break
            a = g
        else:
            return None
    return (None,)


def _budget_guess(res: Resolver, pid: str, budget: Decimal) -> int | None:
    """The least money (whole yuan) of a list holding ``pid`` that serves as many as the
    base optimum under every rule but the budget: a first budget to probe."""
    fen, _ = min_cost_with(res.model, pid, res.base.objective, budget, budget,
                           solver=res.mip_solver,
                           time_limit=res.time_limit, certify=False)
    return None if fen is None or fen == NO_CUT else -(-fen // 100)


def _never_below(res: Resolver, pid: str, budget: Decimal, high: int) -> int:
    """The highest whole-yuan budget up to which ``pid`` is proven never selected, from the
    base budget up to ``high`` (:func:`selector.engine.guess.min_cost_with`'s certificate:
    a list holding it must cost at least its bound); the floor of the base budget when
    there is no certificate."""
    floor_ = _down(budget)
    if high <= floor_:
        return floor_
    fen, certified = min_cost_with(res.model, pid, res.base.objective, budget, Decimal(high),
                                   solver=res.mip_solver,
                                   time_limit=res.time_limit)
    if not certified or fen is None:
        return floor_
    if fen == NO_CUT:
        return high
    return max(floor_, min(high, -(-fen // 100) - 1))


def cost_threshold(model: Model, base: Selection, pid: str, *,
                   resolver: Resolver | None = None) -> Threshold | None:
    """The verified cut in a runner-up's cost (whole yuan) that brings it in.

    The cost never goes below zero: the largest cut tried makes it free.

    Returns
    -------
    Threshold or None
        ``None`` when it is already selected or would not enter even at no cost.
    """
    res = _resolver(model, base, resolver)
    res.check_id(pid)
    if pid in base.selected:
        return None
    start = res.solves
    cost = res.cost_of(pid)
    budget = res.budget

    def at(y: int) -> Decimal:
        return max(cost - y, Decimal(0))

    def pred(y: int) -> Selection | None:
        sel = res.solve(cost={pid: at(y)})
        return sel if sel is not None and pid in sel.selected else None

    top = _up(cost)
    if top == 0:
        return None
    if model.integral_objective:
        return _cost_by_value(model, res, pid, top, at, pred, start)
    if pred(top) is None:
        return None

    def guess(y: int, sel: Selection) -> int | None:
        if budget is None:
            return None
        slack = _down(budget - Decimal(sel.total_cost))
        return y - max(slack, 0)

    y, sel = bracket(pred, 0, top, guess)
    return Threshold(pid, "cost", Decimal(y), Decimal(1), sel.objective, sel.selected,
                     res.solves - start)


def _cost_by_value(model: Model, res: Resolver, pid: str, top: int,
                   at: Callable[[int], Decimal], pred: Callable[[int], Selection | None],
                   start: int) -> Threshold | None:
    """:func:`cost_threshold` for a whole-number objective, searched on values.

    With ``pid`` forced in, only lists holding it compete, and lists without it do not
    depend on its cost: some optimal list holds it at cut ``y`` exactly when the
    forced-in optimum reaches the base objective. Each probe is then one value-only
    solve. No optimal list holds it at the last cut found below, so the tie-broken
    optimum does not either; the cut found is confirmed by a full solve (a tie lost
    there falls back to the bracket of full solves above it).
    """
    target = res.base.objective
    budget = res.budget

    def enters(y: int) -> Selection | None:
        sel = res.value(force_in=[pid], cost={pid: at(y)})
        return sel if sel is not None and sel.objective >= target else None

    def guess(y: int, sel: Selection) -> int | None:
        if budget is None:       # the same list, with its cost cut by the budget's slack
            return None
        return y - max(_down(budget - Decimal(sel.total_cost)), 0)

    lo, hi = _seed_bracket(res, pid, target, top, enters)
    if hi is None:
        return None              # no optimal list holds it even free: select won't
    hi, _ = bracket(enters, lo, hi, guess)
    sel = pred(hi)
    if sel is None:              # a tie that the tie-break settles without it
        if hi == top or pred(top) is None:
            return None
        y, sel = bracket(pred, hi, top, lambda v, s: None)
    else:
        y = hi
    return Threshold(pid, "cost", Decimal(y), Decimal(1), sel.objective, sel.selected,
                     res.solves - start)


def _seed_bracket(res: Resolver, pid: str, target: float, top: int,
                  enters: Callable[[int], Selection | None]) -> tuple[int, int | None]:
    """A bracket ``(lo, hi)`` for the cost cut, narrowed by one MIP's guess ``g``
    (:func:`selector.engine.guess.cost_cut_guess`): probing ``g`` and ``g − 1`` closes it
    when the guess is right, and narrows it when not. ``hi`` is ``None`` when even a free
    proposal does not enter (always confirmed by a re-solve)."""
    g = cost_cut_guess(res.model, pid, target, solver=res.mip_solver,
                       time_limit=res.time_limit)
    lo = 0
    if g is not None and g != NO_CUT and 0 < g < top:
        if enters(g) is None:
            lo = g
        elif enters(g - 1) is None:
            return g - 1, g
        else:
            return lo, g - 1
    if enters(top) is None:
        return lo, None
    return lo, top


def benefit_threshold(model: Model, base: Selection, pid: str, *,
                      resolver: Resolver | None = None,
                      max_rise: float | None = None) -> Threshold | None:
    """The verified rise in a runner-up's beneficiaries (whole numbers) that brings it in.

    The first guess is the loss from forcing it in (exact when the objective counts
    beneficiaries one for one); the search gallops upwards from there if needed.

    Returns
    -------
    Threshold or None
        ``None`` when it is already selected, forcing it in breaks the rules, or no rise
        up to ``max_rise`` (default: a thousand times all candidates' beneficiaries)
        selects it.
    """
    res = _resolver(model, base, resolver)
    res.check_id(pid)
    if pid in base.selected:
        return None
    start = res.solves
    ben = res.benefit_of(pid)
    fin = forced_in(model, base, [pid], resolver=res)[pid]
    if not fin.feasible:
        return None
    if max_rise is None:
        max_rise = 1000.0 * (float(model.problem.benefit[model.eligible].sum()) + ben + 1.0)
    top = math.ceil(max_rise)

    def pred(z: int) -> Selection | None:
        sel = res.solve(beneficiaries={pid: ben + z})
        return sel if sel is not None and pid in sel.selected else None

    lo = 0
    first = max(1, math.ceil(fin.loss - 1e-9))
    hi = min(first, top)
    # Counting beneficiaries one for one, with no rule on beneficiaries: a rise of z lifts
    # every list holding the runner-up by exactly z, so the best of them serves
    # (optimum − loss + z). Below the loss that is less than the optimum, which lists
    # without it still reach: it enters no optimal list (two verified solves say so).
    shifts = (model.rules.objective.kind == "beneficiaries" and model.integral_objective
              and not any(g.measure == "beneficiaries" for g in model.rules.groups)
              and not any(r.column == "beneficiaries" for r in model.rules.resources)
              and float(fin.loss).is_integer())
    if pred(hi) is not None:
        # exact objective: the answer is `first` or one less; check it first
        if hi - 1 > lo and (shifts and hi - 1 < fin.loss or pred(hi - 1) is None):
            lo = hi - 1
    elif hi + 1 <= top and pred(hi + 1) is not None:
        lo, hi = hi, hi + 1      # a tie at the loss that the tie-break settles without it
    else:
        lo, step = min(hi + 1, top), max(1, hi)
        hi = lo
        while True:
            if hi >= top:
                return None
            hi = min(lo + step, top)
            if pred(hi) is not None:
                break
            lo, step = hi, step * 2

    def guess(z: int, sel: Selection) -> int | None:
        return None

    z, sel = bracket(pred, lo, hi, guess)
    return Threshold(pid, "beneficiaries", Decimal(z), Decimal(1), sel.objective, sel.selected,
                     res.solves - start)


def entry_budget(model: Model, base: Selection, pid: str, *,
                 max_budget: Decimal | int | None = None,
                 resolver: Resolver | None = None) -> Decimal | None:
    """The whole-yuan budget ``X`` at which ``pid`` enters: selected at ``X``, not at
    ``X − 1`` (both verified by re-solves); ``None`` if none up to ``max_budget``."""
    t = budget_threshold(model, base, pid, max_budget=max_budget, resolver=resolver)
    return None if t is None else t.value


def cost_to_enter(model: Model, base: Selection, pid: str, *,
                  resolver: Resolver | None = None) -> Decimal | None:
    """The largest cost (yuan) at which ``pid`` enters, on whole-yuan cuts of its cost:
    selected at this cost, not at one yuan more (both verified); ``None`` if not even free."""
    t = cost_threshold(model, base, pid, resolver=resolver)
    if t is None:
        return None
    res = _resolver(model, base, resolver)
    return max(res.cost_of(pid) - t.value, Decimal(0))


def benefit_to_enter(model: Model, base: Selection, pid: str, *,
                     resolver: Resolver | None = None) -> float | None:
    """The smallest beneficiaries (its own plus a whole number) at which ``pid`` enters:
    selected there, not with one fewer (both verified); ``None`` if no rise brings it in."""
    t = benefit_threshold(model, base, pid, resolver=resolver)
    if t is None:
        return None
    res = _resolver(model, base, resolver)
    return res.benefit_of(pid) + float(t.value)
