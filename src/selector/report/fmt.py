"""Language-neutral figures for callers that have no language yet (kept for one release).

Thin wrappers over the ONE formatter, :mod:`selector.i18n` (``fmt_number``,
``fmt_percent``), with the digits of the English locale: ``report/rulecheck.py`` and
``cli/_reserve_runs.py`` still call these; new code calls :func:`selector.i18n.fmt_money`
etc. with the reader's language. Remove this module when no caller is left.

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

from decimal import Decimal

from selector.i18n import fmt_number, fmt_percent

__all__ = ["money", "number", "percent"]


def money(value: Decimal | None) -> str:
    """Exact money with two decimals and thousands separators ('–' for none)."""
    return fmt_number(value, "en", 2)


def number(value: float | None, digits: int = 0) -> str:
    """A count or estimate with thousands separators ('–' for none or NaN)."""
    return fmt_number(value, "en", digits)


def percent(value: float | None, digits: int = 1) -> str:
    """A fraction as a percentage ('–' for none or NaN)."""
    return fmt_percent(value, "en", digits)
