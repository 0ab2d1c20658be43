"""Outcomes in the reserve database: one import is one transaction.

:class:`OutcomeStore` is the reserve store (:class:`~selector.ReserveStore`: same URL, same
SQLite WAL / PostgreSQL SERIALIZABLE transactions with retries, same migrations) with two
more tables, ``outcome_imports`` and ``project_outcomes`` (schema version 4, see
:mod:`selector.reserve.schema`, the database's one schema). An import writes its record
and every row of the file in ONE transaction: a process killed in the middle leaves the
store as it was, and running the same import again completes it.

Importing a year again replaces the rows of the projects it names (the latest evaluation
of a project counts) and keeps the others; every import is recorded with the file's
SHA-256, who ran it and when.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa

from selector.outcomes.load import OUTCOME_COLUMNS, OutcomeTable, tidy_frame

# the outcome tables are part of the reserve database's one schema and its migrations
from selector.reserve import ReserveStore, schema

__all__ = ["OutcomeImport", "OutcomeStore"]


@dataclass(frozen=True)
class OutcomeImport:
    """One recorded import: which file, how many rows, and how many were new."""

    id: int
    year: int
    source: str
    sha256: str
    rows: int
    actor: str
    imported_at: datetime
    added: int = 0
    replaced: int = 0


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _none(value: Any) -> Any:
    return None if value is pd.NA or (isinstance(value, float) and value != value) else value


class OutcomeStore(ReserveStore):
    """The reserve database, with the outcomes of funded projects.

    Examples
    --------
    >>> from selector import Proposal, ProposalSet
    >>> from selector.outcomes import outcomes_from_frame
    >>> ps = ProposalSet.from_proposals([Proposal(id="P1", domain="health", cost=1000,
    ...                                           beneficiaries=200)])
    >>> table = outcomes_from_frame(pd.DataFrame({"id": ["P1"], "actual_beneficiaries": [150]}),
    ...                             ps, year=2026)
    >>> store = OutcomeStore("sqlite://")
    >>> store.import_outcomes(table).added
    1
    >>> store.outcomes(2026).frame[["id", "planned_beneficiaries", "actual_beneficiaries"]
    ...                            ].to_dict("records")
    [{'id': 'P1', 'planned_beneficiaries': 200.0, 'actual_beneficiaries': 150.0}]
    """

    def __enter__(self) -> OutcomeStore:
        return self

    def import_outcomes(self, table: OutcomeTable, *, sha256: str = "",
                        actor: str = "selector") -> OutcomeImport:
        """Store every row of ``table`` (one transaction; rows of the same projects replaced)."""
        frame = table.frame
        years = table.years
        stamp = schema.now()

        def work(conn: sa.Connection) -> OutcomeImport:
            replaced = 0
            import_ids = []
            for year in years:
                ids = [str(i) for i in frame.loc[frame["year"] == year, "id"]]
                result = conn.execute(schema.outcome_imports.insert().values(
                    year=year, source=table.source, sha256=sha256, rows=len(ids), actor=actor,
                    imported_at=stamp))
                key = result.inserted_primary_key
                assert key is not None  # every supported backend returns the key
                import_id = int(key[0])
                import_ids.append(import_id)
                for chunk in _chunks(ids):
                    replaced += conn.execute(schema.outcomes.delete().where(
                        schema.outcomes.c.year == year,
                        schema.outcomes.c.proposal_id.in_(chunk))).rowcount
                rows = [_row(r, import_id, stamp) for r in
                        frame.loc[frame["year"] == year].to_dict("records")]
                if rows:
                    conn.execute(schema.outcomes.insert(), rows)
            return OutcomeImport(id=import_ids[-1], year=years[-1], source=table.source,
                                 sha256=sha256, rows=len(frame), actor=actor,
                                 imported_at=stamp, added=len(frame) - replaced,
                                 replaced=replaced)
        return self.transaction(f"importing {len(frame)} outcomes", work, write=True)

    def outcomes(self, year: int | None = None, *, before: int | None = None) -> OutcomeTable:
        """Stored outcomes (of one year, or of the years before ``before``), by year then id."""
        q = sa.select(schema.outcomes)
        if year is not None:
            q = q.where(schema.outcomes.c.year == year)
        if before is not None:
            q = q.where(schema.outcomes.c.year < before)
        q = q.order_by(schema.outcomes.c.year, schema.outcomes.c.id)

        def work(conn: sa.Connection) -> list[dict[str, Any]]:
            return [dict(r._mapping) for r in conn.execute(q)]
        rows = self.transaction("reading outcomes", work, write=False)
        frame = pd.DataFrame(rows, columns=[c.name for c in schema.outcomes.columns])
        frame = frame.drop(columns="id").rename(columns={"proposal_id": "id"})
        return OutcomeTable(tidy_frame(frame), source=self.url)

    def imports(self, year: int | None = None) -> list[OutcomeImport]:
        """Recorded imports, oldest first."""
        q = sa.select(schema.outcome_imports).order_by(schema.outcome_imports.c.id)
        if year is not None:
            q = q.where(schema.outcome_imports.c.year == year)

        def work(conn: sa.Connection) -> list[OutcomeImport]:
            return [OutcomeImport(id=r.id, year=r.year, source=r.source, sha256=r.sha256,
                                  rows=r.rows, actor=r.actor, imported_at=_utc(r.imported_at))
                    for r in conn.execute(q)]
        return self.transaction("reading outcome imports", work, write=False)


def _row(record: Mapping[Any, Any], import_id: int, stamp: datetime) -> dict[str, Any]:
    out = {c: _none(record[c]) for c in OUTCOME_COLUMNS if c != "id"}
    out["proposal_id"] = record["id"]
    out["target_groups"] = list(record["target_groups"])
    out["planned_cost_fen"] = int(record["planned_cost_fen"])
    if out["actual_cost_fen"] is not None:
        out["actual_cost_fen"] = int(out["actual_cost_fen"])
    if out["on_time"] is not None:
        out["on_time"] = bool(out["on_time"])
    out["year"] = int(out["year"])
    out["import_id"] = import_id
    out["updated_at"] = stamp
    return out
