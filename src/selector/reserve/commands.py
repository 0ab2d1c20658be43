"""Command-ready functions for ``selector reserve list|show|withdraw|export``.

They take a :class:`~selector.reserve.store.ReserveStore`, return data or plain text and
never print (the CLI prints). ``carry-over`` and ``backfill`` are
:func:`~selector.reserve.rolling.carry_over` and :func:`~selector.reserve.backfill.backfill`.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from selector._errors import ReserveError
from selector.reserve.store import Change, ReserveEntry, ReserveStore
from selector.text_columns import neutralise_series

__all__ = ["ENTRY_COLUMNS", "HISTORY_COLUMNS", "entries_frame", "export_reserve",
           "format_history", "history_frame"]

ENTRY_COLUMNS = ("year", "rank", "proposal_id", "title", "status", "score", "base_score",
                 "origin_year", "reason", "created_at", "updated_at", "id")
HISTORY_COLUMNS = ("at", "year", "proposal_id", "action", "old_status", "new_status", "actor",
                   "reason", "entry_id")


def _iso(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = pd.Series([v.isoformat(timespec="seconds") for v in frame[col]],
                             index=frame.index, dtype=object)
    return out


def entries_frame(store: ReserveStore, year: int | None = None,
                  status: str | None = None) -> pd.DataFrame:
    """The reserve as a table (``ENTRY_COLUMNS``), by year then rank; times as ISO text."""
    rows = [asdict(e) for e in store.entries(year, status)]
    frame = pd.DataFrame(rows, columns=list(ReserveEntry.__dataclass_fields__))
    return _iso(frame.loc[:, list(ENTRY_COLUMNS)], ("created_at", "updated_at"))


def history_frame(store: ReserveStore, *, year: int | None = None,
                  proposal_id: str | None = None, entry_id: int | None = None) -> pd.DataFrame:
    """The audit history as a table (``HISTORY_COLUMNS``), oldest first."""
    rows = [asdict(c) for c in store.history(year=year, proposal_id=proposal_id,
                                             entry_id=entry_id)]
    frame = pd.DataFrame(rows, columns=list(Change.__dataclass_fields__))
    return _iso(frame.loc[:, list(HISTORY_COLUMNS)], ("at",))


def format_history(entry: ReserveEntry, changes: list[Change]) -> str:
    """One entry and its history as plain text lines (for ``selector reserve show``).

    Examples
    --------
    >>> from selector.reserve import Candidate
    >>> store = ReserveStore("sqlite://")
    >>> (e,) = store.reserve(2025, [Candidate("P1", "驿站", 0.5)], reason="runner-up")
    >>> print(format_history(e, store.history(entry_id=e.id)).splitlines()[0])
    P1 驿站 — 2025 reserve, rank 1, score 0.5000 (0.5000 fresh, since 2025): reserved
    """
    lines = [f"{entry.proposal_id} {entry.title} — {entry.year} reserve, rank {entry.rank}, "
             f"score {entry.score:.4f} ({entry.base_score:.4f} fresh, since "
             f"{entry.origin_year}): {entry.status}"]
    for c in changes:
        was = "new" if c.old_status is None else c.old_status
        lines.append(f"  {c.at:%Y-%m-%d %H:%M} {c.action}: {was} -> {c.new_status} "
                     f"by {c.actor}: {c.reason}")
    return "\n".join(lines)


def export_reserve(store: ReserveStore, path: str | Path, *, year: int | None = None,
                   status: str | None = None) -> Path:
    """Write the reserve (and, for Excel, its history on a second sheet) to CSV or Excel.

    The format follows the suffix: ``.csv`` (UTF-8 with BOM, opens in Excel) or
    ``.xlsx``. Text cells that a spreadsheet would run as a formula are neutralised
    (:func:`selector.io._safety.neutralise_cell`).

    Raises
    ------
    ReserveError
        For another suffix or a file that cannot be written.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ReserveError(f"export file must end in .csv or .xlsx, got {target.name!r}")
    entries = _safe(entries_frame(store, year, status))
    try:
        if suffix == ".csv":
            entries.to_csv(target, index=False, encoding="utf-8-sig")
        else:
            history = _safe(history_frame(store, year=year))
            with pd.ExcelWriter(target, engine="openpyxl") as writer:
                entries.to_excel(writer, sheet_name="reserve", index=False)
                history.to_excel(writer, sheet_name="history", index=False)
    except OSError as exc:
        raise ReserveError(f"cannot write {target}: {exc}") from None
    return target


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = neutralise_series(out[col])
    return out
