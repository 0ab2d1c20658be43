"""``selector validate`` and ``selector select``.

Module level imports nothing of the library (``selector --help`` stays fast): the command
bodies import it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from selector._errors import InvalidInputError, SelectorError
from selector.cli._common import (
    EXIT_OK,
    EXIT_USER,
    DelimiterOpt,
    EncodingOpt,
    LangOpt,
    MappingOpt,
    QuietOpt,
    Reporter,
    SheetOpt,
    Solver,
    SolverOpt,
    VerboseOpt,
    default_rules,
    help_text,
    load_inputs,
    money_option,
    out_console,
    parse_mapping,
    safe,
    sheet_value,
    write_json,
)
from selector.cli._format import reserve_line, summary_table, written_lines
from selector.i18n import DEFAULT_LANG, Lang, t
from selector.report import FORMATS

if TYPE_CHECKING:
    from selector.engine import Model
    from selector.engine.solve import Deadline
    from selector.model import ProposalSet
    from selector.result import Selection
    from selector.rules import Rules

__all__ = ["default_rules", "load_inputs",
           "register", "reserve_and_reasons", "solve_with_progress"]

def reserve_size(given: int | None) -> int:
    """``--reserve``, else the library's one reserve size (what ``reserve add`` stores).

    >>> from selector.reserve import DEFAULT_RESERVE_SIZE
    >>> reserve_size(None) == DEFAULT_RESERVE_SIZE, reserve_size(0)
    (True, 0)
    """
    if given is not None:
        return given
    from selector.reserve import DEFAULT_RESERVE_SIZE  # deferred: SQLAlchemy (the store)

    return DEFAULT_RESERVE_SIZE


def validate(
    proposals: Annotated[Path | None, typer.Argument(
        metavar="INPUT", help=help_text("input"), show_default=False)] = None,
    rules: Annotated[Path | None, typer.Option("--rules", "-r", help=help_text("rules"))] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help=help_text("json"))] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    mapping: MappingOpt = None,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Check a proposals file and/or a rules file; print every problem with its row and column."""
    from selector.engine import Model  # deferred: the solver stack (not needed for --help)
    from selector.io import load_proposals
    from selector.rules import load_rules

    if proposals is None and rules is None:
        raise typer.BadParameter(t("cli.validate.nothing", lang))
    found: list[dict[str, Any]] = []
    lines: list[str] = []
    loaded: ProposalSet | None = None
    parsed: Rules | None = None

    def collect(source: str, exc: InvalidInputError) -> None:
        shown = exc.source or source
        lines.extend(t("cli.validate.problem", lang, source=safe(shown), problem=safe(p))
                     for p in exc.problems)
        found.extend({"file": shown, "row": p.row, "column": p.column, "value": p.value,
                      "message": p.message} for p in exc.problems)

    if proposals is not None:
        try:
            loaded = load_proposals(proposals, sheet=sheet_value(sheet), encoding=encoding,
                                    delimiter=delimiter, mapping=parse_mapping(mapping, lang))
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
    write_json({"ok": not found, "problems": found}, json_out)
    if str(json_out) != "-":
        console = out_console()
        for line in lines:
            console.print(line, markup=False)
        if not found:
            what = t("cli.and", lang).join(safe(p) for p in (proposals, rules) if p is not None)
            key = "cli.validate.ok_count" if loaded is not None else "cli.validate.ok"
            console.print(t(key, lang, what=what, n=0 if loaded is None else len(loaded)),
                          markup=False)
    return EXIT_USER if found else EXIT_OK


def solve_with_progress(model: Model, solver: Solver, time_limit: float | Deadline | None,
                        gap: float | None, reporter: Reporter | None = None) -> Selection:
    """Solve, showing on stderr that the solver runs."""
    shown = reporter or Reporter(DEFAULT_LANG)
    with shown.stage("cli.progress.solving", n=len(model.proposals)):
        selection = model.solve(solver=solver, time_limit=time_limit, gap=gap)
    shown.detail("cli.progress.solver_detail", solver=selection.solver,
                 version=selection.solver.label(shown.lang), seconds=f"{selection.seconds:.2f}",
                 timings=", ".join(f"{k} {v:.2f}" for k, v in selection.timings.items()))
    return selection


def reserve_and_reasons(model: Model, base: Selection, size: int, lang: Lang,
                        reporter: Reporter | None = None
                        ) -> tuple[list[tuple[str, float | None]], dict[str, str]]:
    """The scored reserve (rank order) and the "why not" sentence of each reserve project.

    The sentences come from :func:`selector.explain.explain`, so the report agrees with
    ``selector explain`` word for word; scoring and explaining share one
    :class:`~selector.engine.whatif.Resolver` (its solver by the library's rule), so no
    re-solve runs twice. A failure leaves the selection standing: a warning says what is
    missing.
    """
    if size <= 0 or not base.is_optimal:
        return [], {}
    # deferred: the what-if machinery and SQLAlchemy (not needed for --help)
    from selector.engine.whatif import Resolver
    from selector.explain import explain
    from selector.reserve import plan_reserve

    shown = reporter or Reporter(lang)
    res = Resolver(model, base)
    try:
        with shown.tracked("cli.progress.scoring", n=size) as progress:
            ranked = plan_reserve(model, base, size, resolver=res,  # what `reserve add` stores
                                  progress=progress)
    except SelectorError as exc:  # the selection stands; say what is missing
        shown.warn("cli.select.no_reserve", reason=safe(str(exc)))
        return [], {}
    scores = ranked.scores
    reserve = [(pid, scores.get(pid)) for pid in ranked.reserve]
    if not reserve:
        return [], {}
    try:
        with shown.stage("cli.progress.explaining", n=len(reserve)):
            explanation = explain(model, [pid for pid, _ in reserve], lang=lang, rules=False,
                                  resolver=res)
    except SelectorError as exc:
        shown.warn("cli.select.no_reasons", reason=safe(str(exc)))
        return reserve, {}
    return reserve, {pid: explanation.why_not(pid) for pid, _ in reserve}


def _formats(formats: str, lang: Lang) -> list[str]:
    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise typer.BadParameter(t("cli.error.formats", lang, allowed=", ".join(FORMATS),
                                   got=safe(", ".join(unknown))))
    return wanted


def select(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=help_text("input"))],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help=help_text("rules"))] = None,
    budget: Annotated[str | None, typer.Option(
        "--budget", "-b", metavar="YUAN", help=help_text("budget"))] = None,
    solver: SolverOpt = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help=help_text("time_limit"))] = None,
    gap: Annotated[float | None, typer.Option("--gap", min=0.0, help=help_text("gap"))] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help=help_text("json"))] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help=help_text("out"))] = None,
    formats: Annotated[str, typer.Option("--format", help=help_text("format"))
                       ] = ",".join(FORMATS),
    pdf: Annotated[bool, typer.Option("--pdf", help=help_text("pdf"))] = False,
    title: Annotated[str | None, typer.Option("--title", help=help_text("title"))] = None,
    reserve_given: Annotated[int | None, typer.Option(
        "--reserve", min=0, help=help_text("reserve"), show_default=False)] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    mapping: MappingOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    calibrated: Annotated[bool, typer.Option("--calibrated", help=help_text("calibrated"))
                          ] = False,
    db: Annotated[str, typer.Option("--db", help=help_text("calibration_db"))
                  ] = "reserve.sqlite",
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> int:
    """Select the proposals that serve the most workers under the rules; write the reports."""
    started = time.perf_counter()   # --time-limit counts from here: loading included
    # deferred: the solver stack and the report writers
    from selector.engine import Model, default_budget
    from selector.engine.solve import Deadline
    from selector.report import Provenance, build_report, report_dict, write_reports

    wanted = _formats(formats, lang)
    amount = money_option(budget, "--budget", lang)
    reporter = Reporter(lang, quiet=quiet, verbose=verbose)
    with reporter.stage("cli.progress.loading", path=safe(input_path)):
        proposals, rules = load_inputs(input_path, rules_path, sheet=sheet, encoding=encoding,
                                       delimiter=delimiter, mapping=parse_mapping(mapping, lang))
        raw, calibration = proposals, None
        if calibrated:
            # deferred: the outcomes store (SQLAlchemy) only when asked
            from selector.cli._outcomes import calibrated_proposals

            proposals, calibration = calibrated_proposals(raw, db, lang)
        model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                            solver=solver)
    deadline = Deadline(None if time_limit is None else started + time_limit)
    selection = solve_with_progress(model, solver, deadline, gap, reporter)
    calibration_lines: list[str] = []
    if calibration is not None:  # the list on the raw estimates, to say what changed
        from selector.cli._outcomes import write_calibration

        base = solve_with_progress(Model.build(raw, rules, budget=default_budget(
            raw, rules, amount), solver=solver), solver, time_limit, gap, reporter)
        calibration_lines = write_calibration(raw, proposals, base.selected, selection.selected,
                                              calibration, out, lang)
    started = time.perf_counter()
    size = reserve_size(reserve_given)
    reserve_rows, why_not = reserve_and_reasons(model, selection, size, lang, reporter)
    reserve_seconds = time.perf_counter() - started
    provenance = Provenance.of(selection, input_path, rules_path)
    report = build_report(selection, lang=lang, title=title, reserve=reserve_rows, why_not=why_not,
                          provenance=provenance)
    write_json(report_dict(report), json_out)
    shown = str(json_out) != "-"   # with --json -, stdout holds the JSON and nothing else
    console = out_console()
    if shown:
        console.print(summary_table(report))
        for line in calibration_lines:
            console.print(line, markup=False)
        if size > 0:
            console.print(reserve_line(report, size, reserve_seconds), markup=False)
    if out is not None:
        steps = len(dict.fromkeys(wanted)) + int(pdf)
        with reporter.counted("cli.progress.writing", steps, path=safe(out)) as advance:
            written = write_reports(report, out, wanted, pdf=pdf, progress=advance)
        if shown:
            for line in written_lines(written, lang):
                console.print(line, markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``validate`` and ``select`` to ``app`` (help and examples from the catalogue)."""
    app.command("validate", help=help_text("validate"))(validate)
    app.command("select", help=help_text("select"))(select)

