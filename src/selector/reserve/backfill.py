"""Backfill: refill the year's list from the reserve when a project drops out mid-year.

When selected projects are cancelled, or finish under budget, the money they free is
re-optimised over the year's reserve::

    pool     = projects under way  ∪  the year's reserved entries
    budget   = Σ cost of the projects under way (their actual spend when given)
               + freed  (cost of the cancelled + under-spend)  + extra
    maximise the call's objective under the SAME rules (breadth, pools, count, ...)
    with every project under way forced in and the cancelled ones left out.

The reserve entries in the optimum are the replacements; they are promoted in the
store in one transaction together with a record of the backfill run. Projects under
way that under-spend enter the model at their actual cost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from selector._errors import InputProblem, InvalidInputError
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
        Projects kept (forced in) and dropped.
    freed, budget:
        Money freed, and the budget of the re-optimisation (yuan).
    promoted:
        The store entries promoted (empty when not recorded).
    """

    selection: Selection
    replacements: tuple[str, ...]
    ongoing: tuple[str, ...]
    cancelled: tuple[str, ...]
    freed: Decimal
    budget: Decimal
    promoted: list[ReserveEntry]


def _yuan(minor: int) -> Decimal:
    return Decimal(int(minor)) / 100


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
        A cancelled id that was not selected, an actual spend for a project not under
        way, or a spend above its planned cost or below zero.
    """
    selected = list(base.selected)
    gone = list(dict.fromkeys(str(i) for i in cancelled))
    problems = [InputProblem(f"cancelled project {pid!r} is not in the {year} selection")
                for pid in gone if pid not in selected]
    ongoing = tuple(i for i in selected if i not in set(gone))
    ps = base.proposals
    cost_of = dict(zip(ps.ids, ps.frame["cost_minor"].to_numpy(dtype=np.int64), strict=True))
    actual: dict[str, int] = {}
    for pid, amount in (spent or {}).items():
        value = Decimal(str(amount))
        minor = int((value * 100).to_integral_value())
        if pid not in ongoing:
            problems.append(InputProblem(f"spend given for {pid!r}, which is not under way"))
        elif value < 0 or minor > cost_of[pid]:
            problems.append(InputProblem(
                f"actual spend of {pid!r} must be between 0 and its cost "
                f"{_yuan(cost_of[pid])}", value=str(value)))
        else:
            actual[pid] = minor
    if month is not None and not 1 <= month <= 12:
        problems.append(InputProblem("month must be 1..12", value=str(month)))
    if problems:
        raise InvalidInputError(problems, source="backfill")
    freed_minor = (sum(int(cost_of[i]) for i in gone)
                   + sum(int(cost_of[i]) - m for i, m in actual.items()))
    ongoing_minor = sum(actual.get(i, int(cost_of[i])) for i in ongoing)
    freed = _yuan(freed_minor)
    budget = _yuan(ongoing_minor) + freed + Decimal(str(extra))

    entries = store.entries(year, "reserved")
    reserve = [e.proposal_id for e in entries if e.proposal_id not in set(selected)]
    known = set(ps.ids)
    pool = ps.subset([*ongoing, *(i for i in reserve if i in known)])
    absent = [e for e in entries if e.proposal_id in reserve and e.proposal_id not in known]
    if absent:
        snaps = store.snapshots(e.snapshot_id for e in absent if e.snapshot_id is not None)
        rows = [{**snaps[e.snapshot_id], "id": e.proposal_id, "title": e.title}
                for e in absent if e.snapshot_id is not None and e.snapshot_id in snaps]
        if rows:
            pool = pool.replace_frame(_concat(pool.frame, proposals_from_snapshots(
                rows, like=ps).frame))
    frame = pool.frame.copy()
    ids = frame["id"].astype(str)
    for pid, minor in actual.items():
        frame.loc[ids == pid, "cost_minor"] = minor
    if month is not None:  # replacements cannot start before the backfill month
        late = ids.isin(reserve).to_numpy()
        start = frame["earliest_start"].to_numpy(dtype=np.float64).copy()
        start[late] = np.fmax(np.nan_to_num(start[late], nan=1.0), float(month))
        frame["earliest_start"] = start
    pool = pool.replace_frame(frame)
    in_pool = set(pool.ids)
    return pool, budget, freed, ongoing, tuple(i for i in reserve if i in in_pool)


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
        missing are rebuilt from their stored snapshots).
    cancelled:
        Selected projects that are cancelled.
    spent:
        ``{id: actual spend}`` (yuan) of projects under way that finish below cost.
    extra:
        Any other money released for the backfill (yuan).
    month:
        The month the replacements can start at the earliest (for the completion rule).
    solver:
        ``"cbc"`` or ``"highs"``.
    record:
        Record the run and promote the replacements in the store (one transaction).

    Raises
    ------
    InvalidInputError, InfeasibleError, SolverError, ReserveError
    """
    pool, budget, freed, ongoing, reserve = backfill_pool(
        store, year, base, cancelled, spent, extra, month)
    gone = tuple(i for i in base.selected if i not in set(ongoing))
    in_pool = set(pool.ids)
    rules = base.rules.model_copy(update={
        "budget": budget,
        "force_in": tuple(f for f in base.rules.force_in if f.id in in_pool),
        "force_out": tuple(f for f in base.rules.force_out if f.id in in_pool),
    })
    model = Model.build(pool, rules, budget=budget)
    sel = model.solve(force_in=ongoing, solver="highs" if solver == "highs" else "cbc")
    chosen = set(sel.selected)
    replacements = tuple(i for i in pool.ids if i in chosen and i in set(reserve))
    promoted: list[ReserveEntry] = []
    if record:
        why = reason or (
            f"backfill {year}: " + (f"replaces cancelled {', '.join(gone)}; " if gone else "")
            + f"freed {freed} of budget {budget}")
        snaps = [Candidate(i, str(pool[i].title), 0.0, proposal_snapshot(pool, i))
                 for i in replacements]
        promoted = store.set_status(year, replacements, "promoted", reason=why, actor=actor,
                                    run=run_record(sel, year, kind="backfill"),
                                    candidates=snaps)
    return Backfill(selection=sel, replacements=replacements, ongoing=ongoing, cancelled=gone,
                    freed=freed, budget=budget, promoted=promoted)
