"""``selector intake``: raw suggestions to a proposals draft (see :mod:`selector.intake`)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table

from selector._errors import InputProblem
from selector.cli._common import EXIT_OK, write_json
from selector.i18n import Lang, fmt_number, t
from selector.intake import IntakeOptions, IntakeResult, intake
from selector.text import terminal_safe

__all__ = ["problem_line", "register", "summary_lines"]

#: Counts shown even when zero; the others only when something happened.
_ALWAYS = ("rows", "clustered", "clusters", "candidates")
_SHOWN_PROBLEMS = 12


@contextlib.contextmanager
def _dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client for ``--dask-workers`` (a local cluster) or ``--scheduler``; else None."""
    if workers is None and scheduler is None:
        yield None
        return
    # deferred: dask.distributed is an optional dependency (the dask extra) and slow to import
    import distributed

    start: Any = distributed.Client
    local: Any = distributed.LocalCluster
    if scheduler is not None:
        with start(scheduler) as client:
            yield client
        return
    with local(n_workers=workers, threads_per_worker=1, processes=True,
               dashboard_address=None) as cluster, start(cluster) as client:
        yield client


def summary_lines(result: IntakeResult, lang: Lang) -> list[tuple[str, str]]:
    """The report as (label, figure) pairs: every count that is not zero, and the main ones.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"text": ["建议设立户外劳动者驿站", "建议设立户外劳动者驿站！", "好"]})
    >>> summary_lines(intake(frame), "en")[:3]
    [('suggestions read', '3'), ('clustered', '2'), ('too short', '1')]
    """
    return [(t(f"intake.count.{kind}", lang), fmt_number(value, lang))
            for kind, value in result.counts.items() if value or kind in _ALWAYS]


def problem_line(problem: InputProblem, lang: Lang) -> str:
    """One problem in ``lang``: where (row, column), what, and the value found.

    >>> problem_line(InputProblem("too short", 7, "text", "好"), "en")
    "row 7, column 'text': too short (got '好')"
    """
    where = []
    if problem.row is not None:
        where.append(t("intake.cli.at_row", lang, row=problem.row))
    if problem.column is not None:
        where.append(t("intake.cli.at_column", lang, column=problem.column))
    line = problem.message
    if where:
        line = t("intake.cli.where", lang, where=t("intake.cli.where_sep", lang).join(where),
                 message=line)
    if problem.value is not None:
        line += t("intake.cli.got", lang, value=problem.value)
    return line


def _print(result: IntakeResult, lang: Lang, written: list[Path]) -> None:
    console = Console(file=sys.stdout, soft_wrap=True, highlight=False)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    for label, figure in summary_lines(result, lang):
        table.add_row(label, figure)
    console.print(table)
    if result.problems:
        console.print(t("intake.cli.problems", lang, n=len(result.problems)), markup=False)
        for problem in result.problems[:_SHOWN_PROBLEMS]:
            console.print("  " + terminal_safe(problem_line(problem, lang)), markup=False)
        if len(result.problems) > _SHOWN_PROBLEMS:
            console.print("  " + t("intake.cli.more_problems", lang,
                                   n=len(result.problems) - _SHOWN_PROBLEMS), markup=False)
    for note in result.notes:
        console.print(terminal_safe(note), markup=False)
    for path in written:
        console.print(t("intake.cli.wrote", lang, path=str(path)), markup=False)


def intake_command(
    suggestions: Annotated[Path, typer.Argument(
        metavar="SUGGESTIONS",
        help="Suggestions: CSV, Excel, JSON, JSON Lines or Parquet (a text column at least).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the proposals draft here (.csv, .xlsx, .json, .parquet).")
    ] = None,
    members: Annotated[Path | None, typer.Option(
        "--members", help="The members file (default: <out stem>.members.csv).")] = None,
    costs: Annotated[Path | None, typer.Option(
        "--costs", help="Fill the draft with these estimates (CSV/Excel: candidate id first, "
                        "then cost, beneficiaries, indicators, ...).")] = None,
    min_supporters: Annotated[int, typer.Option(
        "--min-supporters", min=1, help="Supporters a cluster needs to become a candidate.")
    ] = 1,
    threshold: Annotated[float, typer.Option(
        "--threshold", min=0.0, max=1.0,
        help="Least estimated Jaccard similarity of two near-duplicate texts.")] = 0.6,
    min_chars: Annotated[int, typer.Option(
        "--min-chars", min=1, help="Shorter texts (after normalising) are set aside.")] = 3,
    chunk_size: Annotated[int, typer.Option(
        "--chunk-size", min=1, help="Rows read at a time (bounds the memory).")] = 50_000,
    dask_workers: Annotated[int | None, typer.Option(
        "--dask-workers", min=1, help="Sketch the chunks on a local Dask cluster of N workers.")
    ] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Sketch the chunks on this Dask scheduler (tcp://host:8786).")
    ] = None,
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet name.")] = None,
    encoding: Annotated[str | None, typer.Option(
        "--encoding", help="Text encoding of a CSV (detected when omitted).")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write counts, problems and candidates as JSON ('-': stdout).")] = None,
    lang: Annotated[Literal["zh", "en"], typer.Option(
        "--lang", help="Language of the report, headers and labels.")] = "zh",
) -> int:
    """Group raw suggestions into candidates and count the workers behind each.

    Near-duplicate texts (MinHash/LSH on character bigrams) form one candidate whose
    worker_votes are its distinct supporters; every row read is listed in the members file
    with its candidate or the reason it was set aside.

    Examples:

        selector intake suggestions.csv --out candidates.csv

        selector intake suggestions.csv --costs estimates.csv --min-supporters 20 --out proposals.csv

        selector intake big.parquet --out candidates.parquet --dask-workers 4 --lang en
    """
    with _dask_client(dask_workers, scheduler) as client:
        options = IntakeOptions(threshold=threshold, min_chars=min_chars, chunk_size=chunk_size,
                                sheet=sheet, encoding=encoding)
        result = intake(suggestions, out=out, members=members, estimates=costs,
                        min_supporters=min_supporters, options=options, executor=client,
                        lang=lang)
    if json_out is not None:
        write_json(result.to_dict(), json_out)
        if str(json_out) == "-":
            return EXIT_OK
    _print(result, lang, [Path(p) for p in result.files])
    if out is not None and costs is None:
        Console(file=sys.stdout, soft_wrap=True, highlight=False).print(
            t("intake.cli.next", lang, path=str(out)), markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``intake`` to ``app``."""
    app.command("intake")(intake_command)
