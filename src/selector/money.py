"""Money: one type, one parser, one conversion to fen.

Money is exact: amounts are :class:`~decimal.Decimal` yuan at the edges and integer fen
(minor units, 1 yuan = 100 fen) inside the engine. Every amount a planner types — a cell
of a proposals file, a rules file, ``--budget`` on the command line, an argument of the
Python API — goes through :func:`parse_money_column` (a column at once) or
:func:`parse_money` (one value, the same grammar), and is shown with
:func:`selector.i18n.fmt_money`.

Grammar of an amount in yuan::

    120000            1200000.50        1,200,000.50      ¥120000   ￥120000   RMB 120000
    120000元          12万              12.5万元           １２００００ (full-width digits)

- the text is first normalised like an id (Unicode NFKC, so full-width digits, commas
  and ``￥`` become ASCII; invisible characters removed);
- digits ``0-9`` only: other digit scripts (Arabic-Indic ``١٢٠``, ...) are refused;
- at most two decimals of a yuan (fen); ``万`` multiplies by 10,000 (then up to six);
- a currency sign or code before, ``元`` / ``万`` / ``万元`` after;
- thousands separators (``,``, ``_`` or a space, one kind per amount) only between
  groups of three digits: ``1,200,000`` is read, ``1,2,3`` is refused;
- no sign, exponent, NaN or infinity;
- at most :data:`MAX_YUAN` (one trillion yuan, 10^14 fen): a file of a million such
  amounts still sums exactly in 64-bit fen only up to about 92,000 of them, which the
  loaders check for the whole file.

Examples
--------
>>> parse_money("1,200,000.50"), parse_money("12万"), parse_money(99), parse_money("１２万")
(Decimal('1200000.5'), Decimal('120000'), Decimal('99'), Decimal('120000'))
>>> to_fen("12.34"), from_fen(1234)
(1234, Decimal('12.34'))
>>> parse_money("1,2,3")
Traceback (most recent call last):
...
selector._errors.InvalidInputError: column 'amount': has misplaced thousands separators: ...
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, InvalidOperation
from typing import Annotated, Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

from selector._errors import InputProblem, InvalidInputError
from selector.i18n import t
from selector.text_columns import arrow_strings, clean_keys

__all__ = [
    "KINDS",
    "MAX_FEN",
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
#: The largest amount accepted anywhere, in yuan (documented ceiling: one trillion yuan).
MAX_YUAN = Decimal(10) ** 12
#: :data:`MAX_YUAN` in fen.
MAX_FEN = 10**14
#: The kinds of problem :func:`parse_money_column` reports, each a message ``io.money.<kind>``.
KINDS = ("format", "grouping", "digits", "negative", "decimals", "large")

_DIGITS_OF_MAX = 15   # digits of MAX_FEN (10^14): a fen amount with more is too large
_AMOUNT = (r"^(?P<sign>-?)(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?:_[0-9]{3})+"
           r"|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:\.(?P<frac>[0-9]+))?$")
_GROUPED = r"^-?[0-9][0-9, _]*[, _][0-9, _]*(?:\.[0-9]+)?$"   # digits and separators only
_OTHER_DIGIT = r"[^\P{Nd}0-9]"   # a decimal digit of another script (Arabic-Indic, ...)


def parse_money_column(text: pd.Series, exponent: int = 0
                       ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Exact amounts in minor units (fen) from a column of text, all cells at once.

    ``exponent`` is the power of ten of the column's unit (0 yuan, 4 for 万元, -2 fen).
    Returns ``(minor, problems)`` where ``problems`` maps each of :data:`KINDS` to a mask
    of bad cells (a cell has at most one kind); ``minor`` is 0 in bad and empty cells.

    Cells of plain digits with at most two decimals of a yuan (almost all) are converted
    by Arrow directly; the rest take the full grammar, vectorised on those cells only.

    >>> minor, bad = parse_money_column(pd.Series(["120000", "1,200,000.50", "1,2,3", None]))
    >>> minor.tolist(), [k for k in KINDS if bad[k].any()]
    ([12000000, 120000050, 0, 0], ['grouping'])
    """
    array = arrow_strings(text)
    n = len(array)
    minor = np.zeros(n, dtype=np.int64)
    kinds = {kind: np.zeros(n, dtype=bool) for kind in KINDS}
    if n == 0:
        return minor, kinds
    present = np.asarray(array.is_valid(), dtype=bool)
    plain = _plain(array, exponent)
    minor[plain.rows] = plain.minor
    rest = present & ~plain.rows
    if rest.any():
        rows = np.flatnonzero(rest)
        values, found = _parse_text(array.take(pa.array(rows)), exponent)
        minor[rows] = values
        for kind, mask in found.items():
            kinds[kind][rows] = mask
    return minor, kinds


class _Plain(NamedTuple):
    rows: np.ndarray   # mask of the cells converted
    minor: np.ndarray  # their amounts in fen


def _plain(array: pa.ChunkedArray, exponent: int) -> _Plain:
    """The cells written ``123456``, ``123456.5`` or ``123456.78``: at most ``12 - exponent``
    ASCII digits, then at most ``exponent + 2`` decimals (whole fen), which the full grammar
    reads alike. One pattern finds them; Arrow reads them as floats, which is exact here:
    an amount of at most 14 digits in fen is within 1e14 × 2^-52 < 0.05 of its float
    (string to double correctly rounded, then one product), so rounding gives it back."""
    places = exponent + 2
    decimals = rf"(?:\.[0-9]{{1,{places}}})?" if places > 0 else ""
    rows = _mask(pc.match_substring_regex(array, rf"^[0-9]{{1,{12 - exponent}}}{decimals}$"))
    if not rows.any():
        return _Plain(rows, np.zeros(0, dtype=np.int64))
    values = np.asarray(pc.cast(array.filter(pa.array(rows)), pa.float64()), dtype=np.float64)
    return _Plain(rows, np.rint(values * 10.0**places).astype(np.int64))


def _mask(values: Any) -> np.ndarray:
    return np.asarray(pc.fill_null(values, False), dtype=bool)


def _parse_text(raw: pa.ChunkedArray, exponent: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The full grammar on the cells that are not plain digits (each one is present)."""
    cleaned, _ = clean_keys(pd.Series(pd.arrays.ArrowStringArray(raw)))
    text = pc.fill_null(arrow_strings(cleaned).combine_chunks(), "")
    text = pc.replace_substring_regex(text, r"(?i)^(?:¥|rmb|cny)\s*", "")
    wan = _mask(pc.match_substring_regex(text, r"万元?$"))
    text = pc.replace_substring_regex(text, r"\s*(?:万元|万|元)$", "")
    parts = pc.extract_regex(text, _AMOUNT)
    matched = np.asarray(parts.is_valid(), dtype=bool)
    n = len(raw)
    negative = matched & _mask(pc.equal(parts.field("sign"), "-"))
    places = exponent + 2 + 4 * wan                 # decimals of the unit that are whole fen
    digits = pc.replace_substring_regex(
        pc.replace_substring_regex(parts.field("int"), r"[, _]", ""), r"^0+", "")
    int_len = np.asarray(pc.fill_null(pc.utf8_length(digits), 0), dtype=np.int64)
    digits = pc.if_else(pc.equal(digits, ""), "0", digits)
    frac = pc.fill_null(parts.field("frac"), "")
    frac_len = np.asarray(pc.utf8_length(frac), dtype=np.int64)
    too_precise = matched & ~negative & (frac_len > places)
    too_large = matched & ~negative & ~too_precise & (int_len + places > _DIGITS_OF_MAX)
    ok = matched & ~negative & ~too_precise & ~too_large
    minor = np.zeros(n, dtype=np.int64)
    for k in np.unique(places[ok]).tolist():
        rows = ok & (places == k)
        keep = pa.array(rows)
        whole = np.asarray(pc.cast(digits.filter(keep), pa.int64()), dtype=np.int64)
        fraction = np.asarray(pc.cast(pc.utf8_rpad(frac.filter(keep), width=k, padding="0"),
                                      pa.int64()), dtype=np.int64) if k else 0
        minor[rows] = whole * 10**k + fraction
    over = minor > MAX_FEN
    too_large |= over
    minor[over] = 0
    grouped = ~matched & _mask(pc.match_substring_regex(text, _GROUPED))
    other_digits = ~matched & ~grouped & _mask(pc.match_substring_regex(text, _OTHER_DIGIT))
    return minor, {
        "format": ~matched & ~grouped & ~other_digits,
        "grouping": grouped,
        "digits": other_digits,
        "negative": negative,
        "decimals": too_precise,
        "large": too_large,
    }


_LONGEST = 200  # characters of a single amount worth parsing (longer: refused as it is)


def _kind_of(value: object) -> tuple[str | None, str]:
    """``(kind, text)``: the problem a value has before parsing (or ``None``) and the text
    to parse. Magnitudes are judged without converting huge numbers to text."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        return "format", repr(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return "format", repr(value)
        if abs(value) > float(MAX_YUAN):
            return ("negative" if value < 0 else "large"), repr(value)
        return None, np.format_float_positional(value, trim="-")
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "format", str(value)
        if value.adjusted() >= _DIGITS_OF_MAX:
            return ("negative" if value < 0 else "large"), str(value)
        return None, format(value, "f")
    if isinstance(value, int):
        if abs(value) > 10**_DIGITS_OF_MAX:
            return ("negative" if value < 0 else "large"), f"{value:.3e}"
        return None, str(value)
    if len(value) > _LONGEST:
        digits = value.strip().isascii() and value.strip().isdigit()
        return ("large" if digits else "format"), value
    return None, value


def _problem(kind: str, what: str, shown: str) -> InputProblem:
    return InputProblem.of(f"io.money.{kind}", column=what, value=shown, max=_MAX_SHOWN)


_MAX_SHOWN = f"{int(MAX_YUAN):,}"


def parse_money(value: MoneyLike, what: str = "amount") -> Decimal:
    """One amount of yuan, exact, with the grammar of :func:`parse_money_column`.

    Raises :class:`~selector.InvalidInputError` (naming ``what``) when it is not an
    amount of money, is negative, has more than two decimals or exceeds
    :data:`MAX_YUAN`; never ``OverflowError`` or ``decimal.InvalidOperation``.
    """
    kind, text = _kind_of(value)
    if kind is None:
        minor, kinds = parse_money_column(pd.Series([text], dtype=object))
        kind = next((k for k in KINDS if kinds[k][0]), None)
        if kind is None:
            return from_fen(int(minor[0]))
    raise InvalidInputError(_problem(kind, what, text))


def to_fen(value: MoneyLike, what: str = "amount", *,
           rounding: Literal["exact", "floor", "ceiling"] = "exact") -> int:
    """An amount of yuan in integer fen.

    ``rounding="exact"`` (default) parses ``value`` as :func:`parse_money` does; "floor"
    and "ceiling" take a computed :class:`~decimal.Decimal` (such as a threshold found by
    a search) to a whole fen, within the same ceiling.

    >>> to_fen("1234.56"), to_fen(Decimal("0.125"), rounding="floor")
    (123456, 12)
    """
    if rounding == "exact":
        return int(parse_money(value, what) * 100)
    direction = ROUND_FLOOR if rounding == "floor" else ROUND_CEILING
    if type(value) is Decimal and value.is_finite():   # the common case, without its text
        fen = value * 100
        if abs(fen) <= MAX_FEN:
            return int(fen.to_integral_value(rounding=direction))
    kind, text = _kind_of(value)
    if kind is None:
        try:
            fen = Decimal(text) * 100
        except InvalidOperation:
            kind = "format"
        else:
            if not fen.is_finite():
                kind = "format"
            elif abs(fen) > MAX_FEN:
                kind = "large"
            else:
                return int(fen.to_integral_value(rounding=direction))
    raise InvalidInputError(_problem(kind, what, text))


def from_fen(fen: int | np.integer[Any]) -> Decimal:
    """Exact yuan of ``fen`` minor units.

    >>> from_fen(123456), from_fen(1000)
    (Decimal('1234.56'), Decimal('10'))
    """
    return Decimal(int(fen)) / 100


def _validate(value: Any) -> Any:
    if value is None:
        return value
    kind, text = _kind_of(value)
    if kind is None:
        minor, kinds = parse_money_column(pd.Series([text], dtype=object))
        kind = next((k for k in KINDS if kinds[k][0]), None)
        if kind is None:
            return from_fen(int(minor[0]))
    raise PydanticCustomError(f"money_{kind}", t(f"io.money.{kind}", "en", max=_MAX_SHOWN),
                              {"max": _MAX_SHOWN})


#: An exact amount of yuan for pydantic models (rules, proposals): parsed at the door with
#: the grammar above; a bad amount is a validation error of type ``money_<kind>``.
Money = Annotated[Decimal, BeforeValidator(_validate)]
