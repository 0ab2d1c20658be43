"""What the ``selector reserve`` commands share: options, opening the store, and views.

The views are pure formatting of the library's results: every word comes from the
catalogue (``reserve.po``) in the command's ``--lang``, money through
:func:`selector.i18n.fmt_money`, and every value that came from input (ids, titles,
reasons, actors) through :func:`selector.text.terminal_safe`, so that nothing printed can
drive the terminal. Both :mod:`selector.cli._reserve` and
:mod:`selector.cli._reserve_runs` import this module; neither imports the other's
commands except to register them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import typer
from rich.console import Group
from rich.text import Text

from selector._errors import ReserveError
from selector.cli._tables import rich_table, rows_of
from selector.i18n import DEFAULT_LANG, Lang, fmt_count, fmt_money, t
from selector.reserve import Backfill, CarryOver, ReserveStore
from selector.text import terminal_safe

__all__ = ["DEFAULT_DB", "Db", "JsonOut", "LangOpt", "Status", "Year", "backfill_view",
           "carry_over_notes", "entries_view", "open_store", "safe",
           "store_url", "text", "usage"]

#: The store used when ``--db`` is not given (a SQLite file in the working directory).
DEFAULT_DB = "reserve.sqlite"

Status = Literal["reserved", "promoted", "expired", "withdrawn"]

Db = Annotated[str, typer.Option(
    "--db", envvar="SELECTOR_RESERVE_DB", metavar="PATH|URL",
    help="The reserve store: a SQLite file, or a sqlite:/// or postgresql+psycopg:// URL "
         "(env SELECTOR_RESERVE_DB).")]
Year = Annotated[int | None, typer.Option("--year", "-y", help="Only this plan year.")]
JsonOut = Annotated[Path | None, typer.Option(
    "--json", help="Write the result as JSON ('-': stdout).")]
LangOpt = Annotated[Lang, typer.Option(
    "--lang", help="Language of the output and the messages: zh or en.")]


def safe(value: Any) -> str:
    """A value from input as it is printed: control characters shown as escapes."""
    return terminal_safe(str(value))


def text(key: str, lang: Lang, /, **params: Any) -> Text:
    """A catalogue message as a rich ``Text`` (no markup or emoji codes interpreted)."""
    return Text(t(key, lang, **params))


def usage(key: str, lang: Lang, /, **params: Any) -> typer.BadParameter:
    """A usage error (exit 2) worded by the catalogue."""
    return typer.BadParameter(t(key, lang, **params))


def store_url(db: str) -> str:
    """The SQLAlchemy URL of ``--db``: a URL as given, a path as a SQLite file (literally).

    Examples
    --------
    >>> store_url("postgresql+psycopg://u:p@localhost/db")
    'postgresql+psycopg://u:p@localhost/db'
    >>> store_url("out/reserve.sqlite"), store_url("/tmp/r.sqlite")
    ('sqlite:///out/reserve.sqlite', 'sqlite:////tmp/r.sqlite')
    """
    if "://" in db:
        return db
    return f"sqlite:///{Path(db)}"


def open_store(db: str, lang: Lang = DEFAULT_LANG, *, create: bool = False) -> ReserveStore:
    """Open the store of ``--db``; a missing SQLite file is created only when ``create``."""
    if not db.strip():
        raise usage("reserve.usage.bad_db", lang)
    if "://" not in db:
        path = Path(db)
        if path.is_dir():
            raise ReserveError(t("reserve.error.is_directory", lang, db=safe(db)))
        if not path.exists():
            if not create:
                raise ReserveError(t("reserve.error.no_store", lang, db=safe(db)))
            if path.parent != Path():
                path.parent.mkdir(parents=True, exist_ok=True)
    return ReserveStore(store_url(db), lang=lang)


def _score(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{float(value):.4f}"


_ORDER = {"reserved": 0, "promoted": 1, "expired": 2, "withdrawn": 3}


def entries_view(frame: pd.DataFrame, lang: Lang, empty: str) -> Group | Text:
    """The reserve table of :func:`selector.reserve.entries_frame` (pure formatting).

    Per year: the reserved entries by rank, then the promoted, expired and withdrawn ones.
    """
    if frame.empty:
        return Text(empty)
    shown = sorted(rows_of(frame), key=lambda r: (r["year"], _ORDER.get(str(r["status"]), 9),
                                                  r["rank"], str(r["proposal_id"])))
    reasons = any(str(r["reason"]).strip() for r in shown)  # the column only when used
    rows = [[str(r["year"]), str(r["rank"]) if r["status"] == "reserved" else "–",
             safe(r["proposal_id"]), safe(r["title"]), t(f"reserve.status.{r['status']}", lang),
             _score(r["score"]), str(r["origin_year"]), *([safe(r["reason"])] if reasons else [])]
            for r in shown]
    names = ["year", "rank", "id", "title", "status", "score", "since"]
    headers = [t(f"reserve.col.{n}", lang) for n in names + (["reason"] if reasons else [])]
    table = rich_table(headers, rows, right=(0, 1, 5, 6), wrap=(3, 7))
    counts = frame["status"].value_counts()
    parts = t("reserve.cli.list_separator", lang).join(
        t("reserve.cli.count_status", lang, n=int(counts[s]), status=t(f"reserve.status.{s}", lang))
        for s in _ORDER if s in counts)
    return Group(text("reserve.cli.entries_head", lang, n=len(frame), counts=parts), table)


def carry_over_notes(result: CarryOver, lang: Lang) -> list[str]:
    """One line for each reference :func:`selector.reserve.carry_over` settled (pure).

    Examples
    --------
    >>> from selector.model import Proposal, ProposalSet
    >>> pool = ProposalSet.from_proposals([Proposal(id="A", domain="health", cost=1,
    ...                                             beneficiaries=1)])
    >>> for note in carry_over_notes(CarryOver(pool, [], [], {}, (), left_out={"B": ("gone",)},
    ...                                        requirements_met={"A": ("done",)}), "en"):
    ...     print(note)
    note: B left out: it requires gone, which is not among the proposals
    note: A requires done, funded in an earlier year: requirement met
    """
    notes = ([t("reserve.cli.left_out", lang, id=safe(pid), refs=safe(", ".join(refs)))
              for pid, refs in result.left_out.items()]
             + [t("reserve.cli.requirement_met", lang, id=safe(pid), refs=safe(", ".join(refs)))
                for pid, refs in result.requirements_met.items()])
    return [t("reserve.cli.note", lang, text=note) for note in notes]


def backfill_view(result: Backfill, lang: Lang) -> Group:
    """What a backfill frees and who replaces it (pure formatting)."""
    sel = result.selection
    rows = []
    for pid in result.replacements:
        p = sel.proposals[pid]
        rows.append([safe(pid), safe(p.title), fmt_money(p.cost, lang),
                     fmt_count(p.beneficiaries, lang)])
    earlier = (t("reserve.cli.backfill_earlier", lang, n=result.earlier)
               if result.earlier else "")
    head = earlier + t("reserve.cli.backfill_head", lang, freed=fmt_money(result.freed, lang),
                       cancelled=safe(", ".join(result.cancelled) or "–"),
                       available=fmt_money(result.available, lang),
                       budget=fmt_money(result.budget, lang), count=sel.count,
                       beneficiaries=fmt_count(sel.beneficiaries, lang),
                       spent=fmt_money(sel.total_cost, lang))
    parts: list[Any] = [Text(head)]
    if rows:
        headers = [t(f"reserve.col.{n}", lang) for n in ("id", "title", "cost", "beneficiaries")]
        parts += [text("reserve.cli.replacements", lang, n=len(rows)),
                  rich_table(headers, rows, right=(2, 3), wrap=(1,))]
    else:
        parts.append(text("reserve.cli.no_replacement", lang))
    return Group(*parts)
