"""``selector explain``: why a proposal is (not) on the list, each claim checked by a re-solve."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    help_text,
    load_inputs,
    money_option,
    out_console,
    parse_mapping,
    safe,
    write_json,
)
from selector.i18n import DEFAULT_LANG, t

__all__ = ["register"]


def explain(
    input_path: Annotated[Path, typer.Argument(metavar="INPUT", help=help_text("input"))],
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help=help_text("ids"))],
    rules_path: Annotated[Path | None, typer.Option(
        "--rules", "-r", help=help_text("rules"))] = None,
    budget: Annotated[str | None, typer.Option(
        "--budget", "-b", metavar="YUAN", help=help_text("budget"))] = None,
    solver: SolverOpt = "cbc",
    json_out: Annotated[Path | None, typer.Option("--json", help=help_text("json"))] = None,
    sheet: SheetOpt = None,
    encoding: EncodingOpt = None,
    delimiter: DelimiterOpt = None,
    mapping: MappingOpt = None,
    lang: LangOpt = DEFAULT_LANG,
    quiet: QuietOpt = False,
    verbose: VerboseOpt = False,
) -> int:
    """Explain why proposals were selected, missed, or were never candidates."""
    # deferred: the solver stack (not needed for --help)
    from selector.engine import Model, default_budget
    from selector.explain import explain as explain_selection

    amount = money_option(budget, "--budget", lang)
    reporter = Reporter(lang, quiet=quiet, verbose=verbose)
    proposals, rules = load_inputs(input_path, rules_path, sheet=sheet, encoding=encoding,
                                   delimiter=delimiter, mapping=parse_mapping(mapping, lang))
    model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                        solver=solver)
    with reporter.stage("cli.progress.explaining", n=len(set(ids))):
        explanation = explain_selection(model, ids, lang=lang, rules=False, solver=solver)
    write_json(explanation.to_dict(), json_out)
    if str(json_out) != "-":
        console = out_console()
        for pid in dict.fromkeys(ids):
            console.print(t("cli.explain.line", lang, id=safe(pid),
                            reason=safe(explanation.why_not(pid))), markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``explain`` to ``app``."""
    app.command("explain", help=help_text("explain"))(explain)
