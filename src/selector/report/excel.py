"""The Excel workbook (openpyxl): a summary sheet, one sheet per report table, the charts.

Built to be worked with: sheet names and headers in the report's language; every figure
is a typed number with its format (money ``#,##0.00`` with 元 or ¥, shares ``0.0%``, scores
``0.00``, counts ``#,##0``), never text; each funding pool is a column of its own; each
table has a frozen header row and an autofilter; the "selected" sheet ends with a total
row (values, no formula). The ineligible proposals are also counted by reason, and the
charts of the report are a sheet of pictures. Every text cell is neutralised (a title
beginning with ``=`` stays text, never a formula).
"""

from __future__ import annotations

import io
import math
import unicodedata
from collections.abc import Mapping
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from selector.report._cells import safe_text
from selector.report.content import Report
from selector.report.tables import Cell, Kind, Table, report_tables

__all__ = ["number_formats", "report_workbook", "sheet_title", "workbook_bytes"]

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_WRAP = Alignment(wrap_text=True, vertical="top")
_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


def number_formats(report: Report) -> dict[Kind, str]:
    """The Excel number format of each kind of column, for the report's language/currency.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> number_formats(SimpleNamespace(lang="zh", currency="CNY"))["money"]
    '#,##0.00"元"'
    """
    cny = report.currency.upper() in ("CNY", "RMB")
    money = ('#,##0.00"元"' if report.lang == "zh" else '"¥"#,##0.00') if cny else "#,##0.00"
    return {"money": money, "count": "#,##0", "share": "0.0%", "score": "0.00", "int": "0",
            "text": "@"}


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, no ``[]:*?/\\``)."""
    base = safe_text(text).translate(_FORBIDDEN).strip("'")[:31] or "sheet"
    name, k = base, 2
    while name.lower() in {t.lower() for t in taken}:
        name = f"{base[:28]} {k}"
        k += 1
    taken.add(name)
    return name


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


def _width(value: object) -> int:
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _write(ws: Worksheet, table: Table, formats: Mapping[Kind, str], total_label: str) -> None:
    """One report table as a sheet: bold header, the rows, a total row when the table
    asks for one, each column's format and width, the notes; header frozen."""
    ws.append([safe_text(h) for h in table.header])
    for cell in ws[1]:
        cell.font = _BOLD
    for row in table.rows:
        ws.append([_value(v) for v in row])
    last = ws.max_row
    if table.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table.header))}{last}"
    if table.total_row and table.rows:
        _total_row(ws, table, total_label)
    for col in range(len(table.header)):
        _format_column(ws, table, col, formats)
    for note in table.notes:
        ws.append([])
        ws.append([safe_text(note)])
    ws.freeze_panes = "A2"


def _total_row(ws: Worksheet, table: Table, total_label: str) -> None:
    """The totals of the money and count columns (values, no formula), in bold."""
    total: list[str | float | None] = [None] * len(table.header)
    total[0] = safe_text(total_label)
    for col in table.money_columns:
        amounts = [a for r in table.rows if isinstance(a := r[col], Decimal)]
        total[col] = float(sum(amounts, Decimal(0)))
    for col, kind in enumerate(table.kinds):
        if kind == "count":
            total[col] = float(sum(float(r[col] or 0) for r in table.rows))
    ws.append(total)
    for cell in ws[ws.max_row]:
        cell.font = _BOLD


def _format_column(ws: Worksheet, table: Table, col: int, formats: Mapping[Kind, str]) -> None:
    """Column ``col``'s number format (counts with decimals when not all whole), wrapped
    text, and a width that fits its first 200 cells."""
    kind = table.kind(col)
    whole = all(isinstance(r[col], int | None) or (isinstance(r[col], float) and
                float(r[col]).is_integer()) for r in table.rows)  # type: ignore[arg-type]
    fmt = formats[kind] if kind != "count" or whole else "#,##0.00"
    for (cell,) in ws.iter_rows(min_row=2, min_col=col + 1, max_col=col + 1):
        if kind == "text":
            cell.alignment = _WRAP
        else:
            cell.number_format = fmt
    longest = max([_width(table.header[col]), *(_width(r[col]) for r in table.rows[:200])])
    if kind == "money":
        longest = max(longest, 16)
    ws.column_dimensions[get_column_letter(col + 1)].width = min(60, max(8, longest + 2))


def _summary(ws: Worksheet, report: Report, formats: Mapping[Kind, str]) -> None:
    t = report.t
    ws.append([safe_text(report.title)])
    ws["A1"].font = _TITLE
    ws.append([t("generated_at"), report.provenance.generated_text(report.lang)])
    ws.append([])
    rows: list[tuple[str, str | int | float | None, Kind]] = [
        (t("status"), t(f"status_{report.status}"), "text"),
        (t("projects"), report.count, "int"),
        (t("beneficiaries"), report.beneficiaries, "count"),
        (t("spend"), float(report.total_cost), "money"),
        (t("budget"), None if report.budget is None else float(report.budget), "money"),
        (t("objective"), report.objective if math.isfinite(report.objective) else None,
         "count"),
        (t("bound"), report.bound if math.isfinite(report.bound) else None, "count"),
        (t("gap"), report.gap if math.isfinite(report.gap) else None, "share"),
        (t("ineligible"), len(report.ineligible), "int"),
    ]
    for key, value, kind in rows:
        ws.append([key, value])
        if kind != "text":
            ws.cell(row=ws.max_row, column=2).number_format = (
                "0.0000%" if key == t("gap") else formats[kind])
    if report.pools:
        ws.append([])
        ws.append([t("pool"), t("paid"), t("amount"), t("pool_used")])
        for cell in ws[ws.max_row]:
            cell.font = _BOLD
        for pool in report.pools:
            ws.append([safe_text(pool.label), float(pool.paid), float(pool.amount), pool.share])
            for col, kind in ((2, "money"), (3, "money"), (4, "share")):
                ws.cell(row=ws.max_row, column=col).number_format = formats[kind]
    for letter, width in (("A", 26), ("B", 30), ("C", 20), ("D", 12)):
        ws.column_dimensions[letter].width = width


def report_workbook(report: Report, charts: Mapping[str, bytes] | None = None) -> Workbook:
    """The report as an openpyxl workbook (``charts``: PNG bytes by chart key, optional)."""
    formats = number_formats(report)
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    taken: set[str] = set()
    summary.title = sheet_title(report.t("summary_sheet"), taken)
    _summary(summary, report, formats)
    for table in report_tables(report):
        _write(wb.create_sheet(sheet_title(table.title, taken)), table, formats,
               report.t("total"))
    if charts:
        ws = wb.create_sheet(sheet_title(report.t("charts"), taken))
        row = 1
        for key, png in charts.items():
            ws.cell(row=row, column=1, value=report.t(key)).font = _BOLD
            picture = Image(io.BytesIO(png))
            ws.add_image(picture, f"A{row + 1}")
            row += 2 + int(picture.height / 20)
    return wb


def workbook_bytes(report: Report, charts: Mapping[str, bytes] | None = None) -> bytes:
    """The workbook as .xlsx bytes."""
    buf = io.BytesIO()
    report_workbook(report, charts).save(buf)
    return buf.getvalue()
