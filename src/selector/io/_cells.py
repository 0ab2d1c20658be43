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
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from selector._errors import InputProblem, InvalidInputError, Phrase
from selector.model import MAX_EXTRA_NUMBER
from selector.money import parse_money_column as parse_money
from selector.text import INVISIBLE, control_characters, normalise_key, strip_invisible
from selector.text_columns import (
    arrow_strings,
    clean_keys,
    factorize,
    is_text_categorical,
    recode,
    restore_series,
    trim_strings,
)

__all__ = [
    "ITEM_SEPARATORS",
    "NUMBER_KINDS",
    "IndicatorTuple",
    "Items",
    "ProblemLog",
    "as_text",
    "format_indicator_cells",
    "format_indicators",
    "parse_indicator_cell",
    "parse_indicator_cells",
    "parse_items",
    "parse_money",
    "parse_number",
    "split_items",
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


class ProblemLog:
    """Collects :class:`InputProblem` entries, summarising long runs of one kind.

    At most :data:`_MAX_SHOWN` problems of one kind (column and message key) are kept;
    the rest are counted in one summary line, so a file with a million bad rows gives a
    short error.
    """

    def __init__(self, columns: Iterable[str] = ()) -> None:
        self._items: list[tuple[int, int, InputProblem]] = []
        self._counts: dict[tuple[str | None, str], int] = defaultdict(int)
        self._first: dict[tuple[str | None, str], InputProblem] = {}
        self._order: dict[str | None, int] = {c: k for k, c in enumerate(columns)}

    def __bool__(self) -> bool:
        return bool(self._items)

    def add(self, problem: InputProblem) -> None:
        """Record one problem."""
        kind = (problem.column, problem.key or problem.message)
        self._counts[kind] += 1
        if self._counts[kind] > _MAX_SHOWN:
            return
        self._first.setdefault(kind, problem)
        self._items.append((problem.row or 0, self._order.get(problem.column, -1), problem))

    def report(self, key: str, row: int | None = None, column: str | None = None,
               value: object = None, **params: Any) -> None:
        """Record the problem of catalogue message ``key`` (see :meth:`InputProblem.of`)."""
        self.add(InputProblem.of(key, row, column, _show(value), **params))

    def add_mask(self, mask: np.ndarray | pd.Series,
                 cells: pd.Series | tuple[pd.Series, pd.Series], column: str, key: str,
                 **params: Any) -> None:
        """Record problem ``key`` for every row where ``mask`` is true (value = that cell).

        ``cells`` is the column, or ``(text, lists)`` as returned by :func:`as_text`. A
        parameter given as a callable is called with the cell's value; one given as an
        array holds a value for each row of ``mask`` (e.g. the row where a duplicate id
        was first used).
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
        kind = (column, key)
        for k, (row, value) in enumerate(zip(rows.tolist(), values.tolist(), strict=True)):
            if self._counts[kind] >= _MAX_SHOWN:  # counted, not built: cheap for long runs
                self._counts[kind] += len(rows) - k
                break
            said = {name: given[k].item() if isinstance(given, np.ndarray)
                    else given(value) if callable(given) else given
                    for name, given in params.items()}
            self.report(key, int(row), column, value, **said)

    def result(self) -> list[InputProblem]:
        """All problems, by row then column, with a summary line for long runs."""
        items = sorted(self._items, key=lambda t: (t[0], t[1]))
        out = [p for _, _, p in items]
        for kind, count in self._counts.items():
            if count > _MAX_SHOWN:
                first = self._first[kind]
                what = first.message if first.key is None else Phrase(first.key, first.params)
                out.append(InputProblem.of("io.summary.more", None, kind[0],
                                           n=count - _MAX_SHOWN, message=what))
        return out

    def raise_if_any(self, source: str) -> None:
        """Raise one :class:`InvalidInputError` with every problem recorded so far."""
        if self._items:
            raise InvalidInputError(self.result(), source)


def _show(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, list | tuple | np.ndarray):
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
        ``str`` Series (NA for empty cells and for list-like cells); categorical when
        ``column`` is a categorical of text.
    listlike:
        Object Series holding the list-like cells (lists, tuples, arrays, dicts) of a
        typed column, NA elsewhere; all NA (float64, cheap to test) when the column
        holds no list-like cell, as in text files.
    """
    listlike = pd.Series(np.nan, index=column.index) if no_lists is None else no_lists
    if is_text_categorical(column):  # each distinct text once
        return recode(column, as_text(pd.Series(column.cat.categories.array))[0]), listlike
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
    text = trim_strings(arrow_strings(column))
    out = pd.Series(pd.arrays.ArrowStringArray(text, dtype=column.dtype),  # type: ignore[call-arg]
                    index=column.index)
    if _holds_byte(text, 0x27) and pc.any(pc.starts_with(text, "'")).as_py():
        out = restore_series(out)
    return out


def _holds_control(text: pd.Series) -> bool:
    """Whether some cell holds a control character other than a line break."""
    if is_text_categorical(text):
        text = pd.Series(text.cat.categories.array)
    for chunk in arrow_strings(text).chunks:
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if ((raw < 0x20) & (raw != 0x0A)).any() or (raw == 0x7F).any() \
                or (raw == 0xC2).any():  # C1 controls are C2 80-9F (a cheap superset)
            return True
    return False


def _holds_byte(array: pa.ChunkedArray, byte: int) -> bool:
    """Whether the text's bytes hold ``byte`` anywhere (one memory scan, no copy)."""
    for chunk in array.chunks:
        data = chunk.buffers()[2]
        if data is not None and (np.frombuffer(data, dtype=np.uint8) == byte).any():
            return True
    return False


# -- numbers -------------------------------------------------------------------------------
_PLAIN_FLOAT = r"^[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"
_NUMBER = (r"^[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]+)"
           r"(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$")
_GROUPED = r"^[-+]?[0-9][0-9, ]*[, ][0-9, ]*(?:\.[0-9]+)?$"   # digits and separators only
#: Kinds of problem :func:`parse_number` reports (message ``io.number.<kind>``).
NUMBER_KINDS = ("format", "grouping", "digits")


def to_float(text: pd.Series) -> np.ndarray:
    """Float64 of text cells (NaN where empty or not a plain ASCII number), correctly
    rounded, by Arrow's string → double cast. ``inf``/``nan`` written out convert to
    themselves: callers refuse what is not finite."""
    array = arrow_strings(text)
    try:
        values = pc.cast(array, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        plain = pc.fill_null(pc.match_substring_regex(array, _PLAIN_FLOAT), False)
        out = np.full(len(array), np.nan)
        out[np.asarray(plain, dtype=bool)] = np.asarray(
            pc.cast(array.filter(plain), pa.float64()), dtype=np.float64)
        return out
    return np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64).copy()


def parse_number(text: pd.Series, *, percent: bool = False
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Numbers from text, all cells at once.

    Accepted: plain numbers (an exponent too: ``1.5e3``), full-width digits (NFKC),
    thousands separators between groups of three digits (``3,000``), and a unit word
    after the number (``3,000人``, ``6个月``); with ``percent``, ``85%`` means 0.85.
    Refused: misplaced separators (``1,2,3``), other digit scripts, ``NaN``, infinities.

    Returns ``(values, bad)``: float64 values (NaN where empty or bad) and, for each of
    :data:`NUMBER_KINDS`, the mask of cells refused for that reason.

    >>> values, bad = parse_number(pd.Series(["3,000人", "１２", "1,2,3", "inf", None]))
    >>> values.tolist()[:2], [k for k in NUMBER_KINDS if bad[k].any()]
    ([3000.0, 12.0], ['format', 'grouping'])
    """
    values = to_float(text)
    present = text.notna().to_numpy()
    retry = present & np.isnan(values)
    kinds = {kind: np.zeros(len(values), dtype=bool) for kind in NUMBER_KINDS}
    if retry.any():  # the full grammar only for cells that are not plain numbers
        rows = np.flatnonzero(retry)
        parsed, found = _parse_number_text(text.iloc[rows], percent)
        values[rows] = parsed
        for kind, mask in found.items():
            kinds[kind][rows] = mask
    with np.errstate(invalid="ignore"):
        kinds["format"] |= present & ~np.isfinite(values) & ~kinds["grouping"] & ~kinds["digits"]
    values[~np.isfinite(values)] = np.nan
    return values, kinds


def _parse_number_text(text: pd.Series, percent: bool) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    cleaned, _ = clean_keys(text, trimmed=True)
    array = pc.fill_null(arrow_strings(cleaned), "")
    array = pc.replace_substring_regex(array, r"\s*" + _NUMBER_SUFFIX, "")
    scale = np.ones(len(array))
    if percent:
        pct = np.asarray(pc.fill_null(pc.ends_with(array, "%"), False), dtype=bool)
        array = pc.replace_substring_regex(array, r"\s*%$", "")
        scale[pct] = 0.01
    matched = np.asarray(pc.fill_null(pc.match_substring_regex(array, _NUMBER), False),
                         dtype=bool)
    values = np.full(len(array), np.nan)
    if matched.any():
        keep = pa.array(matched)
        plain = pc.replace_substring_regex(array.filter(keep), r"[, ]", "")
        values[matched] = np.asarray(pc.cast(plain, pa.float64()), dtype=np.float64)
    values *= scale
    grouped = ~matched & np.asarray(pc.fill_null(pc.match_substring_regex(array, _GROUPED),
                                                 False), dtype=bool)
    digits = ~matched & ~grouped & np.asarray(pc.fill_null(
        pc.match_substring_regex(array, r"[^\P{Nd}0-9]"), False), dtype=bool)
    return values, {"format": np.zeros(len(array), dtype=bool), "grouping": grouped,
                    "digits": digits}


# -- multi-valued cells --------------------------------------------------------------------
def split_items(cell: object, keys: dict[str, str] | None = None) -> tuple[str, ...]:
    """The items of one multi-valued cell (text split at :data:`ITEM_SEPARATORS`, or a
    list taken as is), each as a key (:func:`~selector.text.normalise_key`; ``keys``
    caches the normalised items)."""
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ()
    parts = [str(v) for v in cell if v is not None] if isinstance(
        cell, list | tuple | np.ndarray) else _ITEM_SPLIT.split(str(cell))
    if keys is None:
        keys = {}
    out = []
    for part in parts:
        item = keys.get(part)
        if item is None:
            item = keys[part] = part.strip() if part.isascii() else normalise_key(part)
        if item:
            out.append(item)
    return tuple(out)


def _factorize_sparse(text: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """:func:`pandas.factorize` that looks only at the filled cells when most are empty
    (references to other proposals are rare)."""
    present = text.notna().to_numpy()
    filled = int(present.sum())
    if filled * 4 > len(text) or is_text_categorical(text):
        return factorize(text)
    codes = np.full(len(text), -1, dtype=np.intp)
    sub_codes, uniques = pd.factorize(text[present])
    codes[present] = sub_codes
    return codes, uniques


class Items(NamedTuple):
    """Parsed multi-valued column: per-row tuples and the rows with problems."""

    tuples: np.ndarray        # object array of tuple[str, ...]
    unknown_rows: np.ndarray  # a row holds an item the lookup does not know
    unknown: dict[str, None]  # those items, in order
    control_rows: np.ndarray  # a row holds an item with a control character


def parse_items(text: pd.Series, listlike: pd.Series,
                lookup: Callable[[str], str | None] | None = None, *,
                lookup_many: Callable[[list[str]], set[str]] | None = None) -> Items:
    """Tuples of items from a multi-valued column (text cells split, lists taken as is).

    Items are keys (NFKC, invisible characters removed); with ``lookup``, every item is
    mapped through it (duplicates dropped); ``lookup_many`` instead keeps the items it
    returns for a list of all distinct items (one call). Each distinct cell is split once
    and each distinct item looked up once.
    """
    codes, uniques = _factorize_sparse(text)
    keys: dict[str, str] = {}  # each distinct item normalised once
    cells = _split_cells(uniques, keys)
    list_rows = np.flatnonzero(listlike.notna().to_numpy())
    if len(list_rows):
        codes = codes.copy()
        for k in list_rows.tolist():
            codes[k] = len(cells)
            cells.append(split_items(listlike.iloc[k], keys))
    unknown: dict[str, None] = {}
    bad_cell = np.zeros(len(cells) + 1, dtype=bool)
    control = np.zeros(len(cells) + 1, dtype=bool)
    if len(list_rows) or _holds_control(text):  # (line breaks separate items)
        control[:-1] = [any(control_characters(item) for item in items) for items in cells]
    known: dict[str, str | None] | None = None
    if lookup_many is not None or lookup is not None:
        distinct = list(dict.fromkeys(i for c in cells for i in c))
        if lookup_many is not None:
            keep = lookup_many(distinct) if distinct else set()
            known = {i: i if i in keep else None for i in distinct}
        elif lookup is not None:
            known = {i: lookup(i) for i in distinct}
    if known is not None:
        _map_cells(cells, known, bad_cell, unknown)
    parsed = np.fromiter([*cells, ()], dtype=object, count=len(cells) + 1)
    out: np.ndarray = parsed[codes]  # code -1 (empty) picks the trailing ()
    return Items(out, _rows_of(bad_cell, codes), unknown, _rows_of(control, codes))


def _map_cells(cells: list[tuple[str, ...]], known: dict[str, str | None],
               bad_cell: np.ndarray, unknown: dict[str, None]) -> None:
    """Each cell's items mapped through ``known`` in place (duplicates dropped); a cell
    holding an item mapped to ``None`` keeps that item, is marked in ``bad_cell`` and
    the item is added to ``unknown``."""
    for c, items in enumerate(cells):
        if len(items) == 1:  # (most cells: the same as below, without the lists)
            found = known[items[0]]
            if found is None:
                bad_cell[c] = True
                unknown[items[0]] = None
            elif found != items[0]:
                cells[c] = (found,)
            continue
        mapped = [known[item] for item in items]
        if None in mapped:
            bad_cell[c] = True
            unknown.update((item, None) for item, m in zip(items, mapped, strict=True)
                           if m is None)
            mapped = [item if m is None else m for item, m in zip(items, mapped, strict=True)]
        cells[c] = tuple(dict.fromkeys(mapped))  # type: ignore[arg-type]


def _split_cells(uniques: pd.Index, keys: dict[str, str]) -> list[tuple[str, ...]]:
    """:func:`split_items` of each distinct text cell. An ASCII cell without a separator
    (most cells: one id, one code) is its one item as :func:`split_items` makes it
    (stripped), told apart in one pass of Arrow rather than split cell by cell."""
    texts = uniques.tolist()
    try:
        array = arrow_strings(pd.Series(uniques.array))
        alone = np.asarray(pc.fill_null(pc.and_(
            pc.string_is_ascii(array),
            pc.invert(pc.match_substring_regex(array, _SEPARATORS_RE2))), False), dtype=bool)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # cells that are not all text
        return [split_items(u, keys) for u in texts]
    out: list[tuple[str, ...]] = []
    for cell, single in zip(texts, alone.tolist(), strict=True):
        if single:
            item = cell.strip()
            out.append((item,) if item else ())
        else:
            out.append(split_items(cell, keys))
    return out


_SEPARATORS_RE2 = "[" + ITEM_SEPARATORS.replace("\n", "\\n") + "]"


def _rows_of(per_cell: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """A mask over distinct cells as a mask over rows (all false at once when it is)."""
    out: np.ndarray = per_cell[codes] if per_cell.any() else np.zeros(len(codes), dtype=bool)
    return out


# -- indicators ----------------------------------------------------------------------------
#: An indicator as stored in the canonical frame: ``(name, target or None, unit or None)``.
IndicatorTuple = tuple[str, float | None, str | None]


def parse_indicator_cell(cell: str) -> tuple[IndicatorTuple, ...] | None:
    """Parse ``名称=目标值单位; ...``; ``None`` when malformed.

    Examples
    --------
    >>> parse_indicator_cell("培训人数=1,500人; 满意度=90%; 建成站点")
    (('培训人数', 1500.0, '人'), ('满意度', 90.0, '%'), ('建成站点', None, None))
    >>> parse_indicator_cell("满意度=很高") is None
    True
    """
    return parse_indicator_cells([cell])[0]


def parse_indicator_cells(cells: Sequence[str] | Any) -> list[tuple[IndicatorTuple, ...] | None]:
    """:func:`parse_indicator_cell` over many cells at once (vectorised with pyarrow)."""
    if not len(cells):
        return []
    parsed, bad = _indicator_array(cells)
    out: list[tuple[IndicatorTuple, ...] | None] = parsed.tolist()
    for k in np.flatnonzero(bad).tolist():
        out[k] = None
    return out


def _indicator_array(cells: Sequence[str] | Any) -> tuple[np.ndarray, np.ndarray]:
    """Indicator tuples of text cells (``()`` where malformed) and the malformed mask.

    Cells are split into items in one pass; each distinct item text (``满意度=90%``
    repeats across many cells) is matched and converted once.
    """
    array = pa.array(cells, type=pa.string()) if isinstance(cells, list) else \
        pa.array(cells).cast(pa.string())  # pandas arrays convert without copying
    if _holds_other_separator(array):
        split = pc.split_pattern_regex(array, pattern=r"[;；|\n]")
    else:  # the usual separator only: a plain split is several times faster
        split = pc.split_pattern(array, pattern=";")
    parents = np.asarray(pc.list_parent_indices(split).to_numpy(zero_copy_only=False),
                         dtype=np.int64)
    encoded = pc.dictionary_encode(pc.list_flatten(split))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    # each distinct item as written, trimmed (items differing only in spaces both kept)
    distinct = _tidy_items(pc.utf8_trim_whitespace(encoded.dictionary))
    found = pc.extract_regex(distinct, pattern=_INDICATOR_ITEM)
    empty = np.asarray(pc.equal(distinct, "").to_numpy(zero_copy_only=False), dtype=bool)
    valid = np.asarray(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    valid &= ~np.asarray(pc.match_substring_regex(distinct, _CONTROL_RE2), dtype=bool)
    names = found.field("name").to_pylist()
    targets = [float(t.replace(",", "")) if t else None for t in found.field("target").to_pylist()]
    valid &= [t is None or abs(t) <= MAX_EXTRA_NUMBER for t in targets]
    units = pc.utf8_trim_whitespace(found.field("unit")).to_pylist()
    items = np.fromiter(
        ((name, target, unit or None) if ok else None
         for name, target, unit, ok in zip(names, targets, units, valid.tolist(), strict=True)),
        dtype=object, count=len(distinct))
    bad = np.zeros(len(cells), dtype=bool)
    bad[parents[~empty[codes] & ~valid[codes]]] = True
    keep = ~empty[codes] & ~bad[parents]
    return _group_tuples(items[codes[keep]], parents[keep], len(cells)), bad


def _holds_other_separator(array: pa.Array | pa.ChunkedArray) -> bool:
    """Whether some cell may hold ``|``, a line break or ``；`` (EF BC 9B in UTF-8): from
    the bytes of the text (those of a slice's neighbours too: a false alarm at worst)."""
    for chunk in array.chunks if isinstance(array, pa.ChunkedArray) else [array]:
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if (raw == 0x7C).any() or (raw == 0x0A).any():
            return True
        at = np.flatnonzero(raw[:-2] == 0xEF)
        if np.any((raw[at + 1] == 0xBC) & (raw[at + 2] == 0x9B)):
            return True
    return False


_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x{9f}]"
#: Full-width digits and number punctuation, read as ASCII in indicator targets.
_WIDE_NUMBER = str.maketrans("０１２３４５６７８９．，＝％", "0123456789.,=%")


def _tidy_items(distinct: pa.Array) -> pa.Array:
    """Distinct indicator items without invisible characters and with full-width digits
    as ASCII (only items holding such characters are touched)."""
    odd = pc.match_substring_regex(distinct, f"[{INVISIBLE}０-９．，＝％]")
    if not pc.any(odd).as_py():
        return distinct
    texts = distinct.to_pylist()
    for k in np.flatnonzero(np.asarray(odd, dtype=bool)).tolist():
        texts[k] = strip_invisible(texts[k]).translate(_WIDE_NUMBER).strip()
    return pa.array(texts, type=pa.string())


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


def _indicator_from_object(value: object) -> tuple[IndicatorTuple, ...] | None:
    """Indicators of a typed cell (JSON, Parquet, a frame): a string in the cell syntax, a
    record ``{"name", "target", "unit"}``, a ``(name, target, unit)`` sequence, or a list of
    these; ``None`` when malformed."""
    if isinstance(value, str):
        return parse_indicator_cell(value)
    items = [value] if isinstance(value, dict) else value
    out: list[IndicatorTuple] = []
    for item in items:  # type: ignore[attr-defined]
        if isinstance(item, str):
            parsed = parse_indicator_cell(item)
        else:
            one = _indicator_record(item)
            parsed = None if one is None else (one,)
        if parsed is None:
            return None
        out.extend(parsed)
    return tuple(out)


def _indicator_record(item: object) -> IndicatorTuple | None:
    """One indicator from a record or a sequence of 1 to 3 fields; ``None`` when malformed."""
    if isinstance(item, dict):
        name, target, unit = item.get("name"), item.get("target"), item.get("unit")
    elif isinstance(item, list | tuple | np.ndarray) and 1 <= len(item) <= 3:
        name, target, unit = (*item, None, None)[:3]
    else:
        return None
    if not isinstance(name, str) or not strip_invisible(name).strip() or control_characters(name):
        return None
    number = _indicator_target(target)
    if number is False:
        return None
    text_unit = None if unit is None or (isinstance(unit, float) and math.isnan(unit)) \
        else strip_invisible(str(unit)).strip() or None
    if text_unit is not None and control_characters(text_unit):
        return None
    return strip_invisible(name).strip(), number, text_unit


def _indicator_target(target: object) -> float | None | Literal[False]:
    """A target value (``None`` when absent), or ``False`` when it is not a plausible number:
    text must be ASCII digits after NFKC, like the cells; at most 10^15 in size."""
    if target is None or (isinstance(target, float) and math.isnan(target)):
        return None
    if isinstance(target, str):
        target = normalise_key(target)
        if not target.isascii():
            return False
    try:
        number = float(target)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return False
    return number if math.isfinite(number) and abs(number) <= MAX_EXTRA_NUMBER else False


def parse_indicators(text: pd.Series, listlike: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Indicator tuples per row and a mask of malformed cells.

    Each distinct cell text is parsed once, then spread to its rows.
    """
    codes, uniques = factorize(text)
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


def format_indicators(indicators: tuple[IndicatorTuple, ...]) -> str | None:
    """The cell text of indicator tuples (inverse of :func:`parse_indicator_cell`), or
    ``None`` when a name or unit cannot be written in that syntax."""
    return format_indicator_cells([indicators])[0]


def format_indicator_cells(cells: Sequence[tuple[IndicatorTuple, ...]]) -> list[str | None]:
    """:func:`format_indicators` over many cells; every indicator's text is checked to
    parse back to itself in one vectorised pass."""
    texts: list[str] = []
    wanted: list[IndicatorTuple] = []
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
