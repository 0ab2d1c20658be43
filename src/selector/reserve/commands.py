"""Command-ready functions for ``selector reserve list|show|withdraw|export``.

They take a :class:`~selector.reserve.store.ReserveStore`, return data or plain text and
never print (the CLI prints). ``carry-over`` and ``backfill`` are
:func:`~selector.reserve.rolling.carry_over` (with :func:`~selector.reserve.save_pool`) and
:func:`~selector.reserve.backfill.backfill`. Text meant for a terminal has every value
from input passed through :func:`selector.text.terminal_safe`; files are written in one
step (:func:`~selector.atomic.write_atomically`).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import pandas as pd

from selector._errors import ReserveError
from selector.atomic import write_atomically
from selector.i18n import DEFAULT_LANG, Lang, fmt_datetime, t
from selector.reserve.store import Change, ReserveEntry, ReserveStore, shown
from selector.text import terminal_safe
from selector.text_columns import neutralise_series

__all__ = ["ENTRY_COLUMNS", "HISTORY_COLUMNS", "entries_frame", "export_reserve",
           "format_history", "history_frame", "withdraw_entry"]

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


def format_history(entry: ReserveEntry, changes: list[Change], lang: Lang = DEFAULT_LANG) -> str:
    """One entry and its history as text lines for a terminal (``selector reserve show``).

    Statuses and actions in words of ``lang``, times in Asia/Shanghai; ids, titles, actors
    and reasons with control characters shown as escapes.

    Examples
    --------
    >>> from selector.reserve import Candidate
    >>> store = ReserveStore("sqlite://")
    >>> (e,) = store.reserve(2025, [Candidate("P1", "驿站", 0.5)], reason="runner-up")
    >>> print(format_history(e, store.history(entry_id=e.id), "en").splitlines()[0])
    P1 驿站 — 2025 reserve, rank 1, score 0.5000 (0.5000 fresh, since 2025): reserved
    >>> print(format_history(e, [], "zh"))
    P1 驿站 — 2025 年储备，第 1 名，得分 0.5000（新评分 0.5000，自 2025 年起）：储备中
    """
    head = "reserve.show.head" if entry.status == "reserved" else "reserve.show.head_unranked"
    lines = [t(head, lang, id=shown(entry.proposal_id), title=shown(entry.title),
               year=entry.year, rank=entry.rank, score=f"{entry.score:.4f}",
               base=f"{entry.base_score:.4f}", since=entry.origin_year,
               status=t(f"reserve.status.{entry.status}", lang))]
    for c in changes:
        was = (t("reserve.show.new", lang) if c.old_status is None
               else t(f"reserve.status.{c.old_status}", lang))
        lines.append(t("reserve.show.change", lang, at=fmt_datetime(c.at, lang),
                       action=_action(c.action, lang), old=was,
                       new=t(f"reserve.status.{c.new_status}", lang), actor=shown(c.actor),
                       reason=terminal_safe(c.reason)))
    return "\n".join(lines)


def _action(action: str, lang: Lang) -> str:
    key = f"reserve.action.{action}"
    return t(key, lang) if action in _ACTIONS else shown(action)


_ACTIONS = ("reserved", "rescored", "promoted", "expired", "withdrawn", "carried", "renamed")


def export_reserve(store: ReserveStore, path: str | Path, *, year: int | None = None,
                   status: str | None = None, lang: Lang | None = None) -> Path:
    """Write the reserve (and, for Excel, its history on a second sheet) to CSV or Excel.

    The format follows the suffix: ``.csv`` (UTF-8 with BOM, opens in Excel) or
    ``.xlsx`` (sheet names in ``lang``, default the store's). The columns are the data's
    own (``ENTRY_COLUMNS``, ``HISTORY_COLUMNS``), so the file reads back as data. Text
    cells that a spreadsheet would run as a formula are neutralised
    (:func:`selector.io._safety.neutralise_cell`). The file is replaced in one step: a
    killed export leaves the previous file.

    Raises
    ------
    ReserveError
        For another suffix or a file that cannot be written.
    """
    words = lang or store.lang
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ReserveError(t("reserve.error.export_suffix", store.lang, name=shown(target.name)))
    entries = _safe(entries_frame(store, year, status))
    history = _safe(history_frame(store, year=year)) if suffix == ".xlsx" else None

    def write(temp: Path) -> None:
        if history is None:
            entries.to_csv(temp, index=False, encoding="utf-8-sig")
            return
        with pd.ExcelWriter(temp, engine="openpyxl") as writer:
            entries.to_excel(writer, sheet_name=t("reserve.sheet.entries", words), index=False)
            history.to_excel(writer, sheet_name=t("reserve.sheet.history", words), index=False)
    try:
        return write_atomically(target, write)
    except OSError as exc:
        raise ReserveError(t("reserve.error.cannot_write", store.lang, path=shown(target),
                             detail=shown(exc.strerror or exc))) from None


def _safe(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = neutralise_series(out[col])
    return out


def withdraw_entry(store: ReserveStore, proposal_id: str, *, reason: str,
                   actor: str = "selector", year: int | None = None) -> ReserveEntry:
    """Withdraw ``proposal_id`` from the reserve by hand (``selector reserve withdraw``).

    Without ``year``, the one year it is reserved in. Withdrawing it again with the same
    reason is a repeat and changes nothing (a command run again after a kill).

    Raises
    ------
    ReserveError
        It is reserved in no year or in several (give ``year``), it is not in
        ``year``'s reserve or no longer reserved there, or the reason is empty.
    """
    if year is None:
        mine = [e for e in store.entries() if e.proposal_id == proposal_id]
        years = sorted({e.year for e in mine if e.status == "reserved"})
        if not years:
            done = [e for e in mine if e.status == "withdrawn" and e.reason == reason]
            if len(done) == 1:
                return done[0]
            raise ReserveError(t("reserve.error.not_reserved_anywhere", store.lang,
                                 id=shown(proposal_id)))
        if len(years) > 1:
            raise ReserveError(t("reserve.error.reserved_in_years", store.lang,
                                 id=shown(proposal_id), years=", ".join(map(str, years))))
        year = years[0]
    return store.withdraw(year, proposal_id, reason=reason, actor=actor)
