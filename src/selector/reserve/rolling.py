"""Rolling management: put a year's runner-ups in the reserve, carry the reserve into the
next year's candidate pool, age the scores and expire old entries.

A year with the reserve::

    pool = carry_over(store, 2026, new_proposals).pool        # reserve + new, merged
    model = Model.build(pool, rules); base = model.solve()
    ranked = plan_reserve(model, base)                        # the one reserve scoring
    reserve_year(store, 2026, base, ranked)   # winners from the reserve promoted,
                                              # new runner-ups reserved, the rest expired

Ageing: an entry first reserved in ``origin_year`` carries ``score = base_score ·
decay ** (year − origin_year)``, where ``base_score`` is its latest fresh score. It
expires when ``year − origin_year`` reaches ``expire_after``.

Keys across years. An entry keeps its proposal's id as its key while it can; each carried
entry is compared with the new proposals:

- same id and same normalised title (:func:`~selector.reserve.titles.normalise_title`):
  the same proposal, submitted again; it appears once in the pool (the new submission's
  cost and estimates are used unless ``update_resubmissions`` is False);
- another id, same normalised title: re-submitted under a new id; the entry takes it;
- same id, another title: an id collision. The two are different proposals: the carried
  entry takes the distinct key ``<id>@<origin year>`` (``2026-0042@2026``), keeps its
  history, and the collision is reported (``CarryOver.collisions``);
- otherwise the entry keeps its id (unless another entry of the year holds it: then it
  is a collision too).

Only entries that competed can be ranked out: :func:`reserve_year` expires the year's
reserved entries that were in the selection's proposals and missed the new reserve; an
entry carried into the year but absent from the selection's input stays reserved.

A carry-over killed after its database write is completed by running it again: the pool
is built from the entries carried into the year (by this call or an earlier one) and the
new proposals, so the same command writes the same pool (:func:`save_pool` replaces the
file in one step).

References between proposals (``requires`` / ``excludes``) are carried with them, so a
carried entry may name last year's proposals that are not in the new pool. A reference
written in an earlier year means a proposal of that year: it follows that proposal to its
key in the pool, and never lands on a new proposal that happens to reuse the old id. The
pool is cleaned so that it saves and loads back like any proposals file (a file may only
name proposals it holds):

- a reference to a carried entry re-submitted under a new id follows it to the new id;
- excluding a proposal that is not in the pool changes nothing: the reference is dropped;
- requiring one that was funded in an earlier year (it is in the last recorded list of
  its year, after any backfill) is a requirement already met: the reference is dropped;
- a proposal that requires one neither in the pool nor funded could never be selected:
  it is left out of the pool (``CarryOver.left_out``), and so is whatever requires it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from selector._errors import ReserveError
from selector.i18n import t
from selector.io import save_proposals
from selector.model import CANONICAL_COLUMNS, Proposal, ProposalSet
from selector.reserve.scoring import RunnerUps
from selector.reserve.store import (
    Candidate,
    ReserveEntry,
    ReserveStore,
    Resubmission,
    Run,
    RunRecord,
    check_decay,
    shown,
)
from selector.reserve.titles import normalise_title
from selector.result import Selection

__all__ = ["CarryOver", "RollingPolicy", "carry_over", "carried_key", "proposal_snapshot",
           "proposals_from_snapshots", "reserve_year", "run_record", "save_pool"]

#: Extra column of a carried pool: the year a proposal first entered the reserve.
RESERVE_SINCE = "reserve_since"
#: Marks a reference written in an earlier year to a proposal that is not in the pool.
_OUTSIDE = "\x00"


class RollingPolicy(BaseModel):
    """How the reserve rolls from year to year.

    Attributes
    ----------
    decay:
        Yearly ageing factor of scores, in (0, 1] (:func:`~selector.reserve.check_decay`).
    expire_after:
        An entry expires when it has been in the reserve this many years.
    update_resubmissions:
        A re-submitted proposal takes its cost and estimates from the new submission.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    decay: float = Field(default=0.8, gt=0, le=1)
    expire_after: int = Field(default=3, ge=1)
    update_resubmissions: bool = True

    @field_validator("decay")
    @classmethod
    def _decay(cls, value: float) -> float:
        check_decay(value)
        return value


@dataclass(frozen=True)
class CarryOver:
    """The outcome of :func:`carry_over`.

    Attributes
    ----------
    pool:
        The next year's candidates: the new proposals, then the carried reserve entries
        not re-submitted, with an extra column ``reserve_since`` (origin year; NaN for
        new proposals).
    carried, expired:
        Reserve entries carried into the year by this call, and those that expired.
    resubmitted:
        ``{old id: new id}`` of carried entries found among the new proposals under
        another id.
    without_snapshot:
        Carried entries whose proposal data were never stored (not in the pool).
    left_out:
        ``{id: required ids}``: proposals left out of the pool because they require
        proposals neither in it nor funded in an earlier year (they could never be
        selected; a carried entry among them stays carried in the store).
    requirements_met:
        ``{id: required ids}``: requirements dropped because the required proposal was
        funded in an earlier year.
    collisions:
        ``{old id: key}``: carried entries whose id a different new proposal took; each
        is in the pool under its distinct key.
    earlier:
        Entries carried into the year by an earlier call (a carry-over run again), in
        the pool again.
    """

    pool: ProposalSet
    carried: list[ReserveEntry]
    expired: list[ReserveEntry]
    resubmitted: dict[str, str]
    without_snapshot: tuple[str, ...]
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requirements_met: dict[str, tuple[str, ...]] = field(default_factory=dict)
    collisions: dict[str, str] = field(default_factory=dict)
    earlier: list[ReserveEntry] = field(default_factory=list)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def proposal_snapshot(proposals: ProposalSet, pid: str) -> dict[str, Any]:
    """One proposal as JSON-ready data (round-trips through :func:`proposals_from_snapshots`).

    Examples
    --------
    >>> ps = ProposalSet.from_proposals([Proposal(id="P1", title="驿站", domain="health",
    ...                                           cost="1200.50", beneficiaries=30)])
    >>> snap = proposal_snapshot(ps, "P1")
    >>> snap["cost"], proposals_from_snapshots([snap], like=ps) == ps
    ('1200.5', True)
    """
    data = proposals[pid].model_dump(mode="json")
    data["extra"] = _plain(data.get("extra", {}))
    json.dumps(data)  # fail here, not in the database, if something is not JSON-ready
    return dict(data)


def _proposal(snap: Mapping[str, Any]) -> Proposal:
    data = dict(snap)
    data["extra"] = {k: tuple(v) if isinstance(v, list) else v
                     for k, v in dict(data.get("extra") or {}).items()}
    return Proposal.model_validate(data)


def proposals_from_snapshots(snapshots: Iterable[Mapping[str, Any]],
                             like: ProposalSet | None = None) -> ProposalSet:
    """Rebuild proposals from snapshots (with ``like``'s taxonomies, currency and meta)."""
    props = [_proposal(snap) for snap in snapshots]
    if like is None:
        return ProposalSet.from_proposals(props)
    return ProposalSet.from_proposals(props, domains=like.domains,
                                      target_groups=like.target_groups, meta=like.meta)


def run_record(base: Selection, year: int, kind: str = "selection") -> RunRecord:
    """A :class:`RunRecord` of a selection: hash of the proposals, rules and budget."""
    frame_json = base.proposals.frame.to_json(orient="split", default_handler=str)
    rules = base.rules.model_dump(mode="json")
    budget = None if base.budget is None else str(base.budget)
    return RunRecord(year=year, kind=kind,
                     input_hash=RunRecord.digest(frame_json, rules, budget),
                     rules=rules, solver=f"{base.solver} {base.solver_version}".strip(),
                     result=base.to_dict())


def reserve_year(store: ReserveStore, year: int, base: Selection, ranked: RunnerUps, *,
                 decay: float = 1.0, actor: str = "selector", prune: bool = True,
                 reason: str = "") -> list[ReserveEntry]:
    """Record a year's selection and its reserve in one transaction.

    The run and the scored proposals' snapshots are recorded; this year's reserved
    entries that the selection chose are promoted; the runner-ups of ``ranked.reserve``
    are reserved (or re-scored, aged by ``decay``); with ``prune`` the year's other
    reserved entries that competed (were among the selection's proposals) expire, ranked
    out. Entries of the year that did not compete stay reserved.

    The same call again (same selection, scores and options, nothing recorded for the
    year in between) writes nothing: a command killed after its commit and run again
    records the year once.

    Returns
    -------
    list of ReserveEntry
        The year's entries after the write, by rank.
    """
    scores = ranked.scores
    titles = dict(zip(ranked.frame["id"], ranked.frame["title"], strict=True))
    cands = [Candidate(pid, str(titles[pid]), scores[pid], proposal_snapshot(base.proposals, pid))
             for pid in ranked.reserve]
    run = run_record(base, year)
    key = RunRecord.digest("selection", run.input_hash,
                           [(c.proposal_id, c.title, c.score) for c in cands],
                           decay, prune, actor, reason)
    return store.reserve(year, cands, run=replace(run, request_key=key),
                         selected=base.selected, competed=base.proposals.ids,
                         decay=decay, prune=prune, actor=actor, reason=reason)


def carried_key(proposal_id: str, origin_year: int, taken: Iterable[str] = ()) -> str:
    """The distinct key of a carried entry whose id another proposal took.

    Examples
    --------
    >>> carried_key("2026-0042", 2026)
    '2026-0042@2026'
    >>> carried_key("2026-0042", 2026, taken={"2026-0042@2026"})
    '2026-0042@2026-2'
    """
    used = set(taken)
    key = f"{proposal_id}@{origin_year}"
    n = 2
    while key in used:
        key = f"{proposal_id}@{origin_year}-{n}"
        n += 1
    return key


@dataclass(frozen=True)
class _Keys:
    """Where each carried entry goes in the new year: entry id -> (key, title)."""

    resubmitted: dict[int, Resubmission]
    renamed: dict[int, str]


def _assign_keys(entries: Sequence[ReserveEntry], new: ProposalSet,
                 held: set[str]) -> _Keys:
    """Match carried entries with the new proposals (module docstring, "Keys across years").

    ``entries`` come best first (entries already in the year, then by year, rank);
    ``held`` are keys of the year's other entries.
    """
    ids = [str(i) for i in new.frame["id"]]
    titles = [str(x) for x in new.frame["title"]]
    norms = [normalise_title(x) for x in titles]
    row_of = {pid: k for k, pid in enumerate(ids)}
    claimed: set[int] = set()
    key: dict[int, tuple[str, str]] = {}
    for e in entries:                       # same id, same title: the same proposal
        k = row_of.get(e.proposal_id)
        if k is not None and k not in claimed and _same_title(e, titles[k], norms[k]):
            claimed.add(k)
            key[e.id] = (ids[k], titles[k])
    by_title: dict[str, list[int]] = {}
    for k, norm in enumerate(norms):
        if norm:
            by_title.setdefault(norm, []).append(k)
    for e in entries:                       # another id, same title: re-submitted
        if e.id in key or not e.normalised_title:
            continue
        free = [k for k in by_title.get(e.normalised_title, []) if k not in claimed]
        if free:
            claimed.add(free[0])
            key[e.id] = (ids[free[0]], titles[free[0]])
    taken = set(ids) | held | {k for k, _ in key.values()}
    renamed: dict[int, str] = {}
    for e in entries:                       # the rest keep their id unless it is taken
        if e.id in key:
            continue
        own = e.proposal_id
        if own in taken:
            own = carried_key(e.proposal_id, e.origin_year, taken)
            renamed[e.id] = own
        taken.add(own)
    resub = {e.id: Resubmission(*key[e.id]) for e in entries
             if e.id in key and key[e.id] != (e.proposal_id, e.title)}
    return _Keys(resub, renamed)


def _same_title(e: ReserveEntry, title: str, norm: str) -> bool:
    return norm == e.normalised_title and (bool(norm) or title == e.title)


def carry_over(store: ReserveStore, to_year: int, new: ProposalSet,
               policy: RollingPolicy | None = None, *, actor: str = "selector") -> CarryOver:
    """Carry the reserve into ``to_year`` and merge it with the new proposals.

    Every reserved entry of an earlier year either expires (``policy.expire_after``) or
    moves to ``to_year`` with its score aged (one transaction in the store). Each carried
    entry is matched with the new proposals (module docstring, "Keys across years"): a
    re-submission appears once in the pool, under its new id, with the new submission's
    cost and estimates when ``policy.update_resubmissions`` (otherwise its stored data,
    under the new id and title); an entry whose id a different new proposal took is in
    the pool under a distinct key, and reported in ``collisions``.

    Entries carried into ``to_year`` by an earlier call are in the pool again, so a
    carry-over run again (after a kill, say) gives the whole pool.

    The pool names only proposals it holds, so it saves and loads back as a proposals
    file (see the module docstring for how dangling ``requires`` / ``excludes``
    references are settled). New proposals that repeat the same normalised title as a
    carried entry are not an error: the first one in input order is taken.

    Raises
    ------
    ReserveError
        When the store refuses the carry (nothing changes).
    """
    pol = policy or RollingPolicy()
    everything = store.entries()
    pending = [e for e in everything if e.year < to_year and e.status == "reserved"]
    earlier = [e for e in everything if e.year == to_year and e.status == "reserved"
               and e.origin_year < to_year]
    mine = {e.id for e in earlier}
    held = {e.proposal_id for e in everything if e.year == to_year and e.id not in mine}
    live = [*earlier, *sorted((e for e in pending
                               if to_year - e.origin_year < pol.expire_after),
                              key=lambda e: (-e.year, e.rank, e.proposal_id))]
    keys = _assign_keys(live, new, held)
    carried, expired = store.carry(to_year, decay=pol.decay, expire_after=pol.expire_after,
                                   resubmitted=keys.resubmitted, renamed=keys.renamed,
                                   actor=actor)
    before = {e.id: e for e in live}
    moved = {e.id for e in carried}
    now = [e for e in store.entries(to_year, "reserved") if e.origin_year < to_year]
    frame, missing, renames = _pool_frame(store, new, now, pol.update_resubmissions)
    frame, left_out, met = _settle_references(
        frame, renames, set(map(str, new.frame["id"])), lambda: _funded_before(store, to_year))
    try:
        pool = new.replace_frame(frame)
    except ValueError as exc:  # pragma: no cover - frames are canonical by construction
        raise ReserveError(t("reserve.error.merge", store.lang, year=to_year,
                             detail=shown(exc))) from exc
    return CarryOver(
        pool=pool, carried=carried, expired=expired,
        resubmitted={before[i].proposal_id: r.proposal_id for i, r in keys.resubmitted.items()
                     if r.proposal_id != before[i].proposal_id},
        without_snapshot=tuple(missing), left_out=left_out, requirements_met=met,
        collisions={before[i].proposal_id: k for i, k in keys.renamed.items()},
        earlier=[e for e in now if e.id not in moved])


@dataclass(frozen=True)
class _Renames:
    """How references resolve in the pool: rows from snapshots (written in an earlier year)
    follow ``old``; rows of the new call follow ``new`` for ids they do not hold."""

    old: dict[str, str]
    new: dict[str, str]
    from_snapshot: np.ndarray


def _pool_frame(store: ReserveStore, new: ProposalSet, carried: list[ReserveEntry],
                update: bool) -> tuple[pd.DataFrame, list[str], _Renames]:
    """The new proposals and the carried entries as one frame (see :func:`carry_over`)."""
    snaps = store.snapshots(e.snapshot_id for e in carried if e.snapshot_id is not None)
    frame = new.frame.copy()
    frame[RESERVE_SINCE] = np.nan
    row_of = {str(pid): k for k, pid in enumerate(frame["id"])}
    added: list[Proposal] = []
    since: list[int] = []
    missing: list[str] = []
    replaced: list[int] = []
    old: dict[str, str] = {}
    for e in carried:
        snap = snaps.get(e.snapshot_id) if e.snapshot_id is not None else None
        if snap is not None and "id" in snap:
            old[str(snap["id"])] = e.proposal_id
        at = row_of.get(e.proposal_id)
        proposal = _from_snapshot(snap, e)
        if at is not None and (update or proposal is None):
            frame.loc[at, RESERVE_SINCE] = float(e.origin_year)
            continue
        if proposal is None:
            missing.append(e.proposal_id)
            continue
        if at is not None:               # keep the stored data, under the new id and title
            replaced.append(at)
        added.append(proposal)
        since.append(e.origin_year)
    frame = frame.drop(index=replaced).reset_index(drop=True)
    from_snapshot = np.zeros(len(frame), dtype=bool)
    if added:
        extra = ProposalSet.from_proposals(added, domains=new.domains,
                                           target_groups=new.target_groups,
                                           meta=new.meta).frame
        extra[RESERVE_SINCE] = np.asarray(since, dtype=np.float64)
        frame = _concat(frame, extra)
        from_snapshot = np.r_[from_snapshot, np.ones(len(extra), dtype=bool)]
    new_ids = set(row_of)
    renamed_new = {o: k for o, k in old.items() if k in new_ids and o != k}
    return frame, missing, _Renames(old, renamed_new, from_snapshot)


def _from_snapshot(snap: Mapping[str, Any] | None, e: ReserveEntry) -> Proposal | None:
    """The stored proposal under the entry's key and title (None: no usable data)."""
    if snap is None:
        return None
    try:
        return _proposal({**snap, "id": e.proposal_id, "title": e.title})
    except (ValidationError, TypeError, ValueError):
        return None


def save_pool(result: CarryOver, path: str | Path) -> Path:
    """Write the carried pool to ``path`` (format by suffix), replacing it in one step.

    Raises
    ------
    InvalidInputError
        An unknown suffix (see :func:`selector.save_proposals`).
    OSError
        The file cannot be written (the old one, if any, is left as it was).
    """
    return save_proposals(result.pool, path)   # atomic itself: never nest writers


def _funded_before(store: ReserveStore, year: int) -> set[str]:
    """Ids funded in the years before ``year``: each year's last recorded list (its main
    selection, or the list after its latest backfill)."""
    last: dict[int, Run] = {}
    for run in store.runs():
        if run.year < year and run.kind in ("selection", "backfill"):
            last[run.year] = run         # runs come oldest first
    return {str(i) for run in last.values() for i in run.result.get("selected", [])}


def _resolve(frame: pd.DataFrame, col: str, renames: _Renames,
             new_ids: set[str]) -> pd.Series:
    """The references of ``col`` as keys of the pool (references of earlier years to
    proposals not carried are marked as outside)."""
    out = []
    for refs, old in zip(frame[col], renames.from_snapshot, strict=True):
        keys = []
        for r in map(str, refs):
            if old:
                keys.append(renames.old.get(r, _OUTSIDE + r))
            else:
                keys.append(r if r in new_ids else renames.new.get(r, r))
        out.append(tuple(dict.fromkeys(keys)))
    return pd.Series(out, index=frame.index, dtype=object)


def _settle_references(frame: pd.DataFrame, renames: _Renames, new_ids: set[str],
                       funded: Callable[[], set[str]],
                       ) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]],
                                  dict[str, tuple[str, ...]]]:
    """The pool's ``requires`` / ``excludes`` naming only proposals it holds (module
    docstring); ``funded`` is asked only when some requirement points outside the pool.

    Returns
    -------
    (frame, left_out, requirements_met)
        ``left_out`` and ``requirements_met`` map a proposal id to the required ids.
    """
    def plain(ref: str) -> str:
        return ref.removeprefix(_OUTSIDE)

    out = frame.copy()
    for col in ("requires", "excludes"):
        out[col] = _resolve(out, col, renames, new_ids)
    ids = set(out["id"].astype(str))
    outside = {plain(r) for refs in out["requires"] for r in refs if r not in ids}
    done = funded() & outside if outside else set()
    met: dict[str, tuple[str, ...]] = {}
    if done:
        kept: list[tuple[str, ...]] = []
        for pid, refs in zip(out["id"].astype(str), out["requires"], strict=True):
            gone = tuple(plain(r) for r in refs if r not in ids and plain(r) in done)
            if gone:
                met[pid] = gone
            kept.append(tuple(r for r in refs if r in ids or plain(r) not in done))
        out["requires"] = pd.Series(kept, index=out.index, dtype=object)
    left_out: dict[str, tuple[str, ...]] = {}
    while True:   # leaving one out may leave out what requires it
        ids = set(out["id"].astype(str))
        absent = [tuple(r for r in refs if r not in ids) for refs in out["requires"]]
        drop = [k for k, a in enumerate(absent) if a]
        if not drop:
            break
        left_out.update({str(out["id"].iat[k]): tuple(map(plain, absent[k])) for k in drop})
        out = out.drop(index=out.index[drop]).reset_index(drop=True)
    ids = set(out["id"].astype(str))
    out["excludes"] = pd.Series([tuple(r for r in refs if r in ids) for refs in out["excludes"]],
                                index=out.index, dtype=object)
    return out, left_out, met


def _concat(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Stack two canonical frames keeping the canonical dtypes (extra columns: union)."""
    cols = list(dict.fromkeys([*a.columns, *b.columns]))
    out = pd.concat([a.reindex(columns=cols), b.reindex(columns=cols)], ignore_index=True)
    for col in CANONICAL_COLUMNS:
        if a[col].dtype == object or b[col].dtype == object:
            out[col] = out[col].astype(object)
    return out
