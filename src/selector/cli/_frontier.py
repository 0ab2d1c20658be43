"""``selector frontier``: the exact efficient frontier, or a budget sweep, between two budgets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from selector._errors import InvalidInputError
from selector.cli._common import (
    EXIT_OK,
    DelimiterOpt,
    EncodingOpt,
    LangOpt,
    MappingOpt,
    QuietOpt,
    Reporter,
    SheetOpt,
    SolverOpt,
    VerboseOpt,
    check_plot_path,
    help_text,
    load_inputs,
    money_option,
    out_console,
    parse_mapping,
    safe,
    save_figure,
    write_json,
)
from selector.i18n import DEFAULT_LANG, t

__all__ = ["register"]

def frontier_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=help_text("input"))],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help=help_text("rules"))] = None,
    low: Annotated[str | None, typer.Option(
        "--from", metavar="YUAN", help=help_text("from"))] = None,
    high: Annotated[str | None, typer.Option(
        "--to", metavar="YUAN", help=help_text("to"))] = None,
    points: Annotated[int | None, typer.Option(
        "--points", min=1, help=help_text("points"))] = None,
    solver: SolverOpt = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help=help_text("time_limit_each"))] = None,
    workers: Annotated[int, typer.Option("--workers", min=0, help=help_text("workers"))] = 1,
    json_out: Annotated[Path | None, typer.Option("--json", help=help_text("json"))] = None,
    csv_out: Annotated[Path | None, typer.Option("--csv", help=help_text("csv"))] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help=help_text("plot_frontier"))] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    mapping: MappingOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> int:
    """The optimum as the budget grows: what does another yuan buy?"""
    # deferred: pandas, the solvers and matplotlib are not needed for --help
    from selector.cli._tables import write_csv
    from selector.cli._views import frontier_dict, frontier_view, sweep_dict, sweep_view
    from selector.engine import default_budget
    from selector.scenarios import Frontier, budget_grid, frontier, sweep

    check_plot_path(plot_out, lang)
    lo = money_option(low, "--from", lang) or Decimal(0)
    hi_given = money_option(high, "--to", lang)
    if hi_given is not None and hi_given < lo:
        raise typer.BadParameter(t("cli.frontier.to_below_from", lang, low=lo, high=hi_given))
    reporter = Reporter(lang, quiet=quiet, verbose=verbose)
    proposals, rules = load_inputs(input_path, rules_path, sheet=sheet, encoding=encoding,
                                   delimiter=delimiter, mapping=parse_mapping(mapping, lang))
    hi = default_budget(proposals, rules, hi_given)
    if hi is None:
        raise InvalidInputError(t("cli.frontier.no_budget", lang))
    if hi < lo:
        raise InvalidInputError(t("cli.frontier.from_above", lang, low=lo, budget=hi))
    procs = None if workers == 0 else workers
    bar = reporter.tty and not reporter.quiet  # the library's own counted bar on a terminal
    if points is None:
        with reporter.stage("cli.progress.frontier"):
            result: Any = frontier(proposals, rules, lo, hi, solver=solver,
                                   time_limit=time_limit, workers=procs, progress=False)
        data, frame = frontier_dict(result), result.points
        shown = frontier_view(result, lang, proposals.currency)
    else:
        with reporter.stage("cli.progress.sweep", n=points):
            result = sweep(proposals, rules, budget_grid(lo, hi, points), solver=solver,
                           time_limit=time_limit, workers=procs, progress=bar)
        data, frame = sweep_dict(result), result
        shown = sweep_view(result, lang, proposals.currency)
    write_json(data, json_out)
    written = []
    if csv_out is not None:
        written.append(write_csv(frame, csv_out))
    if plot_out is not None:
        from selector.scenarios.plots import plot_frontier  # deferred: matplotlib

        written.append(save_figure(plot_frontier(result, lang=lang), plot_out))
    if isinstance(result, Frontier) and not result.proven:
        reporter.warn("cli.frontier.not_exact", n=result.unproven)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    console.print(shown)
    for path in written:
        console.print(t("cli.wrote", lang, path=safe(path)), markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``frontier`` to ``app``."""
    app.command("frontier", help=help_text("frontier"))(frontier_command)
