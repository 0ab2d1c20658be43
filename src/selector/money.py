"""Money: one type, one parser, one conversion to fen.

Money is exact: amounts are :class:`~decimal.Decimal` yuan at the edges and integer fen
(minor units, 1 yuan = 100 fen) inside the engine. Every amount a planner types — a cell
of a proposals file, a rules file, ``--budget`` on the command line, an argument of the
Python API — goes through :func:`parse_money_column` (a column at once) or
:func:`parse_money` (one value, the same grammar), and is shown with
:func:`selector.i18n.fmt_money`.

Grammar of an amount in yuan::

    120000            1200000.50        1,200,000.50      ¥120000   ￥120000   RMB 120000
    120000元          12万              12.5万元

- at most two decimals of a yuan (fen); ``万`` multiplies by 10,000 (then up to six);
- a currency sign or code before, ``元`` after; spaces, ``_`` and ``,`` between digits;
- no sign, exponent, NaN or infinity.

Examples
--------
>>> parse_money("1,200,000.50"), parse_money("12万"), parse_money(99)
(Decimal('1200000.5'), Decimal('120000'), Decimal('99'))
>>> to_fen("12.34"), from_fen(1234)
(1234, Decimal('12.34'))
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BeforeValidator

from selector._errors import InputProblem, InvalidInputError

__all__ = [
    "MAX_YUAN",
    "Money",
    "MoneyLike",
    "from_fen",
    "parse_money",
    "parse_money_column",
    "to_fen",
]

#: What may be passed where an amount of money is expected.
MoneyLike = Decimal | int | float | str
#: Significant digits an amount (in fen) may have on the exact path (float64 below).
_MAX_DIGITS = 17
#: The largest amount accepted anywhere, in yuan (documented ceiling: one trillion yuan).
MAX_YUAN = Decimal(10) ** 12


def parse_money_column(text: pd.Series, exponent: int = 0
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Exact amounts in minor units (fen) from a column of text, all cells at once.

    ``exponent`` is the power of ten of the column's unit (0 yuan, 4 for 万元, -2 fen).
    Returns ``(minor, problems)`` where ``problems`` maps a kind (``"format"``,
    ``"negative"``, ``"decimals"``, ``"large"``) to a mask of bad cells.

    Plain amounts (at most 15 significant digits) are converted through float64, which
    is exact at that size; everything else takes the exact text path.
    """
    k = exponent + 2
    plain_pattern = rf"\d{{1,{15 - k}}}" + (rf"(?:\.\d{{1,{k}}})?" if k > 0 else "")
    digits = _ascii_digits(text, 15 - k)  # most cells: whole amounts, checked without regex
    plain = digits.copy()
    rest = text.notna().to_numpy() & ~digits
    if rest.any():
        plain[rest] = text[rest].str.fullmatch(plain_pattern).to_numpy(dtype=bool,
                                                                       na_value=False)
    minor = np.zeros(len(text), dtype=np.int64)
    none = np.zeros(len(text), dtype=bool)
    kinds = {"format": none, "negative": none, "decimals": none, "large": none}
    if plain.any():
        number = pd.to_numeric(text[plain]).to_numpy(dtype=np.float64)
        minor[plain] = np.rint(number * 10.0**k).astype(np.int64)
    rest = text.notna().to_numpy() & ~plain
    if rest.any():
        slow, slow_kinds = _parse_money_text(text[rest], exponent)
        minor[rest] = slow
        for kind, mask in slow_kinds.items():
            full = np.zeros(len(text), dtype=bool)
            full[rest] = mask
            kinds[kind] = full
    return minor, kinds


def _ascii_digits(text: pd.Series, longest: int) -> np.ndarray:
    """Mask of cells made of 1 to ``longest`` ASCII digits (all false unless Arrow-backed)."""
    if not (isinstance(text.dtype, pd.StringDtype) and text.dtype.storage == "pyarrow"):
        return np.zeros(len(text), dtype=bool)
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(text.array)
    ok = pc.and_kleene(pc.ascii_is_decimal(array),
                       pc.less_equal(pc.binary_length(array), longest))
    return np.asarray(pc.fill_null(ok, False).to_numpy(zero_copy_only=False), dtype=bool)


def _parse_money_text(text: pd.Series, exponent: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    cleaned = text.str.replace(r"[,，\s_]", "", regex=True).str.replace(
        r"^(?:¥|￥|RMB|CNY|rmb|cny)", "", regex=True)
    wan = cleaned.str.contains(r"万元?$", regex=True).to_numpy(dtype=bool, na_value=False)
    cleaned = cleaned.str.replace(r"(?:万元|万|元)$", "", regex=True)
    parts = cleaned.str.extract(r"^(?P<sign>-?)(?P<int>\d+)(?:\.(?P<frac>\d+))?$")
    present = text.notna().to_numpy()
    matched = parts["int"].notna().to_numpy()
    negative = matched & (parts["sign"] == "-").to_numpy(dtype=bool, na_value=False)
    digits = np.full(len(text), exponent + 2) + 4 * wan  # decimals of a yuan-unit allowed
    int_len = parts["int"].str.len().to_numpy(dtype=np.float64, na_value=0)
    frac = parts["frac"].fillna("")
    frac_len = frac.str.len().to_numpy(dtype=np.float64, na_value=0)
    too_precise = matched & (frac_len > digits)
    too_large = matched & (int_len + digits > _MAX_DIGITS)
    ok = matched & ~negative & ~too_precise & ~too_large
    minor = np.zeros(len(text), dtype=np.int64)
    for k in np.unique(digits[ok]):
        rows = ok & (digits == k)
        whole = parts["int"][rows].astype("int64").to_numpy(dtype=np.int64)
        fraction = frac[rows].str.ljust(int(k), "0").str.slice(0, int(k)) if k > 0 else None
        minor[rows] = whole * 10 ** int(k) + (
            fraction.replace("", "0").astype("int64").to_numpy(dtype=np.int64)
            if fraction is not None else 0)
    return minor, {
        "format": present & ~matched,
        "negative": negative,
        "decimals": too_precise & ~negative,
        "large": too_large & ~negative & ~too_precise,
    }


_WORDS = {  # kind of problem -> what the planner reads (English; the catalogue comes later)
    "format": "must be an amount of money such as 120000, 1,200,000.50 or 12万",
    "negative": "must not be negative",
    "decimals": "has more than two decimals of a yuan (fen)",
    "large": "is larger than the largest amount accepted",
}


def _as_text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else str(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def parse_money(value: MoneyLike, what: str = "amount") -> Decimal:
    """One amount of yuan, exact, with the grammar of :func:`parse_money_column`.

    Raises :class:`~selector.InvalidInputError` (naming ``what``) when it is not an
    amount of money, is negative, has more than two decimals or exceeds
    :data:`MAX_YUAN`.
    """
    if isinstance(value, bool):
        raise InvalidInputError(InputProblem(_WORDS["format"], column=what, value=str(value)))
    shown = _as_text(value)
    minor, kinds = parse_money_column(pd.Series([shown], dtype="str"))
    for kind, mask in kinds.items():
        if mask[0]:
            raise InvalidInputError(InputProblem(_WORDS[kind], column=what, value=shown[:80]))
    amount = from_fen(int(minor[0]))
    if amount > MAX_YUAN:
        raise InvalidInputError(InputProblem(_WORDS["large"], column=what, value=shown[:80]))
    return amount


def to_fen(value: MoneyLike, what: str = "amount", *,
           rounding: Literal["exact", "floor", "ceiling"] = "exact") -> int:
    """An amount of yuan in integer fen.

    ``rounding="exact"`` (default) parses ``value`` as :func:`parse_money` does; "floor"
    and "ceiling" take a computed :class:`~decimal.Decimal` (such as a threshold found by
    a search) to a whole fen.

    >>> to_fen("1234.56"), to_fen(Decimal("0.125"), rounding="floor")
    (123456, 12)
    """
    if rounding == "exact":
        return int(parse_money(value, what) * 100)
    try:
        fen = Decimal(_as_text(value)) * 100
    except InvalidOperation:
        raise InvalidInputError(InputProblem(_WORDS["format"], column=what,
                                             value=_as_text(value)[:80])) from None
    if not fen.is_finite():
        raise InvalidInputError(InputProblem(_WORDS["format"], column=what,
                                             value=_as_text(value)[:80]))
    return int(fen.to_integral_value(rounding=ROUND_FLOOR if rounding == "floor"
                                     else ROUND_CEILING))


def from_fen(fen: int | np.integer[Any]) -> Decimal:
    """Exact yuan of ``fen`` minor units.

    >>> from_fen(123456), from_fen(1000)
    (Decimal('1234.56'), Decimal('10'))
    """
    return Decimal(int(fen)) / 100


def _validate(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    return parse_money(value)


#: An exact amount of yuan for pydantic models (rules, proposals): parsed at the door.
Money = Annotated[Decimal, BeforeValidator(_validate)]
