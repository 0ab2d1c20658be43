"""Formula-injection safety for cells written to CSV or Excel.

A spreadsheet program executes a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some programs, a leading tab or carriage return) as a formula. Every text cell the
writers of ``selector`` produce goes through :func:`neutralise_cell`, which puts one
apostrophe in front of such text; the loaders undo it with :func:`restore_text`, so
load → save → load gives the same proposals.

The rule is a bijection on text: a value matching ``'*[=+\\-@\\t\\r]...`` (any number of
apostrophes, then a dangerous character) gains one apostrophe on writing and loses one
on reading; every other value is left alone. Consequently a planner's own cell written
as ``'=SUM(A1)`` loads as ``=SUM(A1)`` (as Excel itself shows it), and text that starts
with apostrophes is kept intact.

Examples
--------
>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
>>> restore_text(neutralise_cell("-5 人"))
'-5 人'
>>> neutralise_cell("户外劳动者驿站"), neutralise_cell(12.5)
('户外劳动者驿站', 12.5)
"""

from __future__ import annotations

import re
from typing import TypeVar

import pandas as pd

__all__ = ["DANGEROUS_START", "neutralise_cell", "neutralise_series", "restore_series",
           "restore_text"]

#: Characters that make a spreadsheet treat a cell as a formula when they come first.
DANGEROUS_START = "=+-@\t\r"

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = r"^'+[=+\-@\t\r]"

T = TypeVar("T")


def neutralise_cell(value: T) -> T | str:
    """Make a text cell safe to open in a spreadsheet (non-text values pass through).

    Parameters
    ----------
    value:
        Any cell value.

    Returns
    -------
    The value, with one apostrophe prepended when it is text that a spreadsheet
    would run as a formula (see the module docstring).
    """
    if isinstance(value, str) and _NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore_text(text: str) -> str:
    """Undo :func:`neutralise_cell` on one loaded text cell."""
    if re.match(_QUOTED, text):
        return text[1:]
    return text


def neutralise_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`neutralise_cell` over a Series of text (missing values kept)."""
    text = series.astype(object)
    mask = text.map(lambda v: isinstance(v, str) and bool(_NEEDS_QUOTE.match(v))).astype(bool)
    if mask.any():
        text = text.copy()
        text[mask] = "'" + text[mask].astype(str)
    return text


def restore_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`restore_text` over a Series of loaded text (missing values kept)."""
    mask = series.str.contains(_QUOTED, regex=True, na=False).astype(bool)
    if not mask.any():
        return series
    out = series.copy()
    out[mask] = series[mask].str.slice(1)
    return out
