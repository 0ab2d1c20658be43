"""``selector compare``: named scenarios (rule sets and/or budgets) solved side by side."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Group
from rich.text import Text

from selector.cli._common import EXIT_OK, out_console, parse_money, write_json
from selector.cli._outcomes import compare_rules_command
from selector.cli._select import default_rules
from selector.cli._tables import check_plot_path, records, rich_table, rows_of
from selector.io import load_proposals
from selector.model import ProposalSet
from selector.proportional import RULES
from selector.report.fmt import money, number
from selector.rules import Rules, load_rules
from selector.scenarios import Comparison, Scenario, compare

__all__ = ["comparison_dict", "comparison_view", "register", "scenario_names"]

By = Literal["domain", "target_group"]
Value = Literal["cost", "count", "beneficiaries"]


def scenario_names(rules: list[Path], budgets: list[Decimal]) -> list[str]:
    """Default scenario names: the rules file's stem and/or the budget.

    Examples
    --------
    >>> scenario_names([Path("a.toml"), Path("b.toml")], [])
    ['a', 'b']
    >>> scenario_names([Path("a.toml")], [Decimal("1000000"), Decimal("2500000.50")])
    ['a @ 1000000', 'a @ 2500000.50']
    >>> scenario_names([], [Decimal("5")]), scenario_names([], [])
    (['5'], ['default rules'])
    """
    stems = [p.stem for p in rules] or [""]
    amounts = [str(b) for b in budgets] or [""]
    names = []
    for stem in stems:
        for amount in amounts:
            names.append(" @ ".join(x for x in (stem, amount) if x) or "default rules")
    return names


def comparison_dict(result: Comparison) -> dict[str, Any]:
    """The machine output of a comparison (money as exact text, NaN as null)."""
    return {
        "scenarios": list(result.names),
        "baseline": result.baseline,
        "totals": records(result.totals),
        "by_domain": records(result.by_domain),
        "by_target_group": records(result.by_target_group),
        "changes": records(result.changes),
        "messages": dict(result.messages),
    }


def _figure(value: Value, v: float) -> str:
    return number(v, 2) if value == "cost" else number(v)


def _pivot_table(result: Comparison, by: By, value: Value) -> Group:
    wide = result.pivot(by=by, value=value)
    names = [str(c) for c in wide.columns]
    rows = [[str(group), *(_figure(value, float(v)) for v in wide.loc[group])]
            for group in wide.index]
    title = f"{value} by {by.replace('_', ' ')}"
    return Group(Text(title, style="bold"),
                 rich_table([by.replace("_", " "), *names], rows,
                            right=tuple(range(1, len(names) + 1))))


def comparison_view(result: Comparison, value: Value = "cost") -> Group:
    """Totals, the two group tables and the projects that enter and leave (pure formatting)."""
    totals = []
    for r in rows_of(result.totals):
        totals.append([str(r["scenario"]), str(r["status"]), money(r["budget"]),
                       number(r["objective"]), money(r["cost_used"]), str(r["count"]),
                       str(r["entered"]), str(r["left"])])
    parts: list[Any] = [
        Text(f"{len(result.names)} scenarios, compared with {result.baseline!r}", style="bold"),
        rich_table(["scenario", "status", "budget", "objective", "cost used", "projects",
                    "enter", "leave"], totals, right=(2, 3, 4, 5, 6, 7)),
    ]
    for name, why in result.messages.items():
        parts.append(Text(f"{name}: {why}"))
    if result.selections:
        parts += [Text(""), _pivot_table(result, "domain", value),
                  Text(""), _pivot_table(result, "target_group", value)]
    if not result.changes.empty:
        rows = [[str(r["scenario"]), "+" if r["change"] == "enters" else "-", str(r["id"]),
                 str(r["title"]), money(r["cost"]), number(r["beneficiaries"])]
                for r in rows_of(result.changes)]
        parts += [Text(""), Text(f"projects that enter (+) and leave (-) against "
                                 f"{result.baseline!r}", style="bold"),
                  rich_table(["scenario", "", "id", "title", "cost", "beneficiaries"], rows,
                             right=(4, 5), wrap=(3,))]
    return Group(*parts)


def _scenario_budget(proposals: ProposalSet, rules: Rules, amount: Decimal | None
                     ) -> Decimal | None:
    if amount is not None or rules.total_budget is not None:
        return amount
    meta = proposals.meta.get("budget")  # a Pabulib election's own budget
    return None if meta is None else Decimal(str(meta))


def compare_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="Proposals: CSV, Excel, JSON, Parquet or Pabulib .pb.")],
    rules_paths: Annotated[list[Path] | None, typer.Option(
        "--rules", "-r", metavar="FILE", help="A TOML rules file; repeat for each rule set.")] = None,
    budgets: Annotated[list[str] | None, typer.Option(
        "--budget", "-b", metavar="YUAN", help="A total budget; repeat for each budget.")] = None,
    names: Annotated[list[str] | None, typer.Option(
        "--name", metavar="NAME",
        help="Name of each scenario, in order (default: file stem @ budget).")] = None,
    baseline: Annotated[str | None, typer.Option(
        "--baseline", help="Scenario the others are compared with (default: the first).")
    ] = None,
    solver: Annotated[Literal["cbc", "highs"], typer.Option(
        "--solver", help="cbc or highs.")] = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Stop each solve after this many seconds.")] = None,
    value: Annotated[Value, typer.Option(
        "--value", help="Figure shown per domain and target group.")] = "cost",
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the comparison as JSON ('-': stdout).")] = None,
    plot_out: Annotated[Path | None, typer.Option(
        "--plot", help="Draw --value by domain per scenario into a .png, .svg or .pdf file.")
    ] = None,
    rule_names: Annotated[list[str] | None, typer.Option(
        "--rule", metavar="RULE", help=f"Compare selection rules instead of scenarios: "
        f"{', '.join(RULES)} (repeat; mes needs ballots: a .pb file's own, or --ballots).")
    ] = None,
    ballots_path: Annotated[Path | None, typer.Option(
        "--ballots", metavar="FILE", help="Worker votes as approvals for --rule mes: one row "
        "per voter (职工编号/voter_id, 支持项目/approved).")] = None,
    lang: Annotated[Literal["zh", "en"], typer.Option(
        "--lang", help="Language of the --rule comparison.")] = "zh",
) -> int:
    """Solve named scenarios side by side: totals, per domain and target group, who enters.

    Totals, spend (or --value) per domain and per target group, and the projects that
    enter and leave against --baseline (default: the first scenario). Every --rules file is
    one scenario; with several --budget values every rule set is solved at every budget.
    Scenarios are named "rules-file-stem @ budget" unless --name is given (once per
    scenario, in that order).

    Examples:

        selector compare examples/proposals.csv -r examples/rules.toml -r strict.toml

        selector compare examples/proposals.csv -r examples/rules.toml -b 10000000 -b 15000000 --name low \
            --name high --plot budgets.png

        selector compare election.pb -b 1000000 -b 2000000 --solver highs --json compare.json

        selector compare election.pb --rule mes --rule greedy --rule ilp
    """
    if rule_names:  # MES, greedy and the exact selection side by side
        return compare_rules_command(input_path, rules_paths, rule_names, ballots_path,
                                     budgets, solver, time_limit, json_out, lang)
    check_plot_path(plot_out)
    amounts = [a for a in (parse_money(b) for b in budgets or []) if a is not None]
    paths = list(rules_paths or [])
    default_names = scenario_names(paths, amounts)
    chosen = list(names or []) or default_names
    if len(chosen) != len(default_names):
        raise typer.BadParameter(
            f"--name must be given once per scenario ({len(default_names)}), got {len(chosen)}")
    repeated = sorted({n for n in chosen if chosen.count(n) > 1})
    if repeated:
        raise typer.BadParameter(f"scenario names must be unique, got {repeated[0]!r} twice; "
                                 "name them with --name")
    if baseline is not None and baseline not in chosen:
        raise typer.BadParameter(f"--baseline must be one of {', '.join(chosen)}; "
                                 f"got {baseline!r}")
    proposals = load_proposals(input_path)
    rule_sets = [load_rules(p) for p in paths] or [default_rules(proposals)]
    scenarios = []
    names_left = iter(chosen)
    per_rules: list[Decimal | None] = [*amounts] if amounts else [None]
    for rules in rule_sets:
        for amount in per_rules:
            scenarios.append(Scenario(next(names_left), rules=rules,
                                      budget=_scenario_budget(proposals, rules, amount)))
    result = compare(scenarios, proposals=proposals, baseline=baseline, solver=solver,
                     time_limit=time_limit, workers=1, progress=True)
    write_json(comparison_dict(result), json_out)
    written = []
    if plot_out is not None:
        from selector.scenarios.plots import plot_comparison

        figure = plot_comparison(result, by="domain", value=value)
        if plot_out.parent != Path():
            plot_out.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(plot_out)
        written.append(plot_out)
    if str(json_out) == "-":
        return EXIT_OK
    console = out_console()
    console.print(comparison_view(result, value))
    for path in written:
        console.print(f"wrote {path}", markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``compare`` to ``app``."""
    app.command("compare")(compare_command)

