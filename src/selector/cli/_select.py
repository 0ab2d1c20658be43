"""``selector validate`` and ``selector select``."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from selector._errors import InvalidInputError, SelectorError
from selector.cli._common import (
    EXIT_OK,
    EXIT_USER,
    err_console,
    error_line,
    out_console,
    parse_money,
    write_json,
)
from selector.cli._format import problem_lines, summary_table, written_lines
from selector.engine import Model
from selector.explain import explain
from selector.io import load_proposals
from selector.model import ProposalSet
from selector.report import FORMATS, Provenance, build_report, report_dict, write_reports
from selector.reserve import DEFAULT_RESERVE_SIZE, plan_reserve
from selector.result import Selection
from selector.rules import Eligibility, Rules, load_rules

__all__ = ["load_inputs", "register"]

Solver = Literal["cbc", "highs"]
Lang = Literal["zh", "en"]


def default_rules(proposals: ProposalSet) -> Rules:
    """The rules when no rules file is given.

    ``Rules()`` (the call's screening: a measurable indicator, completion within the year),
    except for a Pabulib election, which has neither column: there the budget-only problem.
    """
    if proposals.meta.get("format") == "pabulib":
        return Rules(eligibility=Eligibility(require_indicator=False), completion=None)
    return Rules()


def load_inputs(input_path: Path, rules_path: Path | None) -> tuple[ProposalSet, Rules]:
    """Load the proposals and the rules (:func:`default_rules` when no file is given)."""
    proposals = load_proposals(input_path)
    rules = default_rules(proposals) if rules_path is None else load_rules(rules_path)
    return proposals, rules


def default_budget(proposals: ProposalSet, rules: Rules, amount: Decimal | None) -> Any:
    """``--budget``, else the rules' budget, else the file's own (a Pabulib META budget)."""
    if amount is not None:
        return amount
    if rules.total_budget is not None:
        return None
    return proposals.meta.get("budget")


def validate(
    proposals: Annotated[Path | None, typer.Argument(
        help="A proposals file (CSV, Excel, JSON, Parquet, Pabulib .pb).", show_default=False)] = None,
    rules: Annotated[Path | None, typer.Option("--rules", "-r", help="A TOML rules file.")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the problems as JSON ('-': stdout).")] = None,
) -> int:
    """Check a proposals file and/or a rules file; print every problem with its row and column.

    Exit code 1 when any problem is found.

    Examples:

        selector validate examples/proposals.csv --rules examples/rules.toml

        selector validate --rules my_rules.toml
    """
    if proposals is None and rules is None:
        raise typer.BadParameter("give a proposals file, --rules, or both")
    found: list[dict[str, Any]] = []
    lines: list[str] = []
    loaded: ProposalSet | None = None
    parsed: Rules | None = None

    def collect(source: str, exc: InvalidInputError) -> None:
        lines.extend(problem_lines(exc.source or source, exc.problems))
        found.extend({"file": exc.source or source, "row": p.row, "column": p.column,
                      "value": p.value, "message": p.message} for p in exc.problems)

    if proposals is not None:
        try:
            loaded = load_proposals(proposals)
        except InvalidInputError as exc:
            collect(str(proposals), exc)
    if rules is not None:
        try:
            parsed = load_rules(rules)
        except InvalidInputError as exc:
            collect(str(rules), exc)
    if loaded is not None and parsed is not None:
        try:  # rules that name unknown columns, groups or ids
            Model.build(loaded, parsed)
        except InvalidInputError as exc:
            collect(str(rules), exc)
    if json_out is not None:
        write_json({"ok": not found, "problems": found}, json_out)
    if str(json_out) != "-":
        console = out_console()
        for line in lines:
            console.print(line, markup=False)
        if not found:
            what = " and ".join(str(p) for p in (proposals, rules) if p is not None)
            extra = f" ({len(loaded)} proposals)" if loaded is not None else ""
            console.print(f"ok: {what}{extra}", markup=False)
    return EXIT_USER if found else EXIT_OK


def solve_with_progress(model: Model, solver: Solver, time_limit: float | None,
                        gap: float | None) -> Selection:
    """Solve, showing a spinner on stderr meanwhile."""
    with err_console().status("solving…", spinner="dots"):
        return model.solve(solver=solver, time_limit=time_limit, gap=gap)


def reserve_and_reasons(model: Model, base: Selection, size: int, lang: Lang,
                        solver: Solver) -> tuple[list[tuple[str, float | None]], dict[str, str]]:
    """The scored reserve (rank order) and the "why not" sentence of each reserve project.

    The sentences come from :func:`selector.explain.explain`, so the report agrees with
    ``selector explain`` word for word.
    """
    if size <= 0 or not base.is_optimal:
        return [], {}
    console = err_console()
    try:
        with console.status("scoring the reserve…", spinner="dots"):
            ranked = plan_reserve(model, base, size)   # the reserve `reserve add` stores
    except SelectorError as exc:  # the selection stands; say what is missing
        console.print(f"warning: no reserve: {error_line(exc).removeprefix('error: ')}",
                      markup=False)
        return [], {}
    scores = ranked.scores
    reserve = [(pid, scores.get(pid)) for pid in ranked.reserve]
    if not reserve:
        return [], {}
    try:
        with console.status("explaining why each missed…", spinner="dots"):
            explanation = explain(model, [pid for pid, _ in reserve], lang=lang, rules=False,
                                  solver=solver)
    except SelectorError as exc:
        console.print(f"warning: reserve not explained: {error_line(exc).removeprefix('error: ')}",
                      markup=False)
        return reserve, {}
    return reserve, {pid: explanation.why_not(pid) for pid, _ in reserve}


def select(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Proposals: CSV, Excel, JSON, Parquet or Pabulib .pb.")],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help="A TOML rules file.")] = None,
    budget: Annotated[str | None, typer.Option(
        "--budget", "-b", help="Total budget (yuan); overrides the rules and the file.")] = None,
    solver: Annotated[Solver, typer.Option("--solver", help="cbc or highs.")] = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Stop the solver after this many seconds.")] = None,
    gap: Annotated[float | None, typer.Option(
        "--gap", min=0.0, help="Relative optimality gap (default 1e-6).")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the full result as JSON ('-': stdout).")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the reports into this folder.")] = None,
    lang: Annotated[Lang, typer.Option("--lang", help="Language of the reports.")] = "zh",
    formats: Annotated[str, typer.Option(
        "--format", help=f"Reports written with --out, comma-separated: {', '.join(FORMATS)}.")
    ] = ",".join(FORMATS),
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
    reserve_size: Annotated[int, typer.Option(
        "--reserve", min=0, help="Size of the scored reserve, each with why it missed (0: none).")
    ] = DEFAULT_RESERVE_SIZE,
) -> int:
    """Select the proposals that serve the most workers under the rules; write the reports.

    INPUT's own budget and votes (a Pabulib file's META) are the defaults.

    Examples:

        selector select examples/proposals.csv --rules examples/rules.toml --out out/demo

        selector select election.pb --json result.json

        selector select proposals.xlsx -r rules.toml --budget 25000000 --solver highs --lang en
    """
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise typer.BadParameter(f"--format must name {', '.join(FORMATS)}; got {', '.join(unknown)}")
    amount = parse_money(budget)
    proposals, rules = load_inputs(input_path, rules_path)
    model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                        solver=solver)
    selection = solve_with_progress(model, solver, time_limit, gap)
    reserve, why_not = reserve_and_reasons(model, selection, reserve_size, lang, solver)
    provenance = Provenance.of(selection, input_path, rules_path)
    report = build_report(selection, lang=lang, title=title, reserve=reserve, why_not=why_not,
                          provenance=provenance)
    write_json(report_dict(report), json_out)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    console.print(summary_table(report))
    if out is not None:
        written = write_reports(report, out, wanted)
        for line in written_lines(written):
            console.print(line, markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``validate`` and ``select`` to ``app``."""
    app.command("validate")(validate)
    app.command("select")(select)
