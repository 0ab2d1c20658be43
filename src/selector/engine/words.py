"""Structured sentences: a message key and its parameters, rendered in any language.

The engine never writes a sentence itself. A screening reason, a rule's description, a
conflict, an explanation is a :class:`Words` (a catalogue key of :mod:`selector.i18n` and
its parameters), rendered when someone reads it, in the reader's language. Parameters
keep their meaning until then, so each is shown in the language's own way:

============================  ====================================================
parameter                     shown as
============================  ====================================================
:class:`~decimal.Decimal`     money (yuan, exact): ``fmt_money`` of the call's currency
:class:`~fractions.Fraction`  a share: ``30%``
``int``                       a whole number: ``1,250``
``float``                     a number as written: ``0.3``, ``40``
:class:`Count`                a count of people or points: ``1,250``, ``12.35``, ``∞``
:class:`Label`                a value of a column (a domain's label from the taxonomy)
:class:`Column`               a column's name (in the reader's words when known)
:class:`Words`                a nested sentence (e.g. a rule inside a conflict)
``tuple``                     its items, listed (``A, B`` / ``A、B``)
``str``                       as given (ids, names, values from the input)
============================  ====================================================

Examples
--------
>>> from decimal import Decimal
>>> w = Words("rules.budget.words", {"budget": Decimal("100")})
>>> w.render("en"), w.render("zh")
('the budget of ¥100', '预算100元')
>>> str(w)
'the budget of ¥100'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from selector.i18n import Lang, fmt_count, fmt_money, fmt_number, fmt_percent, has, t
from selector.model import ProposalSet

__all__ = ["Column", "Count", "Label", "Words", "percent_text"]


@dataclass(frozen=True)
class Label:
    """A value of a column, shown with its taxonomy label when the column has one."""

    column: str
    value: str


@dataclass(frozen=True)
class Count:
    """A count of people or points (beneficiaries, an objective): whole with grouping,
    else two decimals."""

    value: float


@dataclass(frozen=True)
class Column:
    """A column's name, shown in the reader's words when the catalogue knows it
    (``rules.column.<name>``), else as written."""

    name: str


@dataclass(frozen=True)
class Words:
    """One sentence: a catalogue key and its parameters (see the module docstring).

    ``str()`` is the English rendering (for exception messages and logs).
    """

    key: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, lang: Lang = "en", proposals: ProposalSet | None = None) -> str:
        """The sentence in ``lang``; ``proposals`` gives taxonomy labels and the currency."""
        if not self.params:
            return t(self.key, lang)
        shown = {k: _shown(v, lang, proposals) for k, v in self.params.items()}
        return t(self.key, lang, **shown)

    def __str__(self) -> str:
        return self.render("en")


def percent_text(share: Fraction | float, lang: Lang) -> str:
    """A share as a percentage with the decimals it needs (``30%``, ``12.5%``).

    >>> percent_text(Fraction(3, 10), "en"), percent_text(0.125, "zh")
    ('30%', '12.5%')
    """
    value = Fraction(share) if isinstance(share, Fraction) else Fraction(str(share))
    digits = 0
    while digits < 4 and (value * 100 * 10**digits).denominator != 1:
        digits += 1
    return fmt_percent(float(value), lang, digits)


def _number(value: float) -> str:
    return f"{value:,.10g}" if abs(value) >= 10_000 else f"{value:g}"


def _shown(value: Any, lang: Lang, proposals: ProposalSet | None) -> str:
    """One parameter in ``lang`` (see the module docstring)."""
    if isinstance(value, Words):
        return value.render(lang, proposals)
    if isinstance(value, bool):
        raise TypeError("a message parameter cannot be a bool: give Words instead")
    if isinstance(value, Decimal):
        currency = "CNY" if proposals is None else proposals.currency
        return fmt_money(value, lang, currency=currency, decimals=None)
    if isinstance(value, Fraction):
        return percent_text(value, lang)
    if isinstance(value, int):
        return fmt_number(value, lang)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Count):
        return fmt_count(value.value, lang)
    if isinstance(value, Label):
        return _label(value, lang, proposals)
    if isinstance(value, Column):
        key = f"rules.column.{value.name}"
        return t(key, lang) if has(key) else value.name
    if isinstance(value, tuple | list):
        sep = "、" if lang == "zh" else ", "
        return sep.join(_shown(v, lang, proposals) for v in value)
    return str(value)


def _label(label: Label, lang: Lang, proposals: ProposalSet | None) -> str:
    if proposals is not None and label.column == "domain":
        return proposals.domains.label(label.value, lang)
    if proposals is not None and label.column == "target_groups":
        return proposals.target_groups.label(label.value, lang)
    return label.value
