"""CSV outputs (UTF-8 with BOM so spreadsheet programs read Chinese; cells neutralised).

Numbers stay numbers a program can read back: money with two decimals (exact), shares as
fractions with six decimals, scores with four, counts whole when they are whole.
"""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

from selector.report._cells import safe_text
from selector.report.tables import Cell, Kind, Table

__all__ = ["table_csv"]


def _cell(value: Cell, kind: Kind) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, bool) or isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if kind == "share":
            return f"{value:.6f}"
        if kind == "score":
            return f"{value:.4f}"
        return str(int(value)) if value == int(value) else repr(value)
    return safe_text(value)


def table_csv(table: Table) -> str:
    """A table as CSV text (no BOM; the writer adds it)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_text(h) for h in table.header])
    for row in table.rows:
        writer.writerow([_cell(v, table.kind(k)) for k, v in enumerate(row)])
    return buf.getvalue()
