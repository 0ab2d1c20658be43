"""``selector reserve add|carry-over|backfill``: the reserve commands that solve.

``add`` selects, scores the runner-ups and records the year's reserve
(:func:`selector.reserve.reserve_year`); ``carry-over`` merges earlier years' reserve into
the next year's proposals (:func:`selector.reserve.carry_over`) and writes that pool;
``backfill`` re-optimises freed money over the reserve (:func:`selector.reserve.backfill`).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Group
from rich.text import Text

from selector._errors import ReserveError, SolverError
from selector.cli._common import EXIT_OK, err_console, out_console, write_json
from selector.cli._common import money_option as parse_money  # the one --budget parser
from selector.cli._reserve import DEFAULT_DB, Db, JsonOut, entries_view, open_store
from selector.cli._select import load_inputs, solve_with_progress
from selector.cli._tables import records, rich_table
from selector.engine import Model, default_budget
from selector.io import load_proposals, save_proposals
from selector.io._write import WRITE_FORMATS
from selector.report.fmt import money, number
from selector.reserve import (
    Backfill,
    CarryOver,
    ReserveStore,
    RollingPolicy,
    ScoringConfig,
    backfill,
    carry_over,
    entries_frame,
    reserve_year,
    score_runner_ups,
)
from selector.result import Selection

__all__ = ["backfill_view", "carry_over_notes", "parse_spent", "register"]

Solver = Literal["cbc", "highs"]

InputArg = Annotated[Path, typer.Argument(
    metavar="INPUT", help="Proposals: CSV, Excel, JSON, Parquet or Pabulib .pb.")]
RulesOpt = Annotated[Path | None, typer.Option("--rules", "-r", help="A TOML rules file.")]
YearOpt = Annotated[int, typer.Option("--year", "-y", help="The plan year.")]
BudgetOpt = Annotated[str | None, typer.Option(
    "--budget", "-b", metavar="YUAN", help="Total budget; overrides the rules and the file.")]
SolverOpt = Annotated[Solver, typer.Option("--solver", help="cbc or highs.")]
DecayOpt = Annotated[float, typer.Option(
    "--decay", min=0.0, max=1.0, help="Yearly ageing factor of scores, in (0, 1].")]


def _check_decay(decay: float) -> None:
    if decay <= 0:
        raise typer.BadParameter(f"--decay must be in (0, 1], got {decay}")


def _solve(input_path: Path, rules_path: Path | None, budget: str | None, solver: Solver,
           time_limit: float | None) -> tuple[Model, Selection]:
    amount = parse_money(budget)
    proposals, rules = load_inputs(input_path, rules_path)
    model = Model.build(proposals, rules, budget=default_budget(proposals, rules, amount),
                        solver=solver)
    return model, solve_with_progress(model, solver, time_limit, None)


def add_command(
    input_path: InputArg,
    year: YearOpt,
    rules_path: RulesOpt = None,
    budget: BudgetOpt = None,
    solver: SolverOpt = "cbc",
    time_limit: Annotated[float | None, typer.Option(
        "--time-limit", min=0.0, help="Stop the solver after this many seconds.")] = None,
    top: Annotated[int, typer.Option(
        "--top", min=1, help="Size of the reserve: the N best-scored runner-ups.")] = 30,
    threshold: Annotated[float | None, typer.Option(
        "--threshold", min=0.0, max=1.0, help="Only runner-ups scoring at least this.")] = None,
    decay: DecayOpt = 0.8,
    reason: Annotated[str, typer.Option("--reason", help="Note kept in the history.")] = "",
    db: Db = DEFAULT_DB,
    json_out: JsonOut = None,
) -> int:
    """Select, score the runner-ups and record the year's reserve in the store.

    Solves INPUT under the rules (as `selector select` does), scores every eligible proposal
    left out (beneficiaries per yuan, review scores, the beneficiaries lost if forced in, the
    budget at which it would enter; the last two by re-solving the --top best on the first
    two) and records the run with the best --top as the year's reserve. Entries of this
    year's reserve that the selection chose are marked promoted; the others that fell out
    expire. The store (--db) is created when missing.

    Examples:

        selector reserve add examples/proposals.csv -r examples/rules.toml --year 2026

        selector reserve add pool-2027.csv -r rules.toml --year 2027 --top 20 --db reserve.sqlite
    """
    _check_decay(decay)
    model, base = _solve(input_path, rules_path, budget, solver, time_limit)
    if not base.is_optimal:
        raise SolverError(f"the selection is not proven optimal (gap {base.gap:.2g}); the "
                          "reserve is scored against the optimum: allow more --time-limit",
                          solver_status=base.status.value)
    config = ScoringConfig(top_n=top, threshold=threshold, resolve_limit=top)
    with err_console().status("scoring the runner-ups…", spinner="dots"):
        ranked = score_runner_ups(model, base, config)
    with open_store(db, create=True) as store:  # opened once the inputs are known good
        reserve_year(store, year, base, ranked, decay=decay, reason=reason)
        frame = entries_frame(store, year)
    write_json({"year": year, "selection": base.to_dict(), "reserve": records(frame)}, json_out)
    if str(json_out) != "-":
        console = out_console()
        console.print(f"{year}: selected {base.count} projects, {number(base.beneficiaries)} "
                      f"beneficiaries, {money(base.total_cost)} spent; "
                      f"{len(ranked.reserve)} runner-ups reserved", markup=False)
        console.print(entries_view(frame, empty=f"the {year} reserve is empty"))
    return EXIT_OK


def carry_over_command(
    input_path: Annotated[Path, typer.Argument(
        metavar="INPUT", help="The new year's proposals.")],
    year: Annotated[int, typer.Option("--year", "-y", help="The new plan year.")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="Write the merged pool here (.csv, .xlsx, .json, .parquet).")],
    decay: DecayOpt = 0.8,
    expire_after: Annotated[int, typer.Option(
        "--expire-after", min=1, help="Entries expire after this many years in the reserve.")
    ] = 3,
    keep_stored: Annotated[bool, typer.Option(
        "--keep-stored", help="A re-submitted proposal keeps its stored cost and estimates.")
    ] = False,
    db: Db = DEFAULT_DB,
) -> int:
    """Carry earlier years' reserve into a new year and merge it with the new proposals.

    Every reserved entry of an earlier year either expires (--expire-after) or moves to
    --year with its score aged by --decay per year. A proposal submitted again (same id, or
    the same title up to spacing, punctuation and case) appears once, under its new id and
    with its new cost and estimates. The merged pool is written to --out: select from it with
    `selector reserve add OUT --year YEAR`, which promotes the reserve entries that win.

    Examples:

        selector reserve carry-over proposals-2027.csv --year 2027 --out pool-2027.csv
    """
    _check_decay(decay)
    if out.suffix.lower() not in WRITE_FORMATS:
        raise typer.BadParameter(f"--out must end in {', '.join(WRITE_FORMATS)}, got {out.name!r}")
    new = load_proposals(input_path)
    with open_store(db) as store:
        pending = [e for e in store.entries(status="reserved") if e.year < year]
        already = store.entries(year, "reserved")
        policy = RollingPolicy(decay=decay, expire_after=expire_after,
                               update_resubmissions=not keep_stored)
        result = carry_over(store, year, new, policy)
    pool = result.pool
    if out.parent != Path():
        out.parent.mkdir(parents=True, exist_ok=True)
    save_proposals(pool, out)
    console = out_console()
    for note in carry_over_notes(result):
        err_console().print(f"note: {note}", markup=False)
    console.print(f"carried {len(result.carried)} entries into {year}, {len(result.expired)} "
                  f"expired, {len(result.resubmitted)} re-submitted under a new id; "
                  f"pool of {len(pool)} proposals", markup=False)
    for old, new_id in result.resubmitted.items():
        console.print(f"  {old} is re-submitted as {new_id}", markup=False)
    if result.without_snapshot:
        err_console().print(f"warning: no stored data for {', '.join(result.without_snapshot)}"
                            ": not in the pool", markup=False)
    if not pending and already:
        err_console().print(f"warning: nothing left to carry; {len(already)} entries were "
                            f"carried into {year} before and are not in this pool", markup=False)
    console.print(f"wrote {out}", markup=False)
    return EXIT_OK


def carry_over_notes(result: CarryOver) -> list[str]:
    """One line for each reference :func:`selector.reserve.carry_over` settled (pure).

    Examples
    --------
    >>> from selector.model import Proposal, ProposalSet
    >>> pool = ProposalSet.from_proposals([Proposal(id="A", domain="health", cost=1,
    ...                                             beneficiaries=1)])
    >>> for note in carry_over_notes(CarryOver(pool, [], [], {}, (), left_out={"B": ("gone",)},
    ...                                        requirements_met={"A": ("done",)})):
    ...     print(note)
    B left out: it requires gone, which is not among the proposals
    A requires done, funded in an earlier year: requirement met
    """
    return ([f"{pid} left out: it requires {', '.join(refs)}, which is not among the "
             "proposals" for pid, refs in result.left_out.items()]
            + [f"{pid} requires {', '.join(refs)}, funded in an earlier year: requirement met"
               for pid, refs in result.requirements_met.items()])


def parse_spent(items: list[str]) -> dict[str, Decimal]:
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
            raise typer.BadParameter(f"--spent must be ID=AMOUNT, got {item!r}")
        value = parse_money(amount, f"--spent {pid}")
        if value is not None:
            out[pid] = value
    return out


def _check_recorded(store: ReserveStore, year: int, base: Selection) -> None:
    """Refuse a base selection that differs from the one recorded for ``year``."""
    runs = [r for r in store.runs(year) if r.kind == "selection"]
    if not runs:
        return
    recorded = [str(i) for i in runs[-1].result.get("selected", [])]
    if recorded != list(base.selected):
        raise ReserveError(
            f"INPUT and the rules do not reproduce the {year} selection recorded in the store "
            f"({len(recorded)} projects, run {runs[-1].id}); give the same proposals, rules "
            "and budget as `selector reserve add`")


def backfill_view(result: Backfill) -> Group:
    """What a backfill frees and who replaces it (pure formatting)."""
    sel = result.selection
    rows = []
    for pid in result.replacements:
        p = sel.proposals[pid]
        rows.append([pid, p.title, money(p.cost), number(p.beneficiaries)])
    earlier = (f"after {result.earlier} earlier backfill{'s' if result.earlier > 1 else ''}: "
               if result.earlier else "")
    head = (f"{earlier}freed {money(result.freed)} (cancelled: "
            f"{', '.join(result.cancelled) or '–'}); {money(result.available)} available for "
            f"replacements; budget {money(result.budget)}; the list now has {sel.count} "
            f"projects, {number(sel.beneficiaries)} beneficiaries, {money(sel.total_cost)} spent")
    parts: list[Any] = [Text(head)]
    if rows:
        plural = "replacement" if len(rows) == 1 else "replacements"
        parts += [Text(f"{len(rows)} {plural} from the reserve:"),
                  rich_table(["id", "title", "cost", "beneficiaries"], rows, right=(2, 3),
                             wrap=(1,))]
    else:
        parts.append(Text("no reserve entry fits the freed money and the rules"))
    return Group(*parts)


def backfill_command(
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
) -> int:
    """Refill the year's list from the reserve when projects are cancelled or under-spend.

    INPUT, --rules and --budget must be those of the year's selection (`selector reserve
    add`); the command checks that they reproduce the recorded list. The freed money is
    re-optimised over the year's reserve under the same rules, with the projects under way
    kept; the replacements are promoted in the store with a record of the run. Run it again
    for a later cancellation: it starts from the list the previous backfill left (its
    replacements under way, its cancellations and spends in effect, unspent money kept).

    Examples:

        selector reserve backfill examples/proposals.csv -r examples/rules.toml --year 2026 --cancel 2026-0002

        selector reserve backfill pool.csv -r rules.toml -y 2026 --spent 2026-0007=50000 --dry-run
    """
    cancelled = list(cancel or [])
    actual = parse_spent(list(spent or []))
    more = parse_money(extra, "--extra") or Decimal(0)
    if not cancelled and not actual and not more:
        raise typer.BadParameter("give --cancel, --spent or --extra: nothing is freed")
    with open_store(db) as store:
        _, base = _solve(input_path, rules_path, budget, solver, None)
        _check_recorded(store, year, base)
        with err_console().status("re-optimising over the reserve…", spinner="dots"):
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
        console.print(backfill_view(result))
        console.print("dry run: nothing recorded" if dry_run else
                      f"promoted {len(result.promoted)} entries of the {year} reserve",
                      markup=False)
    return EXIT_OK


def register(app: typer.Typer) -> None:
    """Add ``add``, ``carry-over`` and ``backfill`` to the ``reserve`` app."""
    app.command("add")(add_command)
    app.command("carry-over")(carry_over_command)
    app.command("backfill")(backfill_command)
