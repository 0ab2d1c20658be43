"""The reserve store: one small class in front of SQLite (default) or PostgreSQL.

Every public method that writes is ONE database transaction: it either happens entirely or
not at all (a killed process, a constraint violation or a refused rule leave the store as it
was), and a refusal raises :class:`~selector.ReserveError`. Concurrent writers are
serialised by the database — ``BEGIN IMMEDIATE`` on SQLite (WAL journal, busy timeout),
``SERIALIZABLE`` transactions on PostgreSQL — and a transaction that loses a race
(serialization failure, deadlock, lock timeout, a concurrent duplicate) is retried from
the start, so entries are neither lost nor duplicated. Text is only ever sent as bound
parameters. The tables are described in :mod:`selector.reserve._schema`.

Statuses and the changes between them (each recorded in the audit history)::

    reserved ──▶ promoted     selected in a later main selection, or by a backfill
             ──▶ expired      too old (rolling management) or ranked out of a new reserve
             ──▶ withdrawn    by hand, with a reason
    reserved ──▶ reserved     re-scored, or carried into the next year (score aged)
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import StaticPool

from selector._errors import ReserveError
from selector.reserve import _schema as t
from selector.reserve.titles import normalise_title

__all__ = ["Candidate", "Change", "ReserveEntry", "ReserveStore", "Resubmission", "Run",
           "RunRecord"]

T = TypeVar("T")

_RETRY_SQLSTATES = {"40001", "40P01", "55P03", "23505", "42P07"}


@dataclass(frozen=True)
class Candidate:
    """A proposal offered to a year's reserve.

    Attributes
    ----------
    proposal_id, title:
        As submitted.
    score:
        Its fresh score in [0, 1] (see :mod:`selector.reserve.scoring`); the store ages it
        by ``decay ** (year - origin_year)`` for entries first reserved in earlier years.
    snapshot:
        The proposal as it was when scored (JSON-ready mapping), kept with the run.
    """

    proposal_id: str
    title: str
    score: float
    snapshot: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunRecord:
    """A selection run to record with a write (what was solved, with what, and the answer).

    ``input_hash`` is the SHA-256 of the canonical JSON of the inputs (see
    :meth:`digest`); ``rules`` and ``result`` are JSON-ready mappings.
    """

    year: int
    kind: str
    input_hash: str
    rules: Mapping[str, Any]
    solver: str
    result: Mapping[str, Any]

    @staticmethod
    def digest(*parts: Any) -> str:
        """SHA-256 hex digest of the canonical JSON of ``parts``."""
        text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Resubmission:
    """A reserve entry re-submitted under another id or title (recorded when carried)."""

    proposal_id: str
    title: str


@dataclass(frozen=True)
class ReserveEntry:
    """One proposal in a year's reserve, as stored.

    ``base_score`` is the fresh score it was given; ``score`` is that score aged by the
    years since ``origin_year`` (the year it first entered the reserve). ``rank`` is its
    place among the year's reserved entries (1 = best), by aged score.
    """

    id: int
    year: int
    proposal_id: str
    title: str
    normalised_title: str
    base_score: float
    score: float
    rank: int
    status: str
    reason: str
    origin_year: int
    run_id: int | None
    snapshot_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class Change:
    """One line of the audit history: who changed what, why and when."""

    id: int
    entry_id: int
    year: int
    proposal_id: str
    at: datetime
    actor: str
    action: str
    old_status: str | None
    new_status: str
    reason: str


@dataclass(frozen=True)
class Run:
    """A recorded selection or backfill run."""

    id: int
    year: int
    kind: str
    input_hash: str
    rules: dict[str, Any]
    solver: str
    result: dict[str, Any]
    created_at: datetime


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _entry(row: sa.Row[Any]) -> ReserveEntry:
    m = row._mapping
    return ReserveEntry(
        id=m["id"], year=m["year"], proposal_id=m["proposal_id"], title=m["title"],
        normalised_title=m["normalised_title"], base_score=m["base_score"], score=m["score"],
        rank=m["rank"], status=m["status"], reason=m["reason"], origin_year=m["origin_year"],
        run_id=m["run_id"], snapshot_id=m["snapshot_id"], created_at=_utc(m["created_at"]),
        updated_at=_utc(m["updated_at"]),
    )


def _change(row: sa.Row[Any]) -> Change:
    m = row._mapping
    return Change(id=m["id"], entry_id=m["entry_id"], year=m["year"],
                  proposal_id=m["proposal_id"], at=_utc(m["at"]), actor=m["actor"],
                  action=m["action"], old_status=m["old_status"], new_status=m["new_status"],
                  reason=m["reason"])


def _make_engine(url: str) -> Engine:
    u = sa.engine.make_url(url)
    backend = u.get_backend_name()
    if backend == "sqlite":
        memory = u.database in (None, "", ":memory:")
        engine = sa.create_engine(
            u, connect_args={"timeout": 60, "check_same_thread": False},
            poolclass=StaticPool if memory else None,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # transactions are begun by _on_begin
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys = ON")
            cur.execute("PRAGMA busy_timeout = 60000")
            if not memory:
                cur.execute("PRAGMA journal_mode = WAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if backend == "postgresql":
        return sa.create_engine(u, isolation_level="SERIALIZABLE", pool_pre_ping=True)
    raise ReserveError(f"reserve store URL must be sqlite:/// or postgresql+psycopg://, got {backend!r}")


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in _RETRY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and ("locked" in text or "busy" in text)


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip().splitlines()[0]


class ReserveStore:
    """The rolling reserve database.

    Parameters
    ----------
    url:
        ``sqlite:///path/to/reserve.sqlite`` (default ``reserve.sqlite`` in the working
        directory; created when missing) or ``postgresql+psycopg://user:pw@host/db``. A
        store written by an older ``selector`` is migrated forward when opened.
    retries:
        How many times a transaction that lost a race with another writer is retried.

    Examples
    --------
    >>> store = ReserveStore("sqlite://")           # in memory
    >>> [e.proposal_id for e in store.reserve(2025, [Candidate("P1", "驿站", 0.9)])]
    ['P1']
    >>> store.withdraw(2025, "P1", reason="proposer withdrew").status
    'withdrawn'
    >>> [(c.action, c.old_status, c.new_status) for c in store.history(year=2025)]
    [('reserved', None, 'reserved'), ('withdrawn', 'reserved', 'withdrawn')]
    """

    def __init__(self, url: str = "sqlite:///reserve.sqlite", *, retries: int = 30) -> None:
        self.url = url
        self.retries = retries
        try:
            self.engine = _make_engine(url)
        except ReserveError:
            raise
        except Exception as exc:  # bad URL, missing driver
            raise ReserveError(f"cannot open reserve store {url!r}: {_short(exc)}") from None
        try:
            self._transaction("opening the store", self._open)
        except ReserveError:
            self.engine.dispose()
            raise

    # -- plumbing ---------------------------------------------------------------------------
    def _transaction(self, what: str, work: Callable[[sa.Connection], T]) -> T:
        """Run ``work`` in one transaction, retrying when it lost a race; else ReserveError."""
        duplicates = 0
        for attempt in range(self.retries):
            try:
                with self.engine.begin() as conn:
                    return work(conn)
            except ReserveError:
                raise
            except sa.exc.DBAPIError as exc:
                # a concurrent duplicate is retried (the retry sees the other row), but a
                # duplicate that stays is a real conflict: give up after a few tries
                duplicates += getattr(exc.orig, "sqlstate", None) == "23505"
                if _retryable(exc) and attempt + 1 < self.retries and duplicates <= 3:
                    time.sleep(random.uniform(0, min(0.5, 0.005 * 2 ** attempt)))
                    continue
                raise ReserveError(f"{what} failed, nothing was written: {_short(exc)}") from exc
            except sa.exc.SQLAlchemyError as exc:
                raise ReserveError(f"{what} failed, nothing was written: {_short(exc)}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _open(self, conn: sa.Connection) -> None:
        if conn.dialect.name == "postgresql":  # one opener creates or migrates at a time
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(7365727665)"))
        names = set(sa.inspect(conn).get_table_names())
        if "schema_version" not in names:
            if names & {tab.name for tab in t.metadata.sorted_tables}:
                raise ReserveError(f"{self.url!r} holds reserve tables but no schema_version; "
                                   "not a selector reserve store")
            t.metadata.create_all(conn)
            conn.execute(t.schema_version.insert().values(
                version=t.CURRENT_VERSION, applied_at=t.now(), description="created"))
            return
        found = conn.execute(sa.select(sa.func.max(t.schema_version.c.version))).scalar_one()
        if found is None or found < 1:
            raise ReserveError(f"{self.url!r} has an empty schema_version table")
        if found > t.CURRENT_VERSION:
            raise ReserveError(f"reserve store is schema version {found}, this selector knows up "
                               f"to {t.CURRENT_VERSION}; upgrade selector")
        t.migrate(conn, found)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    def __enter__(self) -> ReserveStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ReserveStore({self.engine.url.render_as_string(hide_password=True)!r})"

    # -- reading ----------------------------------------------------------------------------
    @property
    def schema_version(self) -> int:
        """The schema version of the open store."""
        return self._transaction("reading the schema version", lambda c: int(c.execute(
            sa.select(sa.func.max(t.schema_version.c.version))).scalar_one()))

    def entries(self, year: int | None = None, status: str | None = None) -> list[ReserveEntry]:
        """Reserve entries (of one year and/or status), by year then rank."""
        q = sa.select(t.entries)
        if year is not None:
            q = q.where(t.entries.c.year == year)
        if status is not None:
            _check_status(status)
            q = q.where(t.entries.c.status == status)
        q = q.order_by(t.entries.c.year, t.entries.c.rank, t.entries.c.proposal_id)
        return self._transaction("listing the reserve",
                                 lambda c: [_entry(r) for r in c.execute(q)])

    def entry(self, year: int, proposal_id: str) -> ReserveEntry:
        """The entry of ``proposal_id`` in ``year``'s reserve (ReserveError when absent)."""
        return self._transaction("reading an entry", lambda c: _one(c, year, proposal_id))

    def history(self, *, year: int | None = None, proposal_id: str | None = None,
                entry_id: int | None = None) -> list[Change]:
        """The audit history, oldest first (of one entry, one year and/or one proposal id)."""
        q = sa.select(t.history)
        if year is not None:
            q = q.where(t.history.c.year == year)
        if proposal_id is not None:
            q = q.where(t.history.c.proposal_id == proposal_id)
        if entry_id is not None:
            q = q.where(t.history.c.entry_id == entry_id)
        q = q.order_by(t.history.c.id)
        return self._transaction("reading the history",
                                 lambda c: [_change(r) for r in c.execute(q)])

    def runs(self, year: int | None = None) -> list[Run]:
        """Recorded runs, oldest first."""
        q = sa.select(t.runs).order_by(t.runs.c.id)
        if year is not None:
            q = q.where(t.runs.c.year == year)

        def work(c: sa.Connection) -> list[Run]:
            return [Run(id=r.id, year=r.year, kind=r.kind, input_hash=r.input_hash,
                        rules=r.rules, solver=r.solver, result=r.result,
                        created_at=_utc(r.created_at)) for r in c.execute(q)]
        return self._transaction("reading the runs", work)

    def snapshots(self, snapshot_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored proposal snapshots by snapshot id."""
        ids = sorted(set(snapshot_ids))

        def work(c: sa.Connection) -> dict[int, dict[str, Any]]:
            out: dict[int, dict[str, Any]] = {}
            for chunk in _chunks(ids):
                q = sa.select(t.snapshots.c.id, t.snapshots.c.data).where(
                    t.snapshots.c.id.in_(chunk))
                out.update({r.id: dict(r.data) for r in c.execute(q)})
            return out
        return self._transaction("reading snapshots", work)

    # -- writing ----------------------------------------------------------------------------
    def reserve(self, year: int, candidates: Sequence[Candidate], *,
                run: RunRecord | None = None, promote: Mapping[str, str] | None = None,
                decay: float = 1.0, prune: bool = False, actor: str = "selector",
                reason: str = "") -> list[ReserveEntry]:
        """Put a year's scored runner-ups in its reserve (one transaction).

        Parameters
        ----------
        year:
            The reserve year.
        candidates:
            New entries are created ``reserved``; a ``reserved`` entry already in this
            year's reserve (carried over) is re-scored: its ``base_score`` becomes the new
            score and its ``score`` that score aged by ``decay ** (year - origin_year)``.
            Entries already promoted, expired or withdrawn are left alone (a withdrawn
            proposal never comes back silently).
        run:
            The selection run these scores come from; recorded with the candidates'
            snapshots.
        promote:
            ``{proposal_id: reason}``: this year's reserved entries that won a place in the
            selection (e.g. carried entries selected in the main run) become ``promoted``.
        decay:
            Yearly ageing factor in (0, 1].
        prune:
            Expire this year's reserved entries that are neither candidates nor promoted
            (they fell out of the new reserve).
        actor, reason:
            Who does this and why, for the audit history.

        Returns
        -------
        list of ReserveEntry
            The year's entries after the write, by rank.
        """
        _check_decay(decay)
        cands = list(candidates)
        ids = [c.proposal_id for c in cands]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ReserveError(f"candidates must have distinct ids, got {dup[:5]} twice")
        for c in cands:
            if not (0.0 <= c.score <= 1.0) or math.isnan(c.score):
                raise ReserveError(f"score of {c.proposal_id!r} must be in [0, 1], got {c.score}")
        promotions: dict[str, str] = dict(promote or {})

        def work(conn: sa.Connection) -> list[ReserveEntry]:
            stamp = t.now()
            run_id = _insert_run(conn, run, stamp) if run is not None else None
            snap_ids = _insert_snapshots(conn, run_id, cands) if run_id is not None else {}
            existing = _existing(conn, year, [*ids, *promotions])
            log: list[dict[str, Any]] = []
            for pid, why in promotions.items():
                e = existing.get(pid)
                if e is None:
                    raise ReserveError(f"cannot promote {pid!r}: not in the {year} reserve")
                if e.status != "reserved":
                    raise ReserveError(f"cannot promote {pid!r}: in the {year} reserve it is "
                                       f"already {e.status}")
                _set(conn, e, "promoted", why or reason, stamp, run_id)
                log.append(_log(e, stamp, actor, "promoted", "promoted", why or reason))
            new_rows: list[dict[str, Any]] = []
            for c in cands:
                if c.proposal_id in promotions:
                    raise ReserveError(f"{c.proposal_id!r} cannot be both promoted and reserved")
                e = existing.get(c.proposal_id)
                if e is None:
                    new_rows.append({
                        "year": year, "proposal_id": c.proposal_id, "title": c.title,
                        "normalised_title": normalise_title(c.title), "base_score": c.score,
                        "score": c.score, "rank": 0, "status": "reserved", "reason": reason,
                        "origin_year": year, "run_id": run_id,
                        "snapshot_id": snap_ids.get(c.proposal_id), "created_at": stamp,
                        "updated_at": stamp})
                elif e.status == "reserved":
                    aged = c.score * decay ** (year - e.origin_year)
                    conn.execute(t.entries.update().where(t.entries.c.id == e.id).values(
                        base_score=c.score, score=aged, title=c.title,
                        normalised_title=normalise_title(c.title), updated_at=stamp,
                        run_id=run_id if run_id is not None else e.run_id,
                        snapshot_id=snap_ids.get(c.proposal_id, e.snapshot_id)))
                    log.append(_log(e, stamp, actor, "rescored", "reserved",
                                    f"re-scored in {year}: {c.score:.4f}, aged to {aged:.4f} "
                                    f"(in the reserve since {e.origin_year}). {reason}".strip()))
            if new_rows:
                conn.execute(t.entries.insert(), new_rows)
                created = _existing(conn, year, [r["proposal_id"] for r in new_rows])
                for r in new_rows:
                    e = created[r["proposal_id"]]
                    log.append(_log(e, stamp, actor, "reserved", "reserved",
                                    reason or f"runner-up of {year}, score {e.score:.4f}",
                                    created=True))
            if prune:
                keep = set(ids) | set(promotions)
                stale = conn.execute(sa.select(t.entries).where(
                    t.entries.c.year == year, t.entries.c.status == "reserved")).all()
                for row in stale:
                    e = _entry(row)
                    if e.proposal_id not in keep:
                        why = f"ranked out of the {year} reserve"
                        _set(conn, e, "expired", why, stamp, run_id)
                        log.append(_log(e, stamp, actor, "expired", "expired", why))
            _write_log(conn, log)
            _rerank(conn, year)
            return _year(conn, year)
        return self._transaction(f"reserving {len(cands)} proposals for {year}", work)

    def set_status(self, year: int, proposal_ids: Iterable[str], status: str, *, reason: str,
                   actor: str = "selector", run: RunRecord | None = None,
                   candidates: Sequence[Candidate] = (),
                   expect_runs: int | None = None) -> list[ReserveEntry]:
        """Move reserved entries to ``promoted``, ``expired`` or ``withdrawn`` (one transaction).

        Every entry must exist in ``year``'s reserve and still be ``reserved``; otherwise
        nothing changes and :class:`~selector.ReserveError` says which. ``run`` (e.g. a
        backfill) is recorded with the change, with the snapshots of ``candidates``.
        ``expect_runs`` is the number of runs of ``year`` the caller's decision was based
        on (a backfill reads the year's list from them): when another run was recorded
        since, nothing changes and ReserveError says so.
        """
        _check_status(status)
        if status == "reserved":
            raise ReserveError("status must be promoted, expired or withdrawn, got 'reserved'")
        if not reason.strip():
            raise ReserveError(f"a reason is required to mark entries {status}")
        pids = list(dict.fromkeys(str(p) for p in proposal_ids))

        def work(conn: sa.Connection) -> list[ReserveEntry]:
            if expect_runs is not None:
                found_runs = conn.execute(sa.select(sa.func.count()).select_from(t.runs)
                                          .where(t.runs.c.year == year)).scalar_one()
                if found_runs != expect_runs:
                    raise ReserveError(
                        f"another run of {year} was recorded since this was decided "
                        f"({expect_runs} runs then, {found_runs} now); nothing was written: "
                        "run it again")
            stamp = t.now()
            run_id = _insert_run(conn, run, stamp) if run is not None else None
            if run_id is not None and candidates:
                _insert_snapshots(conn, run_id, list(candidates))
            found = _existing(conn, year, pids)
            log = []
            out = []
            for pid in pids:
                e = found.get(pid)
                if e is None:
                    raise ReserveError(f"{pid!r} is not in the {year} reserve")
                if e.status != "reserved":
                    raise ReserveError(f"{pid!r} in the {year} reserve is already {e.status}")
                _set(conn, e, status, reason, stamp, run_id)
                log.append(_log(e, stamp, actor, status, status, reason))
                out.append(pid)
            _write_log(conn, log)
            _rerank(conn, year)
            after = _existing(conn, year, out)
            return [after[p] for p in out]
        return self._transaction(f"marking {len(pids)} entries {status}", work)

    def promote(self, year: int, proposal_ids: Iterable[str], *, reason: str,
                actor: str = "selector", run: RunRecord | None = None) -> list[ReserveEntry]:
        """Mark reserved entries promoted (see :meth:`set_status`)."""
        return self.set_status(year, proposal_ids, "promoted", reason=reason, actor=actor, run=run)

    def withdraw(self, year: int, proposal_id: str, *, reason: str,
                 actor: str = "selector") -> ReserveEntry:
        """Withdraw one entry by hand; the reason is required and kept in the history."""
        return self.set_status(year, [proposal_id], "withdrawn", reason=reason, actor=actor)[0]

    def carry(self, to_year: int, *, decay: float, expire_after: int,
              resubmitted: Mapping[int, Resubmission] | None = None,
              actor: str = "selector") -> tuple[list[ReserveEntry], list[ReserveEntry]]:
        """Carry every reserved entry of earlier years into ``to_year`` (one transaction).

        An entry first reserved in ``origin_year`` has age ``to_year - origin_year``. When
        the age reaches ``expire_after`` it expires; otherwise it moves to ``to_year`` with
        ``score = base_score * decay ** age``. ``resubmitted`` maps entry ids to the id and
        title under which the proposal was submitted again.

        Returns
        -------
        (carried, expired)
        """
        _check_decay(decay)
        if expire_after < 1:
            raise ReserveError(f"expire_after must be >= 1 year, got {expire_after}")
        resub = dict(resubmitted or {})

        def work(conn: sa.Connection) -> tuple[list[ReserveEntry], list[ReserveEntry]]:
            stamp = t.now()
            rows = conn.execute(sa.select(t.entries).where(
                t.entries.c.year < to_year, t.entries.c.status == "reserved")
                .order_by(t.entries.c.year, t.entries.c.rank)).all()
            log = []
            carried: list[int] = []
            expired: list[int] = []
            for row in rows:
                e = _entry(row)
                age = to_year - e.origin_year
                if age >= expire_after:
                    why = (f"in the reserve since {e.origin_year}: {age} years reaches the "
                           f"{expire_after}-year limit")
                    _set(conn, e, "expired", why, stamp, None)
                    log.append(_log(e, stamp, actor, "expired", "expired", why))
                    expired.append(e.id)
                    continue
                score = e.base_score * decay ** age
                new = resub.get(e.id, Resubmission(e.proposal_id, e.title))
                why = (f"carried from {e.year} to {to_year}; score {e.score:.4f} -> {score:.4f} "
                       f"(decay {decay}/year since {e.origin_year})")
                if new.proposal_id != e.proposal_id or new.title != e.title:
                    why += f"; re-submitted as {new.proposal_id!r} {new.title!r}"
                conn.execute(t.entries.update().where(t.entries.c.id == e.id).values(
                    year=to_year, score=score, proposal_id=new.proposal_id, title=new.title,
                    normalised_title=normalise_title(new.title), reason=why, updated_at=stamp))
                log.append(_log(e, stamp, actor, "carried", "reserved", why,
                                year=to_year, proposal_id=new.proposal_id))
                carried.append(e.id)
            _write_log(conn, log)
            for year in {to_year, *(r.year for r in rows)}:
                _rerank(conn, year)
            return _by_ids(conn, carried), _by_ids(conn, expired)
        return self._transaction(f"carrying the reserve into {to_year}", work)


# -- helpers inside a transaction ----------------------------------------------------------------
def _check_status(status: str) -> None:
    if status not in t.STATUSES:
        raise ReserveError(f"status must be one of {', '.join(t.STATUSES)}, got {status!r}")


def _check_decay(decay: float) -> None:
    if not 0.0 < decay <= 1.0:
        raise ReserveError(f"decay must be in (0, 1], got {decay}")


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _one(conn: sa.Connection, year: int, proposal_id: str) -> ReserveEntry:
    found = _existing(conn, year, [proposal_id])
    if proposal_id not in found:
        raise ReserveError(f"{proposal_id!r} is not in the {year} reserve")
    return found[proposal_id]


def _existing(conn: sa.Connection, year: int, pids: Sequence[str]) -> dict[str, ReserveEntry]:
    out: dict[str, ReserveEntry] = {}
    for chunk in _chunks(list(dict.fromkeys(pids))):
        q = sa.select(t.entries).where(t.entries.c.year == year,
                                       t.entries.c.proposal_id.in_(chunk))
        out.update({e.proposal_id: e for e in map(_entry, conn.execute(q))})
    return out


def _by_ids(conn: sa.Connection, ids: Sequence[int]) -> list[ReserveEntry]:
    found: dict[int, ReserveEntry] = {}
    for chunk in _chunks(ids):
        found.update({e.id: e for e in map(_entry, conn.execute(
            sa.select(t.entries).where(t.entries.c.id.in_(chunk))))})
    return [found[i] for i in ids]


def _year(conn: sa.Connection, year: int) -> list[ReserveEntry]:
    q = (sa.select(t.entries).where(t.entries.c.year == year)
         .order_by(t.entries.c.rank, t.entries.c.proposal_id))
    return [_entry(r) for r in conn.execute(q)]


def _insert_run(conn: sa.Connection, run: RunRecord, stamp: datetime) -> int:
    result = conn.execute(t.runs.insert().values(
        year=run.year, kind=run.kind, input_hash=run.input_hash, rules=dict(run.rules),
        solver=run.solver, result=dict(run.result), created_at=stamp))
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every supported backend returns the key
        raise ReserveError("the database did not return the new run's id")
    return int(key[0])


def _insert_snapshots(conn: sa.Connection, run_id: int, cands: Sequence[Candidate]) -> dict[str, int]:
    rows = [{"run_id": run_id, "proposal_id": c.proposal_id, "title": c.title,
             "data": dict(c.snapshot)} for c in cands if c.snapshot]
    if not rows:
        return {}
    conn.execute(t.snapshots.insert(), rows)
    q = sa.select(t.snapshots.c.id, t.snapshots.c.proposal_id).where(t.snapshots.c.run_id == run_id)
    return {r.proposal_id: r.id for r in conn.execute(q)}


def _set(conn: sa.Connection, e: ReserveEntry, status: str, reason: str, stamp: datetime,
         run_id: int | None) -> None:
    values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": stamp}
    if run_id is not None:
        values["run_id"] = run_id
    conn.execute(t.entries.update().where(t.entries.c.id == e.id).values(**values))


def _log(e: ReserveEntry, stamp: datetime, actor: str, action: str, new: str, reason: str, *,
         created: bool = False, year: int | None = None,
         proposal_id: str | None = None) -> dict[str, Any]:
    return {"entry_id": e.id, "year": e.year if year is None else year,
            "proposal_id": e.proposal_id if proposal_id is None else proposal_id, "at": stamp,
            "actor": actor, "action": action, "old_status": None if created else e.status,
            "new_status": new, "reason": reason}


def _write_log(conn: sa.Connection, log: list[dict[str, Any]]) -> None:
    if log:
        conn.execute(t.history.insert(), log)


def _rerank(conn: sa.Connection, year: int) -> None:
    rows = conn.execute(sa.select(t.entries.c.id, t.entries.c.rank).where(
        t.entries.c.year == year, t.entries.c.status == "reserved")
        .order_by(t.entries.c.score.desc(), t.entries.c.proposal_id)).all()
    changes = [{"eid": r.id, "new_rank": k} for k, r in enumerate(rows, start=1) if r.rank != k]
    if changes:
        conn.execute(t.entries.update().where(t.entries.c.id == sa.bindparam("eid"))
                     .values(rank=sa.bindparam("new_rank")), changes)
