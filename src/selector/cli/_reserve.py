"""``selector reserve list|show|withdraw|export``: read and hand-edit the rolling reserve.

The commands that solve (``add``, ``carry-over``, ``backfill``) are in
:mod:`selector.cli._reserve_runs`; both modules open the store the same way
(:func:`open_store`).
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
from selector.cli._common import EXIT_OK, out_console, write_json
from selector.cli._tables import records, rich_table, rows_of
from selector.reserve import ReserveStore, entries_frame, export_reserve, format_history
from selector.reserve.commands import history_frame

__all__ = ["DEFAULT_DB", "Db", "entries_view", "open_store", "register", "reserve_app",
           "store_url"]

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

reserve_app = typer.Typer(
    name="reserve",
    help=(
        "The rolling reserve: scored runner-ups kept in a database and carried across years.\n\n"
        "A year with the reserve: `selector reserve carry-over` (last years' reserve + the new "
        "proposals -> one pool), `selector reserve add POOL` (select, score and record the "
        "runner-ups), then `selector reserve backfill` when a project is cancelled mid-year.\n\n"
        "Example: selector reserve add examples/proposals.csv -r examples/rules.toml --year 2026"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


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


def open_store(db: str, *, create: bool = False) -> ReserveStore:
    """Open the store of ``--db``; a missing SQLite file is created only when ``create``."""
    if not db.strip():
        raise typer.BadParameter("--db must be a SQLite file or a database URL, got ''")
    if "://" not in db:
        path = Path(db)
        if path.is_dir():
            raise ReserveError(f"{db}: is a directory, not a reserve store")
        if not path.exists():
            if not create:
                raise ReserveError(f"{db}: no reserve store here; record one with "
                                   "`selector reserve add` (or give --db)")
            if path.parent != Path():
                path.parent.mkdir(parents=True, exist_ok=True)
    return ReserveStore(store_url(db))


def _score(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) \
        else f"{float(value):.4f}"


def entries_view(frame: pd.DataFrame, empty: str = "the reserve is empty") -> Group | Text:
    """The reserve table of :func:`selector.reserve.entries_frame` (pure formatting).

    Per year: the reserved entries by rank, then the promoted, expired and withdrawn ones.
    """
    if frame.empty:
        return Text(empty)
    order = {"reserved": 0, "promoted": 1, "expired": 2, "withdrawn": 3}
    shown = sorted(rows_of(frame), key=lambda r: (r["year"], order.get(str(r["status"]), 9),
                                                  r["rank"], str(r["proposal_id"])))
    reasons = any(str(r["reason"]).strip() for r in shown)  # the column only when used
    rows = [[str(r["year"]), str(r["rank"]) if r["status"] == "reserved" else "–",
             str(r["proposal_id"]), str(r["title"]), str(r["status"]), _score(r["score"]),
             str(r["origin_year"]), *([str(r["reason"])] if reasons else [])] for r in shown]
    headers = ["year", "rank", "id", "title", "status", "score", "since"]
    table = rich_table(headers + (["reason"] if reasons else []), rows, right=(0, 1, 5, 6),
                       wrap=(3, 7))
    counts = frame["status"].value_counts()
    head = ", ".join(f"{int(counts[s])} {s}" for s in ("reserved", "promoted", "expired",
                                                        "withdrawn") if s in counts)
    return Group(Text(f"{len(frame)} entries: {head}"), table)


def list_command(
    year: Year = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only this status.")] = None,
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
) -> int:
    """List the reserve: by year, then rank (best first).

    Examples:

        selector reserve list

        selector reserve list --year 2026 --status reserved --db reserve.sqlite

        selector reserve list --db postgresql+psycopg://user:pw@host/db --json -
    """
    with open_store(db) as store:
        frame = entries_frame(store, year, status)
    write_json({"entries": records(frame)}, json_out)
    if str(json_out) != "-":
        empty = "the reserve is empty" if year is None and status is None else "no entries match"
        out_console().print(entries_view(frame, empty=empty))
    return EXIT_OK


def show_command(
    proposal_id: Annotated[str, typer.Argument(metavar="ID", help="A proposal id.")],
    year: Year = None,
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
) -> int:
    """Show one proposal's reserve entries and the history of every change to them.

    Examples:

        selector reserve show 2026-0042

        selector reserve show 2026-0042 --year 2027 --json entry.json
    """
    with open_store(db) as store:
        entries = [e for e in store.entries(year) if e.proposal_id == proposal_id]
        if not entries:
            where = "" if year is None else f" of {year}"
            raise ReserveError(f"{proposal_id!r} is not in the reserve{where}")
        frame = entries_frame(store, year)
        texts = [format_history(e, store.history(entry_id=e.id)) for e in entries]
        data = []
        for e in entries:
            row = records(frame[frame["id"] == e.id])[0]
            row["history"] = records(history_frame(store, entry_id=e.id))
            data.append(row)
    write_json({"entries": data}, json_out)
    if str(json_out) != "-":
        console = out_console()
        for text in texts:
            console.print(text, markup=False)
    return EXIT_OK


def withdraw_command(
    proposal_id: Annotated[str, typer.Argument(metavar="ID", help="A proposal id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")],
    year: Annotated[int | None, typer.Option(
        "--year", "-y", help="The plan year (default: the year it is reserved in).")] = None,
    actor: Annotated[str, typer.Option("--by", help="Who withdraws it.")] = "selector",
    db: Db = DEFAULT_DB,
) -> int:
    """Withdraw a reserved proposal by hand, with a reason.

    Examples:

        selector reserve withdraw 2026-0042 --reason "the proposer withdrew" --by "Li Hua"
    """
    with open_store(db) as store:
        if year is None:
            years = sorted({e.year for e in store.entries(status="reserved")
                            if e.proposal_id == proposal_id})
            if not years:
                raise ReserveError(f"{proposal_id!r} is not reserved in any year")
            if len(years) > 1:
                raise ReserveError(f"{proposal_id!r} is reserved in {years}; give --year")
            year = years[0]
        entry = store.withdraw(year, proposal_id, reason=reason, actor=actor)
    out_console().print(f"withdrew {entry.proposal_id} from the {entry.year} reserve: "
                        f"{entry.reason}", markup=False)
    return EXIT_OK


def export_command(
    target: Annotated[Path, typer.Argument(
        metavar="OUT", help="A .csv or .xlsx file (Excel also gets the history).")],
    year: Year = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only this status.")] = None,
    db: Db = DEFAULT_DB,
) -> int:
    """Export the reserve to CSV or Excel (formula-like cells neutralised).

    Examples:

        selector reserve export reserve.xlsx

        selector reserve export out/reserve-2026.csv --year 2026 --status reserved
    """
    with open_store(db) as store:
        if target.parent != Path():
            target.parent.mkdir(parents=True, exist_ok=True)
        written = export_reserve(store, target, year=year, status=status)
        count = len(store.entries(year, status))
    out_console().print(f"wrote {written} ({count} entries)", markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``reserve`` and its subcommands to ``app``."""
    from selector.cli._reserve_runs import register as register_runs

    register_runs(reserve_app)            # add, carry-over, backfill
    reserve_app.command("list")(list_command)
    reserve_app.command("show")(show_command)
    reserve_app.command("withdraw")(withdraw_command)
    reserve_app.command("export")(export_command)
    app.add_typer(reserve_app, name="reserve")
