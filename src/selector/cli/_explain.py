"""``selector explain``: why a proposal is (not) on the list, each claim checked by a re-solve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from selector.cli._common import EXIT_OK, out_console, parse_money, write_json
from selector.cli._select import default_budget, load_inputs
from selector.engine import Model
from selector.explain import explain as explain_selection

__all__ = ["register"]


def explain(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help="The proposals file.")],
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="Proposal ids to explain.")],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help="A TOML rules file.")] = None,
    budget: Annotated[str | None, typer.Option("--budget", "-b", help="Total budget (yuan).")] = None,
    solver: Annotated[Literal["cbc", "highs"], typer.Option("--solver", help="cbc or highs.")] = "cbc",
    lang: Annotated[Literal["zh", "en"], typer.Option("--lang", help="Language.")] = "zh",
    json_out: Annotated[Path | None, typer.Option(
        "--json", help="Write the explanation as JSON ('-': stdout).")] = None,
) -> int:
    """Explain why proposals were selected, missed, or were never candidates.

    The sentences are the same as the "why it missed" column of the report.

    Examples:

        selector explain examples/proposals.csv 2026-0042 --rules examples/rules.toml

        selector explain election.pb 17 23 --lang en --json why.json
    """
    amount = parse_money(budget)
    proposals, rules = load_inputs(input_path, rules_path)
    model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                        solver=solver)
    with out_console().status("re-solving to check each claim…", spinner="dots"):
        explanation = explain_selection(model, ids, lang=lang, rules=False, solver=solver)
    write_json(explanation.to_dict(), json_out)
    if str(json_out) != "-":
        console = out_console()
        for pid in dict.fromkeys(ids):
            console.print(f"{pid}: {explanation.why_not(pid)}", markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``explain`` to ``app``."""
    app.command("explain")(explain)
