"""The reserve store: one small class in front of SQLite (default) or PostgreSQL.

Every public method that writes is ONE database transaction: it either happens entirely or
not at all (a killed process, a constraint violation or a refused rule leave the store as it
was), and a refusal raises :class:`~selector.ReserveError` (in the store's language,
``lang``). Text is only ever sent as bound parameters. The tables are described in
:mod:`selector.reserve.schema`.

Concurrent writers are serialised, so none of them fails for having met another:

- SQLite: every transaction starts with ``BEGIN IMMEDIATE`` (the database's write lock;
  WAL journal, 60 s busy timeout);
- PostgreSQL: every write transaction runs at READ COMMITTED and first takes a
  transaction-scoped advisory lock of the store's schema
  (``pg_advisory_xact_lock``): writers run one after another, and each statement after the
  lock sees everything committed before it. Reads run at REPEATABLE READ (one consistent
  snapshot; a read-only transaction there never fails to serialise).

A transaction that still fails for a passing reason (a deadlock or serialization failure
from outside the store, a lock timeout, SQLite busy) is retried from the start after a
jittered exponential pause, up to ``retries`` times.

Running the same command twice records it once: a write that carries a
:attr:`RunRecord.request_key` equal to the key of the year's latest run writes nothing and
returns the state (a command re-run after being killed past its commit completes instead
of repeating itself), and marking an entry with the status and reason it already has
changes nothing.

Statuses and the changes between them (each recorded in the audit history)::

    reserved ──▶ promoted     selected in a later main selection, or by a backfill
             ──▶ expired      too old (rolling management) or ranked out of a new reserve
             ──▶ withdrawn    by hand, with a reason
    reserved ──▶ reserved     re-scored, carried into the next year (score aged), or given a
                              distinct key when a new proposal took its id (``renamed``)
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
from selector.i18n import DEFAULT_LANG, Lang, check_lang, t
from selector.reserve import schema
from selector.reserve.titles import normalise_title
from selector.text import terminal_safe

__all__ = ["Candidate", "Change", "ReserveEntry", "ReserveStore", "Resubmission", "Run",
           "RunRecord", "check_decay", "check_expire_after"]

T = TypeVar("T")

#: PostgreSQL errors worth another try: serialization failure, deadlock, lock not available.
_RETRY_SQLSTATES = {"40001", "40P01", "55P03"}
#: First key of the advisory lock every PostgreSQL writer takes (the second: its schema).
_LOCK_KEY = 736572


def shown(value: object) -> str:
    """A value from input as it appears inside a message (control characters escaped)."""
    return terminal_safe(str(value))


def check_decay(decay: float, lang: Lang = DEFAULT_LANG) -> float:
    """``decay`` when it is a yearly ageing factor in (0, 1], else ReserveError.

    The one rule for the decay: the store, :class:`~selector.reserve.RollingPolicy` and the
    command line all apply it.

    >>> check_decay(0.8)
    0.8
    """
    if not isinstance(decay, int | float) or not 0.0 < decay <= 1.0:  # NaN fails too
        raise ReserveError(t("reserve.error.bad_decay", lang, got=shown(decay)))
    return float(decay)


def check_expire_after(years: int, lang: Lang = DEFAULT_LANG) -> int:
    """``years`` when it is a whole number of years >= 1, else ReserveError."""
    if isinstance(years, bool) or not isinstance(years, int) or years < 1:
        raise ReserveError(t("reserve.error.bad_expire", lang, got=shown(years)))
    return years


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
    :meth:`digest`); ``rules`` and ``result`` are JSON-ready mappings. ``request_key``
    (optional) is the digest of the whole command that records the run: when the year's
    latest run carries the same key, the write is a repeat and changes nothing.
    """

    year: int
    kind: str
    input_hash: str
    rules: Mapping[str, Any]
    solver: str
    result: Mapping[str, Any]
    request_key: str | None = None

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

    ``proposal_id`` is the entry's key in its year: the proposal's id, or a distinct key
    such as ``2026-0042@2026`` when a new proposal of the year took that id. ``base_score``
    is the fresh score it was given; ``score`` is that score aged by the years since
    ``origin_year`` (the year it first entered the reserve). ``rank`` is its place among
    the year's reserved entries (1 = best), by aged score.
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
    request_key: str | None = None


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


def _make_engine(url: str, lang: Lang) -> Engine:
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
        return sa.create_engine(u, pool_pre_ping=True)
    raise ReserveError(t("reserve.error.bad_url", lang, backend=shown(backend)))


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    if getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES:
        return True
    text = str(exc.orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and ("locked" in text or "busy" in text)


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return terminal_safe(lines[0] if lines else type(exc).__name__)


class ReserveStore:
    """The rolling reserve database.

    Parameters
    ----------
    url:
        ``sqlite:///path/to/reserve.sqlite`` (default ``reserve.sqlite`` in the working
        directory; created when missing) or ``postgresql+psycopg://user:pw@host/db``. A
        store written by an older ``selector`` is migrated forward when opened.
    retries:
        How many times in all a transaction is tried when it fails for a passing reason
        (at least 1).
    lang:
        Language of the errors raised and of the reasons the store writes into the
        history (``"zh"`` by default; reasons are kept as written).

    Examples
    --------
    >>> store = ReserveStore("sqlite://", lang="en")           # in memory
    >>> [e.proposal_id for e in store.reserve(2025, [Candidate("P1", "驿站", 0.9)])]
    ['P1']
    >>> store.withdraw(2025, "P1", reason="proposer withdrew").status
    'withdrawn'
    >>> [(c.action, c.old_status, c.new_status) for c in store.history(year=2025)]
    [('reserved', None, 'reserved'), ('withdrawn', 'reserved', 'withdrawn')]
    """

    def __init__(self, url: str = "sqlite:///reserve.sqlite", *, retries: int = 30,
                 lang: Lang = DEFAULT_LANG) -> None:
        self.lang: Lang = check_lang(lang)
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ReserveError(t("reserve.error.retries", self.lang, got=shown(retries)))
        self.url = url
        self.retries = retries
        try:
            self.engine = _make_engine(url, self.lang)
        except ReserveError:
            raise
        except Exception as exc:  # bad URL, missing driver
            raise ReserveError(t("reserve.error.cannot_open", self.lang, url=shown(url),
                                 detail=_short(exc))) from None
        try:
            self.transaction(t("reserve.op.open", self.lang), self._open, write=True)
        except ReserveError:
            self.engine.dispose()
            raise

    # -- plumbing ---------------------------------------------------------------------------
    def transaction(self, what: str, work: Callable[[sa.Connection], T], *,
                    write: bool) -> T:
        """Run ``work`` in one transaction (serialised with every other writer when
        ``write``), retrying a passing failure; anything else is a ReserveError.

        The one way into the database: the outcomes store (:mod:`selector.outcomes`), which
        keeps its tables in the same database, uses it too."""
        for attempt in range(self.retries):
            try:
                with self.engine.connect() as conn:
                    return self._attempt(conn, work, write)
            except ReserveError:
                raise
            except sa.exc.DBAPIError as exc:
                if _retryable(exc) and attempt + 1 < self.retries:
                    time.sleep(random.uniform(0, min(1.0, 0.01 * 2 ** attempt)))
                    continue
                raise ReserveError(t("reserve.error.failed", self.lang, what=what,
                                     detail=_short(exc))) from exc
            except (sa.exc.SQLAlchemyError, OverflowError) as exc:
                # a value the database cannot hold (a year beyond its integers, a
                # snapshot that is not JSON): refused, nothing written
                raise ReserveError(t("reserve.error.failed", self.lang, what=what,
                                     detail=_short(exc))) from exc
        raise AssertionError("unreachable")  # pragma: no cover - retries >= 1

    @staticmethod
    def _attempt(conn: sa.Connection, work: Callable[[sa.Connection], T], write: bool) -> T:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(
                isolation_level="READ COMMITTED" if write else "REPEATABLE READ")
        with conn.begin():
            if write and conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key, "
                                     "hashtext(current_schema()))"), {"key": _LOCK_KEY})
            return work(conn)

    def _read(self, work: Callable[[sa.Connection], T]) -> T:
        return self.transaction(t("reserve.op.read", self.lang), work, write=False)

    def _open(self, conn: sa.Connection) -> None:
        names = set(sa.inspect(conn).get_table_names())
        url = shown(self.url)
        if "schema_version" not in names:
            if names & {tab.name for tab in schema.metadata.sorted_tables}:
                raise ReserveError(t("reserve.error.not_a_store", self.lang, url=url))
            schema.metadata.create_all(conn)
            conn.execute(schema.schema_version.insert().values(
                version=schema.CURRENT_VERSION, applied_at=schema.now(), description="created"))
            return
        found = conn.execute(sa.select(sa.func.max(schema.schema_version.c.version))
                             ).scalar_one()
        if found is None or found < 1:
            raise ReserveError(t("reserve.error.empty_version", self.lang, url=url))
        if found > schema.CURRENT_VERSION:
            raise ReserveError(t("reserve.error.newer", self.lang, found=found,
                                 known=schema.CURRENT_VERSION))
        schema.migrate(conn, found)

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
        return self._read(lambda c: int(c.execute(
            sa.select(sa.func.max(schema.schema_version.c.version))).scalar_one()))

    def entries(self, year: int | None = None, status: str | None = None) -> list[ReserveEntry]:
        """Reserve entries (of one year and/or status), by year then rank."""
        q = sa.select(schema.entries)
        if year is not None:
            q = q.where(schema.entries.c.year == year)
        if status is not None:
            _check_status(status, self.lang)
            q = q.where(schema.entries.c.status == status)
        q = q.order_by(schema.entries.c.year, schema.entries.c.rank,
                       schema.entries.c.proposal_id)
        return self._read(lambda c: [_entry(r) for r in c.execute(q)])

    def entry(self, year: int, proposal_id: str) -> ReserveEntry:
        """The entry of ``proposal_id`` in ``year``'s reserve (ReserveError when absent)."""
        return self._read(lambda c: _one(c, year, proposal_id, self.lang))

    def history(self, *, year: int | None = None, proposal_id: str | None = None,
                entry_id: int | None = None) -> list[Change]:
        """The audit history, oldest first (of one entry, one year and/or one proposal id)."""
        q = sa.select(schema.history)
        if year is not None:
            q = q.where(schema.history.c.year == year)
        if proposal_id is not None:
            q = q.where(schema.history.c.proposal_id == proposal_id)
        if entry_id is not None:
            q = q.where(schema.history.c.entry_id == entry_id)
        q = q.order_by(schema.history.c.id)
        return self._read(lambda c: [_change(r) for r in c.execute(q)])

    def runs(self, year: int | None = None) -> list[Run]:
        """Recorded runs, oldest first."""
        q = sa.select(schema.runs).order_by(schema.runs.c.id)
        if year is not None:
            q = q.where(schema.runs.c.year == year)

        def work(c: sa.Connection) -> list[Run]:
            return [Run(id=r.id, year=r.year, kind=r.kind, input_hash=r.input_hash,
                        rules=r.rules, solver=r.solver, result=r.result,
                        created_at=_utc(r.created_at), request_key=r.request_key)
                    for r in c.execute(q)]
        return self._read(work)

    def snapshots(self, snapshot_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
        """The stored proposal snapshots by snapshot id."""
        ids = sorted(set(snapshot_ids))

        def work(c: sa.Connection) -> dict[int, dict[str, Any]]:
            out: dict[int, dict[str, Any]] = {}
            for chunk in _chunks(ids):
                q = sa.select(schema.snapshots.c.id, schema.snapshots.c.data).where(
                    schema.snapshots.c.id.in_(chunk))
                out.update({r.id: dict(r.data) for r in c.execute(q)})
            return out
        return self._read(work)

    # -- writing ----------------------------------------------------------------------------
    def reserve(self, year: int, candidates: Sequence[Candidate], *,  # noqa: PLR0913 - options
                run: RunRecord | None = None, promote: Mapping[str, str] | None = None,
                selected: Iterable[str] = (), competed: Iterable[str] | None = None,
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
            snapshots. When its ``request_key`` is the key of the year's latest run, this
            is a repeat: nothing is written and the year's entries are returned.
        promote:
            ``{proposal_id: reason}``: this year's reserved entries that won a place in the
            selection become ``promoted`` (each must be reserved).
        selected:
            The selection's ids: this year's entries still reserved among them become
            ``promoted`` ("selected in the year's selection"); decided inside the
            transaction, so a concurrent change cannot slip between.
        competed:
            With ``prune``, the ids that competed in the selection (its proposals); only
            those can be ranked out. ``None``: every reserved entry competed.
        decay:
            Yearly ageing factor in (0, 1].
        prune:
            Expire this year's reserved entries that competed but are neither candidates
            nor promoted (they fell out of the new reserve).
        actor, reason:
            Who does this and why, for the audit history.

        Returns
        -------
        list of ReserveEntry
            The year's entries after the write, by rank.
        """
        lang = self.lang
        check_decay(decay, lang)
        cands = list(candidates)
        _check_candidates(cands, lang)
        _check_run(run, lang)
        request = _Reserve(year, cands, dict(promote or {}), set(selected),
                           None if competed is None else set(competed), decay, prune, actor,
                           reason, lang)

        def work(conn: sa.Connection) -> list[ReserveEntry]:
            if run is not None and _repeat(conn, year, run.request_key):
                return _year(conn, year)
            request.write(conn, run)
            return _year(conn, year)
        what = t("reserve.op.reserve", lang, n=len(cands), year=year)
        return self.transaction(what, work, write=True)

    def set_status(self, year: int, proposal_ids: Iterable[str], status: str, *, reason: str,
                   actor: str = "selector", run: RunRecord | None = None,
                   candidates: Sequence[Candidate] = (),
                   expect_runs: int | None = None) -> list[ReserveEntry]:
        """Move reserved entries to ``promoted``, ``expired`` or ``withdrawn`` (one transaction).

        Every entry must exist in ``year``'s reserve and still be ``reserved`` (or already
        have this very status and reason: a repeat, left as it is); otherwise nothing
        changes and :class:`~selector.ReserveError` says which. ``run`` (e.g. a backfill)
        is recorded with the change, with the snapshots of ``candidates``; a ``run`` whose
        ``request_key`` is the key of the year's latest run is a repeat and writes nothing.
        ``expect_runs`` is the number of runs of ``year`` the caller's decision was based
        on (a backfill reads the year's list from them): when another run was recorded
        since, nothing changes and ReserveError says so.
        """
        lang = self.lang
        _check_status(status, lang)
        if status == "reserved":
            raise ReserveError(t("reserve.error.status_not_reserved", lang))
        if not reason.strip():
            raise ReserveError(t("reserve.error.reason_required", lang,
                                 status=t(f"reserve.status.{status}", lang)))
        pids = list(dict.fromkeys(str(p) for p in proposal_ids))
        _check_run(run, lang)
        _check_candidates(list(candidates), lang)

        def work(conn: sa.Connection) -> list[ReserveEntry]:
            if run is not None and _repeat(conn, year, run.request_key):
                found = _existing(conn, year, pids)
                return [found[p] for p in pids if p in found]
            if expect_runs is not None:
                _check_runs(conn, year, expect_runs, lang)
            stamp = schema.now()
            run_id = _insert_run(conn, run, stamp) if run is not None else None
            if run_id is not None and candidates:
                _insert_snapshots(conn, run_id, list(candidates))
            found = _existing(conn, year, pids)
            log = []
            for pid in pids:
                e = found.get(pid)
                if e is None:
                    raise ReserveError(t("reserve.error.not_in_year", lang, id=shown(pid),
                                         year=year))
                if e.status == status and e.reason == reason:
                    continue                      # the same change again: already done
                if e.status != "reserved":
                    raise ReserveError(t("reserve.error.already", lang, id=shown(pid),
                                         year=year,
                                         status=t(f"reserve.status.{e.status}", lang)))
                _set(conn, e, status, reason, stamp, run_id)
                log.append(_log(e, stamp, actor, status, status, reason))
            _write_log(conn, log)
            _rerank(conn, year)
            after = _existing(conn, year, pids)
            return [after[p] for p in pids]
        what = t("reserve.op.set_status", lang, n=len(pids),
                 status=t(f"reserve.status.{status}", lang))
        return self.transaction(what, work, write=True)

    def promote(self, year: int, proposal_ids: Iterable[str], *, reason: str,
                actor: str = "selector", run: RunRecord | None = None) -> list[ReserveEntry]:
        """Mark reserved entries promoted (see :meth:`set_status`)."""
        return self.set_status(year, proposal_ids, "promoted", reason=reason, actor=actor, run=run)

    def withdraw(self, year: int, proposal_id: str, *, reason: str,
                 actor: str = "selector") -> ReserveEntry:
        """Withdraw one entry by hand; the reason is required and kept in the history.

        Withdrawing it again with the same reason changes nothing (a repeated command)."""
        return self.set_status(year, [proposal_id], "withdrawn", reason=reason, actor=actor)[0]

    def carry(self, to_year: int, *, decay: float, expire_after: int,
              resubmitted: Mapping[int, Resubmission] | None = None,
              renamed: Mapping[int, str] | None = None,
              actor: str = "selector") -> tuple[list[ReserveEntry], list[ReserveEntry]]:
        """Carry every reserved entry of earlier years into ``to_year`` (one transaction).

        An entry first reserved in ``origin_year`` has age ``to_year - origin_year``. When
        the age reaches ``expire_after`` it expires; otherwise it moves to ``to_year`` with
        ``score = base_score * decay ** age``.

        ``resubmitted`` maps entry ids to the id and title under which the proposal was
        submitted again; ``renamed`` maps entry ids to a distinct key for an entry whose id
        a different new proposal took (an id collision). Either may name entries already
        in ``to_year`` (carried by an earlier call): they get the new key and title and
        stay as they are otherwise. A key already held by another entry of ``to_year`` is
        refused (nothing changes).

        Returns
        -------
        (carried, expired)
            The entries moved by this call, and those that expired.
        """
        lang = self.lang
        check_decay(decay, lang)
        check_expire_after(expire_after, lang)
        carry = _Carry(to_year, decay, expire_after, dict(resubmitted or {}),
                       dict(renamed or {}), actor, lang)
        what = t("reserve.op.carry", lang, year=to_year)
        return self.transaction(what, carry.write, write=True)


# -- the writes, as plans run inside one transaction ----------------------------------------------
@dataclass
class _Reserve:
    """What :meth:`ReserveStore.reserve` does, inside its transaction."""

    year: int
    cands: list[Candidate]
    promotions: dict[str, str]
    selected: set[str]
    competed: set[str] | None
    decay: float
    prune: bool
    actor: str
    reason: str
    lang: Lang
    log: list[dict[str, Any]] = field(default_factory=list)

    def write(self, conn: sa.Connection, run: RunRecord | None) -> None:
        self.log = []                              # a retried transaction starts afresh
        stamp = schema.now()
        run_id = _insert_run(conn, run, stamp) if run is not None else None
        snap_ids = _insert_snapshots(conn, run_id, self.cands) if run_id is not None else {}
        ids = [c.proposal_id for c in self.cands]
        promoted = self._promote(conn, stamp, run_id, ids)
        existing = _existing(conn, self.year, ids)
        new_rows = []
        for c in self.cands:
            e = existing.get(c.proposal_id)
            if e is None:
                new_rows.append(self._row(c, stamp, run_id, snap_ids.get(c.proposal_id)))
            elif e.status == "reserved":
                self._rescore(conn, e, c, stamp, run_id, snap_ids)
        if new_rows:
            conn.execute(schema.entries.insert(), new_rows)
            created = _existing(conn, self.year, [r["proposal_id"] for r in new_rows])
            for r in new_rows:
                e = created[r["proposal_id"]]
                why = self.reason or t("reserve.reason.runner_up", self.lang, year=self.year,
                                       score=f"{e.score:.4f}")
                self.log.append(_log(e, stamp, self.actor, "reserved", "reserved", why,
                                     created=True))
        if self.prune:
            self._expire_ranked_out(conn, stamp, run_id, {*ids, *promoted})
        _write_log(conn, self.log)
        _rerank(conn, self.year)

    def _promote(self, conn: sa.Connection, stamp: datetime, run_id: int | None,
                 ids: list[str]) -> dict[str, str]:
        lang, year = self.lang, self.year
        promotions = dict(self.promotions)
        if self.selected:
            won = t("reserve.reason.selected", lang, year=year)
            rows = conn.execute(sa.select(schema.entries.c.proposal_id).where(
                schema.entries.c.year == year, schema.entries.c.status == "reserved")).all()
            for r in rows:
                if r.proposal_id in self.selected:
                    promotions.setdefault(r.proposal_id, won)
        existing = _existing(conn, year, list(promotions))
        for pid, why in promotions.items():
            e = existing.get(pid)
            if e is None:
                raise ReserveError(t("reserve.error.cannot_promote_absent", lang,
                                     id=shown(pid), year=year))
            if e.status != "reserved":
                raise ReserveError(t("reserve.error.cannot_promote_status", lang,
                                     id=shown(pid), year=year,
                                     status=t(f"reserve.status.{e.status}", lang)))
            if pid in ids:
                raise ReserveError(t("reserve.error.both", lang, id=shown(pid)))
            _set(conn, e, "promoted", why or self.reason, stamp, run_id)
            self.log.append(_log(e, stamp, self.actor, "promoted", "promoted",
                                 why or self.reason))
        return promotions

    def _row(self, c: Candidate, stamp: datetime, run_id: int | None,
             snapshot_id: int | None) -> dict[str, Any]:
        return {"year": self.year, "proposal_id": c.proposal_id, "title": c.title,
                "normalised_title": normalise_title(c.title), "base_score": c.score,
                "score": c.score, "rank": 0, "status": "reserved", "reason": self.reason,
                "origin_year": self.year, "run_id": run_id, "snapshot_id": snapshot_id,
                "created_at": stamp, "updated_at": stamp}

    def _rescore(self, conn: sa.Connection, e: ReserveEntry, c: Candidate, stamp: datetime,
                 run_id: int | None, snap_ids: Mapping[str, int]) -> None:
        aged = c.score * self.decay ** (self.year - e.origin_year)
        conn.execute(schema.entries.update().where(schema.entries.c.id == e.id).values(
            base_score=c.score, score=aged, title=c.title,
            normalised_title=normalise_title(c.title), updated_at=stamp,
            run_id=run_id if run_id is not None else e.run_id,
            snapshot_id=snap_ids.get(c.proposal_id, e.snapshot_id)))
        why = t("reserve.reason.rescored", self.lang, year=self.year, score=f"{c.score:.4f}",
                aged=f"{aged:.4f}", since=e.origin_year)
        self.log.append(_log(e, stamp, self.actor, "rescored", "reserved",
                             f"{why} {self.reason}".strip()))

    def _expire_ranked_out(self, conn: sa.Connection, stamp: datetime, run_id: int | None,
                           keep: set[str]) -> None:
        stale = conn.execute(sa.select(schema.entries).where(
            schema.entries.c.year == self.year, schema.entries.c.status == "reserved")).all()
        why = t("reserve.reason.ranked_out", self.lang, year=self.year)
        for row in stale:
            e = _entry(row)
            if e.proposal_id in keep:
                continue
            if self.competed is not None and e.proposal_id not in self.competed:
                continue                          # it did not compete: not ranked out
            _set(conn, e, "expired", why, stamp, run_id)
            self.log.append(_log(e, stamp, self.actor, "expired", "expired", why))


@dataclass
class _Carry:
    """What :meth:`ReserveStore.carry` does, inside its transaction."""

    to_year: int
    decay: float
    expire_after: int
    resub: dict[int, Resubmission]
    renamed: dict[int, str]
    actor: str
    lang: Lang

    def write(self, conn: sa.Connection) -> tuple[list[ReserveEntry], list[ReserveEntry]]:
        stamp = schema.now()
        rows = [_entry(r) for r in conn.execute(sa.select(schema.entries).where(
            schema.entries.c.year < self.to_year, schema.entries.c.status == "reserved")
            .order_by(schema.entries.c.year, schema.entries.c.rank))]
        here = [_entry(r) for r in conn.execute(sa.select(schema.entries).where(
            schema.entries.c.year == self.to_year))]
        self._check_keys(rows, here)
        log: list[dict[str, Any]] = []
        for e in here:                         # carried by an earlier call: new key only
            key, title = self._key(e)
            if (key, title) != (e.proposal_id, e.title):
                why = self._renamed_why(e, key, title)
                _move(conn, e, stamp, year=self.to_year, proposal_id=key, title=title)
                log.append(_log(e, stamp, self.actor, "renamed", "reserved", why,
                                proposal_id=key))
        carried: list[int] = []
        expired: list[int] = []
        for e in rows:
            age = self.to_year - e.origin_year
            if age >= self.expire_after:
                why = t("reserve.reason.expired_age", self.lang, since=e.origin_year, age=age,
                        limit=self.expire_after)
                _set(conn, e, "expired", why, stamp, None)
                log.append(_log(e, stamp, self.actor, "expired", "expired", why))
                expired.append(e.id)
                continue
            score = e.base_score * self.decay ** age
            key, title = self._key(e)
            why = t("reserve.reason.carried", self.lang, from_year=e.year, year=self.to_year,
                    old=f"{e.score:.4f}", new=f"{score:.4f}", decay=self.decay,
                    since=e.origin_year)
            if (key, title) != (e.proposal_id, e.title):
                why += t("reserve.reason.separator", self.lang) + self._renamed_why(e, key, title)
            _move(conn, e, stamp, year=self.to_year, proposal_id=key, title=title, score=score,
                  reason=why)
            log.append(_log(e, stamp, self.actor, "carried", "reserved", why,
                            year=self.to_year, proposal_id=key))
            carried.append(e.id)
        _write_log(conn, log)
        for year in {self.to_year, *(e.year for e in rows)}:
            _rerank(conn, year)
        return _by_ids(conn, carried), _by_ids(conn, expired)

    def _key(self, e: ReserveEntry) -> tuple[str, str]:
        if e.id in self.resub:
            r = self.resub[e.id]
            return r.proposal_id, r.title
        return self.renamed.get(e.id, e.proposal_id), e.title

    def _renamed_why(self, e: ReserveEntry, key: str, title: str) -> str:
        if e.id in self.resub:
            return t("reserve.reason.resubmitted", self.lang, id=shown(key), title=shown(title))
        return t("reserve.reason.collision", self.lang, id=shown(e.proposal_id),
                 year=self.to_year, key=shown(key))

    def _check_keys(self, rows: list[ReserveEntry], here: list[ReserveEntry]) -> None:
        """Refuse when two entries would hold one key in ``to_year``."""
        moving = [e for e in rows if self.to_year - e.origin_year < self.expire_after]
        keys: dict[str, ReserveEntry] = {}
        for e in [*here, *moving]:
            key = self._key(e)[0]
            other = keys.setdefault(key, e)
            if other is not e:
                raise ReserveError(t("reserve.error.taken", self.lang, id=shown(e.proposal_id),
                                     key=shown(key), year=self.to_year))


# -- helpers inside a transaction ----------------------------------------------------------------
def _check_status(status: str, lang: Lang) -> None:
    if status not in schema.STATUSES:
        raise ReserveError(t("reserve.error.bad_status", lang, allowed=", ".join(schema.STATUSES),
                             got=shown(status)))


def _check_candidates(cands: list[Candidate], lang: Lang) -> None:
    ids = [c.proposal_id for c in cands]
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if ids.count(i) > 1})
        raise ReserveError(t("reserve.error.duplicate_candidates", lang,
                             ids=shown(", ".join(dup[:5]))))
    for c in cands:
        _check_json(c.snapshot, c.proposal_id, lang)
        score = c.score
        if not isinstance(score, int | float) or math.isnan(score) or not 0.0 <= score <= 1.0:
            raise ReserveError(t("reserve.error.bad_score", lang, id=shown(c.proposal_id),
                                 score=shown(score)))


def _check_json(data: object, what: str, lang: Lang) -> None:
    """Refuse data the database would store as JSON but cannot (before any write)."""
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ReserveError(t("reserve.error.not_json", lang, what=shown(what),
                             detail=shown(exc))) from None


def _check_run(run: RunRecord | None, lang: Lang) -> None:
    if run is not None:
        _check_json([dict(run.rules), dict(run.result)], f"{run.kind} {run.year}", lang)


def _check_runs(conn: sa.Connection, year: int, expected: int, lang: Lang) -> None:
    found = conn.execute(sa.select(sa.func.count()).select_from(schema.runs)
                         .where(schema.runs.c.year == year)).scalar_one()
    if found != expected:
        raise ReserveError(t("reserve.error.stale_runs", lang, year=year, then=expected,
                             now=found))


def _repeat(conn: sa.Connection, year: int, key: str | None) -> bool:
    """True when ``key`` is the request key of ``year``'s latest run (a repeated command)."""
    if not key:
        return False
    latest = conn.execute(sa.select(schema.runs.c.request_key)
                          .where(schema.runs.c.year == year)
                          .order_by(schema.runs.c.id.desc()).limit(1)).scalar_one_or_none()
    return bool(latest == key)


def _chunks(items: Sequence[T], size: int = 500) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _one(conn: sa.Connection, year: int, proposal_id: str, lang: Lang) -> ReserveEntry:
    found = _existing(conn, year, [proposal_id])
    if proposal_id not in found:
        raise ReserveError(t("reserve.error.not_in_year", lang, id=shown(proposal_id), year=year))
    return found[proposal_id]


def _existing(conn: sa.Connection, year: int, pids: Sequence[str]) -> dict[str, ReserveEntry]:
    out: dict[str, ReserveEntry] = {}
    for chunk in _chunks(list(dict.fromkeys(pids))):
        q = sa.select(schema.entries).where(schema.entries.c.year == year,
                                            schema.entries.c.proposal_id.in_(chunk))
        out.update({e.proposal_id: e for e in map(_entry, conn.execute(q))})
    return out


def _by_ids(conn: sa.Connection, ids: Sequence[int]) -> list[ReserveEntry]:
    found: dict[int, ReserveEntry] = {}
    for chunk in _chunks(ids):
        found.update({e.id: e for e in map(_entry, conn.execute(
            sa.select(schema.entries).where(schema.entries.c.id.in_(chunk))))})
    return [found[i] for i in ids]


def _year(conn: sa.Connection, year: int) -> list[ReserveEntry]:
    q = (sa.select(schema.entries).where(schema.entries.c.year == year)
         .order_by(schema.entries.c.rank, schema.entries.c.proposal_id))
    return [_entry(r) for r in conn.execute(q)]


def _insert_run(conn: sa.Connection, run: RunRecord, stamp: datetime) -> int:
    result = conn.execute(schema.runs.insert().values(
        year=run.year, kind=run.kind, input_hash=run.input_hash, rules=dict(run.rules),
        solver=run.solver, result=dict(run.result), created_at=stamp,
        request_key=run.request_key))
    key = result.inserted_primary_key
    if key is None:  # pragma: no cover - every supported backend returns the key
        raise sa.exc.InvalidRequestError("the database did not return the new run's id")
    return int(key[0])


def _insert_snapshots(conn: sa.Connection, run_id: int, cands: Sequence[Candidate]) -> dict[str, int]:
    rows = [{"run_id": run_id, "proposal_id": c.proposal_id, "title": c.title,
             "data": dict(c.snapshot)} for c in cands if c.snapshot]
    if not rows:
        return {}
    conn.execute(schema.snapshots.insert(), rows)
    q = sa.select(schema.snapshots.c.id, schema.snapshots.c.proposal_id).where(
        schema.snapshots.c.run_id == run_id)
    return {r.proposal_id: r.id for r in conn.execute(q)}


def _set(conn: sa.Connection, e: ReserveEntry, status: str, reason: str, stamp: datetime,
         run_id: int | None) -> None:
    values: dict[str, Any] = {"status": status, "reason": reason, "updated_at": stamp}
    if run_id is not None:
        values["run_id"] = run_id
    conn.execute(schema.entries.update().where(schema.entries.c.id == e.id).values(**values))


def _move(conn: sa.Connection, e: ReserveEntry, stamp: datetime, *, year: int,
          proposal_id: str, title: str, **values: Any) -> None:
    conn.execute(schema.entries.update().where(schema.entries.c.id == e.id).values(
        year=year, proposal_id=proposal_id, title=title,
        normalised_title=normalise_title(title), updated_at=stamp, **values))


def _log(e: ReserveEntry, stamp: datetime, actor: str, action: str, new: str, reason: str,
         **override: Any) -> dict[str, Any]:
    """A history row of ``e``; ``created=True`` (no old status), ``year`` and ``proposal_id``
    override the entry's own."""
    row = {"entry_id": e.id, "year": e.year, "proposal_id": e.proposal_id, "at": stamp,
           "actor": actor, "action": action, "old_status": e.status, "new_status": new,
           "reason": reason}
    if override.pop("created", False):
        row["old_status"] = None
    row.update(override)
    return row


def _write_log(conn: sa.Connection, log: list[dict[str, Any]]) -> None:
    if log:
        conn.execute(schema.history.insert(), log)


def _rerank(conn: sa.Connection, year: int) -> None:
    rows = conn.execute(sa.select(schema.entries.c.id, schema.entries.c.rank).where(
        schema.entries.c.year == year, schema.entries.c.status == "reserved")
        .order_by(schema.entries.c.score.desc(), schema.entries.c.proposal_id)).all()
    changes = [{"eid": r.id, "new_rank": k} for k, r in enumerate(rows, start=1) if r.rank != k]
    if changes:
        conn.execute(schema.entries.update().where(schema.entries.c.id == sa.bindparam("eid"))
                     .values(rank=sa.bindparam("new_rank")), changes)
