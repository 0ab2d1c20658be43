"""Pure formatting of command-line output (rich renderables and plain lines).

Every word from the catalogue (``cli.*``, ``report.*``), every number through
:mod:`selector.i18n`, every value from the input through :func:`~selector.cli._common.safe`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rich.table import Table

from selector.cli._common import safe
from selector.i18n import Lang, fmt_count, fmt_money, fmt_number, fmt_percent, t

if TYPE_CHECKING:
    from selector.report.content import Report

__all__ = ["reserve_line", "summary_table", "written_lines"]


def summary_table(report: Report) -> Table:
    """The headline figures of a selection as a small two-column table."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    lang, tr = report.lang, report.t

    def money(amount: object) -> str:
        return fmt_money(amount, lang, currency=report.currency)  # type: ignore[arg-type]

    status = tr(f"status_{report.status}")
    if math.isfinite(report.gap) and report.gap > 0:
        status += t("cli.select.gap", lang, gap=fmt_percent(report.gap, lang, 4))
    table.add_row(tr("status"), status)
    table.add_row(tr("projects"), fmt_number(report.count, lang))
    table.add_row(tr("beneficiaries"), fmt_count(report.beneficiaries, lang))
    spend = money(report.total_cost)
    if report.budget is not None:
        spend = t("cli.select.of", lang, part=spend, whole=money(report.budget))
    table.add_row(tr("spend"), spend)
    for pool in report.pools:
        table.add_row(f"  {safe(pool.label)}",
                      t("cli.select.of", lang, part=money(pool.paid), whole=money(pool.amount)))
    table.add_row(tr("ineligible"), fmt_number(len(report.ineligible), lang))
    binding = [safe(r.rule) for r in report.rules if r.binding]
    if binding:
        table.add_row(tr("binding"), t("cli.list_sep", lang).join(binding))
    p = report.provenance
    table.add_row(tr("solver"), t("cli.select.solver", lang, solver=safe(p.solver_text(lang)),
                                  seconds=fmt_number(p.seconds, lang, 2)))
    return table


def reserve_line(report: Report, asked: int, seconds: float) -> str:
    """What the reserve cost: how many were scored and explained, in how many seconds.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> reserve_line(SimpleNamespace(lang="en", reserve=(1, 2)), 5, 12.34)
    'Reserve: 2 of the 5 asked, scored and explained in 12.3 s'
    """
    return t("cli.select.reserve_cost", report.lang, n=len(report.reserve), asked=asked,
             seconds=fmt_number(seconds, report.lang, 1))


def written_lines(written: Mapping[str, object], lang: Lang) -> list[str]:
    """One line per file written.

    Examples
    --------
    >>> written_lines({"report.html": "out/report.html"}, "zh")
    ['已写入 out/report.html']
    """
    return [t("cli.wrote", lang, path=safe(path)) for path in written.values()]
