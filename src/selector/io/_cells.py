"""Vectorised parsers for the cells of one column, and the problem collector.

Every parser takes a column as a :class:`pandas.Series` whose index holds the row
numbers the planner sees (header = row 1) and returns parsed values plus boolean masks
of bad cells; the caller turns masks into :class:`~selector.InputProblem` entries.

Cell syntax (documented for planners in :mod:`selector.io`):

- money: ``120000``, ``1,200,000.50``, ``¥120000``, ``120万`` / ``12.5万元``; at most two
  decimals of a yuan (fen);
- multi-valued: items separated by any of ``| 、 , ， ; ；`` or a line break;
- indicators: ``名称=目标值单位`` items separated by ``;`` ``；`` ``|`` or a line break,
  e.g. ``培训人数=500人; 满意度=90%``; a bare ``名称`` (or ``名称=?单位``) has no target.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem
from selector.io._safety import restore_series
from selector.money import parse_money_column as parse_money

__all__ = [
    "ITEM_SEPARATORS",
    "Problems",
    "as_text",
    "format_indicator_cells",
    "format_indicators",
    "parse_indicator_cell",
    "parse_indicator_cells",
    "parse_items",
    "parse_money",
    "parse_number",
    "to_float",
]

#: Separators accepted between the items of a multi-valued cell.
ITEM_SEPARATORS = "|、,，;；\n"
_ITEM_SPLIT = re.compile(r"[|、,，;；\n]")
_INDICATOR_SPLIT = re.compile(r"[;；|\n]")
_INDICATOR_ITEM = (  # one item; the same pattern for Python re and pyarrow's RE2
    r"^\s*(?P<name>[^=＝]*[^=＝\s])\s*(?:[=＝]\s*(?:(?P<target>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:\.\d+)?)|(?P<none>\?))\s*(?P<unit>[^\d\s.,+\-?=＝][^=＝]*)?)?$"
)
_NUMBER_SUFFIX = r"(?:人次|人|个月|月|分|次|个|户|场)$"
_MAX_SHOWN = 20  # rows listed per (column, message) before summarising the rest


class Problems:
    """Collects :class:`InputProblem` entries, summarising long runs of one kind."""

    def __init__(self) -> None:
        self._items: list[tuple[int, int, InputProblem]] = []
        self._counts: dict[tuple[str | None, str], int] = defaultdict(int)
        self._order: dict[str | None, int] = {}

    def __bool__(self) -> bool:
        return bool(self._items)

    def set_order(self, columns: Iterable[str]) -> None:
        """Sort problems of the same row by this column order."""
        self._order = {c: k for k, c in enumerate(columns)}

    def add(self, message: str, row: int | None = None, column: str | None = None,
            value: object = None) -> None:
        """Record one problem."""
        key = (column, message)
        self._counts[key] += 1
        if self._counts[key] > _MAX_SHOWN:
            return
        shown = None if value is None else str(value)
        self._items.append((row or 0, self._order.get(column, -1),
                            InputProblem(message, row, column, shown)))

    def add_mask(self, mask: np.ndarray | pd.Series,
                 cells: pd.Series | tuple[pd.Series, pd.Series], column: str,
                 message: str | Callable[[Any], str]) -> None:
        """Record a problem for every row where ``mask`` is true (value = that cell).

        ``cells`` is the column, or ``(text, lists)`` as returned by :func:`as_text`.
        """
        bad = np.asarray(mask, dtype=bool)
        if not bad.any():
            return
        if isinstance(cells, tuple):
            text, lists = cells[0][bad], cells[1][bad]
            column_cells = text.astype(object).where(text.notna(), lists)
        else:
            column_cells = cells[bad]
        rows = column_cells.index.to_numpy()
        values = column_cells.to_numpy(dtype=object)
        for row, value in zip(rows.tolist(), values.tolist(), strict=True):
            said = message(value) if callable(message) else message
            self.add(said, int(row), column, _show(value))

    def result(self) -> list[InputProblem]:
        """All problems, by row then column, with a summary line for long runs."""
        items = sorted(self._items, key=lambda t: (t[0], t[1]))
        out = [p for _, _, p in items]
        for (column, message), count in self._counts.items():
            if count > _MAX_SHOWN:
                out.append(InputProblem(
                    f"{count - _MAX_SHOWN} more rows with the same problem: {message}",
                    None, column))
        return out


def _show(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, np.ndarray)):
        return ", ".join(str(v) for v in value)
    return str(value)


# -- text ----------------------------------------------------------------------------------
def _scalar_text(value: object) -> object:
    """One cell of a typed column (Excel, JSON, Parquet, user frame) as text or a list."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return np.format_float_positional(float(value), trim="-")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple | np.ndarray | dict):
        return value
    return str(value)


def as_text(column: pd.Series, *, no_lists: pd.Series | None = None
            ) -> tuple[pd.Series, pd.Series]:
    """A column as stripped text (NA when empty), apostrophe-restored.

    ``no_lists`` (all NA, same index) is returned as ``listlike`` when the column holds
    no list-like cell, so that many columns can share one.

    Returns
    -------
    text:
        ``str`` Series (NA for empty cells and for list-like cells).
    listlike:
        Object Series holding the list-like cells (lists, tuples, arrays, dicts) of a
        typed column, NA elsewhere; all NA (float64, cheap to test) when the column
        holds no list-like cell, as in text files.
    """
    listlike = pd.Series(np.nan, index=column.index) if no_lists is None else no_lists
    if isinstance(column.dtype, pd.StringDtype) and column.dtype.storage == "pyarrow":
        return _arrow_text(column), listlike
    if isinstance(column.dtype, pd.StringDtype):
        text = column
    else:
        values = column.map(_scalar_text) if len(column) else column.astype(object)
        is_list = values.map(lambda v: isinstance(v, list | tuple | np.ndarray | dict)).astype(bool)
        if is_list.any():
            listlike = values.where(is_list, None)
            values = values.where(~is_list, None)
        text = values.astype("str")
    text = text.str.strip()
    text = text.mask(text == "")
    if text.str.startswith("'").any():
        text = restore_series(text)
    return text, listlike


def _arrow_text(column: pd.Series) -> pd.Series:
    """:func:`as_text` of an Arrow-backed ``str`` column, computed in Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pc.utf8_trim_whitespace(pa.array(column.array))
    empty = pc.equal(text, "")
    if pc.any(empty).as_py():
        text = pc.if_else(empty, pa.scalar(None, type=text.type), text)
    out = pd.Series(pd.arrays.ArrowStringArray(text, dtype=column.dtype),  # type: ignore[call-arg]
                    index=column.index)
    if pc.any(pc.starts_with(text, "'")).as_py():
        out = restore_series(out)
    return out


# -- numbers -------------------------------------------------------------------------------
def to_float(text: pd.Series) -> np.ndarray:
    """Float64 of text cells (NaN where empty or not a number), correctly rounded.

    Uses Arrow's string → double cast (fast) and falls back to pandas when some cell is
    not a plain number.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(text.array) if isinstance(text.dtype, pd.StringDtype) else \
            pa.array(text.astype("str").array)
        values: np.ndarray = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)
        return values.astype(np.float64, copy=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        coerced: np.ndarray = pd.to_numeric(text, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan).copy()
        return coerced


def parse_number(text: pd.Series, *, percent: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Numbers from text: thousands separators and a unit word (人, 月, 分, ...) allowed.

    With ``percent``, ``85%`` means 0.85. Returns ``(values, bad)``: float64 values (NaN
    where empty or bad) and a mask of non-empty cells that are not finite numbers.
    """
    values = to_float(text)
    present = text.notna().to_numpy()
    retry = present & np.isnan(values)
    if retry.any():  # the slow path only for cells that are not plain numbers
        cleaned = text[retry].str.replace(r"[,，\s]", "", regex=True).str.replace(
            _NUMBER_SUFFIX, "", regex=True)
        scale = np.ones(int(retry.sum()))
        if percent:
            pct = cleaned.str.endswith("%").to_numpy(dtype=bool, na_value=False)
            cleaned = cleaned.str.removesuffix("%")
            scale[pct] = 0.01
        values[retry] = pd.to_numeric(cleaned, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan) * scale
    bad = present & ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


# -- multi-valued cells --------------------------------------------------------------------
def _split_items(cell: object) -> tuple[str, ...]:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ()
    if isinstance(cell, list | tuple | np.ndarray):
        return tuple(str(v).strip() for v in cell if v is not None and str(v).strip())
    return tuple(part.strip() for part in _ITEM_SPLIT.split(str(cell)) if part.strip())


def parse_items(text: pd.Series, listlike: pd.Series,
                lookup: Callable[[str], str | None] | None = None
                ) -> tuple[np.ndarray, np.ndarray, dict[str, None]]:
    """Tuples of items from a multi-valued column (text cells split, lists taken as is).

    With ``lookup``, every item is mapped through it (duplicates dropped). Returns
    ``(tuples, bad, unknown)``: per-row tuples, a mask of rows holding an item that
    ``lookup`` does not know, and those items. Each distinct cell is split once and
    each distinct item looked up once.
    """
    codes, uniques = pd.factorize(text)
    split, strip = _ITEM_SPLIT.split, str.strip
    cells: list[tuple[str, ...]] = [tuple(filter(None, map(strip, split(u))))
                                    for u in uniques.tolist()]
    list_rows = np.flatnonzero(listlike.notna().to_numpy())
    if len(list_rows):
        codes = codes.copy()
        for k in list_rows.tolist():
            codes[k] = len(cells)
            cells.append(_split_items(listlike.iloc[k]))
    unknown: dict[str, None] = {}
    bad_cell = np.zeros(len(cells) + 1, dtype=bool)
    if lookup is not None:
        known = {item: lookup(item) for item in dict.fromkeys(i for c in cells for i in c)}
        for c, items in enumerate(cells):
            mapped = [known[item] for item in items]
            if None in mapped:
                bad_cell[c] = True
                unknown.update((item, None) for item, m in zip(items, mapped, strict=True)
                               if m is None)
                mapped = [item if m is None else m
                          for item, m in zip(items, mapped, strict=True)]
            cells[c] = tuple(dict.fromkeys(mapped))  # type: ignore[arg-type]
    parsed = np.fromiter([*cells, ()], dtype=object, count=len(cells) + 1)
    out: np.ndarray = parsed[codes]  # code -1 (empty) picks the trailing ()
    return out, bad_cell[codes], unknown


# -- indicators ----------------------------------------------------------------------------
Indicator = tuple[str, float | None, str | None]


def parse_indicator_cell(cell: str) -> tuple[Indicator, ...] | None:
    """Parse ``名称=目标值单位; ...``; ``None`` when malformed.

    Examples
    --------
    >>> parse_indicator_cell("培训人数=1,500人; 满意度=90%; 建成站点")
    (('培训人数', 1500.0, '人'), ('满意度', 90.0, '%'), ('建成站点', None, None))
    >>> parse_indicator_cell("满意度=很高") is None
    True
    """
    return parse_indicator_cells([cell])[0]


def parse_indicator_cells(cells: Sequence[str] | Any) -> list[tuple[Indicator, ...] | None]:
    """:func:`parse_indicator_cell` over many cells at once (vectorised with pyarrow)."""
    if not len(cells):
        return []
    parsed, bad = _indicator_array(cells)
    out: list[tuple[Indicator, ...] | None] = parsed.tolist()
    for k in np.flatnonzero(bad).tolist():
        out[k] = None
    return out


def _indicator_array(cells: Sequence[str] | Any) -> tuple[np.ndarray, np.ndarray]:
    """Indicator tuples of text cells (``()`` where malformed) and the malformed mask.

    Cells are split into items in one pass; each distinct item text (``满意度=90%``
    repeats across many cells) is matched and converted once.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    array = pa.array(cells, type=pa.string()) if isinstance(cells, list) else \
        pa.array(cells).cast(pa.string())  # pandas arrays convert without copying
    if pc.any(pc.match_substring_regex(array, r"[；|\n]")).as_py():
        split = pc.split_pattern_regex(array, pattern=r"[;；|\n]")
    else:  # the usual separator only: a plain split is several times faster
        split = pc.split_pattern(array, pattern=";")
    flat = pc.utf8_trim_whitespace(pc.list_flatten(split))
    parents = np.asarray(pc.list_parent_indices(split).to_numpy(zero_copy_only=False),
                         dtype=np.int64)
    encoded = pc.dictionary_encode(flat)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    distinct = encoded.dictionary
    found = pc.extract_regex(distinct, pattern=_INDICATOR_ITEM)
    empty = np.asarray(pc.equal(distinct, "").to_numpy(zero_copy_only=False), dtype=bool)
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    names = found.field("name").to_pylist()
    targets = found.field("target").to_pylist()
    units = pc.utf8_trim_whitespace(found.field("unit")).to_pylist()
    items = np.fromiter(
        ((name, float(target.replace(",", "")) if target else None, unit or None) if ok
         else None for name, target, unit, ok in zip(names, targets, units, valid.tolist(),
                                                     strict=True)),
        dtype=object, count=len(distinct))
    bad = np.zeros(len(cells), dtype=bool)
    bad[parents[~empty[codes] & ~valid[codes]]] = True
    keep = ~empty[codes] & ~bad[parents]
    return _group_tuples(items[codes[keep]], parents[keep], len(cells)), bad


def _group_tuples(values: np.ndarray, groups: np.ndarray, n: int) -> np.ndarray:
    """Object array of ``n`` tuples: tuple ``g`` holds the ``values`` whose ``groups`` entry
    is ``g`` (``groups`` sorted). Tuples of one length are built together by ``zip``."""
    counts = np.bincount(groups, minlength=n)
    starts = np.cumsum(counts) - counts
    out = np.empty(n, dtype=object)
    for size in np.unique(counts).tolist():
        rows = np.flatnonzero(counts == size)
        if size == 0:
            part = np.empty(len(rows), dtype=object)
            part.fill(())
        else:
            columns = [values[starts[rows] + k].tolist() for k in range(size)]
            part = np.fromiter(zip(*columns, strict=True), dtype=object, count=len(rows))
        out[rows] = part
    return out


def _indicator_from_object(value: object) -> tuple[Indicator, ...] | None:
    if isinstance(value, str):
        return parse_indicator_cell(value)
    items = [value] if isinstance(value, dict) else value
    out: list[Indicator] = []
    for item in items:  # type: ignore[attr-defined]
        if isinstance(item, dict):
            name, target, unit = item.get("name"), item.get("target"), item.get("unit")
        elif isinstance(item, list | tuple | np.ndarray) and 1 <= len(item) <= 3:
            name, target, unit = (*item, None, None)[:3]
        elif isinstance(item, str):
            parsed = parse_indicator_cell(item)
            if parsed is None:
                return None
            out.extend(parsed)
            continue
        else:
            return None
        if not isinstance(name, str) or not name.strip():
            return None
        if target is not None and not (isinstance(target, float) and math.isnan(target)):
            try:
                number = float(target)
            except (TypeError, ValueError):
                return None
            if not math.isfinite(number):
                return None
        else:
            number = None
        text_unit = None if unit is None or (isinstance(unit, float) and math.isnan(unit)) \
            else str(unit).strip() or None
        out.append((name.strip(), number, text_unit))
    return tuple(out)


def parse_indicators(text: pd.Series, listlike: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Indicator tuples per row and a mask of malformed cells.

    Each distinct cell text is parsed once, then spread to its rows.
    """
    codes, uniques = pd.factorize(text)
    parsed = np.empty(len(uniques) + 1, dtype=object)  # code -1 (empty) picks the last ()
    parsed[-1] = ()
    malformed = np.zeros(len(uniques) + 1, dtype=bool)
    if len(uniques):
        parsed[:-1], malformed[:-1] = _indicator_array(uniques.array)
    out: np.ndarray = parsed[codes]
    bad: np.ndarray = malformed[codes]
    for k in np.flatnonzero(listlike.notna().to_numpy()).tolist():
        value = _indicator_from_object(listlike.iloc[k])
        out[k] = () if value is None else value
        bad[k] = value is None
    return out, bad


def _format_number(value: float) -> str:
    return np.format_float_positional(value, trim="-")


def format_indicators(indicators: tuple[Indicator, ...]) -> str | None:
    """The cell text of indicator tuples (inverse of :func:`parse_indicator_cell`), or
    ``None`` when a name or unit cannot be written in that syntax."""
    return format_indicator_cells([indicators])[0]


def format_indicator_cells(cells: Sequence[tuple[Indicator, ...]]) -> list[str | None]:
    """:func:`format_indicators` over many cells; every indicator's text is checked to
    parse back to itself in one vectorised pass."""
    texts: list[str] = []
    wanted: list[Indicator] = []
    owner: list[int] = []
    for k, indicators in enumerate(cells):
        for name, target, unit in indicators:
            value = "?" if target is None else _format_number(target)
            texts.append(f"{name}={value}{unit or ''}" if (target is not None or unit)
                         else name)
            wanted.append((name, target, unit))
            owner.append(k)
    writable = [True] * len(cells)
    parts: list[list[str]] = [[] for _ in cells]
    for k, text, back, want in zip(owner, texts, parse_indicator_cells(texts), wanted,
                                   strict=True):
        writable[k] &= back == (want,)
        parts[k].append(text)
    return ["; ".join(p) if ok else None for ok, p in zip(writable, parts, strict=True)]
