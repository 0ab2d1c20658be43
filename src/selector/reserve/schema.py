"""Tables of the reserve store, its schema version and the forward migrations.

Schema version 4 (current)::

    schema_version      version (PK), applied_at, description       one row per migration
    selection_runs      id, year, kind, input_hash, rules, solver, result, created_at,
                        request_key (NULL for runs recorded before version 3)
    proposal_snapshots  id, run_id → selection_runs, proposal_id, title, data (JSON)
                        unique (run_id, proposal_id)
    reserve_entries     id, year, proposal_id, title, normalised_title, base_score, score,
                        rank, status, reason, origin_year, run_id, snapshot_id, created_at,
                        updated_at; unique (year, proposal_id)
    reserve_history     id, entry_id → reserve_entries, year, proposal_id, at, actor, action,
                        old_status, new_status, reason
    outcome_imports     id, year, source, sha256, rows, actor, imported_at     one per import
    project_outcomes    id, year, proposal_id, title, domain, district, proposer,
                        target_groups (JSON), planned_beneficiaries, planned_cost_fen,
                        actual_beneficiaries, satisfaction, actual_cost_fen, on_time,
                        import_id → outcome_imports, updated_at; unique (year, proposal_id)

Migrations are an ordered list (:data:`MIGRATIONS`), one step per version, applied in one
transaction by :func:`migrate`; a new store is created at :data:`CURRENT_VERSION` directly.
A new table or column is one more step at the end of the list (and the table in
:data:`metadata`):

- 2: version 1 lacked ``reserve_entries.normalised_title``, ``reserve_entries.base_score``
  and ``reserve_history.actor`` (titles normalised in Python, the base score taken from the
  stored score, the actor of old history rows ``"unknown"``);
- 3: ``selection_runs.request_key``, the digest of the command that recorded a run, so the
  same command run again after a kill is recognised and writes nothing twice.
- 4: the two outcome tables (:mod:`selector.outcomes`), created as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple

import sqlalchemy as sa

from selector.reserve.titles import normalise_title

__all__ = ["CURRENT_VERSION", "MIGRATIONS", "STATUSES", "Migration", "metadata", "migrate",
           "outcome_imports", "outcomes"]

STATUSES = ("reserved", "promoted", "expired", "withdrawn")

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("description", sa.Text, nullable=False, default=""),
)

runs = sa.Table(
    "selection_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("input_hash", sa.String(64), nullable=False),
    sa.Column("rules", sa.JSON, nullable=False),
    sa.Column("solver", sa.String(64), nullable=False),
    sa.Column("result", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("request_key", sa.String(64), nullable=True),
)

snapshots = sa.Table(
    "proposal_snapshots", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("selection_runs.id"), nullable=False),
    sa.Column("proposal_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.UniqueConstraint("run_id", "proposal_id", name="uq_snapshot_run_proposal"),
)

entries = sa.Table(
    "reserve_entries", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("proposal_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("normalised_title", sa.Text, nullable=False),
    sa.Column("base_score", sa.Float, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("rank", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("origin_year", sa.Integer, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("selection_runs.id"), nullable=True),
    sa.Column("snapshot_id", sa.Integer, sa.ForeignKey("proposal_snapshots.id"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("year", "proposal_id", name="uq_entry_year_proposal"),
    sa.CheckConstraint(
        "status IN ('reserved', 'promoted', 'expired', 'withdrawn')", name="ck_entry_status"
    ),
)
sa.Index("ix_entry_year_title", entries.c.year, entries.c.normalised_title)

history = sa.Table(
    "reserve_history", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("entry_id", sa.Integer, sa.ForeignKey("reserve_entries.id"), nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("proposal_id", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("old_status", sa.String(16), nullable=True),
    sa.Column("new_status", sa.String(16), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)
sa.Index("ix_history_entry", history.c.entry_id)

outcome_imports = sa.Table(
    "outcome_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)

outcomes = sa.Table(
    "project_outcomes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("proposal_id", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("district", sa.Text, nullable=True),
    sa.Column("proposer", sa.Text, nullable=True),
    sa.Column("target_groups", sa.JSON, nullable=False),
    sa.Column("planned_beneficiaries", sa.Float, nullable=False),
    sa.Column("planned_cost_fen", sa.BigInteger, nullable=False),
    sa.Column("actual_beneficiaries", sa.Float, nullable=False),
    sa.Column("satisfaction", sa.Float, nullable=True),
    sa.Column("actual_cost_fen", sa.BigInteger, nullable=True),
    sa.Column("on_time", sa.Boolean, nullable=True),
    sa.Column("import_id", sa.Integer, sa.ForeignKey("outcome_imports.id"), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("year", "proposal_id", name="uq_outcome_year_proposal"),
)


def now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _v1_to_v2(conn: sa.Connection) -> None:
    conn.execute(sa.text(
        "ALTER TABLE reserve_entries ADD COLUMN normalised_title TEXT NOT NULL DEFAULT ''"))
    conn.execute(sa.text("ALTER TABLE reserve_entries ADD COLUMN base_score FLOAT"))
    conn.execute(sa.text(
        "ALTER TABLE reserve_history ADD COLUMN actor TEXT NOT NULL DEFAULT 'unknown'"))
    conn.execute(sa.text("UPDATE reserve_entries SET base_score = score"))
    if conn.dialect.name == "postgresql":  # SQLite cannot add NOT NULL to a column
        conn.execute(sa.text("ALTER TABLE reserve_entries ALTER COLUMN base_score SET NOT NULL"))
    rows = conn.execute(sa.select(entries.c.id, entries.c.title)).all()
    if rows:
        conn.execute(
            entries.update().where(entries.c.id == sa.bindparam("eid"))
            .values(normalised_title=sa.bindparam("norm")),
            [{"eid": r.id, "norm": normalise_title(r.title)} for r in rows],
        )
    conn.execute(sa.text(
        "CREATE INDEX ix_entry_year_title ON reserve_entries (year, normalised_title)"))
    conn.execute(sa.text("CREATE INDEX ix_history_entry ON reserve_history (entry_id)"))


def _v2_to_v3(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE selection_runs ADD COLUMN request_key VARCHAR(64)"))


def _add_outcomes(conn: sa.Connection) -> None:
    outcome_imports.create(conn, checkfirst=True)
    outcomes.create(conn, checkfirst=True)


class Migration(NamedTuple):
    """One forward step: the version it reaches, what it adds, and the step itself."""

    version: int
    description: str
    step: Callable[[sa.Connection], None]


#: Every step from version 1, in order (version k + 1 follows version k).
MIGRATIONS: tuple[Migration, ...] = (
    Migration(2, "normalised titles, base scores, actors in the history", _v1_to_v2),
    Migration(3, "request keys of runs (a command run again is recognised)", _v2_to_v3),
    Migration(4, "project outcomes and their imports", _add_outcomes),
)
CURRENT_VERSION = MIGRATIONS[-1].version
if [m.version for m in MIGRATIONS] != list(range(2, CURRENT_VERSION + 1)):  # pragma: no cover
    raise RuntimeError("reserve migrations must be numbered 2, 3, ... in order")


def migrate(conn: sa.Connection, found: int) -> None:
    """Bring a store at version ``found`` up to :data:`CURRENT_VERSION` (inside ``conn``'s
    transaction: all steps or none)."""
    for version, description, step in MIGRATIONS:
        if version <= found:
            continue
        step(conn)
        conn.execute(schema_version.insert().values(
            version=version, applied_at=now(), description=description))
