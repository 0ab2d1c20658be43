"""``selector frontier``: the exact efficient frontier, or a budget sweep, between two budgets."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import typer
from rich.console import Group
from rich.text import Text

from selector._errors import InvalidInputError
from selector.cli._common import EXIT_OK, err_console, out_console, parse_money, write_json
from selector.cli._select import load_inputs
from selector.cli._tables import (
    check_plot_path,
    records,
    rich_table,
    rows_of,
    short_list,
    write_csv,
)
from selector.model import ProposalSet
from selector.report.fmt import money, number
from selector.rules import Rules
from selector.scenarios import Frontier, budget_grid, frontier, sweep

__all__ = ["frontier_dict", "frontier_table", "register", "sweep_dict", "sweep_table"]


def frontier_dict(result: Frontier) -> dict[str, Any]:
    """The machine output of an exact frontier (money as exact text, NaN as null)."""
    return {
        "kind": "frontier",
        "low": str(result.low),
        "high": str(result.high),
        "solves": result.solves,
        "unproven": result.unproven,
        "proven": result.proven,
        "breakpoints": [str(b) for b in result.breakpoints],
        "points": records(result.points),
    }


def sweep_dict(table: pd.DataFrame) -> dict[str, Any]:
    """The machine output of a budget sweep (one record per budget)."""
    return {"kind": "sweep", "points": records(table)}


def _per_10k(value: float) -> str:
    """Objective per extra 10,000 yuan (万元), the unit budgets are discussed in."""
    return number(value * 10_000, 2)


def frontier_table(result: Frontier) -> Group:
    """A headline and one line per step of the frontier (pure formatting)."""
    steps = len(result.points)
    proof = "proven exact" if result.proven else f"NOT proven ({result.unproven} solves unproven)"
    head = (f"frontier {money(result.low)} – {money(result.high)}: {steps} step"
            f"{'s' if steps != 1 else ''}, {result.solves} solves, {proof}")
    rows = []
    for r in rows_of(result.points):
        rows.append([money(r["budget"]), money(r["budget_to"]), str(r["status"]),
                     number(r["objective"]), _per_10k(r["marginal"]), str(r["count"]),
                     short_list(r["added"]), short_list(r["removed"])])
    table = rich_table(["from", "to", "status", "objective", "per +10k yuan", "projects",
                        "enter", "leave"], rows, right=(0, 1, 3, 4, 5), wrap=(6, 7))
    return Group(Text(head), table)


def sweep_table(table: pd.DataFrame) -> Group:
    """A headline and one line per budget of a sweep (pure formatting)."""
    rows = []
    for r in rows_of(table):
        rows.append([money(r["budget"]), str(r["status"]), number(r["objective"]),
                     money(r["cost_used"]), str(r["count"]), _per_10k(r["marginal"])])
    head = f"sweep: {len(table)} budget{'s' if len(table) != 1 else ''}"
    return Group(Text(head), rich_table(["budget", "status", "objective", "cost used", "projects",
                                   "per +10k yuan"], rows, right=(0, 2, 3, 4, 5)))


def _top_budget(proposals: ProposalSet, rules: Rules, amount: Decimal | None) -> Decimal:
    """``--to``, else the rules' budget, else the file's own (a Pabulib META budget)."""
    if amount is not None:
        return amount
    if rules.total_budget is not None:
        return rules.total_budget
    meta = proposals.meta.get("budget")
    if meta is not None:
        return Decimal(str(meta))
    raise InvalidInputError("--to is needed: neither the rules nor the proposals give a budget")


def frontier_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Proposals: CSV, Excel, JSON, Parquet or Pabulib .pb.")],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help="A TOML rules file.")] = None,
    low: Annotated[str | None, typer.Option(
        "--from", metavar="YUAN", help="Smallest budget (yuan); default 0.")] = None,
    high: Annotated[str | None, typer.Option(
        "--to", metavar="YUAN",
        help="Largest budget (yuan); default the rules' (or the file's) budget.")] = None,
    points: Annotated[int | None, typer.Option(
        "--points", min=1,
        help="Solve N evenly spaced budgets instead of the exact frontier.")] = None,
    solver: Annotated[Literal["cbc", "highs"], typer.Option(
        "--solver", help="cbc or highs.")] = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Stop each solve after this many seconds.")] = None,
    workers: Annotated[int, typer.Option(
        "--workers", min=0,
        help="Worker processes (0: one per CPU; 1: this process).")] = 1,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write every step (or budget) as JSON ('-': stdout).")] = None,
    csv_out: Annotated[Path | None, typer.Option(
        "--csv", help="Write every step (or budget) as CSV.")] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help="Draw the frontier into a .png, .svg or .pdf file.")] = None,
) -> int:
    """The optimum as the budget grows: what does another yuan buy?

    Without --points: the EXACT efficient frontier between --from and --to, every budget at
    which the optimal list changes, found by search (one solve per step, proven optimal), with
    the projects that enter and leave and the beneficiaries per extra yuan. With --points N:
    the optimum at N evenly spaced budgets (a sweep).

    Examples:

        selector frontier examples/proposals.csv -r examples/rules.toml --from 10000000 --to 12000000

        selector frontier examples/proposals.csv -r examples/rules.toml --from 8000000 \
            --points 21 --plot sweep.png

        selector frontier election.pb --from 0 --solver highs --json frontier.json --csv frontier.csv
    """
    check_plot_path(plot_out)
    lo = parse_money(low, "--from") or Decimal(0)
    hi_given = parse_money(high, "--to")
    if hi_given is not None and hi_given < lo:
        raise typer.BadParameter(f"--to must be >= --from, got {hi_given} < {lo}")
    proposals, rules = load_inputs(input_path, rules_path)
    hi = _top_budget(proposals, rules, hi_given)
    if hi < lo:
        raise InvalidInputError(f"--from must be <= the budget {hi}, got {lo}")
    procs = None if workers == 0 else workers
    result: Frontier | pd.DataFrame
    if points is None:
        with err_console().status("searching the frontier…", spinner="dots"):
            result = frontier(proposals, rules, lo, hi, solver=solver, time_limit=time_limit,
                              workers=procs, progress=False)
        data, frame, shown = frontier_dict(result), result.points, frontier_table(result)
    else:
        result = sweep(proposals, rules, budget_grid(lo, hi, points), solver=solver,
                       time_limit=time_limit, workers=procs, progress=True)
        data, frame, shown = sweep_dict(result), result, sweep_table(result)
    write_json(data, json_out)
    written = []
    if csv_out is not None:
        written.append(write_csv(frame, csv_out))
    if plot_out is not None:
        from selector.scenarios.plots import plot_frontier

        figure = plot_frontier(result)
        if plot_out.parent != Path():
            plot_out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(plot_out)
        written.append(plot_out)
    if isinstance(result, Frontier) and not result.proven:
        err_console().print(f"warning: {result.unproven} solves stopped before proving "
                            "optimality: the frontier may not be exact", markup=False)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    console.print(shown)
    for path in written:
        console.print(f"wrote {path}", markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``frontier`` to ``app``."""
    app.command("frontier")(frontier_command)
