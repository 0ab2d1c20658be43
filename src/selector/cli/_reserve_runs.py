"""``selector reserve add|carry-over|backfill``: the reserve commands that solve.

``add`` selects, scores the runner-ups (:func:`selector.reserve.plan_reserve`, the same
reserve ``selector select --reserve`` reports) and records the year's reserve
(:func:`selector.reserve.reserve_year`); ``carry-over`` merges earlier years' reserve into
the next year's proposals (:func:`selector.reserve.carry_over`) and writes that pool
(:func:`selector.reserve.save_pool`); ``backfill`` re-optimises freed money over the
reserve (:func:`selector.reserve.backfill`).

Each writes the database in one transaction, then its files in one step each; run again
after being stopped, a command completes what was left instead of repeating or undoing it
(``docs/reliability-reserve.md``). The rules (decay, reproducing the recorded selection,
...) live in the library; this module parses options and prints.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
import typer

from selector._errors import ReserveError, SolverError
from selector.cli._common import (
    EXIT_OK,
    Reporter,
    err_console,
    money_option,
    out_console,
    write_json,
)
from selector.cli._reserve_shared import (
    DEFAULT_DB,
    Db,
    JsonOut,
    LangOpt,
    backfill_view,
    carry_over_notes,
    entries_view,
    open_store,
    safe,
    text,
    usage,
)
from selector.cli._select import load_inputs, solve_with_progress
from selector.cli._tables import records
from selector.engine import Model, default_budget
from selector.i18n import DEFAULT_LANG, Lang, fmt_count, fmt_money, t
from selector.io import WRITE_FORMATS, load_proposals
from selector.reserve import (
    DEFAULT_RESERVE_SIZE,
    CarryOver,
    RollingPolicy,
    backfill,
    carry_over,
    check_decay,
    entries_frame,
    plan_reserve,
    reserve_year,
    save_pool,
)
from selector.result import Selection

__all__ = ["parse_spent", "register"]

Solver = Literal["cbc", "highs"]
#: The library's defaults of rolling management (decay, years before expiry).
POLICY = RollingPolicy()

InputArg = Annotated[Path, typer.Argument(
    metavar="INPUT", help="Proposals: CSV, Excel, JSON, Parquet or Pabulib .pb.")]
RulesOpt = Annotated[Path | None, typer.Option("--rules", "-r", help="A TOML rules file.")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="The plan year.")]
BudgetOpt = Annotated[str | None, typer.Option(
    "--budget", "-b", metavar="YUAN", help="Total budget; overrides the rules and the file.")]
SolverOpt = Annotated[Solver, typer.Option("--solver", help="cbc or highs.")]
DecayOpt = Annotated[float, typer.Option(
    "--decay", help="Yearly ageing factor of scores, in (0, 1].")]


def _decay(decay: float, lang: Lang) -> float:
    """``--decay`` checked by the library's rule (a usage error when it is refused)."""
    try:
        return check_decay(decay, lang)
    except ReserveError as exc:
        raise typer.BadParameter(str(exc), param_hint="--decay") from None


def _solve(input_path: Path, rules_path: Path | None, budget: str | None, solver: Solver,
           time_limit: float | None, lang: Lang) -> tuple[Model, Selection]:
    amount = money_option(budget, "--budget", lang)
    proposals, rules = load_inputs(input_path, rules_path)
    model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                        solver=solver)
    return model, solve_with_progress(model, solver, time_limit, None)


def add_command(  # noqa: PLR0913 - one parameter per command-line option
    input_path: InputArg,
    year: YearOpt,
    rules_path: RulesOpt = None,
    budget: BudgetOpt = None,
    solver: SolverOpt = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Stop the solver after this many seconds.")] = None,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Size of the reserve: the N best-scored runner-ups.")
    ] = DEFAULT_RESERVE_SIZE,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0, help="Only runner-ups scoring at least this.")] = None,
    decay: DecayOpt = POLICY.decay,
    reason: Annotated[str, typer.Option("--reason", help="Note kept in the history.")] = "",
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Select, score the runner-ups and record the year's reserve in the store.

    Solves INPUT under the rules (as `selector select` does), scores every eligible proposal
    left out (beneficiaries per yuan, review scores, the beneficiaries lost if forced in, the
    budget at which it would enter) exactly as `selector select --reserve N` does for its
    report, and records the run with the best --top as the year's reserve. Entries of this
    year's reserve that the selection chose are marked promoted; those that competed and fell
    out expire; entries not in INPUT did not compete and stay reserved. The store (--db) is
    created when missing. Run again with the same inputs, it records nothing twice.

    Examples:

        selector reserve add examples/proposals.csv -r examples/rules.toml --year 2026

        selector reserve add pool-2027.csv -r rules.toml --year 2027 --top 20 --db reserve.sqlite
    """
    decay = _decay(decay, lang)
    model, base = _solve(input_path, rules_path, budget, solver, time_limit, lang)
    if not base.is_optimal:
        raise SolverError(t("reserve.error.not_optimal", lang, gap=f"{base.gap:.2g}"),
                          solver_status=base.status.value)
    with Reporter(lang).tracked("cli.progress.scoring", n=top) as progress:
        ranked = plan_reserve(model, base, top, threshold=threshold, progress=progress)
    with open_store(db, lang, create=True) as store:  # opened once the inputs are known good
        reserve_year(store, year, base, ranked, decay=decay, reason=reason)
        frame = entries_frame(store, year)
    write_json({"year": year, "selection": base.to_dict(), "reserve": records(frame)}, json_out)
    if str(json_out) != "-":
        _print_added(year, base, len(ranked.reserve), frame, lang)
    return EXIT_OK


def _print_added(year: int, base: Selection, reserved: int, frame: pd.DataFrame,
                 lang: Lang) -> None:
    console = out_console()
    console.print(text("reserve.cli.added", lang, year=year, count=base.count,
                       beneficiaries=fmt_count(base.beneficiaries, lang),
                       spent=fmt_money(base.total_cost, lang), reserved=reserved))
    console.print(entries_view(frame, lang, t("reserve.cli.year_empty", lang, year=year)))
    competed = set(base.proposals.ids)
    idle = [str(pid) for pid, status in zip(frame["proposal_id"], frame["status"], strict=True)
            if status == "reserved" and pid not in competed]
    if idle:
        err_console().print(text("reserve.cli.idle", lang, n=len(idle), year=year,
                                 ids=safe(", ".join(idle[:5]) + (" …" if len(idle) > 5 else ""))))


def carry_over_command(  # noqa: PLR0913 - one parameter per command-line option
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="The new year's proposals.")],
    year: Annotated[int, typer.Option("--year", "-y", help="The new plan year.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Write the merged pool here (.csv, .xlsx, .json, .parquet).")],
    decay: DecayOpt = POLICY.decay,
    expire_after: Annotated[int, typer.Option(
        "--expire-after", min=1, help="Entries expire after this many years in the reserve.")
    ] = POLICY.expire_after,
    keep_stored: Annotated[bool, typer.Option(
        "--keep-stored", help="A re-submitted proposal keeps its stored cost and estimates.")
    ] = False,
    db: Db = DEFAULT_DB,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Carry earlier years' reserve into a new year and merge it with the new proposals.

    Every reserved entry of an earlier year either expires (--expire-after) or moves to
    --year with its score aged by --decay per year. A proposal submitted again (same id and
    title, or the same title up to spacing, punctuation and case under a new id) appears
    once, with its new cost and estimates. A new proposal that takes the id of a different
    carried one is an id collision: the carried entry gets a distinct key (ID@YEAR) and the
    collision is listed. The merged pool is written to --out (replaced in one step): select
    from it with `selector reserve add OUT --year YEAR`. Run again, it writes the same pool.

    Examples:

        selector reserve carry-over proposals-2027.csv --year 2027 --out pool-2027.csv
    """
    decay = _decay(decay, lang)
    if out.suffix.lower() not in WRITE_FORMATS:
        raise usage("reserve.usage.out_suffix", lang, allowed=", ".join(WRITE_FORMATS),
                    name=safe(out.name))
    new = load_proposals(input_path)
    policy = RollingPolicy(decay=decay, expire_after=expire_after,
                           update_resubmissions=not keep_stored)
    with open_store(db, lang) as store:
        result = carry_over(store, year, new, policy)
    save_pool(result, out)
    _print_carried(result, year, out, lang)
    return EXIT_OK


def _print_carried(result: CarryOver, year: int, out: Path, lang: Lang) -> None:
    console, errors = out_console(), err_console()
    for note in carry_over_notes(result, lang):
        errors.print(note, markup=False, emoji=False)
    console.print(text("reserve.cli.carried", lang, carried=len(result.carried), year=year,
                       expired=len(result.expired), resubmitted=len(result.resubmitted),
                       collisions=len(result.collisions), pool=len(result.pool)))
    for old, new_id in result.resubmitted.items():
        console.print(text("reserve.cli.resubmitted", lang, old=safe(old), new=safe(new_id)))
    for old, key in result.collisions.items():
        console.print(text("reserve.cli.collision", lang, old=safe(old), key=safe(key),
                           year=year))
    if result.earlier:
        errors.print(text("reserve.cli.earlier", lang, n=len(result.earlier), year=year))
    if result.without_snapshot:
        errors.print(text("reserve.cli.without_snapshot", lang,
                          ids=safe(", ".join(result.without_snapshot))))
    console.print(text("reserve.cli.wrote", lang, path=safe(out)))


def parse_spent(items: list[str], lang: Lang = DEFAULT_LANG) -> dict[str, Decimal]:
    """``ID=AMOUNT`` items of ``--spent`` (the id may itself contain ``=``).

    Examples
    --------
    >>> parse_spent(["2026-0001=120000", "a=b=5.5"])
    {'2026-0001': Decimal('120000'), 'a=b': Decimal('5.5')}
    """
    out: dict[str, Decimal] = {}
    for item in items:
        pid, sep, amount = item.rpartition("=")
        if not sep or not pid:
            raise usage("reserve.usage.spent_format", lang, got=safe(item))
        spent = money_option(amount, f"--spent {pid}", lang)
        assert spent is not None   # a string was given
        out[pid] = spent
    return out


def backfill_command(  # noqa: PLR0913 - one parameter per command-line option
    input_path: InputArg,
    year: YearOpt,
    cancel: Annotated[list[str] | None, typer.Option(
        "--cancel", metavar="ID", help="A selected project that is cancelled (repeat).")] = None,
    spent: Annotated[list[str] | None, typer.Option(
        "--spent", metavar="ID=YUAN",
        help="Actual spend of a project that finishes under cost (repeat).")] = None,
    extra: Annotated[str | None, typer.Option(
        "--extra", metavar="YUAN", help="Other money released for the backfill.")] = None,
    month: Annotated[int | None, typer.Option(
        "--month", min=1, max=12, help="Replacements start this month at the earliest.")
    ] = None,
    rules_path: RulesOpt = None,
    budget: BudgetOpt = None,
    solver: SolverOpt = "cbc",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Show the replacements; record nothing.")] = False,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the history).")] = "",
    actor: Annotated[str, typer.Option("--by", help="Who orders the backfill.")] = "selector",
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
    lang: LangOpt = DEFAULT_LANG,
) -> int:
    """Refill the year's list from the reserve when projects are cancelled or under-spend.

    INPUT, --rules and --budget must be those of the year's selection (`selector reserve
    add`); the store checks that they reproduce the recorded list. The freed money is
    re-optimised over the year's reserve under the same rules, with the projects under way
    kept; the replacements are promoted in the store with a record of the run. Run it again
    for a later cancellation: it starts from the list the previous backfill left (its
    replacements under way, its cancellations and spends in effect, unspent money kept).
    The same command run again right after it was recorded changes nothing.

    Examples:

        selector reserve backfill examples/proposals.csv -r examples/rules.toml --year 2026 --cancel 2026-0002

        selector reserve backfill pool.csv -r rules.toml -y 2026 --spent 2026-0007=50000 --dry-run
    """
    cancelled = list(cancel or [])
    actual = parse_spent(list(spent or []), lang)
    more = money_option(extra, "--extra", lang) or Decimal(0)
    if not cancelled and not actual and not more:
        raise usage("reserve.usage.nothing_freed", lang)
    with open_store(db, lang) as store:
        _, base = _solve(input_path, rules_path, budget, solver, None, lang)
        with err_console().status(t("reserve.cli.reoptimising", lang), spinner="dots"):
            result = backfill(store, year, base, cancelled=cancelled, spent=actual, extra=more,
                              month=month, solver=solver, record=not dry_run, actor=actor,
                              reason=reason)
    write_json({"year": year, "recorded": not dry_run, "cancelled": list(result.cancelled),
                "ongoing": list(result.ongoing), "replacements": list(result.replacements),
                "freed": str(result.freed), "budget": str(result.budget),
                "available": str(result.available), "earlier_backfills": result.earlier,
                "selection": result.selection.to_dict()}, json_out)
    if str(json_out) != "-":
        console = out_console()
        console.print(backfill_view(result, lang))
        console.print(text("reserve.cli.dry_run", lang) if dry_run else
                      text("reserve.cli.promoted", lang, n=len(result.promoted), year=year))
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``add``, ``carry-over`` and ``backfill`` to the ``reserve`` app."""
    app.command("add")(add_command)
    app.command("carry-over")(carry_over_command)
    app.command("backfill")(backfill_command)
