"""Backfill: refill the year's list from the reserve when a project drops out mid-year.

When projects on the year's list are cancelled, or finish under budget, the money they free
is re-optimised over the year's reserve::

    pool     = projects under way  ∪  the year's reserved entries
    budget   = the money of the year's list: Σ planned cost of the selection
               + every ``extra`` released so far
    maximise the call's objective under the SAME rules (breadth, pools, count, ...)
    with every project under way forced in at its cost (its actual spend when given)
    and the cancelled ones left out.

For the first backfill of a year that budget equals Σ cost of the projects under way +
freed (cost of the cancelled + under-spend) + extra. The reserve entries in the optimum are
the replacements; they are promoted in the store in one transaction together with a record
of the backfill run.

A year can be backfilled any number of times (another cancellation later in the year).
Each backfill starts from the list the previous one left, read from the store's record of
that run: its replacements are under way (forced in, and they may be cancelled in turn),
the projects it cancelled stay out, recorded actual spends stay in effect, replacements
keep the start month they were given, and money freed earlier but not spent is still
there (the budget above does not change unless more ``extra`` is released). A backfill
refuses to record when another run of the year was recorded after it read that state
(nothing is written; run it again).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from selector._errors import InputProblem, InvalidInputError, ReserveError
from selector.engine import Model
from selector.model import ProposalSet
from selector.reserve.rolling import (
    _concat,
    proposal_snapshot,
    proposals_from_snapshots,
    run_record,
)
from selector.reserve.store import Candidate, ReserveEntry, ReserveStore
from selector.result import Selection

__all__ = ["Backfill", "backfill", "backfill_pool"]


#: Key of the backfill's own record in a run's result (see :func:`_year_state`).
RECORD = "backfill"


@dataclass(frozen=True)
class Backfill:
    """The outcome of :func:`backfill`.

    Attributes
    ----------
    selection:
        The re-optimised list: projects under way plus replacements (verified).
    replacements:
        Reserve entries chosen, in the pool's order.
    ongoing, cancelled:
        Projects kept (forced in) and dropped by this backfill.
    freed, budget:
        Money freed by this backfill, and the budget of the re-optimisation (yuan).
    promoted:
        The store entries promoted (empty when not recorded).
    available:
        Money for replacements: the budget minus the cost of the projects under way
        (includes money freed by earlier backfills and not spent).
    earlier:
        How many earlier backfills of the year this one builds on.
    """

    selection: Selection
    replacements: tuple[str, ...]
    ongoing: tuple[str, ...]
    cancelled: tuple[str, ...]
    freed: Decimal
    budget: Decimal
    promoted: list[ReserveEntry]
    available: Decimal = Decimal(0)
    earlier: int = 0


@dataclass(frozen=True)
class _YearState:
    """The year's list as the store records it: the selection after earlier backfills."""

    listed: tuple[str, ...]              # projects on the list (under way)
    cancelled: tuple[str, ...]           # cancelled by earlier backfills
    spent: dict[str, int]                # actual spend in effect (fen)
    starts: dict[str, int]               # start month of earlier replacements
    budget_minor: int                    # the list's money: planned selection + extras
    earlier: int                         # earlier backfills
    runs: int                            # runs of the year recorded (for the race guard)


@dataclass(frozen=True)
class _Plan:
    pool: ProposalSet
    budget: Decimal
    freed: Decimal
    available: Decimal
    ongoing: tuple[str, ...]
    cancelled: tuple[str, ...]
    reserve: tuple[str, ...]
    spent: dict[str, int]
    starts: dict[str, int]
    state: _YearState


def _yuan(minor: int) -> Decimal:
    return Decimal(int(minor)) / 100


def _minor(amount: Decimal | int | str) -> int:
    return int((Decimal(str(amount)) * 100).to_integral_value())


def _year_state(store: ReserveStore, year: int, base: Selection,
                cost_of: Mapping[str, int]) -> _YearState:
    """The list left by the year's latest backfill (after its latest recorded selection),
    or ``base`` when there was none.

    A backfill run's result holds the re-optimised list (``selected``) and, under
    :data:`RECORD`, what the backfill decided: every cancellation and actual spend so far,
    the start months of replacements and the list's money. A run recorded before that
    record existed is read from its list and budget alone (spends at planned cost, the
    budget raised by the under-spend so the money left is the same).
    """
    runs = store.runs(year)
    after = max((k for k, r in enumerate(runs) if r.kind == "selection"), default=-1)
    backfills = [r for r in runs[after + 1:] if r.kind == "backfill"]
    planned = sum(int(cost_of[i]) for i in base.selected)
    if not backfills:
        return _YearState(tuple(base.selected), (), {}, {}, planned, 0, len(runs))
    last = backfills[-1].result
    listed = tuple(str(i) for i in last.get("selected", []))
    rec = last.get(RECORD)
    if isinstance(rec, Mapping):
        return _YearState(
            listed, tuple(str(i) for i in rec.get("all_cancelled", [])),
            {str(k): _minor(v) for k, v in dict(rec.get("spent", {})).items()},
            {str(k): int(v) for k, v in dict(rec.get("starts", {})).items()},
            _minor(rec["budget"]), len(backfills), len(runs))
    on_list = sum(int(cost_of.get(i, 0)) for i in listed)
    budget = _minor(last.get("budget") or 0) + on_list - _minor(last.get("total_cost") or 0)
    gone = tuple(i for i in base.selected if i not in set(listed))
    return _YearState(listed, gone, {}, {}, budget, len(backfills), len(runs))


def _plan(store: ReserveStore, year: int, base: Selection, cancelled: Iterable[str],
          spent: Mapping[str, Decimal | int | str] | None, extra: Decimal | int | str,
          month: int | None) -> _Plan:
    """The candidates, budget and record of a backfill (see the module docstring)."""
    ps = base.proposals
    entries = {e.proposal_id: e for e in store.entries(year)}
    known = set(ps.ids)
    stored = _stored(store, [e for i, e in entries.items() if i not in known
                             and e.status in ("reserved", "promoted")], like=ps)
    cost_of = {**dict(zip(ps.ids, ps.frame["cost_minor"].to_numpy(dtype=np.int64),
                          strict=True)),
               **dict(zip(stored.ids, stored.frame["cost_minor"].to_numpy(dtype=np.int64),
                          strict=True))}
    state = _year_state(store, year, base, cost_of)
    lost = [i for i in state.listed if i not in cost_of]
    if lost:
        raise ReserveError(f"no proposal data for {', '.join(lost)} on the {year} list: give "
                           "the year's proposals (the pool the selection was made from)")
    listed = set(state.listed)
    reserve = [e.proposal_id for e in entries.values()
               if e.status == "reserved" and e.proposal_id not in listed]

    gone = list(dict.fromkeys(str(i) for i in cancelled))
    problems = []
    for pid in gone:
        if pid in state.cancelled:
            problems.append(InputProblem(
                f"cancelled project {pid!r} was already cancelled in an earlier {year} backfill"))
        elif pid not in listed:
            problems.append(InputProblem(f"cancelled project {pid!r} is not in the {year} "
                                         "selection"))
    ongoing = tuple(i for i in state.listed if i not in set(gone))
    now = {i: state.spent.get(i, int(cost_of[i])) for i in state.listed}
    actual: dict[str, int] = {}
    for pid, amount in (spent or {}).items():
        value = Decimal(str(amount))
        minor = _minor(value)
        if pid not in ongoing:
            problems.append(InputProblem(f"spend given for {pid!r}, which is not under way"))
        elif value < 0 or minor > now[pid]:
            what = "its spend recorded earlier" if pid in state.spent else "its cost"
            problems.append(InputProblem(
                f"actual spend of {pid!r} must be between 0 and {what} {_yuan(now[pid])}",
                value=str(value)))
        else:
            actual[pid] = minor
    if month is not None and not 1 <= month <= 12:
        problems.append(InputProblem("month must be 1..12", value=str(month)))
    if problems:
        raise InvalidInputError(problems, source="backfill")

    freed_minor = (sum(now[i] for i in gone) + sum(now[i] - m for i, m in actual.items()))
    in_effect = {i: m for i, m in {**state.spent, **actual}.items() if i in set(ongoing)}
    budget_minor = state.budget_minor + _minor(extra)
    committed = sum(in_effect.get(i, int(cost_of[i])) for i in ongoing)

    wanted = [*ongoing, *reserve]
    pool = ps.subset([i for i in wanted if i in known])
    extra_rows = stored.subset([i for i in wanted if i not in known])
    if len(extra_rows):
        pool = pool.replace_frame(_concat(pool.frame, extra_rows.frame))
    frame = pool.frame.copy()
    ids = frame["id"].astype(str)
    for pid, minor in in_effect.items():
        frame.loc[ids == pid, "cost_minor"] = minor
    start = frame["earliest_start"].to_numpy(dtype=np.float64).copy()
    starts = {i: m for i, m in state.starts.items() if i in set(ongoing)}
    for pid, m in starts.items():       # earlier replacements keep their start month
        at = (ids == pid).to_numpy()
        start[at] = np.fmax(np.nan_to_num(start[at], nan=1.0), float(m))
    if month is not None:               # replacements cannot start before the backfill month
        late = ids.isin(reserve).to_numpy()
        start[late] = np.fmax(np.nan_to_num(start[late], nan=1.0), float(month))
    frame["earliest_start"] = start
    pool = pool.replace_frame(frame)
    in_pool = set(pool.ids)
    return _Plan(pool=pool, budget=_yuan(budget_minor), freed=_yuan(freed_minor),
                 available=_yuan(budget_minor - committed), ongoing=ongoing,
                 cancelled=tuple(i for i in state.listed if i in set(gone)),
                 reserve=tuple(i for i in reserve if i in in_pool), spent=in_effect,
                 starts=starts, state=state)


def _stored(store: ReserveStore, entries: list[ReserveEntry], *,
            like: ProposalSet) -> ProposalSet:
    """The stored proposal data of ``entries`` (those with a snapshot), under their ids."""
    snaps = store.snapshots(e.snapshot_id for e in entries if e.snapshot_id is not None)
    rows = [{**snaps[e.snapshot_id], "id": e.proposal_id, "title": e.title}
            for e in entries if e.snapshot_id is not None and e.snapshot_id in snaps]
    return proposals_from_snapshots(rows, like=like)


def backfill_pool(store: ReserveStore, year: int, base: Selection,
                  cancelled: Iterable[str] = (),
                  spent: Mapping[str, Decimal | int | str] | None = None,
                  extra: Decimal | int | str = 0, month: int | None = None,
                  ) -> tuple[ProposalSet, Decimal, Decimal, tuple[str, ...], tuple[str, ...]]:
    """The candidates and budget of a backfill (see the module docstring).

    Returns
    -------
    (pool, budget, freed, ongoing, reserve ids)

    Raises
    ------
    InvalidInputError
        A cancelled id that is not on the year's list (or was cancelled before), an
        actual spend for a project not under way, or a spend above its cost (or its
        spend recorded earlier) or below zero.
    ReserveError
        A project on the list whose data are neither in ``base`` nor stored.
    """
    plan = _plan(store, year, base, cancelled, spent, extra, month)
    return plan.pool, plan.budget, plan.freed, plan.ongoing, plan.reserve


def backfill(store: ReserveStore, year: int, base: Selection, *,
             cancelled: Iterable[str] = (),
             spent: Mapping[str, Decimal | int | str] | None = None,
             extra: Decimal | int | str = 0, month: int | None = None,
             solver: str = "cbc", record: bool = True, actor: str = "selector",
             reason: str = "") -> Backfill:
    """Re-optimise the freed money over the year's reserve and promote the replacements.

    Parameters
    ----------
    store, year:
        The reserve and the plan year.
    base:
        The year's selection (its proposals should include the reserve's proposals; those
        missing are rebuilt from their stored snapshots). After earlier backfills of the
        year it is still the year's selection: the store supplies what they changed.
    cancelled:
        Projects on the year's list that are cancelled (selected, or promoted by an
        earlier backfill).
    spent:
        ``{id: actual spend}`` (yuan) of projects under way that finish below cost.
    extra:
        Any other money released for the backfill (yuan).
    month:
        The month the replacements can start at the earliest (for the completion rule).
    solver:
        ``"cbc"`` or ``"highs"``.
    record:
        Record the run and promote the replacements in the store (one transaction). A
        backfill that finds no replacement is recorded too: its cancellations count for
        the next one.

    Raises
    ------
    InvalidInputError, InfeasibleError, SolverError, ReserveError
    """
    plan = _plan(store, year, base, cancelled, spent, extra, month)
    pool, budget, ongoing = plan.pool, plan.budget, plan.ongoing
    in_pool = set(pool.ids)
    rules = base.rules.model_copy(update={
        "budget": budget,
        "force_in": tuple(f for f in base.rules.force_in if f.id in in_pool),
        "force_out": tuple(f for f in base.rules.force_out if f.id in in_pool),
    })
    model = Model.build(pool, rules, budget=budget)
    sel = model.solve(force_in=ongoing, solver="highs" if solver == "highs" else "cbc")
    chosen = set(sel.selected)
    replacements = tuple(i for i in pool.ids if i in chosen and i in set(plan.reserve))
    promoted: list[ReserveEntry] = []
    if record:
        gone = plan.cancelled
        why = reason or (
            f"backfill {year}: " + (f"replaces cancelled {', '.join(gone)}; " if gone else "")
            + f"freed {plan.freed} of budget {budget}")
        snaps = [Candidate(i, str(pool[i].title), 0.0, proposal_snapshot(pool, i))
                 for i in replacements]
        run = run_record(sel, year, kind="backfill")
        starts = {**plan.starts, **({i: month for i in replacements} if month else {})}
        result = {**run.result, RECORD: {
            "number": plan.state.earlier + 1, "cancelled": list(gone),
            "all_cancelled": [*plan.state.cancelled, *gone],
            "spent": {i: str(_yuan(m)) for i, m in plan.spent.items()},
            "starts": starts, "replacements": list(replacements),
            "extra": str(Decimal(str(extra))), "freed": str(plan.freed),
            "budget": str(budget), "available": str(plan.available)}}
        promoted = store.set_status(year, replacements, "promoted", reason=why, actor=actor,
                                    run=replace(run, result=result), candidates=snaps,
                                    expect_runs=plan.state.runs)
    return Backfill(selection=sel, replacements=replacements, ongoing=ongoing,
                    cancelled=plan.cancelled, freed=plan.freed, budget=budget,
                    promoted=promoted, available=plan.available, earlier=plan.state.earlier)
