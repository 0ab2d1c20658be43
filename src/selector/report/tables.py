"""The report's tables as typed rows, shared by the CSV and Excel writers.

A :class:`Table` has a machine ``name`` (file names: ``selected.csv``), a ``title`` in the
report's language (sheet names), a header, rows, and the kind of every column, so each
writer formats it the same way: ``money`` (exact yuan, two decimals), ``count`` (whole
or two decimals), ``share`` (a fraction, shown as a percentage), ``score`` (two decimals),
``int`` and ``text``. Cells are ``str``, ``int``, ``float``, ``Decimal`` or ``None``;
text is not yet neutralised (the writers do that). Money of each funding pool is its own
column (never "fiscal: 12.50" text).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from selector.report.content import GroupRow, ProjectRow, Report

__all__ = ["Cell", "Kind", "Table", "public_table", "report_tables"]

Cell = str | int | float | Decimal | None
Kind = Literal["text", "money", "count", "share", "score", "int"]


@dataclass(frozen=True)
class Table:
    """A titled table: the header, the rows and the kind of each column."""

    name: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    kinds: tuple[Kind, ...] = ()
    total_row: bool = False
    notes: tuple[str, ...] = field(default=())

    def kind(self, col: int) -> Kind:
        """The kind of column ``col`` (text when not given)."""
        return self.kinds[col] if col < len(self.kinds) else "text"

    @property
    def money_columns(self) -> tuple[int, ...]:
        """The columns holding money."""
        return tuple(k for k in range(len(self.header)) if self.kind(k) == "money")


def _pool_cells(report: Report, row: ProjectRow) -> tuple[Decimal | None, ...]:
    return tuple(row.pools.get(p.name) for p in report.pools)


def _groups(report: Report, name: str, rows: Sequence[GroupRow]) -> Table:
    t = report.t
    return Table(
        name=name, title=t(name.replace(" ", "_")),
        header=(t("domain") if name == "by domain" else t("target_groups"), t("projects"),
                t("cost"), t("beneficiaries"), t("share_of_spend")),
        rows=tuple((g.label, g.count, g.cost, g.beneficiaries, g.cost_share) for g in rows),
        kinds=("text", "int", "money", "count", "share"),
        notes=(t("group_note"),) if name == "by target group" else (),
    )


def report_tables(report: Report) -> list[Table]:
    """The committee's tables: selected, reserve, ineligible (and by reason), by domain, by
    target group, rules."""
    t = report.t
    pools = tuple(p.label for p in report.pools)
    pool_kinds: tuple[Kind, ...] = tuple("money" for _ in pools)
    selected = Table(
        name="selected", title=t("selected"),
        header=(t("id"), t("title"), t("domain"), t("cost"), t("beneficiaries"),
                t("target_groups"), t("district"), *pools, t("start_month"), t("forced")),
        rows=tuple((r.id, r.title, r.domain_label, r.cost, r.beneficiaries,
                    t("list_sep").join(r.target_groups), r.district, *_pool_cells(report, r),
                    r.start_month, r.forced) for r in report.selected),
        kinds=("text", "text", "text", "money", "count", "text", "text",
               *pool_kinds, "int", "text"),
        total_row=True,
    )
    reserve = Table(
        name="reserve", title=t("reserve"),
        header=(t("rank"), t("id"), t("title"), t("domain"), t("cost"), t("beneficiaries"),
                t("score"), t("why_missed")),
        rows=tuple((r.rank, r.id, r.title, r.domain_label, r.cost, r.beneficiaries, r.score,
                    r.why_missed) for r in report.reserve),
        kinds=("int", "text", "text", "text", "money", "count", "score", "text"),
    )
    ineligible = Table(
        name="ineligible", title=t("ineligible"),
        header=(t("id"), t("title"), t("reasons")),
        rows=tuple((r.id, r.title, t("reason_sep").join(r.reasons)) for r in report.ineligible),
    )
    reasons = Table(
        name="ineligible by reason", title=t("ineligible_by_reason"),
        header=(t("reason"), t("projects")),
        rows=tuple((r.reason, r.count) for r in report.reasons),
        kinds=("text", "int"),
        notes=(t("reasons_note"),),
    )
    rules = Table(
        name="rules", title=t("rules_sheet"),
        header=(t("rule"), t("limit"), t("achieved"), t("met"), t("binding")),
        rows=tuple((r.rule, r.limit, r.achieved, t("yes") if r.met else t("no"),
                    t("yes") if r.binding else "") for r in report.rules),
    )
    return [selected, reserve, ineligible, reasons,
            _groups(report, "by domain", report.by_domain),
            _groups(report, "by target group", report.by_target_group), rules]


def public_table(report: Report) -> Table:
    """The list for publication: no scores, no internal notes."""
    t = report.t
    pools = tuple(p.label for p in report.pools)
    pool_kinds: tuple[Kind, ...] = tuple("money" for _ in pools)
    return Table(
        name="public", title=t("public_sheet"),
        header=(t("id"), t("title"), t("domain"), t("district"), t("target_groups"), t("cost"),
                t("beneficiaries"), *pools),
        rows=tuple((r.id, r.title, r.domain_label, r.district,
                    t("list_sep").join(r.target_groups), r.cost, r.beneficiaries,
                    *_pool_cells(report, r)) for r in report.selected),
        kinds=("text", "text", "text", "text", "text", "money", "count",
               *pool_kinds),
    )
