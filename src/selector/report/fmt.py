"""Pure formatting of numbers for the reports.

Examples
--------
>>> money(Decimal("1234567.5"))
'1,234,567.50'
>>> number(12345.0)
'12,345'
>>> percent(0.3)
'30.0%'
"""

from __future__ import annotations

import math
from decimal import Decimal

__all__ = ["money", "number", "percent"]


def money(value: Decimal | None) -> str:
    """Exact money with two decimals and thousands separators ('–' for none)."""
    if value is None:
        return "–"
    return f"{Decimal(value).quantize(Decimal('0.01')):,}"


def number(value: float | None, digits: int = 0) -> str:
    """A count or estimate with thousands separators ('–' for none or NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def percent(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage ('–' for none or NaN)."""
    if value is None or math.isnan(value):
        return "–"
    return f"{100 * value:.{digits}f}%"
