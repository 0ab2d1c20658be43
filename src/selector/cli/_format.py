"""Pure formatting of command-line output (rich renderables and plain lines)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from rich.table import Table

from selector._errors import InputProblem
from selector.report.content import Report
from selector.report.fmt import money, number, percent

__all__ = ["problem_lines", "summary_table", "written_lines"]


def problem_lines(source: str, problems: Iterable[InputProblem]) -> list[str]:
    """One line per problem, prefixed by the file it was found in.

    Examples
    --------
    >>> problem_lines("p.csv", [InputProblem("must be >= 0", row=3, column="cost", value="-5")])
    ["p.csv: row 3, column 'cost': must be >= 0 (got '-5')"]
    """
    return [f"{source}: {p}" for p in problems]


def summary_table(report: Report) -> Table:
    """The headline figures of a selection as a small two-column table."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    t = report.t
    table.add_row(t("status"), t(f"status_{report.status}")
                  + (f" (gap {percent(report.gap, 4)})" if math.isfinite(report.gap)
                     and report.gap > 0 else ""))
    table.add_row(t("projects"), str(report.count))
    table.add_row(t("beneficiaries"), number(report.beneficiaries))
    budget = "" if report.budget is None else f" / {money(report.budget)}"
    table.add_row(t("spend"), f"{money(report.total_cost)}{budget} {report.currency}")
    for pool in report.pools:
        table.add_row(f"  {pool.name}", f"{money(pool.paid)} / {money(pool.amount)}")
    table.add_row(t("ineligible"), str(len(report.ineligible)))
    binding = [r.rule for r in report.rules if r.binding]
    if binding:
        table.add_row(t("binding"), "; ".join(binding))
    table.add_row(t("solver"), f"{report.provenance.solver} {report.provenance.solver_version}"
                  f" · {number(report.provenance.seconds, 2)} s")
    return table


def written_lines(written: Mapping[str, object]) -> list[str]:
    """One line per file written."""
    return [f"wrote {path}" for path in written.values()]
