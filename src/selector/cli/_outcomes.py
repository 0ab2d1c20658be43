"""``selector outcomes import|report|calibrate``, and the ``--calibrated`` and ``--rule``
branches of ``selector select`` and ``selector compare``.

The commands only parse arguments, call :mod:`selector.outcomes`,
:mod:`selector.proportional` and :mod:`selector.report.outcomes`, and print.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Group
from rich.text import Text

from selector.cli._common import (
    EXIT_OK,
    default_rules,
    err_console,
    money_option,
    out_console,
    write_json,
)
from selector.cli._reserve_shared import Db, store_url
from selector.cli._tables import rich_table
from selector.engine import rules_from_pabulib
from selector.i18n import Lang, fmt_count, fmt_money, fmt_number, fmt_percent, t
from selector.io import load_proposals
from selector.model import ProposalSet
from selector.outcomes import OutcomeStore, calibrate, fit_calibration, load_outcomes
from selector.outcomes.calibration import Calibration
from selector.outcomes.review import review
from selector.proportional import RuleComparison, ballots_from_pabulib, compare_rules, load_ballots
from selector.report.content import file_sha256
from selector.report.outcomes import (
    build_calibration_report,
    build_outcomes_report,
    write_calibration_report,
    write_outcomes_report,
)
from selector.rules import load_rules
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS
from selector.text import terminal_safe

__all__ = ["calibrated_proposals", "compare_rules_command", "outcomes_app", "register",
           "rules_view", "write_calibration"]

LangOpt = Annotated[Literal["zh", "en"], typer.Option("--lang", help="Language of the output.")]

outcomes_app = typer.Typer(
    name="outcomes",
    help=(
        "What funded projects achieved: import evaluations, compare planned with actual, "
        "and calibrate next year's estimates.\n\n"
        "Example: selector outcomes import outcomes-2026.xlsx --year 2026 "
        "--proposals proposals-2026.csv --db reserve.sqlite"
    ),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _say(key: str, lang: Lang, **params: Any) -> str:
    return t(f"outcomes.cli.{key}", lang, **params)


@outcomes_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Outcomes: CSV or .xlsx.")],
    year: Annotated[int, typer.Option("--year", "-y", help="The year the projects ran in.")],
    proposals_path: Annotated[Path, typer.Option(
        "--proposals", "-p", metavar="FILE",
        help="The year's proposals (their planned figures).")],
    db: Db = "reserve.sqlite",
    sheet: Annotated[str | None, typer.Option("--sheet", help="Excel sheet (name).")] = None,
    actor: Annotated[str, typer.Option("--actor", help="Who imports (kept with the import).")
                     ] = "selector",
    lang: LangOpt = "zh",
) -> int:
    """Import a year's evaluations into the reserve database (one transaction).

    Headers may be Chinese or English: 项目编号/id, 实际服务人次/actual_beneficiaries,
    满意度/satisfaction, 实际支出(元)/actual_cost, 按期完成/on_time. Every problem is listed
    with its row and column, and nothing is stored unless the whole file is valid.
    Importing the same projects again replaces their rows.

    Examples:

        selector outcomes import outcomes-2026.xlsx --year 2026 --proposals proposals-2026.csv

        selector outcomes import eval.csv -y 2026 -p call.csv --db postgresql+psycopg://u:pw@host/db
    """
    proposals = load_proposals(proposals_path)
    table = load_outcomes(file, proposals, year=year, sheet=sheet, lang=lang)
    with OutcomeStore(store_url(db)) as store:
        done = store.import_outcomes(table, sha256=file_sha256(file), actor=actor)
    out_console().print(_say("imported", lang, rows=done.rows, year=year, added=done.added,
                             replaced=done.replaced), markup=False)
    return EXIT_OK


@outcomes_app.command("report")
def report_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder of the report.")],
    db: Db = "reserve.sqlite",
    year: Annotated[int | None, typer.Option("--year", "-y", help="Only this year.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="Title of the report.")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the figures as JSON ('-': stdout).")] = None,
    lang: LangOpt = "zh",
) -> int:
    """Write the planned-vs-actual report (outcomes.html, outcomes.xlsx) with its charts.

    Per project, domain, district and applicant unit: planned beneficiaries and cost
    against actual person-times and spend, satisfaction, completion on time, cost per
    person; and the calibration factors the stored outcomes teach.

    Examples:

        selector outcomes report --out out/outcomes --year 2026 --db reserve.sqlite
    """
    with OutcomeStore(store_url(db)) as store:
        table = store.outcomes(year)
    if not len(table):
        raise typer.BadParameter(_say("no_outcomes", lang), param_hint="--year / --db")
    figures = review(table, year)
    calibration = fit_calibration(table)
    report = build_outcomes_report(figures, lang=lang, title=title, calibration=calibration)
    write_json({"years": list(figures.years), "totals": figures.totals,
                "calibration": calibration.to_dict()}, json_out)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    for label, value in report.headline:
        console.print(f"{label}  {value}", markup=False)
    for path in write_outcomes_report(report, out).values():
        console.print(_say("wrote", lang, path=str(path)), markup=False)
    return EXIT_OK


def factors_view(calibration: Calibration, lang: Lang) -> Group:
    """The calibration factors as a table (pure formatting)."""
    rows = [[t(f"outcomes.report.level_{r['level']}", lang),
             terminal_safe(DEFAULT_DOMAINS.label(r["key"], lang) if r["level"] == "domain"
                           and r["key"] in DEFAULT_DOMAINS else str(r["key"])),
             fmt_number(r["n"], lang), fmt_number(r["factor"], lang, 3),
             fmt_percent(r["weight"], lang)] for r in calibration.factors().to_dict("records")]
    head = [t(f"outcomes.report.{k}", lang) for k in ("level", "group", "count", "factor",
                                                       "weight")]
    return Group(rich_table(head, rows, right=(2, 3, 4)))


@outcomes_app.command("calibrate")
def calibrate_command(
    db: Db = "reserve.sqlite",
    before: Annotated[int | None, typer.Option(
        "--before", help="Learn only from outcomes of years before this one.")] = None,
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the fit as JSON ('-': stdout).")] = None,
    lang: LangOpt = "zh",
) -> int:
    """Show the estimate-bias factors learnt from the stored outcomes.

    A factor of 1.2 for a domain means its estimates were 20 % too low; groups with
    little evidence keep a factor near 1 (the raw estimate).

    Examples:

        selector outcomes calibrate --before 2027 --db reserve.sqlite
    """
    with OutcomeStore(store_url(db)) as store:
        calibration = fit_calibration(store.outcomes(before=before))
    write_json(calibration.to_dict(), json_out)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    if calibration.is_identity:
        console.print(t("outcomes.report.identity_note", lang), markup=False)
        return EXIT_OK
    console.print(_say("fitted", lang, n=calibration.n,
                       sigma=fmt_number(calibration.sigma, lang, 3)), markup=False)
    console.print(factors_view(calibration, lang))
    return EXIT_OK


# -- used by `selector select --calibrated` -------------------------------------------------------
def calibrated_proposals(proposals: ProposalSet, db: str, lang: Lang
                         ) -> tuple[ProposalSet, Calibration]:
    """The proposals with calibrated beneficiaries, learnt from the outcomes of the years
    before the proposals' own (all stored outcomes when the proposals carry no year)."""
    years = proposals.frame["year"].dropna()
    before = int(years.min()) if len(years) else None
    with OutcomeStore(store_url(db)) as store:
        calibration = fit_calibration(store.outcomes(before=before), lang=lang)
    note = (t("outcomes.report.identity_note", lang) if calibration.is_identity
            else _say("fitted", lang, n=calibration.n,
                      sigma=fmt_number(calibration.sigma, lang, 3)))
    err_console().print(note, markup=False)
    return calibrate(proposals, calibration), calibration


def write_calibration(raw: ProposalSet, calibrated: ProposalSet, raw_selected: tuple[str, ...],
                      selected: tuple[str, ...], calibration: Calibration, out: Path | None,
                      lang: Lang) -> list[str]:
    """The lines that say how the list changed; writes calibration.html/.xlsx into ``out``."""
    report = build_calibration_report(raw, calibrated, raw_selected, selected, lang=lang,
                                      calibration=calibration)
    lines = [_say("list_changed", lang, entered=len(report.entered), left=len(report.left))]
    lines += [f"  + {terminal_safe(i)}" for i in report.entered]
    lines += [f"  - {terminal_safe(i)}" for i in report.left]
    if out is not None:
        lines += [_say("wrote", lang, path=str(p))
                  for p in write_calibration_report(report, out).values()]
    return lines


# -- used by `selector compare --rule` ------------------------------------------------------------
def rules_view(result: RuleComparison, lang: Lang) -> Group:
    """MES, greedy and the exact selection side by side (pure formatting)."""
    rule_names = [r.rule for r in result.lists]

    def money(v: Any) -> str:
        return fmt_money(v, lang, currency=result.currency)

    head = [_say(k, lang) for k in ("rule", "projects", "spend", "beneficiaries", "coverage",
                                    "broken")]
    rows = [[_say(f"rule_{r.rule}", lang), fmt_number(r.count, lang), money(r.total_cost),
             fmt_count(r.beneficiaries, lang),
             "–" if math.isnan(r.coverage) else fmt_percent(r.coverage, lang),
             fmt_number(len(r.broken), lang)] for r in result.lists]
    parts: list[Any] = [Text(_say("rules_title", lang, budget=money(result.budget),
                                  voters=fmt_number(result.voters, lang)), style="bold"),
                        rich_table(head, rows, right=(1, 2, 3, 4, 5))]
    for dim in ("domain", "district", "target_group"):
        part = result.by_group[result.by_group["dimension"] == dim]
        if part.empty:
            continue
        table_rows = []
        names = {"domain": DEFAULT_DOMAINS, "target_group": DEFAULT_TARGET_GROUPS}.get(dim)
        for group in dict.fromkeys(part["group"]):
            shown = names.label(str(group), lang) if names is not None else str(group)
            cells = [terminal_safe(shown)]
            for name in rule_names:
                row = part[(part["group"] == group) & (part["rule"] == name)].iloc[0]
                cells.append(f"{money(row['cost'])} · {fmt_count(row['beneficiaries'], lang)}")
            table_rows.append(cells)
        parts += [Text(""), Text(_say(f"by_{dim}", lang), style="bold"),
                  rich_table([_say("group", lang), *[_say(f"rule_{n}", lang) for n in rule_names]],
                             table_rows, right=tuple(range(1, len(rule_names) + 1)))]
    for item in result.lists:
        if item.broken:
            parts += [Text(""), Text(_say("breaks", lang, rule=_say(f"rule_{item.rule}", lang),
                                          n=len(item.broken)), style="bold")]
            parts += [Text(f"  - {terminal_safe(b.render(lang))}") for b in item.broken[:20]]
    return Group(*parts)


def compare_rules_command(input_path: Path, rules_paths: list[Path] | None,
                          rule_names: list[str], ballots_path: Path | None,
                          budgets: list[str] | None, solver: Literal["cbc", "highs"],
                          time_limit: float | None, json_out: Path | None, lang: Lang) -> int:
    """``selector compare --rule ...``: the call's rules (a Pabulib file's own limits when no
    rules file is given), its ballots (a .pb file's own, or ``--ballots``), one budget."""

    proposals = load_proposals(input_path)
    pabulib = proposals.meta.get("format") == "pabulib"
    if rules_paths:
        rules = load_rules(rules_paths[0])
    else:
        rules = rules_from_pabulib(proposals.meta, proposals) if pabulib \
            else default_rules(proposals)
    ballots = (load_ballots(ballots_path, proposals, lang=lang) if ballots_path is not None
               else ballots_from_pabulib(input_path, lang=lang) if pabulib else None)
    given = (money_option(b, "--budget", lang) for b in budgets or [])
    amount = next((a for a in given if a is not None), None)
    if amount is None and rules.total_budget is None:
        amount = proposals.meta.get("budget")
    result = compare_rules(proposals, rules, ballots=ballots, compare=rule_names, budget=amount,
                           solver=solver, time_limit=time_limit, lang=lang)
    write_json(result.to_dict(), json_out)
    if str(json_out) != "-":
        out_console().print(rules_view(result, lang))
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``outcomes`` to ``app``."""
    app.add_typer(outcomes_app)
