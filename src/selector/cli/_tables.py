"""Pure helpers that turn the library's tables into command-line output.

JSON-ready records, safe CSV files (formula cells neutralised) and rich tables (every
cell shown as text, never as rich markup). Nothing here solves or reads input files.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table

from selector.atomic import replacing
from selector.text_columns import neutralise_series

__all__ = ["jsonable", "records", "rich_table", "rows_of", "write_csv"]


def jsonable(value: Any) -> Any:
    """One cell as JSON-ready data: exact money as text, NaN as ``None``, tuples as lists.

    Examples
    --------
    >>> jsonable(Decimal("12.50")), jsonable(float("nan")), jsonable(("a", np.int64(2)))
    ('12.50', None, ['a', 2])
    """
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list | set | frozenset | np.ndarray):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (see :func:`jsonable`).

    Examples
    --------
    >>> records(pd.DataFrame({"budget": [Decimal("1")], "ids": [("A", "B")]}))
    [{'budget': '1', 'ids': ['A', 'B']}]
    """
    columns = [str(c) for c in frame.columns]
    return [{c: jsonable(v) for c, v in zip(columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def rows_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as plain dicts of its own values (for formatting)."""
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, row, strict=True))
            for row in frame.itertuples(index=False, name=None)]


def _cell_text(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return " | ".join(str(v) for v in value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def write_csv(frame: pd.DataFrame, target: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with a byte-order mark (opens in Excel).

    Lists become ``a | b`` text; text cells a spreadsheet would run as a formula are
    neutralised (:func:`selector.io.neutralise_cell`). ``target`` is taken literally.
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = neutralise_series(out[col].map(_cell_text))
    with replacing(target) as part:   # whole or not at all
        out.to_csv(part, index=False, encoding="utf-8-sig")
    return target


def rich_table(headers: Sequence[str], rows: Iterable[Sequence[str]], *,
               right: Sequence[int] = (), wrap: Sequence[int] = ()) -> Table:
    """A plain rich table (no markup is interpreted in cells).

    Columns in ``right`` are right-aligned; only the columns in ``wrap`` (titles, lists of
    ids) may wrap onto several lines, the others stay on one.
    """
    body = [list(row) for row in rows]
    table = Table(box=None, pad_edge=False, show_edge=False, highlight=False)
    for k, header in enumerate(headers):
        keep = None if k in wrap else max([cell_len(header), *(cell_len(r[k]) for r in body)])
        table.add_column(header, justify="right" if k in right else "left",
                         overflow="fold", min_width=keep)
    for row in body:
        table.add_row(*(escape(cell) for cell in row))
    return table
