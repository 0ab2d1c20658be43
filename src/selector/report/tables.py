"""The report's tables as plain rows (header + cells), shared by the CSV and Excel writers.

Cells are ``str``, ``int``, ``float``, ``Decimal`` or ``None``; text is not yet neutralised
(the writers do that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from selector.report.content import GroupRow, ProjectRow, Report

__all__ = ["Table", "public_table", "report_tables"]

Cell = str | int | float | Decimal | None


@dataclass(frozen=True)
class Table:
    """A titled table: the header and the rows."""

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    money_columns: tuple[int, ...] = ()
    total_row: bool = False


def _funded_by(row: ProjectRow) -> str:
    return "; ".join(f"{pool}: {amount}" for pool, amount in row.pools.items())


def _groups(report: Report, name: str, rows: Sequence[GroupRow]) -> Table:
    t = report.t
    return Table(
        name=name,
        header=(t("domain") if name == "by domain" else t("target_groups"), t("projects"),
                t("cost"), t("beneficiaries"), t("share_of_spend")),
        rows=tuple((g.label, g.count, g.cost, g.beneficiaries, round(g.cost_share, 6))
                   for g in rows),
        money_columns=(2,),
    )


def report_tables(report: Report) -> list[Table]:
    """The committee's tables: selected, reserve, ineligible, by domain, by target group, rules."""
    t = report.t
    selected = Table(
        name="selected",
        header=(t("id"), t("title"), t("domain"), t("cost"), t("beneficiaries"),
                t("target_groups"), t("district"), t("funded_by"), t("start_month"),
                t("forced")),
        rows=tuple((r.id, r.title, r.domain_label, r.cost, r.beneficiaries,
                    ", ".join(r.target_groups), r.district, _funded_by(r), r.start_month,
                    r.forced) for r in report.selected),
        money_columns=(3,),
        total_row=True,
    )
    reserve = Table(
        name="reserve",
        header=(t("rank"), t("id"), t("title"), t("domain"), t("cost"), t("beneficiaries"),
                t("score"), t("why_missed")),
        rows=tuple((r.rank, r.id, r.title, r.domain_label, r.cost, r.beneficiaries, r.score,
                    r.why_missed) for r in report.reserve),
        money_columns=(4,),
    )
    ineligible = Table(
        name="ineligible",
        header=(t("id"), t("title"), t("reasons")),
        rows=tuple((r.id, r.title, "; ".join(r.reasons)) for r in report.ineligible),
    )
    rules = Table(
        name="rules",
        header=(t("rule"), t("limit"), t("achieved"), t("met"), t("binding")),
        rows=tuple((r.rule, r.limit, r.achieved, t("yes") if r.met else t("no"),
                    t("yes") if r.binding else "") for r in report.rules),
    )
    return [selected, reserve, ineligible, _groups(report, "by domain", report.by_domain),
            _groups(report, "by target group", report.by_target_group), rules]


def public_table(report: Report) -> Table:
    """The list for publication: no scores, no internal notes."""
    t = report.t
    return Table(
        name="public",
        header=(t("id"), t("title"), t("domain"), t("district"), t("target_groups"), t("cost"),
                t("beneficiaries"), t("funded_by")),
        rows=tuple((r.id, r.title, r.domain_label, r.district, ", ".join(r.target_groups),
                    r.cost, r.beneficiaries, _funded_by(r)) for r in report.selected),
        money_columns=(5,),
    )
