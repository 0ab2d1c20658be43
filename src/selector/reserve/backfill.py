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

The same backfill asked again (same selection, cancellations, spends, extra, month,
solver, actor and reason) right after it was recorded is a repeat, not a second
cancellation: it is worked out again from the state before it, checked to choose the
same replacements, and returned without writing (a command killed after its commit and
run again completes instead of failing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from selector._errors import InputProblem, InvalidInputError, ReserveError
from selector.engine import Model
from selector.i18n import Lang, fmt_money, t
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, to_fen
from selector.reserve.rolling import (
    _concat,
    proposal_snapshot,
    proposals_from_snapshots,
    run_record,
)
from selector.reserve.store import Candidate, ReserveEntry, ReserveStore, Run, RunRecord, shown
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


def _year_state(runs: list[Run], base: Selection, cost_of: Mapping[str, int]) -> _YearState:
    """The list left by the year's latest backfill (after its latest recorded selection),
    or ``base`` when there was none.

    A backfill run's result holds the re-optimised list (``selected``) and, under
    :data:`RECORD`, what the backfill decided: every cancellation and actual spend so far,
    the start months of replacements and the list's money. A run recorded before that
    record existed is read from its list and budget alone (spends at planned cost, the
    budget raised by the under-spend so the money left is the same).
    """
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
            {str(k): to_fen(v) for k, v in dict(rec.get("spent", {})).items()},
            {str(k): int(v) for k, v in dict(rec.get("starts", {})).items()},
            to_fen(rec["budget"]), len(backfills), len(runs))
    on_list = sum(int(cost_of.get(i, 0)) for i in listed)
    budget = to_fen(last.get("budget") or 0) + on_list - to_fen(last.get("total_cost") or 0)
    gone = tuple(i for i in base.selected if i not in set(listed))
    return _YearState(listed, gone, {}, {}, budget, len(backfills), len(runs))


@dataclass(frozen=True)
class _Request:
    """What a backfill is asked to do (the command's own inputs)."""

    cancelled: tuple[str, ...]
    spent: dict[str, MoneyLike]
    extra: MoneyLike
    month: int | None


def _candidates(store: ReserveStore, year: int, base: Selection, runs: list[Run],
                repeat_of: Run | None) -> tuple[ProposalSet, dict[str, int], _YearState,
                                                 list[str]]:
    """The stored proposals not in ``base``, every cost (fen), the year's state and the
    reserve ids not on the list. Replacements promoted by ``repeat_of`` count as reserved
    (their backfill is being worked out again)."""
    ps = base.proposals
    entries = {e.proposal_id: e for e in store.entries(year)}

    def status(e: ReserveEntry) -> str:
        again = repeat_of is not None and e.status == "promoted" and e.run_id == repeat_of.id
        return "reserved" if again else e.status

    known = set(ps.ids)
    stored = _stored(store, [e for i, e in entries.items() if i not in known
                             and e.status in ("reserved", "promoted")], like=ps)
    cost_of = {**dict(zip(ps.ids, ps.frame["cost_minor"].to_numpy(dtype=np.int64),
                          strict=True)),
               **dict(zip(stored.ids, stored.frame["cost_minor"].to_numpy(dtype=np.int64),
                          strict=True))}
    state = _year_state(runs, base, cost_of)
    lost = [i for i in state.listed if i not in cost_of]
    if lost:
        raise ReserveError(t("reserve.error.no_data", store.lang, ids=shown(", ".join(lost)),
                             year=year))
    listed = set(state.listed)
    reserve = [e.proposal_id for e in entries.values()
               if status(e) == "reserved" and e.proposal_id not in listed]
    return stored, cost_of, state, reserve


def _check_request(req: _Request, state: _YearState, cost_of: Mapping[str, int], year: int,
                   lang: Lang) -> dict[str, int]:
    """Every problem of the request at once (InvalidInputError); the actual spends (fen)."""
    problems: list[InputProblem] = []
    listed = set(state.listed)
    for pid in req.cancelled:
        if pid in state.cancelled:
            problems.append(InputProblem(t("reserve.backfill.already_cancelled", lang,
                                           id=shown(pid), year=year)))
        elif pid not in listed:
            problems.append(InputProblem(t("reserve.backfill.not_selected", lang,
                                           id=shown(pid), year=year)))
    ongoing = {i for i in state.listed if i not in set(req.cancelled)}
    actual: dict[str, int] = {}
    for pid, amount in req.spent.items():
        now = state.spent.get(pid, int(cost_of.get(pid, 0)))
        try:
            fen = to_fen(amount, t("reserve.backfill.spend_of", lang, id=shown(pid)))
        except InvalidInputError as exc:
            problems.extend(exc.problems)
            continue
        if pid not in ongoing:
            problems.append(InputProblem(t("reserve.backfill.spend_not_under_way", lang,
                                           id=shown(pid))))
        elif fen > now:
            key = "spend_above_earlier" if pid in state.spent else "spend_above_cost"
            problems.append(InputProblem(t(f"reserve.backfill.{key}", lang, id=shown(pid),
                                           amount=from_fen(now)), value=shown(amount)))
        else:
            actual[pid] = fen
    try:
        to_fen(req.extra, t("reserve.backfill.extra", lang))
    except InvalidInputError as exc:
        problems.extend(exc.problems)
    if req.month is not None and not 1 <= req.month <= 12:
        problems.append(InputProblem(t("reserve.backfill.bad_month", lang),
                                     value=shown(req.month)))
    if problems:
        raise InvalidInputError(problems, source=t("reserve.backfill.source", lang))
    return actual


def _check_recorded(runs: list[Run], year: int, base: Selection, lang: Lang) -> None:
    """Refuse a base selection that differs from the latest one recorded for ``year``."""
    recorded = [r for r in runs if r.kind == "selection"]
    if not recorded:
        return
    listed = [str(i) for i in recorded[-1].result.get("selected", [])]
    if listed != list(base.selected):
        raise ReserveError(t("reserve.error.not_reproduced", lang, year=year,
                             count=len(listed), run=recorded[-1].id))


def _plan(store: ReserveStore, year: int, base: Selection, req: _Request,
          repeat_of: Run | None = None) -> _Plan:
    """The candidates, budget and record of a backfill (see the module docstring); with
    ``repeat_of``, as they were just before that backfill run was recorded."""
    runs = store.runs(year)
    if repeat_of is not None:
        runs = [r for r in runs if r.id < repeat_of.id]
    _check_recorded(runs, year, base, store.lang)
    stored, cost_of, state, reserve = _candidates(store, year, base, runs, repeat_of)
    actual = _check_request(req, state, cost_of, year, store.lang)
    gone = list(req.cancelled)
    ongoing = tuple(i for i in state.listed if i not in set(gone))
    now = {i: state.spent.get(i, int(cost_of[i])) for i in state.listed}
    freed_minor = (sum(now[i] for i in gone) + sum(now[i] - m for i, m in actual.items()))
    in_effect = {i: m for i, m in {**state.spent, **actual}.items() if i in set(ongoing)}
    budget_minor = state.budget_minor + to_fen(req.extra)
    committed = sum(in_effect.get(i, int(cost_of[i])) for i in ongoing)
    starts = {i: m for i, m in state.starts.items() if i in set(ongoing)}
    pool = _pool(base.proposals, stored, [*ongoing, *reserve], in_effect, starts,
                 reserve, req.month)
    in_pool = set(pool.ids)
    return _Plan(pool=pool, budget=from_fen(budget_minor), freed=from_fen(freed_minor),
                 available=from_fen(budget_minor - committed), ongoing=ongoing,
                 cancelled=tuple(i for i in state.listed if i in set(gone)),
                 reserve=tuple(i for i in reserve if i in in_pool), spent=in_effect,
                 starts=starts, state=state)


def _pool(ps: ProposalSet, stored: ProposalSet, wanted: list[str], in_effect: dict[str, int],
          starts: dict[str, int], reserve: list[str], month: int | None) -> ProposalSet:
    """The projects under way and the reserve, with spends in effect and start months."""
    known = set(ps.ids)
    pool = ps.subset([i for i in wanted if i in known])
    extra_rows = stored.subset([i for i in wanted if i not in known])
    if len(extra_rows):
        pool = pool.replace_frame(_concat(pool.frame, extra_rows.frame))
    frame = pool.frame.copy()
    ids = frame["id"].astype(str)
    for pid, minor in in_effect.items():
        frame.loc[ids == pid, "cost_minor"] = minor
    start = frame["earliest_start"].to_numpy(dtype=np.float64).copy()
    for pid, m in starts.items():       # earlier replacements keep their start month
        at = (ids == pid).to_numpy()
        start[at] = np.fmax(np.nan_to_num(start[at], nan=1.0), float(m))
    if month is not None:               # replacements cannot start before the backfill month
        late = ids.isin(reserve).to_numpy()
        start[late] = np.fmax(np.nan_to_num(start[late], nan=1.0), float(month))
    frame["earliest_start"] = start
    return pool.replace_frame(frame)


def _stored(store: ReserveStore, entries: list[ReserveEntry], *,
            like: ProposalSet) -> ProposalSet:
    """The stored proposal data of ``entries`` (those with a snapshot), under their ids."""
    snaps = store.snapshots(e.snapshot_id for e in entries if e.snapshot_id is not None)
    rows = [{**snaps[e.snapshot_id], "id": e.proposal_id, "title": e.title}
            for e in entries if e.snapshot_id is not None and e.snapshot_id in snaps]
    return proposals_from_snapshots(rows, like=like)


def _request(cancelled: Iterable[str], spent: Mapping[str, MoneyLike] | None,
             extra: MoneyLike, month: int | None) -> _Request:
    return _Request(tuple(dict.fromkeys(str(i) for i in cancelled)), dict(spent or {}),
                    extra, month)


def backfill_pool(store: ReserveStore, year: int, base: Selection,
                  cancelled: Iterable[str] = (),
                  spent: Mapping[str, MoneyLike] | None = None,
                  extra: MoneyLike = 0, month: int | None = None,
                  ) -> tuple[ProposalSet, Decimal, Decimal, tuple[str, ...], tuple[str, ...]]:
    """The candidates and budget of a backfill (see the module docstring).

    Returns
    -------
    (pool, budget, freed, ongoing, reserve ids)

    Raises
    ------
    InvalidInputError
        A cancelled id that is not on the year's list (or was cancelled before), an
        actual spend for a project not under way, or a spend that is not an amount of
        money or is above its cost (or its spend recorded earlier), an extra that is not
        an amount, a month outside 1..12 (every problem at once).
    ReserveError
        A project on the list whose data are neither in ``base`` nor stored, or ``base``
        is not the year's selection recorded in the store.
    """
    plan = _plan(store, year, base, _request(cancelled, spent, extra, month))
    return plan.pool, plan.budget, plan.freed, plan.ongoing, plan.reserve


def _request_key(base: Selection, year: int, req: _Request, solver: str, actor: str,
                 reason: str) -> str:
    spent = sorted((pid, str(v)) for pid, v in req.spent.items())
    return RunRecord.digest("backfill", year, run_record(base, year).input_hash,
                            sorted(req.cancelled), spent, str(req.extra), req.month,
                            solver, actor, reason)


def _repeat_of(store: ReserveStore, year: int, key: str) -> Run | None:
    runs = store.runs(year)
    if runs and runs[-1].kind == "backfill" and runs[-1].request_key == key:
        return runs[-1]
    return None


def backfill(store: ReserveStore, year: int, base: Selection, *,  # noqa: PLR0913 - options
             cancelled: Iterable[str] = (),
             spent: Mapping[str, MoneyLike] | None = None,
             extra: MoneyLike = 0, month: int | None = None,
             solver: str = "cbc", record: bool = True, actor: str = "selector",
             reason: str = "") -> Backfill:
    """Re-optimise the freed money over the year's reserve and promote the replacements.

    Parameters
    ----------
    store, year:
        The reserve and the plan year.
    base:
        The year's selection (its proposals should include the reserve's proposals; those
        missing are rebuilt from their stored snapshots); it must list what the store
        recorded as the year's latest selection (ReserveError otherwise). After earlier
        backfills of the year it is still the year's selection: the store supplies what
        they changed.
    cancelled:
        Projects on the year's list that are cancelled (selected, or promoted by an
        earlier backfill).
    spent:
        ``{id: actual spend}`` (yuan, :func:`selector.money.parse_money` grammar) of
        projects under way that finish below cost.
    extra:
        Any other money released for the backfill (yuan).
    month:
        The month the replacements can start at the earliest (for the completion rule).
    solver:
        ``"cbc"`` or ``"highs"``.
    record:
        Record the run and promote the replacements in the store (one transaction). A
        backfill that finds no replacement is recorded too: its cancellations count for
        the next one. The same backfill asked again right after it was recorded writes
        nothing (module docstring).

    Raises
    ------
    InvalidInputError, InfeasibleError, SolverError, ReserveError
    """
    req = _request(cancelled, spent, extra, month)
    key = _request_key(base, year, req, solver, actor, reason)
    repeat = _repeat_of(store, year, key) if record else None
    plan = _plan(store, year, base, req, repeat_of=repeat)
    sel = _solve(base, plan, solver)
    chosen = set(sel.selected)
    replacements = tuple(i for i in plan.pool.ids if i in chosen and i in set(plan.reserve))
    promoted: list[ReserveEntry] = []
    if repeat is not None:
        recorded = tuple(str(i) for i in repeat.result.get(RECORD, {}).get("replacements", []))
        if recorded != replacements:
            raise ReserveError(t("reserve.error.rerun_differs", store.lang, year=year,
                                 recorded=shown(", ".join(recorded) or "–"),
                                 now=shown(", ".join(replacements) or "–")))
        by_id = {e.proposal_id: e for e in store.entries(year)}
        promoted = [by_id[i] for i in replacements]
    elif record:
        promoted = _record(store, year, sel, plan, replacements, req,
                           _Who(key, actor, reason))
    return Backfill(selection=sel, replacements=replacements, ongoing=plan.ongoing,
                    cancelled=plan.cancelled, freed=plan.freed, budget=plan.budget,
                    promoted=promoted, available=plan.available, earlier=plan.state.earlier)


def _solve(base: Selection, plan: _Plan, solver: str) -> Selection:
    in_pool = set(plan.pool.ids)
    rules = base.rules.model_copy(update={
        "budget": plan.budget,
        "force_in": tuple(f for f in base.rules.force_in if f.id in in_pool),
        "force_out": tuple(f for f in base.rules.force_out if f.id in in_pool),
    })
    model = Model.build(plan.pool, rules, budget=plan.budget)
    return model.solve(force_in=plan.ongoing, solver="highs" if solver == "highs" else "cbc")


@dataclass(frozen=True)
class _Who:
    """The request key of a backfill, who ordered it and why."""

    key: str
    actor: str
    reason: str


def _record(store: ReserveStore, year: int, sel: Selection, plan: _Plan,
            replacements: tuple[str, ...], req: _Request, who: _Who) -> list[ReserveEntry]:
    """Record the backfill run and promote its replacements (one transaction)."""
    lang = store.lang
    gone = plan.cancelled
    replaces = t("reserve.reason.replaces", lang, ids=", ".join(gone)) if gone else ""
    why = who.reason or t("reserve.reason.backfill", lang, year=year, replaces=replaces,
                          freed=fmt_money(plan.freed, lang),
                          budget=fmt_money(plan.budget, lang))
    snaps = [Candidate(i, str(plan.pool[i].title), 0.0, proposal_snapshot(plan.pool, i))
             for i in replacements]
    run = run_record(sel, year, kind="backfill")
    month = req.month
    starts = {**plan.starts, **({i: month for i in replacements} if month else {})}
    result = {**run.result, RECORD: {
        "number": plan.state.earlier + 1, "cancelled": list(gone),
        "all_cancelled": [*plan.state.cancelled, *gone],
        "spent": {i: str(from_fen(m)) for i, m in plan.spent.items()},
        "starts": starts, "replacements": list(replacements),
        "extra": str(from_fen(to_fen(req.extra))), "freed": str(plan.freed),
        "budget": str(plan.budget), "available": str(plan.available)}}
    return store.set_status(year, replacements, "promoted", reason=why, actor=who.actor,
                            run=replace(run, result=result, request_key=who.key),
                            candidates=snaps, expect_runs=plan.state.runs)
