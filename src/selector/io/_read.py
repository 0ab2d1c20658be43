"""Readers: bytes of a file → headers and raw columns, then :func:`build_proposals`.

Every failure of the underlying libraries (pandas, openpyxl, pyarrow, json, codecs) is
turned into an :class:`~selector.InvalidInputError` with one readable line.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.io._fields import lookup_header
from selector.io._validate import build_proposals
from selector.model import FLOAT_COLUMNS, ProposalSet
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Taxonomy

__all__ = ["READ_FORMATS", "detect_encoding", "load_proposals"]

#: Formats :func:`load_proposals` reads, by file suffix.
READ_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                ".json": "json", ".parquet": "parquet", ".pq": "parquet", ".pb": "pabulib"}
Format = Literal["csv", "xlsx", "json", "parquet", "pabulib"]

_DELIMITERS = (",", "\t", ";", "|")
_CHINESE = ("gb18030", "gbk", "gb2312", "big5", "big5hkscs", "hz")


def _fail(message: str, source: str, row: int | None = None) -> InvalidInputError:
    return InvalidInputError(InputProblem(message, row), source)


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # category Cc but \t \n \r


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    sample = text[:20000]
    control = len(_CONTROL.findall(sample))
    return control > max(2, len(sample) // 200)


def _is_utf8(raw: bytes) -> bool:
    """Whether ``raw`` is valid UTF-8 (Arrow's validator: twice as fast as decoding)."""
    import pyarrow as pa

    offsets = pa.py_buffer(np.array([0, len(raw)], dtype=np.int64))
    blob = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(raw)])
    try:
        blob.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _mostly_chinese(text: str) -> bool:
    wide = [ch for ch in text[:50000] if ord(ch) > 127]
    if not wide:
        return True
    cjk = sum(1 for ch in wide if "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef")
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
    from charset_normalizer import from_bytes

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
        raise _fail("this is not a text file (no text encoding fits; binary content?)",
                    source) from None
    except LookupError:
        raise _fail(f"unknown encoding {encoding!r}; e.g. 'utf-8' or 'gb18030'",
                    source) from None
    sample = raw[:65536].decode(enc, errors="replace")
    if _looks_binary(sample):
        raise _fail("this is not a text file (binary content); expected CSV text, or pass "
                    "format='xlsx' / 'parquet'", source)
    return enc


def _decode(raw: bytes, encoding: str | None, source: str) -> str:
    enc = _encoding(raw, encoding, source)
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        raise _fail(f"cannot be read as {enc}: {exc}; pass the right encoding=, e.g. "
                    "'gb18030' or 'utf-8'", source) from None


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


def _read_arrow(raw: bytes, enc: str, sep: str, width: int, numeric: set[int]
                ) -> list[pd.Series] | None:
    """The fast path: pyarrow's CSV reader. ``None`` when the file needs the careful
    reader: ragged rows, line breaks inside quoted cells, other encodings or bytes that
    are not UTF-8, ``NaN`` written in a numeric column. Blank lines are kept as empty
    rows, so rows keep their numbers."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    if enc not in ("utf-8", "utf-8-sig"):
        return None
    names = [str(j) for j in range(width)]
    text_types = {n: pa.string() for j, n in enumerate(names) if j not in numeric}

    def read(types: dict[str, Any]) -> Any:
        return pacsv.read_csv(
            io.BytesIO(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
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
    columns = []
    for j in range(width):
        col = table.column(j)
        if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
            values = col.to_numpy().astype(np.float64)
            # "NaN"/"inf" written in a cell is not a number: more non-finite values than
            # empty cells means some; the careful reader keeps the text to report it
            if np.count_nonzero(~np.isfinite(values)) > col.null_count:
                return None
            columns.append(pd.Series(values))
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            columns.append(pd.Series(pd.arrays.ArrowStringArray(
                col, dtype=_ARROW_STR)))  # type: ignore[call-arg]
        elif pa.types.is_binary(col.type) or pa.types.is_large_binary(col.type):
            return None  # not UTF-8 after all
        else:  # null (all empty), bool, timestamp, ...: keep the text the planner wrote
            columns.append(_arrow_text(col))
    return columns


def _arrow_text(col: Any) -> pd.Series:
    """An Arrow column as a pandas ``str`` Series."""
    return pd.Series(col.to_pylist(), dtype="str").where(
        pd.Series(col.is_valid().to_numpy(zero_copy_only=False)))


def _read_csv(raw: bytes, *, encoding: str | None, delimiter: str | None,
              mapping: Mapping[str, str] | None, source: str
              ) -> tuple[list[str], list[pd.Series], list[InputProblem]]:
    # UTF-8 is first trusted from the head: the fast reader validates the rest itself
    enc = _encoding(raw, encoding, source, head_only=True)
    try:
        head = raw[:65536].decode(enc, errors="strict" if len(raw) <= 65536 else "ignore")
    except UnicodeDecodeError as exc:
        raise _fail(f"cannot be read as {enc}: {exc}; pass the right encoding=, e.g. "
                    "'gb18030' or 'utf-8'", source) from None
    first_line = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    sep = delimiter or _sniff_delimiter(first_line, mapping)
    headers = [h.strip() for h in next(csv.reader([first_line], delimiter=sep), [])]
    others = [d for d in _DELIMITERS if d != sep]
    if len(headers) == 1:
        found = [d for d in others if d in headers[0]]
        if found:
            raise _fail(f"only one column found: the file seems to be separated by "
                        f"{found[0]!r}, not {sep!r}; pass delimiter={found[0]!r}", source, 1)
    # numeric fields are parsed by the readers' fast converters; everything else stays
    # text (ids like "007", exact money, lists) and is checked by the validator
    numeric = {j for j, h in enumerate(headers)
               if (f := lookup_header(h, mapping)) is not None and f.name in FLOAT_COLUMNS}
    columns = _read_arrow(raw, enc, sep, len(headers), numeric) if len(sep) == 1 else None
    if columns is None:
        if encoding is None and enc != (detected := _encoding(raw, None, source)):
            return _read_csv(raw, encoding=detected, delimiter=delimiter, mapping=mapping,
                             source=source)
        columns = _read_pandas(raw, enc, sep, len(headers), numeric, source)
    problems: list[InputProblem] = []
    if len(headers) > 1 and len(columns[0]):
        first = columns[0]
        alone = first.notna().to_numpy().copy()
        for col in columns[1:]:
            if not alone.any():
                break
            alone &= col.isna().to_numpy()
        if alone.any():
            joined = first[alone].astype(str)
            for d in others:
                hits = joined.str.contains(d, regex=False).to_numpy(dtype=bool, na_value=False)
                for k in np.flatnonzero(hits)[:20]:
                    problems.append(InputProblem(
                        f"the whole row is in one cell: it seems separated by {d!r}, but the "
                        f"header by {sep!r}", int(np.flatnonzero(alone)[k]) + 2, headers[0],
                        str(joined.iloc[k])[:80]))
    return headers, columns, problems


def _read_pandas(raw: bytes, enc: str, sep: str, width: int, numeric: set[int], source: str
                 ) -> list[pd.Series]:
    """The careful path: pandas' C reader, keeping blank lines so rows stay numbered."""
    dtypes = {j: "str" for j in range(width) if j not in numeric}
    try:
        table = pd.read_csv(io.BytesIO(raw), encoding=enc, sep=sep, header=0,
                            names=range(width), index_col=False, dtype=dtypes,
                            keep_default_na=False, na_values=[""], skip_blank_lines=False,
                            engine="c" if len(sep) == 1 else "python")
    except pd.errors.ParserError as exc:
        m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if m:
            raise _fail(f"this row has {m[3]} cells but the header has {m[1]}; check the "
                        f"delimiter ({sep!r}) and quotes", source, int(m[2])) from None
        raise _fail(f"cannot be read as CSV: {str(exc).strip()}", source) from None
    except UnicodeDecodeError as exc:
        raise _fail(f"cannot be read as {enc}: {exc}; pass the right encoding=, e.g. "
                    "'gb18030' or 'utf-8'", source) from None
    except (ValueError, csv.Error) as exc:
        raise _fail(f"cannot be read as CSV: {exc}", source) from None
    return [table.iloc[:, j] for j in range(width)]


def _read_xlsx(raw: bytes, sheet: str | int | None, source: str
               ) -> tuple[list[str], list[pd.Series]]:
    try:
        book = pd.ExcelFile(io.BytesIO(raw), engine="openpyxl")
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise _fail(f"this is not a valid .xlsx workbook ({type(exc).__name__}); if it is an "
                    "old .xls file, save it as .xlsx", source) from None
    except Exception as exc:  # openpyxl raises its own InvalidFileException and others
        raise _fail(f"this is not a valid .xlsx workbook ({exc})", source) from None
    names = [str(n) for n in book.sheet_names]
    if sheet is None:
        chosen: str | int = 0
    elif isinstance(sheet, int):
        if not 0 <= sheet < len(names):
            raise _fail(f"sheet number {sheet} does not exist; the workbook has "
                        f"{len(names)} sheet(s): {', '.join(names)}", source)
        chosen = sheet
    elif sheet not in names:
        raise _fail(f"no sheet named {sheet!r}; the sheets are: {', '.join(names)}", source)
    else:
        chosen = sheet
    try:
        table = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object,
                              keep_default_na=False, na_values=[""])
    except Exception as exc:
        raise _fail(f"cannot read sheet {chosen!r}: {exc}", source) from None
    if table.empty:
        raise _fail(f"no proposals: sheet {names[chosen] if isinstance(chosen, int) else chosen!r}"
                    " is empty", source)
    headers = ["" if pd.isna(h) else str(h).strip() for h in table.iloc[0]]
    data = table.iloc[1:]
    return headers, [data.iloc[:, j] for j in range(data.shape[1])]


def _read_json(raw: bytes, encoding: str | None, source: str
               ) -> tuple[list[str], list[pd.Series]]:
    text = _decode(raw, encoding, source)
    try:
        doc = json.loads(text, parse_float=str)
    except json.JSONDecodeError as exc:
        raise _fail(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                    source) from None
    if isinstance(doc, dict) and isinstance(doc.get("proposals"), list):
        doc = doc["proposals"]
    if not isinstance(doc, list):
        raise _fail("expected a JSON list of records (one object per proposal)", source)
    if not doc:
        raise _fail("no proposals: the JSON list is empty", source)
    bad = [k for k, rec in enumerate(doc) if not isinstance(rec, dict)]
    if bad:
        raise InvalidInputError([InputProblem("expected an object {\"id\": ..., ...}", k + 2)
                                 for k in bad[:20]], source)
    headers = list(dict.fromkeys(key for rec in doc for key in rec))
    columns = []
    for h in headers:
        values = np.empty(len(doc), dtype=object)
        values[:] = [rec.get(h) for rec in doc]
        columns.append(pd.Series(values, dtype=object))
    return headers, columns


def _read_parquet(raw: bytes, source: str) -> tuple[list[str], list[pd.Series]]:
    try:
        table = pd.read_parquet(io.BytesIO(raw))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ...
        raise _fail(f"this is not a valid Parquet file ({str(exc).splitlines()[0]})",
                    source) from None
    return [str(c) for c in table.columns], [table.iloc[:, j] for j in range(table.shape[1])]


def _format_of(path: Path, raw: bytes) -> Format:
    if raw.startswith(b"PK\x03\x04"):
        return "xlsx"
    if raw.startswith(b"PAR1"):
        return "parquet"
    by_suffix = READ_FORMATS.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix  # type: ignore[return-value]
    if path.suffix.lower() == ".xls":
        raise _fail("old .xls workbooks are not supported; save it as .xlsx", str(path))
    head = raw.lstrip(codecs.BOM_UTF8)[:64].lstrip()
    if head.startswith((b"[", b"{")):
        return "json"
    if head.upper().startswith(b"META"):
        return "pabulib"
    return "csv"


def load_proposals(
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
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise _fail("no such file", source) from None
    except OSError as exc:
        raise _fail(f"cannot read the file: {exc.strerror}", source) from None
    fmt = format or _format_of(file, raw)
    if fmt == "pabulib":
        from selector.io._pabulib import load_pabulib

        return load_pabulib(file)
    if len(raw) < 4096 and not raw.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise _fail("no proposals: the file is empty", source)
    extra: list[InputProblem] = []
    if fmt == "csv":
        headers, columns, extra = _read_csv(raw, encoding=encoding, delimiter=delimiter,
                                            mapping=mapping, source=source)
    elif fmt == "xlsx":
        headers, columns = _read_xlsx(raw, sheet, source)
    elif fmt == "json":
        headers, columns = _read_json(raw, encoding, source)
    elif fmt == "parquet":
        headers, columns = _read_parquet(raw, source)
    else:
        raise _fail(f"unknown format {fmt!r}: expected csv, xlsx, json, parquet or pabulib",
                    source)
    rows = np.arange(2, (len(columns[0]) if columns else 0) + 2)
    meta: dict[str, Any] = {"source": source, "format": fmt}
    return build_proposals(headers, columns, rows, mapping=mapping, domains=domains,
                           target_groups=target_groups, currency=currency, meta=meta,
                           source=source, extra_problems=extra)
