"""Whole columns of text at the door and on the way out: the vectorised twins of
:mod:`selector.text`.

:func:`clean_keys` and :func:`clean_texts` apply :func:`~selector.text.normalise_key` and
:func:`~selector.text.strip_invisible` to a :class:`pandas.Series` (the loaders' door) and
return the mask of cells holding control characters. They scan the column's UTF-8 bytes
with numpy first: a column without invisible or control characters (almost every column)
costs one pass over its bytes, and an ASCII column skips NFKC altogether.
:func:`neutralise_series` and :func:`restore_series` are
:func:`~selector.text.neutralise_cell` and :func:`~selector.text.restore_text` over a column.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from selector.text import (
    CONTROL_RE2,
    NEEDS_QUOTE,
    QUOTED,
    normalise_key,
    strip_invisible,
)

__all__ = [
    "arrow_strings",
    "clean_keys",
    "clean_texts",
    "factorize",
    "is_text_categorical",
    "longest_bytes",
    "neutralise_series",
    "recode",
    "restore_series",
    "spread",
    "trim_strings",
]


# -- a whole column at the door ------------------------------------------------------------
def clean_keys(values: pd.Series, *, trimmed: bool = False) -> tuple[pd.Series, np.ndarray]:
    r""":func:`normalise_key` over a column of text (missing cells stay missing).

    Returns the normalised column (Arrow-backed ``str``, or categorical when ``values`` is
    a categorical of text; same index; a cell that is empty once normalised is missing)
    and the mask of cells that still hold control characters.
    ``trimmed=True`` promises that no cell has outer spaces or is empty (the loaders'
    cells), which saves a pass.

    >>> keys, control = clean_keys(pd.Series(["Ａ１\u200b", "a\nb", None, "\ufeff"]))
    >>> keys.tolist(), control.tolist()
    (['A1', 'a\nb', nan, nan], [False, True, False, False])
    """
    return _clean(values, normalise_key, nfkc=True, trimmed=trimmed)


def clean_texts(values: pd.Series, *, trimmed: bool = False) -> tuple[pd.Series, np.ndarray]:
    r""":func:`strip_invisible` (then trimming) over a column of free text, like
    :func:`clean_keys` but keeping every visible character as written.

    >>> texts, control = clean_texts(pd.Series(["职工\u202e书屋 ", "ＡＢ", "x\x1b[2J"]))
    >>> texts.tolist(), control.tolist()
    (['职工书屋', 'ＡＢ', 'x\x1b[2J'], [False, False, True])
    """
    return _clean(values, lambda text: strip_invisible(text).strip(), nfkc=False,
                  trimmed=trimmed)


_ARROW_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def arrow_strings(values: pd.Series) -> pa.ChunkedArray:
    """A column of text as an Arrow string array (chunked, ``string`` or ``large_string``;
    no copy when the column is Arrow-backed; a categorical column of text is decoded)."""
    if is_text_categorical(values):
        codes = values.cat.codes.to_numpy()
        distinct = arrow_strings(pd.Series(values.cat.categories.array)).combine_chunks()
        return pa.chunked_array([distinct.take(pa.array(codes, mask=codes < 0))])
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)
    else:
        objects = values.astype(object).where(values.notna(), None).to_numpy()
        array = pa.array(objects, type=pa.large_string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def is_text_categorical(values: pd.Series) -> bool:
    """Whether ``values`` is a categorical column whose categories are text (as the CSV
    reader gives repetitive fields: each distinct text is then checked once)."""
    return isinstance(values.dtype, pd.CategoricalDtype) and isinstance(
        values.dtype.categories.dtype, pd.StringDtype)


def recode(values: pd.Series, categories: pd.Series) -> pd.Series:
    """The categorical ``values`` with category ``k`` replaced by ``categories[k]``: a
    missing replacement makes its cells missing, equal replacements merge.

    >>> column = pd.Series(pd.Categorical([" a", "a", "b", None]))
    >>> recode(column, pd.Series(["a", "a", None])).tolist()
    ['a', 'a', nan, nan]
    """
    if not categories.isna().any() and values.cat.categories.equals(pd.Index(categories)):
        return values  # (the usual case: nothing to clean)
    new_codes, uniques = pd.factorize(categories)
    codes = np.append(new_codes, -1)[values.cat.codes.to_numpy()]  # code -1 stays -1
    dtype = pd.CategoricalDtype(pd.Index(uniques))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype, validate=False),
                     index=values.index)


def factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """:func:`pandas.factorize` of a column of text: codes (-1 where missing) and the
    distinct texts. A categorical gives its own codes and categories (among which may be
    some no cell uses).

    >>> codes, texts = factorize(pd.Series(["b", None, "b", "a"], dtype="str"))
    >>> codes.tolist(), texts.tolist()
    ([0, -1, 0, 1], ['b', 'a'])
    """
    if is_text_categorical(values):
        return values.cat.codes.to_numpy().astype(np.intp), values.cat.categories
    codes, uniques = pd.factorize(values)
    return codes, pd.Index(uniques)


def spread(per_category: np.ndarray, values: pd.Series) -> np.ndarray:
    """A mask over the categories of ``values`` as a mask over its cells (missing: false)."""
    if not per_category.any():  # (the usual case: nothing to spread)
        return np.zeros(len(values), dtype=bool)
    out: np.ndarray = np.append(per_category, False)[values.cat.codes.to_numpy()]
    return out


def _utf8(chunk: pa.Array) -> np.ndarray:
    """The UTF-8 bytes of the values of one string chunk (no copy)."""
    data = chunk.buffers()[2]
    if data is None or len(chunk) == 0:
        return np.zeros(0, dtype=np.uint8)
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    offsets = np.frombuffer(chunk.buffers()[1], dtype=width)
    start, stop = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
    return np.frombuffer(data, dtype=np.uint8)[start:stop]


def _follows(raw: np.ndarray, lead: int, test: Callable[[np.ndarray, np.ndarray], Any]) -> bool:
    """Whether some ``lead`` byte is followed by two bytes for which ``test`` holds."""
    at = np.flatnonzero(raw[:-2] == lead) if len(raw) > 2 else np.zeros(0, dtype=np.int64)
    if not len(at):
        return False
    return bool(np.any(test(raw[at + 1], raw[at + 2])))


def _scan_bytes(raw: np.ndarray) -> tuple[bool, bool, bool]:
    if not np.any(raw >= 0x80):  # ASCII: no invisible character, no C1 control
        return bool(np.any((raw < 0x20) | (raw == 0x7F))), False, True
    padded = np.concatenate([raw, np.zeros(2, dtype=np.uint8)])
    control = bool(np.any(raw < 0x20) or np.any(raw == 0x7F))
    control |= _follows(padded, 0xC2, lambda b1, _: (b1 >= 0x80) & (b1 <= 0x9F))
    invisible = _follows(padded, 0xC2, lambda b1, _: b1 == 0xAD)                 # U+00AD
    invisible |= _follows(padded, 0xD8, lambda b1, _: b1 == 0x9C)                # U+061C
    invisible |= _follows(padded, 0xEF, lambda b1, b2: (b1 == 0xBB) & (b2 == 0xBF))  # FEFF
    invisible |= _follows(padded, 0xE2, lambda b1, b2: (                         # U+20xx
        ((b1 == 0x80) & (((b2 >= 0x8B) & (b2 <= 0x8F)) | ((b2 >= 0xAA) & (b2 <= 0xAE))))
        | ((b1 == 0x81) & ((b2 == 0xA0) | ((b2 >= 0xA6) & (b2 <= 0xA9))))))
    return control, invisible, False


def _scan(array: pa.ChunkedArray) -> tuple[bool, bool, bool]:
    """``(control, invisible, ascii)``: whether the text holds a control character (C0,
    DEL, C1) or an :data:`INVISIBLE` one, and whether it is all ASCII. Exact, from the
    byte patterns of UTF-8 (a pure ASCII text costs one pass)."""
    control = invisible = False
    plain = True
    for chunk in array.chunks:
        c, i, a = _scan_bytes(_utf8(chunk))
        control, invisible, plain = control or c, invisible or i, plain and a
    return control, invisible, plain


def trim_strings(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """``array`` with outer whitespace trimmed (the characters ``str.strip`` removes) and
    empty values missing.

    >>> trim_strings(pa.chunked_array([["a ", "\u3000b", "", None, "c"]])).to_pylist()
    ['a', 'b', None, None, 'c']
    """
    if _may_have_outer_space(array):
        array = pc.utf8_trim_whitespace(array)
    return _null_empty(array)


def _may_have_outer_space(array: pa.ChunkedArray) -> bool:
    """Whether some value may start or end with whitespace (the characters ``str.strip``
    and Arrow's ``utf8_trim_whitespace`` both remove: ASCII spaces and controls up to
    0x20, U+0085, U+00A0, U+1680, U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000).
    From the offsets and the first two and last two bytes of each value alone, so a
    column whose values start and end with a letter, a digit or a Chinese character
    (ids, amounts, indicators) costs no trimming pass.

    >>> [_may_have_outer_space(pa.chunked_array([[t]]))
    ...  for t in ("满意度=90%", "人　", " a", " a")]
    [False, True, True, True]
    """
    return any(_chunk_may_have_outer_space(chunk) for chunk in array.chunks)


def _chunk_may_have_outer_space(chunk: pa.Array) -> bool:
    if len(chunk) == 0 or chunk.null_count == len(chunk):
        return False
    offsets = _offsets(chunk)
    if offsets[-1] == offsets[0]:
        return False  # only empty values
    raw = np.frombuffer(chunk.buffers()[2], dtype=np.uint8)
    # an empty value shows its neighbour's bytes: a false alarm at worst
    starts = np.minimum(offsets[:-1], len(raw) - 1)
    ends = np.maximum(offsets[1:], 1)
    first, last = raw[starts], raw[ends - 1]
    if np.any(first <= 0x20) or np.any(last <= 0x20):
        return True
    # UTF-8 of the others: C2 85, C2 A0, E1 9A 80, E2 80 80-8A, E2 80 A8, E2 80 A9,
    # E2 80 AF, E2 81 9F, E3 80 80 (a value starting or ending with a byte >= 0x80 has
    # at least two bytes)
    lead = (first == 0xC2) | ((first >= 0xE1) & (first <= 0xE3))
    if lead.any():
        second = raw[np.minimum(starts[lead] + 1, len(raw) - 1)]
        if np.any((second == 0x80) | (second == 0x81) | (second == 0x85) | (second == 0x9A)
                  | (second == 0xA0)):
            return True
    tail = ((last >= 0x80) & (last <= 0x8A)) | (last == 0x9F) | (last == 0xA0) \
        | (last == 0xA8) | (last == 0xA9) | (last == 0xAF)
    if tail.any():
        before = raw[ends[tail] - 2]
        return bool(np.any((before == 0x80) | (before == 0x81) | (before == 0x9A)
                           | (before == 0xC2)))
    return False


def _clean(values: pd.Series, clean: Callable[[str], str], *, nfkc: bool, trimmed: bool
           ) -> tuple[pd.Series, np.ndarray]:
    if is_text_categorical(values):  # each distinct text once
        categories, per_category = _clean(pd.Series(values.cat.categories.array), clean,
                                          nfkc=nfkc, trimmed=trimmed)
        return recode(values, categories), spread(per_category, values)
    array = arrow_strings(values)
    if not trimmed:
        array = trim_strings(array)
    control, invisible, plain = _scan(array)
    if invisible or (nfkc and not plain):
        array = _clean_distinct(array, clean)
    mask = np.zeros(len(array), dtype=bool)
    if control:
        mask = np.asarray(pc.fill_null(pc.match_substring_regex(array, CONTROL_RE2), False),
                          dtype=bool)
    out = pd.Series(pd.arrays.ArrowStringArray(array, dtype=_ARROW_STR),  # type: ignore[call-arg]
                    index=values.index)
    return out, mask


def _clean_distinct(array: pa.ChunkedArray, clean: Callable[[str], str]) -> pa.ChunkedArray:
    """``clean`` applied to each distinct non-ASCII text once (ASCII text has neither
    invisible characters nor anything NFKC changes)."""
    encoded = pc.dictionary_encode(array.combine_chunks())
    distinct = encoded.dictionary
    odd = np.flatnonzero(~np.asarray(pc.string_is_ascii(distinct), dtype=bool)).tolist()
    texts = distinct.to_pylist()
    for k in odd:
        texts[k] = clean(texts[k])
    cleaned = pc.take(pa.array(texts, type=distinct.type), encoded.indices)
    return _null_empty(pa.chunked_array([cleaned]))


def longest_bytes(array: pa.ChunkedArray) -> int:
    """The length in bytes of the longest value (at least its length in characters), from
    the offsets alone.

    >>> longest_bytes(pa.chunked_array([["ab", None], ["长"]]))
    3
    """
    longest = 0
    for chunk in array.chunks:
        if len(chunk):
            longest = max(longest, int(np.diff(_offsets(chunk)).max()))
    return longest


def _offsets(chunk: pa.Array) -> np.ndarray:
    width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
    out: np.ndarray = np.frombuffer(chunk.buffers()[1], dtype=width)[
        chunk.offset:chunk.offset + len(chunk) + 1]
    return out


def _has_empty(chunk: pa.Array) -> bool:
    """Whether some present value of a string chunk is ``""`` (from its offsets and validity
    bitmap: no pass over the text)."""
    if len(chunk) == 0 or chunk.null_count == len(chunk):
        return False
    offsets = _offsets(chunk)
    empty = offsets[1:] == offsets[:-1]
    if chunk.null_count and empty.any():
        bits = np.unpackbits(np.frombuffer(chunk.buffers()[0], dtype=np.uint8),
                             bitorder="little")[chunk.offset:chunk.offset + len(chunk)]
        empty &= bits.astype(bool)
    return bool(empty.any())


def _null_empty(array: pa.ChunkedArray) -> pa.ChunkedArray:
    if not any(_has_empty(chunk) for chunk in array.chunks):
        return array
    empty = pc.equal(array, "")
    out: pa.ChunkedArray = pc.if_else(empty, pa.scalar(None, array.type), array)
    return out


def neutralise_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`neutralise_cell` over a Series of text (missing values kept)."""
    text = series.astype(object)
    mask = text.map(lambda v: isinstance(v, str) and bool(NEEDS_QUOTE.match(v))).astype(bool)
    if mask.any():
        text = text.copy()
        text[mask] = "'" + text[mask].astype(str)
    return text


def restore_series(series: pd.Series) -> pd.Series:
    """Vectorised :func:`restore_text` over a Series of loaded text (missing values kept)."""
    mask = series.str.contains(QUOTED, regex=True, na=False).astype(bool)
    if not mask.any():
        return series
    out = series.copy()
    out[mask] = series[mask].str.slice(1)
    return out
