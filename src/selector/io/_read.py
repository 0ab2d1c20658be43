"""Readers: bytes of a file → headers and raw columns, then :func:`build_proposals`.

Every failure of the underlying libraries (pandas, openpyxl, pyarrow, json, codecs) is
turned into an :class:`~selector.InvalidInputError` with one readable line, and the
resource limits of :data:`~selector.io._limits.LIMITS` are checked before the expensive
work: the file's size before reading it, a workbook's unpacked sizes before opening it,
the header line before parsing rows, a JSON document's depth.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import warnings
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from charset_normalizer import from_bytes

from selector._errors import InputProblem, InvalidInputError
from selector.io._fields import lookup_header
from selector.io._limits import LIMITS, read_limited
from selector.io._memory import bulk
from selector.io._pabulib import load_pabulib
from selector.io._validate import Vocabulary, build_proposals
from selector.model import FLOAT_COLUMNS, ProposalSet
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Taxonomy
from selector.text import INVISIBLE_CHARS

__all__ = ["FORMATS", "READ_FORMATS", "detect_encoding", "load_proposals"]

#: Formats :func:`load_proposals` reads, by file suffix.
READ_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".pb": "pabulib"}
Format = Literal["csv", "xlsx", "json", "parquet", "pabulib"]
#: The formats :func:`load_proposals` can be asked for.
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "json", "parquet", "pabulib")

_DELIMITERS = (",", "\t", ";", "|")
_CHINESE = ("gb18030", "gbk", "gb2312", "big5", "big5hkscs", "hz")


def _fail(key: str, source: str, row: int | None = None, **params: Any) -> InvalidInputError:
    return InvalidInputError(InputProblem.of(key, row, **params), source)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # category Cc but \t \n \r


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:20000]
    control = len(_CONTROL.findall(sample))  # a few escapes in cells are reported by cell
    return control > max(8, len(sample) // 100)


def _is_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8 (Arrow's validator: twice as fast as decoding)."""
    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int64))
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _mostly_chinese(text: str) -> bool:
    """Whether the non-ASCII characters of ``text`` are (90 %) Chinese: CJK ideographs and
    punctuation, full-width forms and general punctuation (quotes, dashes); invisible
    characters do not count either way."""
    wide = [ch for ch in text[:50000] if ord(ch) > 127 and ch not in INVISIBLE_CHARS]
    if not wide:
        return True
    cjk = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"
              or "\u2000" <= ch <= "\u206f")
    return cjk >= 0.9 * len(wide)


def detect_encoding(raw: bytes) -> str:
    """The encoding of a text file: UTF-8 (with or without BOM), UTF-16 with BOM,
    GB18030 (the superset of GBK that Chinese Excel saves) or charset-normalizer's guess.

    Examples
    --------
    >>> detect_encoding("项目名称".encode("gb18030"))
    'gb18030'
    >>> detect_encoding(codecs.BOM_UTF8 + "项目名称".encode())
    'utf-8-sig'
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if _is_utf8(raw):
        return "utf-8"
    try:
        if _mostly_chinese(raw.decode("gb18030")):
            return "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(raw[:500_000]).best()
    if best is None:
        raise ValueError("no text encoding fits")
    encoding: str = best.encoding
    return "gb18030" if encoding in _CHINESE[:3] else encoding


def _head_encoding(raw: bytes) -> str | None:
    """UTF-8 (with or without BOM) when the first 64 KiB are valid UTF-8, else ``None``.

    A cheap first guess for the fast CSV reader, which checks the rest of the file itself.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(raw[:65536], final=len(raw) <= 65536)
    except UnicodeDecodeError:
        return None
    return "utf-8"


def _encoding(raw: bytes, encoding: str | None, source: str, *, head_only: bool = False
              ) -> str:
    """The encoding to read ``raw`` with; raises for binary content. With ``head_only``,
    UTF-8 is trusted from the first 64 KiB (the caller must verify the rest)."""
    try:
        enc = encoding or (_head_encoding(raw) if head_only else None) or detect_encoding(raw)
        codecs.lookup(enc)
    except ValueError:
        raise _fail("io.read.not_text", source) from None
    except LookupError:
        raise _fail("io.read.unknown_encoding", source, encoding=str(encoding)) from None
    sample = raw[:65536].decode(enc, errors="replace")
    if _looks_binary(sample):
        raise _fail("io.read.binary", source)
    return enc


def _decode(raw: bytes, encoding: str | None, source: str) -> str:
    enc = _encoding(raw, encoding, source)
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        raise _fail("io.read.bad_encoding", source, encoding=enc, reason=str(exc)) from None


def _sniff_delimiter(first_line: str, mapping: Mapping[str, str] | None) -> str:
    best, best_key = ",", (-1, -1)
    for sep in _DELIMITERS:
        fields = next(csv.reader([first_line], delimiter=sep), [])
        known = sum(lookup_header(f, mapping) is not None for f in fields)
        key = (known, len(fields))
        if key > best_key:
            best, best_key = sep, key
    return best


_ARROW_STR = pd.StringDtype("pyarrow", na_value=np.nan)
#: Bytes of CSV per block of the fast reader (each block is parsed by one thread): a 1M-row
#: file loaded 0.1-0.4 s faster in 4 MB blocks than in 16 MB ones (2-8 MB alike).
_BLOCK_BYTES = 4 << 20
#: Text fields whose values repeat (or are parsed per distinct cell anyway): read
#: dictionary-encoded, so that each distinct text is trimmed, checked and parsed once.
#: Ids, money, indicators (one distinct cell in five: the dictionary costs more than it
#: saves) and extra columns stay plain text.
_CODED_FIELDS = frozenset({"title", "domain", "target_groups", "district", "pools",
                           "requires", "excludes", "variant_group", "proposer", "channel",
                           "currency"})


def _read_arrow(raw: bytes, enc: str, sep: str, width: int, numeric: set[int],
                coded: set[int]) -> list[pd.Series] | None:
    """The fast path: pyarrow's CSV reader. ``None`` when the file needs the careful
    reader: ragged rows, line breaks inside quoted cells, other encodings or bytes that
    are not UTF-8, ``NaN`` written in a numeric column. Blank lines are kept as empty
    rows, so rows keep their numbers. The ``coded`` columns are read dictionary-encoded
    and given as categoricals of text (see :data:`_CODED_FIELDS`)."""
    if enc not in ("utf-8", "utf-8-sig"):
        return None
    names = [str(j) for j in range(width)]
    text_types = {n: pa.dictionary(pa.int32(), pa.large_string()) if j in coded
                  else pa.large_string() for j, n in enumerate(names) if j not in numeric}

    def read(types: dict[str, Any]) -> Any:
        return pacsv.read_csv(
            pa.BufferReader(raw),  # zero-copy
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1,
                                           block_size=_BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=False,
                                             ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=types, null_values=[""], strings_can_be_null=True,
                quoted_strings_can_be_null=True))

    try:
        try:  # numeric fields as numbers (fastest); else let Arrow infer, e.g. "3,000人"
            table = read(text_types | {n: pa.float64() for j, n in enumerate(names)
                                       if j in numeric})
        except pa.ArrowInvalid:
            table = read(text_types)
    except (pa.ArrowException, ValueError):
        return None
    if b'"' in raw:  # only a quoted cell can hold a line break (then: read carefully)
        lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
        if table.num_rows + 1 != lines:
            return None
    table = table.unify_dictionaries()  # one dictionary per column, not one per block
    columns = [c for j in range(width) if (c := _series(table.column(j))) is not None]
    return columns if len(columns) == width else None


def _series(col: pa.ChunkedArray) -> pd.Series | None:
    """One column of the fast reader as a Series; ``None`` when it needs the careful
    reader (bytes that are not UTF-8, ``NaN`` or ``inf`` written in a numeric column)."""
    if pa.types.is_dictionary(col.type):
        return _categorical(col)
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        values = np.asarray(col.to_numpy(), dtype=np.float64)
        # "NaN"/"inf" written in a cell is not a number: more non-finite values than
        # empty cells means some; the careful reader keeps the text to report it
        if np.count_nonzero(~np.isfinite(values)) > col.null_count:
            return None
        return pd.Series(values, copy=False)  # (pandas would copy it)
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return pd.Series(pd.arrays.ArrowStringArray(col, dtype=_ARROW_STR))  # type: ignore[call-arg]
    if pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
        return None  # not UTF-8 after all
    return _arrow_text(col)  # null (all empty), bool, timestamp, ...: the text as written


def _categorical(col: pa.ChunkedArray) -> pd.Series:
    """A dictionary-encoded Arrow column (one dictionary for all its chunks) as a pandas
    categorical whose categories are Arrow-backed ``str`` (no copy of the text)."""
    if col.num_chunks == 0:
        return pd.Series(pd.Categorical([], categories=pd.Index([], dtype=_ARROW_STR)))
    indices = pa.chunked_array([chunk.indices for chunk in col.chunks], type=pa.int32())
    codes = np.asarray(pc.fill_null(indices, -1).to_numpy(), dtype=np.int32)
    categories = pd.Index(pd.arrays.ArrowStringArray(  # type: ignore[call-arg]
        col.chunk(0).dictionary, dtype=_ARROW_STR))
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories),
                                               validate=False))


def _arrow_text(col: Any) -> pd.Series:
    """An Arrow column as a pandas ``str`` Series."""
    return pd.Series(col.to_pylist(), dtype="str").where(
        pd.Series(col.is_valid().to_numpy(zero_copy_only=False)))


def _header_line(raw: bytes, enc: str, source: str) -> str:
    """The first line of a CSV file, refused when longer than the header limit."""
    limit = LIMITS.header_line_bytes
    head = raw[:limit + 4]
    end = head.find(b"\n")
    if end < 0 and len(raw) > limit:
        raise _fail("io.limit.header_line", source, 1, limit=f"{limit:,}")
    try:
        text = head.decode(enc, errors="strict" if len(raw) <= len(head) else "ignore")
    except UnicodeDecodeError as exc:
        raise _fail("io.read.bad_encoding", source, encoding=enc, reason=str(exc)) from None
    return text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")


def _read_csv(raw: bytes, *, encoding: str | None, delimiter: str | None,
              mapping: Mapping[str, str] | None, source: str
              ) -> tuple[list[str], list[pd.Series], list[InputProblem]]:
    # UTF-8 is first trusted from the head: the fast reader validates the rest itself
    enc = _encoding(raw, encoding, source, head_only=True)
    first_line = _header_line(raw, enc, source)
    sep = delimiter or _sniff_delimiter(first_line, mapping)
    headers = [h.strip() for h in next(csv.reader([first_line], delimiter=sep), [])]
    others = [d for d in _DELIMITERS if d != sep]
    if len(headers) == 1:
        found = [d for d in others if d in headers[0]]
        if found:
            raise _fail("io.read.one_column", source, 1, found=found[0], sep=sep)
    # numeric fields are parsed by the readers' fast converters; everything else stays
    # text (ids like "007", exact money, lists) and is checked by the validator
    fields = [lookup_header(h, mapping) for h in headers]
    numeric = {j for j, f in enumerate(fields) if f is not None and f.name in FLOAT_COLUMNS}
    coded = {j for j, f in enumerate(fields) if f is not None and f.name in _CODED_FIELDS}
    columns = _read_arrow(raw, enc, sep, len(headers), numeric, coded) \
        if len(sep) == 1 else None
    if columns is None:
        if encoding is None and enc != (detected := _encoding(raw, None, source)):
            return _read_csv(raw, encoding=detected, delimiter=delimiter, mapping=mapping,
                             source=source)
        columns = _read_pandas(raw, enc, sep, len(headers), numeric, source)
    return headers, columns, _rows_in_one_cell(headers, columns, sep)


def _rows_in_one_cell(headers: list[str], columns: list[pd.Series], sep: str
                      ) -> list[InputProblem]:
    """Rows written whole into the first cell (separated differently from the header)."""
    if len(headers) < 2 or not len(columns[0]):
        return []
    first = columns[0]
    alone = first.notna().to_numpy().copy()
    for col in columns[1:]:
        if not alone.any():
            return []
        alone &= col.isna().to_numpy()
    problems: list[InputProblem] = []
    joined = first[alone].astype(str)
    for d in (d for d in _DELIMITERS if d != sep):
        hits = joined.str.contains(d, regex=False).to_numpy(dtype=bool, na_value=False)
        for k in np.flatnonzero(hits)[:20]:
            problems.append(InputProblem.of("io.read.row_in_one_cell",
                                            int(np.flatnonzero(alone)[k]) + 2, headers[0],
                                            str(joined.iloc[k]), found=d, sep=sep))
    return problems


def _read_pandas(raw: bytes, enc: str, sep: str, width: int, numeric: set[int], source: str
                 ) -> list[pd.Series]:
    """The careful path: pandas' C reader, keeping blank lines so rows stay numbered."""
    dtypes = {j: "str" for j in range(width) if j not in numeric}
    try:
        with warnings.catch_warnings():
            # a row longer than the header: pandas drops its last cells with a warning
            warnings.simplefilter("error", pd.errors.ParserWarning)
            table = pd.read_csv(io.BytesIO(raw), encoding=enc, sep=sep, header=0,
                                names=range(width), index_col=False, dtype=dtypes,
                                keep_default_na=False, na_values=[""],
                                skip_blank_lines=False,
                                engine="c" if len(sep) == 1 else "python")
    except pd.errors.ParserWarning as exc:
        line = _longer_row(raw, enc, sep, width)
        if line is None:
            raise _fail("io.read.csv", source, reason=str(exc).strip()) from None
        raise _fail("io.read.ragged", source, line[0], cells=line[1], header=width,
                    sep=sep) from None
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise _fail("io.read.ragged", source, int(m[2]), cells=m[3], header=m[1],
                        sep=sep) from None
        raise _fail("io.read.csv", source, reason=str(exc).strip()) from None
    except UnicodeDecodeError as exc:
        raise _fail("io.read.bad_encoding", source, encoding=enc, reason=str(exc)) from None
    except (ValueError, csv.Error, OverflowError) as exc:
        raise _fail("io.read.csv", source, reason=str(exc)) from None
    return [table.iloc[:, j] for j in range(width)]


def _longer_row(raw: bytes, enc: str, sep: str, width: int) -> tuple[int, int] | None:
    """``(line, cells)`` of the first row with more cells than the header's ``width`` (the
    line as the file numbers it, the header being line 1); ``None`` if there is none or
    the delimiter is not one character."""
    if len(sep) != 1:
        return None
    text = io.TextIOWrapper(io.BytesIO(raw), encoding=enc, newline="")
    reader = csv.reader(text, delimiter=sep)
    next(reader, None)
    for row in reader:
        if len(row) > width:
            return reader.line_num, len(row)
    return None


def _check_zip(raw: bytes, source: str) -> None:
    """Refuse a workbook whose parts unpack to too much, or far more than their size."""
    try:
        members = zipfile.ZipFile(io.BytesIO(raw)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise _fail("io.read.xlsx", source, reason=type(exc).__name__) from None
    total = sum(m.file_size for m in members)
    if total > LIMITS.decompressed_bytes:
        raise _fail("io.limit.decompressed", source, size=f"{total:,}",
                    limit=f"{LIMITS.decompressed_bytes:,}")
    for m in members:
        if m.file_size > (1 << 20) and m.file_size > LIMITS.inflate_ratio * max(m.compress_size, 1):
            raise _fail("io.limit.inflate", source, member=m.filename,
                        ratio=f"{m.file_size // max(m.compress_size, 1):,}")


def _read_xlsx(raw: bytes, sheet: str | int | None, source: str
               ) -> tuple[list[str], list[pd.Series]]:
    _check_zip(raw, source)
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _fail("io.read.xlsx", source, reason=type(exc).__name__) from None
    except Exception as exc:  # openpyxl raises its own InvalidFileException and others
        raise _fail("io.read.xlsx", source, reason=str(exc)) from None
    names = [str(n) for n in book.sheet_names]
    chosen = _sheet(names, sheet, source)
    try:
        table = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object,
                              keep_default_na=False, na_values=[""])
    except Exception as exc:  # openpyxl's own errors on a damaged sheet
        raise _fail("io.read.sheet", source, sheet=str(chosen), reason=str(exc)) from None
    if table.empty:
        raise _fail("io.read.empty_sheet", source,
                    sheet=names[chosen] if isinstance(chosen, int) else chosen)
    headers = ["" if pd.isna(h) else str(h).strip() for h in table.iloc[0]]
    data = table.iloc[1:]
    return headers, [data.iloc[:, j] for j in range(data.shape[1])]


def _sheet(names: list[str], sheet: str | int | None, source: str) -> str | int:
    if sheet is None:
        return 0
    if isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _fail("io.read.no_sheet_number", source, number=sheet, n=len(names),
                        names=", ".join(names))
        return sheet
    if sheet not in names:
        raise _fail("io.read.no_sheet", source, sheet=sheet, names=", ".join(names))
    return sheet


def _depth(value: object, limit: int) -> int:
    """Nesting depth of a parsed JSON value (lists and objects), counted up to ``limit + 1``."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, list | dict):
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict)
                                                 else item))
    return deepest


def _read_json(raw: bytes, encoding: str | None, source: str
               ) -> tuple[list[str], list[pd.Series]]:
    text = _decode(raw, encoding, source)
    try:  # numbers stay text: checked by the validator's grammar, never float('1e999')
        doc = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise _fail("io.read.json", source, reason=exc.msg, line=exc.lineno,
                    col=exc.colno) from None
    except RecursionError:
        raise _fail("io.limit.depth", source, limit=LIMITS.json_depth) from None
    if isinstance(doc, dict) and isinstance(doc.get("proposals"), list):
        doc = doc["proposals"]
    if not isinstance(doc, list):
        raise _fail("io.read.json_records", source)
    if not doc:
        raise _fail("io.read.json_empty", source)
    bad = [k for k, rec in enumerate(doc) if not isinstance(rec, dict)]
    if bad:
        raise InvalidInputError([InputProblem.of("io.read.json_object", k + 2)
                                 for k in bad[:20]], source)
    deep = [k for k, rec in enumerate(doc) if _depth(rec, LIMITS.json_depth - 1) >= LIMITS.json_depth]
    if deep:
        raise InvalidInputError([InputProblem.of("io.limit.depth", k + 2,
                                                 limit=LIMITS.json_depth) for k in deep[:20]],
                                source)
    headers = list(dict.fromkeys(key for rec in doc for key in rec))
    columns = []
    for h in headers:
        values = np.empty(len(doc), dtype=object)
        values[:] = [rec.get(h) for rec in doc]
        columns.append(pd.Series(values, dtype=object))
    return headers, columns


def _read_parquet(raw: bytes, source: str) -> tuple[list[str], list[pd.Series]]:
    try:
        meta = pq.ParquetFile(io.BytesIO(raw)).metadata
        size = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
        if size > LIMITS.decompressed_bytes:
            raise _fail("io.limit.decompressed", source, size=f"{size:,}",
                        limit=f"{LIMITS.decompressed_bytes:,}")
        if meta.num_columns > LIMITS.columns:
            raise _fail("io.limit.columns", source, 1, n=meta.num_columns, limit=LIMITS.columns)
        table = pd.read_parquet(io.BytesIO(raw))
    except InvalidInputError:
        raise
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _fail("io.read.parquet", source, reason=str(exc).splitlines()[0] if str(exc)
                    else type(exc).__name__) from None
    return [str(c) for c in table.columns], [table.iloc[:, j] for j in range(table.shape[1])]


def _check_options(fmt: str | None, sheet: str | int | None, delimiter: str | None,
                   source: str) -> None:
    """The reading options make sense: a known format, a one-character delimiter, a
    sheet only for a workbook."""
    problems = []
    if fmt is not None and fmt not in FORMATS:
        problems.append(InputProblem.of("io.read.format", column="format", format=str(fmt)))
    if delimiter is not None and (len(delimiter) != 1 or delimiter.isalnum()
                                  or delimiter in "\"'\r\n"):
        problems.append(InputProblem.of("io.option.delimiter", column="delimiter",
                                        value=delimiter))
    if isinstance(sheet, bool) or (sheet is not None and not isinstance(sheet, str | int)):
        problems.append(InputProblem.of("io.option.sheet_type", column="sheet",
                                        value=str(sheet)))
    if problems:
        raise InvalidInputError(problems, source)


def _check_applicable(fmt: str, sheet: str | int | None, delimiter: str | None,
                      encoding: str | None, source: str) -> None:
    """Refuse an option that the file's format does not have (rather than ignore it)."""
    given = {"sheet": (sheet, ("xlsx",)), "delimiter": (delimiter, ("csv",)),
             "encoding": (encoding, ("csv", "json"))}
    problems = [InputProblem.of("io.option.not_for_format", column=name, value=str(value),
                                format=fmt, formats=" / ".join(formats))
                for name, (value, formats) in given.items()
                if value is not None and fmt not in formats]
    if problems:
        raise InvalidInputError(problems, source)


def _format_of(path: Path, raw: bytes) -> Format:
    if raw.startswith(b"PK\x03\x04"):
        return "xlsx"
    if raw.startswith(b"PAR1"):
        return "parquet"
    by_suffix = READ_FORMATS.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix  # type: ignore[return-value]
    if path.suffix.lower() == ".xls":
        raise _fail("io.read.xls", str(path))
    head = raw.lstrip(codecs.BOM_UTF8)[:64].lstrip()
    if head.startswith((b"[", b"{")):
        return "json"
    if head.upper().startswith(b"META"):
        return "pabulib"
    return "csv"


# 8 keyword-only options, each set alone (``encoding="gbk"``, ``sheet="2026"``) as in pandas'
# readers; an options object would only lengthen the everyday call
def load_proposals(  # noqa: PLR0913
    path: str | Path,
    *,
    format: Format | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    mapping: Mapping[str, str] | None = None,
    domains: Taxonomy = DEFAULT_DOMAINS,
    target_groups: Taxonomy | None = DEFAULT_TARGET_GROUPS,
    currency: str | None = None,
    delimiter: str | None = None,
) -> ProposalSet:
    """Load and validate proposals from a CSV, Excel, JSON, Parquet or Pabulib file.

    Parameters
    ----------
    path:
        The file. The format follows the content (xlsx, Parquet) or the suffix.
    format:
        Force ``"csv"``, ``"xlsx"``, ``"json"``, ``"parquet"`` or ``"pabulib"``.
    encoding:
        CSV/JSON text encoding; detected when omitted (UTF-8, UTF-8 with BOM, UTF-16,
        GB18030/GBK, or charset-normalizer's guess).
    sheet:
        Excel sheet name or 0-based number; the first sheet by default.
    mapping:
        Header → field for headers the built-in aliases do not know.
    domains, target_groups:
        Taxonomies that cells are matched against; ``target_groups=None`` accepts any
        group code.
    currency:
        ISO currency code; default: a ``currency``/``币种`` column, else ``"CNY"``.
    delimiter:
        CSV delimiter; detected from the header line when omitted.

    Returns
    -------
    ProposalSet
        With ``meta = {"source": str(path), "format": ...}``.

    Raises
    ------
    InvalidInputError
        Listing every problem found: row (header = row 1), column as written, value and
        what was expected. Nothing is returned unless the whole file is valid.
    """
    source = str(path)
    file = Path(path)
    _check_options(format, sheet, delimiter, source)
    if format == "pabulib" or (format is None and file.suffix.lower() == ".pb"):
        _check_applicable("pabulib", sheet, delimiter, encoding, source)
        return load_pabulib(file)
    with bulk():  # the whole read: the bytes, Arrow's tables and the checks
        return _load(file, source, format, encoding, sheet, delimiter,
                     Vocabulary(mapping, domains, target_groups, currency))


def _load(file: Path, source: str, asked: Format | None, encoding: str | None,
          sheet: str | int | None, delimiter: str | None, vocabulary: Vocabulary
          ) -> ProposalSet:
    """:func:`load_proposals` of a file that is not Pabulib by its name (``asked``: the
    format the caller asked for, if any)."""
    raw = read_limited(file, source)
    fmt = asked or _format_of(file, raw)
    _check_applicable(fmt, sheet, delimiter, encoding, source)
    if fmt == "pabulib":
        return load_pabulib(file)
    if len(raw) < 4096 and not raw.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise _fail("io.file.empty", source)
    extra: list[InputProblem] = []
    if fmt == "csv":
        headers, columns, extra = _read_csv(raw, encoding=encoding, delimiter=delimiter,
                                            mapping=vocabulary.mapping, source=source)
    elif fmt == "xlsx":
        headers, columns = _read_xlsx(raw, sheet, source)
    elif fmt == "json":
        headers, columns = _read_json(raw, encoding, source)
    elif fmt == "parquet":
        headers, columns = _read_parquet(raw, source)
    else:
        raise _fail("io.read.format", source, format=str(fmt))
    rows = np.arange(2, (len(columns[0]) if columns else 0) + 2)
    meta: dict[str, Any] = {"source": source, "format": fmt}
    return build_proposals(headers, columns, rows, vocabulary, meta=meta, source=source,
                           extra_problems=extra)
