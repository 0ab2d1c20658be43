"""The Excel workbook (openpyxl): a summary sheet, then one sheet per report table.

Sheets: summary, selected, reserve, ineligible, by domain, by target group, rules. Money is
written as numbers with two decimals; the "selected" sheet ends with a total row. Every text
cell is neutralised (a title beginning with ``=`` stays text, never a formula).
"""

from __future__ import annotations

import io
import math
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from selector.report._cells import safe_text
from selector.report.content import Report
from selector.report.fmt import percent
from selector.report.tables import Cell, Table, report_tables

__all__ = ["report_workbook", "workbook_bytes"]

_MONEY = "#,##0.00"
_BOLD = Font(bold=True)


def _value(cell: Cell) -> str | int | float | None:
    if cell is None:
        return None
    if isinstance(cell, Decimal):
        return float(cell)
    if isinstance(cell, float) and not math.isfinite(cell):
        return None
    if isinstance(cell, int | float):
        return cell
    return safe_text(cell)


def _write(ws: Worksheet, table: Table, total_label: str) -> None:
    ws.append([safe_text(h) for h in table.header])
    for cell in ws[1]:
        cell.font = _BOLD
    for row in table.rows:
        ws.append([_value(v) for v in row])
    if table.total_row and table.money_columns:
        total: list[str | float | None] = [None] * len(table.header)
        total[0] = safe_text(total_label)
        for col in table.money_columns:
            amounts = [r[col] for r in table.rows]
            total[col] = float(sum((a for a in amounts if isinstance(a, Decimal)), Decimal(0)))
        ws.append(total)
        for cell in ws[ws.max_row]:
            cell.font = _BOLD
    for col in table.money_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
            cell.number_format = _MONEY
    for idx, head in enumerate(table.header, start=1):
        longest = max([len(str(head)), *(len(str(r[idx - 1] or "")) for r in table.rows[:200])])
        ws.column_dimensions[get_column_letter(idx)].width = min(60, max(8, longest + 2))
    ws.freeze_panes = "A2"


def report_workbook(report: Report) -> Workbook:
    """The report as an openpyxl workbook."""
    t = report.t
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "summary"
    rows: list[tuple[str, str | int | float | None]] = [
        (t("report_title"), safe_text(report.title)),
        (t("status"), report.status),
        (t("beneficiaries"), report.beneficiaries),
        (t("projects"), report.count),
        (t("spend"), float(report.total_cost)),
        (t("budget"), None if report.budget is None else float(report.budget)),
        (t("objective"), report.objective if math.isfinite(report.objective) else None),
        (t("bound"), report.bound if math.isfinite(report.bound) else None),
        (t("gap"), percent(report.gap, 4)),
    ]
    rows += [(f"{t('pool')} {p.name}", float(p.paid)) for p in report.pools]
    for key, value in rows:
        summary.append([safe_text(key), value])
    for row in (5, 6):
        summary.cell(row=row, column=2).number_format = _MONEY
    summary.column_dimensions["A"].width = 24
    summary.column_dimensions["B"].width = 24
    for table in report_tables(report):
        _write(wb.create_sheet(table.name), table, t("total"))
    return wb


def workbook_bytes(report: Report) -> bytes:
    """The workbook as .xlsx bytes."""
    buf = io.BytesIO()
    report_workbook(report).save(buf)
    return buf.getvalue()
