"""``selector compare``: named scenarios (rule sets and/or budgets) solved side by side."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import typer

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
    default_rules,
    help_text,
    money_option,
    out_console,
    parse_mapping,
    safe,
    save_figure,
    sheet_value,
    write_json,
)
from selector.i18n import DEFAULT_LANG, Lang, t

__all__ = ["register", "scenario_names"]

Value = Literal["cost", "count", "beneficiaries"]


def scenario_names(rules: list[Path], budgets: list[Decimal], lang: Lang = "en") -> list[str]:
    """Default scenario names: the rules file's stem and/or the budget.

    Examples
    --------
    >>> scenario_names([Path("a.toml"), Path("b.toml")], [])
    ['a', 'b']
    >>> scenario_names([Path("a.toml")], [Decimal("1000000"), Decimal("2500000.50")])
    ['a @ 1000000', 'a @ 2500000.50']
    >>> scenario_names([], [Decimal("5")]), scenario_names([], [], "zh")
    (['5'], ['默认规则'])
    """
    stems = [p.stem for p in rules] or [""]
    amounts = [str(b) for b in budgets] or [""]
    names = []
    for stem in stems:
        for amount in amounts:
            names.append(" @ ".join(x for x in (stem, amount) if x)
                         or t("cli.compare.default_name", lang))
    return names


def _check_names(chosen: list[str], expected: int, baseline: str | None, lang: Lang) -> None:
    if len(chosen) != expected:
        raise typer.BadParameter(t("cli.compare.name_count", lang, n=expected, got=len(chosen)))
    repeated = sorted({n for n in chosen if chosen.count(n) > 1})
    if repeated:
        raise typer.BadParameter(t("cli.compare.name_twice", lang, name=safe(repeated[0])))
    if baseline is not None and baseline not in chosen:
        raise typer.BadParameter(t("cli.compare.bad_baseline", lang,
                                   names=safe(", ".join(chosen)), got=safe(baseline)))


def compare_command(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=help_text("input"))],
    rules_paths: Annotated[list[Path] | None, typer.Option(
        "--rules", "-r", metavar="FILE", help=help_text("rules_many"))] = None,
    budgets: Annotated[list[str] | None, typer.Option(
        "--budget", "-b", metavar="YUAN", help=help_text("budget_many"))] = None,
    names: Annotated[list[str] | None, typer.Option(
        "--name", metavar="NAME", help=help_text("name"))] = None,
    baseline: Annotated[str | None, typer.Option("--baseline", help=help_text("baseline"))
                        ] = None,
    solver: SolverOpt = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help=help_text("time_limit_each"))] = None,
    value: Annotated[Value, typer.Option("--value", help=help_text("value"))] = "cost",
    json_out: Annotated[Path | None, typer.Option("--json", help=help_text("json"))] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help=help_text("plot_compare"))] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    mapping: MappingOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    rule_names: Annotated[list[str] | None, typer.Option(
        "--rule", metavar="RULE", help=help_text("rule"))] = None,
    ballots_path: Annotated[Path | None, typer.Option(
        "--ballots", metavar="FILE", help=help_text("ballots"))] = None,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> int:
    """Solve named scenarios side by side: totals, per domain and target group, who enters."""
    # deferred: pandas, the solvers and matplotlib are not needed for --help
    from selector.cli._views import comparison_dict, comparison_view
    from selector.engine import default_budget
    from selector.io import load_proposals
    from selector.rules import load_rules
    from selector.scenarios import Scenario, compare

    if rule_names:  # MES, greedy and the exact selection side by side (issue #16)
        from selector.cli._outcomes import compare_rules_command  # deferred: pabutools, solvers

        return compare_rules_command(input_path, rules_paths, rule_names, ballots_path,
                                     budgets, solver, time_limit, json_out, lang)
    check_plot_path(plot_out, lang)
    amounts = [a for a in (money_option(b, "--budget", lang) for b in budgets or [])
               if a is not None]
    paths = list(rules_paths or [])
    default_names = scenario_names(paths, amounts, lang)
    chosen = list(names or []) or default_names
    _check_names(chosen, len(default_names), baseline, lang)
    reporter = Reporter(lang, quiet=quiet, verbose=verbose)
    proposals = load_proposals(input_path, sheet=sheet_value(sheet), encoding=encoding,
                               delimiter=delimiter, mapping=parse_mapping(mapping, lang))
    rule_sets = [load_rules(p) for p in paths] or [default_rules(proposals)]
    names_left = iter(chosen)
    per_rules: list[Decimal | None] = [*amounts] if amounts else [None]
    scenarios = [Scenario(next(names_left), rules=rules,
                          budget=default_budget(proposals, rules, amount))
                 for rules in rule_sets for amount in per_rules]
    with reporter.stage("cli.progress.compare", n=len(scenarios)):
        result = compare(scenarios, proposals=proposals, baseline=baseline, solver=solver,
                         time_limit=time_limit, workers=1,
                         progress=reporter.tty and not reporter.quiet)
    write_json(comparison_dict(result), json_out)
    written = []
    if plot_out is not None:
        from selector.scenarios.plots import plot_comparison  # deferred: matplotlib

        figure = plot_comparison(result, by="domain", value=value, lang=lang)
        written.append(save_figure(figure, plot_out))
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    console.print(comparison_view(result, lang, value, proposals.currency))
    for path in written:
        console.print(t("cli.wrote", lang, path=safe(path)), markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``compare`` to ``app``."""
    app.command("compare", help=help_text("compare"))(compare_command)
