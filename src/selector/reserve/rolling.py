"""Rolling management: put a year's runner-ups in the reserve, carry the reserve into the
next year's candidate pool, age the scores and expire old entries.

A year with the reserve::

    pool = carry_over(store, 2026, new_proposals).pool        # reserve + new, merged
    model = Model.build(pool, rules); base = model.solve()
    ranked = score_runner_ups(model, base, ScoringConfig(top_n=30))
    reserve_year(store, 2026, base, ranked)   # winners from the reserve promoted,
                                              # new runner-ups reserved, the rest expired

Ageing: an entry first reserved in ``origin_year`` carries ``score = base_score ·
decay ** (year − origin_year)``, where ``base_score`` is its latest fresh score. It
expires when ``year − origin_year`` reaches ``expire_after``. A re-submitted proposal is
recognised by its id or, failing that, by its normalised title
(:func:`~selector.reserve.titles.normalise_title`) and appears once in the pool; the new
submission's cost and estimates are used unless ``update_resubmissions`` is False.

References between proposals (``requires`` / ``excludes``) are carried with them, so a
carried entry may name last year's proposals that are not in the new pool. The pool is
cleaned so that it saves and loads back like any proposals file (a file may only name
proposals it holds):

- a reference to a carried entry re-submitted under a new id follows it to the new id;
- excluding a proposal that is not in the pool changes nothing: the reference is dropped;
- requiring one that was funded in an earlier year (it is in the last recorded list of
  its year, after any backfill) is a requirement already met: the reference is dropped;
- a proposal that requires one neither in the pool nor funded could never be selected:
  it is left out of the pool (``CarryOver.left_out``), and so is whatever requires it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from selector._errors import ReserveError
from selector.model import CANONICAL_COLUMNS, Proposal, ProposalSet
from selector.reserve.scoring import RunnerUps
from selector.reserve.store import (
    Candidate,
    ReserveEntry,
    ReserveStore,
    Resubmission,
    Run,
    RunRecord,
)
from selector.reserve.titles import normalise_title
from selector.result import Selection

__all__ = ["CarryOver", "RollingPolicy", "carry_over", "proposal_snapshot",
           "proposals_from_snapshots", "reserve_year", "run_record"]

#: Extra column of a carried pool: the year a proposal first entered the reserve.
RESERVE_SINCE = "reserve_since"


class RollingPolicy(BaseModel):
    """How the reserve rolls from year to year.

    Attributes
    ----------
    decay:
        Yearly ageing factor of scores, in (0, 1].
    expire_after:
        An entry expires when it has been in the reserve this many years.
    update_resubmissions:
        A re-submitted proposal takes its cost and estimates from the new submission.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    decay: float = Field(default=0.8, gt=0, le=1)
    expire_after: int = Field(default=3, ge=1)
    update_resubmissions: bool = True


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
        Reserve entries carried into the year, and those that expired.
    resubmitted:
        ``{old id: new id}`` of carried entries found among the new proposals.
    without_snapshot:
        Carried entries whose proposal data were never stored (not in the pool).
    left_out:
        ``{id: required ids}``: proposals left out of the pool because they require
        proposals neither in it nor funded in an earlier year (they could never be
        selected; a carried entry among them stays carried in the store).
    requirements_met:
        ``{id: required ids}``: requirements dropped because the required proposal was
        funded in an earlier year.
    """

    pool: ProposalSet
    carried: list[ReserveEntry]
    expired: list[ReserveEntry]
    resubmitted: dict[str, str]
    without_snapshot: tuple[str, ...]
    left_out: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requirements_met: dict[str, tuple[str, ...]] = field(default_factory=dict)


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


def proposals_from_snapshots(snapshots: Iterable[Mapping[str, Any]],
                             like: ProposalSet | None = None) -> ProposalSet:
    """Rebuild proposals from snapshots (with ``like``'s taxonomies, currency and meta)."""
    props = []
    for snap in snapshots:
        data = dict(snap)
        data["extra"] = {k: tuple(v) if isinstance(v, list) else v
                         for k, v in dict(data.get("extra") or {}).items()}
        props.append(Proposal.model_validate(data))
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
    reserved entries expire (ranked out).

    Returns
    -------
    list of ReserveEntry
        The year's entries after the write, by rank.
    """
    scores = ranked.scores
    titles = dict(zip(ranked.frame["id"], ranked.frame["title"], strict=True))
    cands = [Candidate(pid, str(titles[pid]), scores[pid], proposal_snapshot(base.proposals, pid))
             for pid in ranked.reserve]
    chosen = set(base.selected)
    promote = {e.proposal_id: f"selected in the {year} selection"
               for e in store.entries(year, "reserved") if e.proposal_id in chosen}
    return store.reserve(year, cands, run=run_record(base, year), promote=promote,
                         decay=decay, prune=prune, actor=actor, reason=reason)


def carry_over(store: ReserveStore, to_year: int, new: ProposalSet,
               policy: RollingPolicy | None = None, *, actor: str = "selector") -> CarryOver:
    """Carry the reserve into ``to_year`` and merge it with the new proposals.

    Every reserved entry of an earlier year either expires (``policy.expire_after``) or
    moves to ``to_year`` with its score aged (one transaction in the store). A carried
    proposal submitted again (same id, or same normalised title) appears once in the
    pool, under its new id; it keeps the new submission's cost and estimates when
    ``policy.update_resubmissions`` (otherwise its stored data, under the new id and
    title).

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
    pending = [e for e in store.entries(status="reserved") if e.year < to_year]
    snaps = store.snapshots(e.snapshot_id for e in pending if e.snapshot_id is not None)
    by_id = {str(i): k for k, i in enumerate(new.frame["id"])}
    by_title: dict[str, int] = {}
    for pos, title in enumerate(new.frame["title"]):
        by_title.setdefault(normalise_title(str(title)), pos)
    resub: dict[int, Resubmission] = {}
    match: dict[int, int] = {}          # entry id -> row of the new proposals
    for e in pending:
        k: int | None = by_id.get(e.proposal_id, by_title.get(e.normalised_title))
        if k is None or k in match.values():
            continue
        match[e.id] = k
        nid, ntitle = str(new.frame["id"].iat[k]), str(new.frame["title"].iat[k])
        if (nid, ntitle) != (e.proposal_id, e.title):
            resub[e.id] = Resubmission(nid, ntitle)
    carried, expired = store.carry(to_year, decay=pol.decay, expire_after=pol.expire_after,
                                   resubmitted=resub, actor=actor)
    frame = new.frame.copy()
    frame[RESERVE_SINCE] = np.nan
    added: list[dict[str, Any]] = []
    since: list[int] = []
    missing: list[str] = []
    replaced: list[int] = []
    for e in carried:
        snap = snaps.get(e.snapshot_id) if e.snapshot_id is not None else None
        at = match.get(e.id)
        if at is not None and (pol.update_resubmissions or snap is None):
            frame.loc[at, RESERVE_SINCE] = float(e.origin_year)
            continue
        if at is not None:  # keep the stored data, under the new id and title
            replaced.append(at)
        if snap is None:
            missing.append(e.proposal_id)
            continue
        added.append({**snap, "id": e.proposal_id, "title": e.title})
        since.append(e.origin_year)
    frame = frame.drop(index=replaced).reset_index(drop=True)
    if added:
        extra = proposals_from_snapshots(added, like=new).frame
        extra[RESERVE_SINCE] = np.asarray(since, dtype=np.float64)
        frame = _concat(frame, extra)
    old_ids = {e.id: e for e in pending}
    renamed = {old_ids[i].proposal_id: r.proposal_id for i, r in resub.items()
               if old_ids[i].proposal_id != r.proposal_id}
    frame, left_out, met = _settle_references(
        frame, renamed, lambda: _funded_before(store, to_year))
    try:
        pool = new.replace_frame(frame)
    except ValueError as exc:  # pragma: no cover - frames are canonical by construction
        raise ReserveError(f"cannot merge the reserve into {to_year}: {exc}") from exc
    return CarryOver(pool=pool, carried=carried, expired=expired,
                     resubmitted=renamed, without_snapshot=tuple(missing),
                     left_out=left_out, requirements_met=met)


def _funded_before(store: ReserveStore, year: int) -> set[str]:
    """Ids funded in the years before ``year``: each year's last recorded list (its main
    selection, or the list after its latest backfill)."""
    last: dict[int, Run] = {}
    for run in store.runs():
        if run.year < year and run.kind in ("selection", "backfill"):
            last[run.year] = run         # runs come oldest first
    return {str(i) for run in last.values() for i in run.result.get("selected", [])}


def _settle_references(frame: pd.DataFrame, renamed: Mapping[str, str],
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
    def follow(refs: Any) -> tuple[str, ...]:
        return tuple(dict.fromkeys(renamed.get(str(r), str(r)) for r in refs))

    out = frame.copy()
    for col in ("requires", "excludes"):
        out[col] = pd.Series([follow(refs) for refs in out[col]], index=out.index, dtype=object)
    ids = set(out["id"].astype(str))
    outside = {r for refs in out["requires"] for r in refs if r not in ids}
    done = funded() & outside if outside else set()
    met: dict[str, tuple[str, ...]] = {}
    if done:
        kept: list[tuple[str, ...]] = []
        for pid, refs in zip(out["id"].astype(str), out["requires"], strict=True):
            gone = tuple(r for r in refs if r in done)
            if gone:
                met[pid] = gone
            kept.append(tuple(r for r in refs if r not in done))
        out["requires"] = pd.Series(kept, index=out.index, dtype=object)
    left_out: dict[str, tuple[str, ...]] = {}
    while True:   # leaving one out may leave out what requires it
        ids = set(out["id"].astype(str))
        absent = [tuple(r for r in refs if r not in ids) for refs in out["requires"]]
        drop = [k for k, a in enumerate(absent) if a]
        if not drop:
            break
        left_out.update({str(out["id"].iat[k]): absent[k] for k in drop})
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
