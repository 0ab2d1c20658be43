"""Text from the public, made safe at the door and on the way out.

At the door (loaders, rules, command-line arguments):

- :func:`normalise_key` — ids and other keys: Unicode NFKC (full-width digits and letters
  become ASCII, ``２０２６-０１`` is ``2026-01``), invisible characters removed (byte-order
  mark, zero-width spaces and joiners, bidirectional controls), outer spaces trimmed;
- :func:`strip_invisible` — free text such as titles keeps its own characters (a Chinese
  ``，`` stays ``，``) but loses the invisible ones;
- :func:`control_characters` — the control characters left in a text (a line break,
  an escape), which ids and titles refuse.

A whole column at once: :func:`clean_keys` and :func:`clean_texts` apply the same rules to a
:class:`pandas.Series` (the loaders' door) and return the mask of cells holding control
characters. They scan the column's UTF-8 bytes with numpy first: a column without
invisible or control characters (almost every column) costs one pass over its bytes, and
an ASCII column skips NFKC altogether.

On the way out, :func:`terminal_safe` shows such characters as visible escapes so that a
title cannot move the cursor, recolour or rewrite a terminal, and
:func:`neutralise_cell` keeps a spreadsheet from running a cell as a formula (see
:data:`DANGEROUS_START`).

Examples
--------
>>> all(strip_invisible(ch) == "" for ch in INVISIBLE_CHARS), len(INVISIBLE_CHARS)
(True, 18)
>>> normalise_key("\\ufeff２０２６-００４２\\u200b")
'2026-0042'
>>> strip_invisible("职工\\u202e书屋")
'职工书屋'
>>> control_characters("a\\nb\\x1b[31m")
['\\n', '\\x1b']
>>> terminal_safe("ok\\x1b[2Jgone")
'ok\\\\x1b[2Jgone'
>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DANGEROUS_START",
    "INVISIBLE",
    "INVISIBLE_CHARS",
    "arrow_strings",
    "longest_bytes",
    "clean_keys",
    "clean_texts",
    "control_characters",
    "neutralise_cell",
    "neutralise_series",
    "normalise_key",
    "restore_series",
    "restore_text",
    "strip_invisible",
    "terminal_safe",
    "trim_strings",
]

#: Characters that change nothing visible but make two texts differ: the byte-order mark,
#: zero-width space / non-joiner / joiner, word joiner, soft hyphen, and the bidirectional
#: marks, embeddings, overrides and isolates.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
#: The :data:`INVISIBLE` characters as a set.
INVISIBLE_CHARS = frozenset("\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c"
                            + "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])))
#: C0 and C1 control characters and DEL (tab, line breaks and escape included).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_RE2 = r"[\x00-\x1f\x7f-\x{9f}]"


def strip_invisible(text: str) -> str:
    """``text`` without the :data:`INVISIBLE` characters."""
    return _INVISIBLE.sub("", text)


def normalise_key(text: str) -> str:
    """An id or key as compared: invisible characters removed, NFKC, trimmed.

    Idempotent: the invisible characters go first, so that NFKC sees the text as it is
    compared (``e``, a zero-width space, then a combining accent is ``é``).
    """
    return unicodedata.normalize("NFKC", strip_invisible(text)).strip()


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, in order (empty when there are none)."""
    return _CONTROL.findall(text)


def terminal_safe(text: str) -> str:
    """``text`` with control and invisible characters shown as escapes (``\\x1b``),
    keeping line breaks, so that printing it cannot drive the terminal."""
    def shown(match: re.Match[str]) -> str:
        char = match.group(0)
        return char if char == "\n" else char.encode("unicode_escape").decode("ascii")

    return re.sub(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]", shown, text)


# -- a whole column at the door ------------------------------------------------------------
def clean_keys(values: pd.Series, *, trimmed: bool = False) -> tuple[pd.Series, np.ndarray]:
    r""":func:`normalise_key` over a column of text (missing cells stay missing).

    Returns the normalised column (Arrow-backed ``str``, same index; a cell that is empty
    once normalised is missing) and the mask of cells that still hold control characters.
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
    no copy when the column is Arrow-backed)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)
    else:
        objects = values.astype(object).where(values.notna(), None).to_numpy()
        array = pa.array(objects, type=pa.large_string(), from_pandas=True)
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


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


def _scan_bytes(raw: np.ndarray) -> tuple[bool, bool]:
    padded = np.concatenate([raw, np.zeros(2, dtype=np.uint8)])
    control = bool(np.any(raw < 0x20) or np.any(raw == 0x7F))
    control |= _follows(padded, 0xC2, lambda b1, _: (b1 >= 0x80) & (b1 <= 0x9F))
    invisible = _follows(padded, 0xC2, lambda b1, _: b1 == 0xAD)                 # U+00AD
    invisible |= _follows(padded, 0xD8, lambda b1, _: b1 == 0x9C)                # U+061C
    invisible |= _follows(padded, 0xEF, lambda b1, b2: (b1 == 0xBB) & (b2 == 0xBF))  # FEFF
    invisible |= _follows(padded, 0xE2, lambda b1, b2: (                         # U+20xx
        ((b1 == 0x80) & (((b2 >= 0x8B) & (b2 <= 0x8F)) | ((b2 >= 0xAA) & (b2 <= 0xAE))))
        | ((b1 == 0x81) & ((b2 == 0xA0) | ((b2 >= 0xA6) & (b2 <= 0xA9))))))
    return control, invisible


def _scan(array: pa.ChunkedArray) -> tuple[bool, bool]:
    """``(control, invisible)``: whether the text holds a control character (C0, DEL, C1)
    or an :data:`INVISIBLE` one. Exact, from the byte patterns of UTF-8."""
    control = invisible = False
    for chunk in array.chunks:
        c, i = _scan_bytes(_utf8(chunk))
        control, invisible = control or c, invisible or i
    return control, invisible


def trim_strings(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """``array`` with outer whitespace trimmed (the characters ``str.strip`` removes) and
    empty values missing.

    >>> trim_strings(pa.chunked_array([["a ", "\u3000b", "", None, "c"]])).to_pylist()
    ['a', 'b', None, None, 'c']
    """
    return _null_empty(pc.utf8_trim_whitespace(array))


def _clean(values: pd.Series, clean: Callable[[str], str], *, nfkc: bool, trimmed: bool
           ) -> tuple[pd.Series, np.ndarray]:
    array = arrow_strings(values)
    if not trimmed:
        array = trim_strings(array)
    control, invisible = _scan(array)
    if invisible or (nfkc and pc.all(pc.string_is_ascii(array)).as_py() is False):
        array = _clean_distinct(array, clean)
    mask = np.zeros(len(array), dtype=bool)
    if control:
        mask = np.asarray(pc.fill_null(pc.match_substring_regex(array, _CONTROL_RE2), False),
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


# -- on the way out: spreadsheets --------------------------------------------------------
#: Characters that make a spreadsheet treat a cell as a formula when they come first
#: (``=``, ``+``, ``-``, ``@``, and in some programs a leading tab or carriage return).
#:
#: Every text cell the writers of ``selector`` produce goes through :func:`neutralise_cell`,
#: which puts one apostrophe in front of such text; the loaders undo it with
#: :func:`restore_text`, so load → save → load gives the same proposals. The rule is a
#: bijection on text: a value matching ``'*[=+\-@\t\r]...`` (any number of apostrophes,
#: then a dangerous character) gains one apostrophe on writing and loses one on reading;
#: every other value is left alone. A planner's own cell written as ``'=SUM(A1)`` loads as
#: ``=SUM(A1)`` (as Excel itself shows it), and text that starts with apostrophes is kept.
DANGEROUS_START = "=+-@\t\r"

_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = r"^'+[=+\-@\t\r]"

T = TypeVar("T")


def neutralise_cell(value: T) -> T | str:
    """Make a text cell safe to open in a spreadsheet (non-text values pass through).

    >>> neutralise_cell("-5 人"), restore_text(neutralise_cell("-5 人")), neutralise_cell(12.5)
    ("'-5 人", '-5 人', 12.5)
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
