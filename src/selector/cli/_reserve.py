"""``selector reserve list|show|withdraw|export``: read and hand-edit the rolling reserve.

The commands that solve (``add``, ``carry-over``, ``backfill``) are in
:mod:`selector.cli._reserve_runs`; what both share (options, opening the store, views) is
in :mod:`selector.cli._reserve_shared`. Every command takes ``--lang`` (default ``zh``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from selector._errors import ReserveError
from selector.cli._common import EXIT_OK, out_console, write_json
from selector.cli._reserve_runs import register as register_runs
from selector.cli._reserve_shared import (
    DEFAULT_DB,
    Db,
    JsonOut,
    LangOpt,
    Status,
    Year,
    entries_view,
    open_store,
    safe,
    text,
)
from selector.cli._tables import records
from selector.i18n import DEFAULT_LANG, t
from selector.reserve import entries_frame, export_reserve, format_history, withdraw_entry
from selector.reserve.commands import history_frame

__all__ = ["register", "reserve_app"]

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


def list_command(
    year: Year = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only this status.")] = None,
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """List the reserve: by year, then rank (best first).

    Examples:

        selector reserve list

        selector reserve list --year 2026 --status reserved --db reserve.sqlite --lang en

        selector reserve list --db postgresql+psycopg://user:pw@host/db --json -
    """
    with open_store(db, lang) as store:
        frame = entries_frame(store, year, status)
    write_json({"entries": records(frame)}, json_out)
    if str(json_out) != "-":
        empty = "reserve.cli.empty" if year is None and status is None else "reserve.cli.no_match"
        out_console().print(entries_view(frame, lang, t(empty, lang)))
    return EXIT_OK


def show_command(
    proposal_id: Annotated[str, typer.Argument(metavar="ID", help="A proposal id.")],
    year: Year = None,
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Show one proposal's reserve entries and the history of every change to them.

    Examples:

        selector reserve show 2026-0042

        selector reserve show 2026-0042 --year 2027 --json entry.json
    """
    with open_store(db, lang) as store:
        entries = [e for e in store.entries(year) if e.proposal_id == proposal_id]
        if not entries:
            if year is None:
                raise ReserveError(t("reserve.error.not_in_reserve", lang, id=safe(proposal_id)))
            raise ReserveError(t("reserve.error.not_in_year", lang, id=safe(proposal_id),
                                 year=year))
        frame = entries_frame(store, year)
        texts = [format_history(e, store.history(entry_id=e.id), lang) for e in entries]
        data = []
        for e in entries:
            row = records(frame[frame["id"] == e.id])[0]
            row["history"] = records(history_frame(store, entry_id=e.id))
            data.append(row)
    write_json({"entries": data}, json_out)
    if str(json_out) != "-":
        console = out_console()
        for lines in texts:
            console.print(lines, markup=False, emoji=False)
    return EXIT_OK


def withdraw_command(
    proposal_id: Annotated[str, typer.Argument(metavar="ID", help="A proposal id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")],
    year: Annotated[int | None, typer.Option(
        "--year", "-y", help="The plan year (default: the year it is reserved in).")] = None,
    actor: Annotated[str, typer.Option("--by", help="Who withdraws it.")] = "selector",
    db: Db = DEFAULT_DB,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Withdraw a reserved proposal by hand, with a reason.

    The same command run again (same reason) changes nothing.

    Examples:

        selector reserve withdraw 2026-0042 --reason "the proposer withdrew" --by "Li Hua"
    """
    with open_store(db, lang) as store:
        entry = withdraw_entry(store, proposal_id, reason=reason, actor=actor, year=year)
    out_console().print(text("reserve.cli.withdrew", lang, id=safe(entry.proposal_id),
                             year=entry.year, reason=safe(entry.reason)))
    return EXIT_OK


def export_command(
    target: Annotated[Path, typer.Argument(
        metavar="OUT", help="A .csv or .xlsx file (Excel also gets the history).")],
    year: Year = None,
    status: Annotated[Status | None, typer.Option("--status", help="Only this status.")] = None,
    db: Db = DEFAULT_DB,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Export the reserve to CSV or Excel (formula-like cells neutralised).

    The file is replaced in one step: an export that is stopped leaves the previous file.

    Examples:

        selector reserve export reserve.xlsx

        selector reserve export out/reserve-2026.csv --year 2026 --status reserved
    """
    with open_store(db, lang) as store:
        written = export_reserve(store, target, year=year, status=status, lang=lang)
        count = len(store.entries(year, status))
    out_console().print(text("reserve.cli.exported", lang, path=safe(written), n=count))
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``reserve`` and its subcommands to ``app``."""
    register_runs(reserve_app)            # add, carry-over, backfill
    reserve_app.command("list")(list_command)
    reserve_app.command("show")(show_command)
    reserve_app.command("withdraw")(withdraw_command)
    reserve_app.command("export")(export_command)
    app.add_typer(reserve_app, name="reserve")
