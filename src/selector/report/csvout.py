"""CSV outputs (UTF-8 with BOM so spreadsheet programs read Chinese; cells neutralised)."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

from selector.report._cells import safe_text
from selector.report.tables import Cell, Table

__all__ = ["table_csv"]


def _cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        return repr(value) if value != int(value) else str(int(value))
    return safe_text(value)


def table_csv(table: Table) -> str:
    """A table as CSV text (no BOM; the writer adds it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue()
