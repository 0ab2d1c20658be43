"""Reading a suggestions file in chunks, with bounded memory.

Columns (headers in Chinese or English, matched like the proposal loader's: case,
spaces and full-width brackets do not matter):

==============  ======================================================================
field           accepted headers
==============  ======================================================================
id              建议编号, 编号, 序号, id, suggestion id
text            建议内容, 内容, 建议, 意见建议, 诉求内容, text, content, suggestion
district        所属区县, 区县, 所在区, 区域, district
channel         提交渠道, 渠道, 来源, channel, source
submitter_type  提交人类型, 职工类型, 人员类别, 身份, submitter type, worker type
submitter       提交人编号, 提交人, 职工编号, 会员号, submitter, submitter id, worker id
date            提交日期, 日期, 提交时间, date, submitted
==============  ======================================================================

Only ``text`` is required; without an ``id`` column the row number is the id. Other
columns are ignored (and named in the result's notes). Every cell is read as text (an
id ``007`` stays ``007``); a cell a spreadsheet would run as a formula and that our
writers therefore wrote with a leading apostrophe loses it again.

Formats: CSV (streamed by pyarrow's incremental reader; encoding detected on the first
megabyte by :func:`selector.io.detect_encoding`: UTF-8 with or without BOM, GB18030,
UTF-16; delimiter ``, tab ; |`` from the header line), Parquet (streamed by row group),
Excel ``.xlsx`` (openpyxl's read-only mode, streamed row by row), JSON Lines (``.jsonl``,
streamed) and JSON (a list of records, read whole: use JSON Lines, CSV or Parquet for
large intakes), or a :class:`pandas.DataFrame`. Rows keep the numbers a planner sees
(header = row 1; a JSON record ``k`` is row ``k + 2``). A CSV row with the wrong number of
cells is skipped and reported with its line; nothing else is skipped.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.i18n import Lang, t
from selector.io import detect_encoding
from selector.taxonomy import normalise_label
from selector.text_columns import restore_series

__all__ = ["FIELDS", "Chunk", "SuggestionSource", "open_source"]

#: The fields of a suggestion and the headers accepted for each.
FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("建议编号", "编号", "序号", "id", "suggestion id", "suggestion_id"),
    "text": ("建议内容", "内容", "建议", "意见建议", "诉求内容", "text", "content", "suggestion"),
    "district": ("所属区县", "区县", "所在区", "区域", "district"),
    "channel": ("提交渠道", "渠道", "来源", "channel", "source"),
    "submitter_type": ("提交人类型", "职工类型", "人员类别", "身份", "submitter type",
                       "submitter_type", "worker type"),
    "submitter": ("提交人编号", "提交人", "职工编号", "会员号", "submitter", "submitter id",
                  "submitter_id", "worker id"),
    "date": ("提交日期", "日期", "提交时间", "date", "submitted"),
}
_DELIMITERS = (",", "\t", ";", "|")
_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
            ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
            ".pq": "parquet"}


def _fold(header: object) -> str:
    folded = str(header).translate(str.maketrans("（）：【】", "():[]"))
    return normalise_label(folded).replace(" ", "")


_LOOKUP = {_fold(alias): name for name, aliases in FIELDS.items() for alias in aliases}


@dataclass(frozen=True)
class Chunk:
    """Consecutive suggestions: one text column per field found, and spreadsheet rows."""

    start: int
    rows: np.ndarray
    columns: dict[str, pd.Series]

    def __len__(self) -> int:
        return len(self.rows)


@dataclass
class SuggestionSource:
    """An opened suggestions input: its fields, and chunks on demand (re-iterable)."""

    name: str
    fields: dict[str, str]          # field -> header as written
    ignored: list[str]              # headers not used
    _chunks: Any
    problems: list[InputProblem] = field(default_factory=list)

    def chunks(self, size: int) -> Iterator[Chunk]:
        """The suggestions, ``size`` rows at a time, in file order."""
        start = 0
        for frame, rows in self._chunks(size):
            columns = {f: _as_text(frame[h]) for f, h in self.fields.items()}
            yield Chunk(start, rows, columns)
            start += len(rows)


def _as_text(column: pd.Series) -> pd.Series:
    """A column as text (missing stays missing; whole floats lose their ``.0``), formula
    apostrophes restored."""
    values = column.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    for k, v in enumerate(values):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            out[k] = None
        elif isinstance(v, str):
            out[k] = v
        elif isinstance(v, float) and v.is_integer():
            out[k] = str(int(v))
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        else:
            out[k] = str(v)
    return restore_series(pd.Series(out, dtype=object))


def _resolve(headers: list[str], source: str, lang: Lang) -> tuple[dict[str, str], list[str]]:
    found: dict[str, str] = {}
    ignored: list[str] = []
    problems: list[InputProblem] = []
    for header in headers:
        name = _LOOKUP.get(_fold(header))
        if name is None:
            ignored.append(header)
        elif name in found:
            problems.append(InputProblem(t("intake.problem.same_field", lang, other=found[name],
                                           field=name), 1, header))
        else:
            found[name] = header
    if "text" not in found:
        problems.append(InputProblem(t("intake.problem.no_text_column", lang,
                                       headers=", ".join(headers) or "–"), 1))
    if problems:
        raise InvalidInputError(problems, source)
    return found, ignored


def open_source(source: str | Path | pd.DataFrame, *, lang: Lang = "zh",
                format: str | None = None, encoding: str | None = None,
                sheet: str | int | None = None) -> SuggestionSource:
    """Open a suggestions file (or DataFrame): headers checked now, rows read per chunk."""
    if isinstance(source, pd.DataFrame):
        frame = source.reset_index(drop=True)
        headers = [str(c) for c in frame.columns]
        fields, ignored = _resolve(headers, "DataFrame", lang)
        frame.columns = pd.Index(headers)

        def frame_chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
            for at in range(0, len(frame), size):
                part = frame.iloc[at:at + size]
                yield part, np.arange(at + 2, at + 2 + len(part))

        return SuggestionSource("DataFrame", fields, ignored, frame_chunks)
    path = Path(source)
    name = str(source)
    if not path.is_file():
        raise InvalidInputError(InputProblem(t("intake.problem.no_file", lang)), name)
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    if not head.strip(b" \t\r\n" + codecs.BOM_UTF8):
        raise InvalidInputError(InputProblem(t("intake.problem.empty_file", lang)), name)
    fmt = format or _format_of(path, head)
    opener = {"csv": _open_csv, "parquet": _open_parquet, "xlsx": _open_xlsx,
              "json": _open_json, "jsonl": _open_jsonl}.get(fmt)
    if opener is None:
        raise InvalidInputError(InputProblem(t("intake.problem.unknown_format", lang, got=fmt)),
                                name)
    try:
        return opener(path, head, lang=lang, encoding=encoding, sheet=sheet)
    except InvalidInputError:
        raise
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InvalidInputError(InputProblem(t("intake.problem.unreadable", lang, format=fmt,
                                               reason=str(exc).splitlines()[0][:200])),
                                name) from None


def _format_of(path: Path, head: bytes) -> str:
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"PAR1"):
        return "parquet"
    suffix = _FORMATS.get(path.suffix.lower())
    if suffix:
        return suffix
    start = head.lstrip(codecs.BOM_UTF8)[:64].lstrip()
    if start.startswith(b"["):
        return "json"
    if start.startswith(b"{"):
        return "jsonl"
    return "csv"


def _encoding_of(head: bytes, encoding: str | None, name: str, lang: Lang) -> str:
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInputError(InputProblem(t("intake.problem.bad_encoding", lang,
                                                   got=encoding)), name) from None
        return encoding
    cut = head.rfind(b"\n")  # whole lines only: a cut character would not decode
    sample = head if cut < 0 or len(head) < (1 << 20) else head[:cut + 1]
    try:
        return detect_encoding(sample)
    except ValueError:
        raise InvalidInputError(InputProblem(t("intake.problem.not_text", lang)), name) from None


def _open_csv(path: Path, head: bytes, *, lang: Lang, encoding: str | None,
              sheet: object) -> SuggestionSource:
    name = str(path)
    enc = _encoding_of(head, encoding, name, lang)
    text = head.decode(enc, errors="replace").lstrip("\ufeff")
    first = text.split("\n", 1)[0].rstrip("\r")
    best, best_key = ",", (-1, -1)
    for sep in _DELIMITERS:
        cells = next(csv.reader([first], delimiter=sep), [])
        key = (sum(_fold(c) in _LOOKUP for c in cells), len(cells))
        if key > best_key:
            best, best_key = sep, key
    headers = [h.strip() for h in next(csv.reader([first], delimiter=best), [])]
    fields, ignored = _resolve(headers, name, lang)
    problems: list[InputProblem] = []

    def chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        """pandas' C reader, chunk by chunk; a row with too many cells is skipped and
        reported (pandas warns with its row number), blank lines are kept as rows."""
        problems.clear()
        skipped: list[int] = []
        reader = pd.read_csv(path, encoding=enc, sep=best, header=0, names=headers,
                             index_col=False, dtype=str, keep_default_na=False, na_values=[""],
                             skip_blank_lines=False, on_bad_lines="warn", chunksize=size)
        at = 0
        with reader:
            while True:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always", pd.errors.ParserWarning)
                    try:
                        frame = next(reader)
                    except StopIteration:
                        frame = None
                for warning in caught:
                    for match in _BAD_LINE.finditer(str(warning.message)):
                        skipped.append(int(match[1]))
                        problems.append(InputProblem(
                            t("intake.problem.ragged_row", lang, cells=int(match[3]),
                              expected=int(match[2])), int(match[1])))
                if frame is None:
                    return
                yield frame, _rows(at, len(frame), skipped)
                at += len(frame)

    return SuggestionSource(name, fields, ignored, chunks, problems)


_BAD_LINE = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _rows(at: int, n: int, skipped: list[int]) -> np.ndarray:
    """Spreadsheet rows of records ``at .. at + n``: the header is row 1, and every skipped
    (ragged) line at or before a record moves it one row down."""
    base = np.arange(at + 2, at + 2 + n)
    lines = np.sort(np.asarray([s for s in skipped if s > 0], dtype=np.int64))
    rows = base
    while len(lines):  # the least fixed point of row = base + #(skipped lines <= row)
        moved = base + np.searchsorted(lines, rows, "right")
        if np.array_equal(moved, rows):
            break
        rows = moved
    return rows


def _open_parquet(path: Path, head: bytes, *, lang: Lang, encoding: object,
                  sheet: object) -> SuggestionSource:
    import pyarrow.parquet as pq

    name = str(path)
    headers = [str(c) for c in pq.ParquetFile(path).schema_arrow.names]
    fields, ignored = _resolve(headers, name, lang)

    def chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        at = 0
        wanted = list(fields.values())
        for batch in pq.ParquetFile(path).iter_batches(batch_size=size, columns=wanted):
            frame = batch.to_pandas()
            yield frame, np.arange(at + 2, at + 2 + len(frame))
            at += len(frame)

    return SuggestionSource(name, fields, ignored, chunks)


def _open_xlsx(path: Path, head: bytes, *, lang: Lang, encoding: object,
               sheet: str | int | None) -> SuggestionSource:
    from openpyxl import load_workbook

    name = str(path)

    def worksheet() -> Any:
        book = load_workbook(path, read_only=True, data_only=True)
        names = book.sheetnames
        if sheet is None:
            return book, book[names[0]]
        chosen = names[sheet] if isinstance(sheet, int) and 0 <= sheet < len(names) else sheet
        if chosen not in names:
            book.close()
            raise InvalidInputError(InputProblem(t("intake.problem.no_sheet", lang,
                                                   got=str(sheet), sheets=", ".join(names))),
                                    name)
        return book, book[chosen]

    book, ws = worksheet()
    try:
        first = next(ws.iter_rows(max_row=1, values_only=True), ())
    finally:
        book.close()
    headers = ["" if h is None else str(h).strip() for h in first]
    fields, ignored = _resolve(headers, name, lang)

    def chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        book, ws = worksheet()
        try:
            block: list[tuple[Any, ...]] = []
            at = 0
            width = len(headers)
            for values in ws.iter_rows(min_row=2, values_only=True):
                block.append(tuple(values[:width]) + (None,) * (width - len(values)))
                if len(block) == size:
                    yield pd.DataFrame(block, columns=headers, dtype=object), \
                        np.arange(at + 2, at + 2 + size)
                    at += size
                    block = []
            if block:
                yield pd.DataFrame(block, columns=headers, dtype=object), \
                    np.arange(at + 2, at + 2 + len(block))
        finally:
            book.close()

    return SuggestionSource(name, fields, ignored, chunks)


def _records_frame(records: list[Any], headers: list[str]) -> pd.DataFrame:
    columns = {}
    for h in headers:
        values = np.empty(len(records), dtype=object)
        values[:] = [rec.get(h) if isinstance(rec, dict) else None for rec in records]
        columns[h] = values
    return pd.DataFrame(columns, dtype=object)


def _open_json(path: Path, head: bytes, *, lang: Lang, encoding: str | None,
               sheet: object) -> SuggestionSource:
    name = str(path)
    raw = path.read_bytes()
    enc = _encoding_of(raw[:1 << 20], encoding, name, lang)
    try:
        doc = json.loads(raw.decode(enc), parse_float=str)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidInputError(InputProblem(t("intake.problem.bad_json", lang,
                                               reason=str(exc)[:200])), name) from None
    if isinstance(doc, dict) and isinstance(doc.get("suggestions"), list):
        doc = doc["suggestions"]
    if not isinstance(doc, list):
        raise InvalidInputError(InputProblem(t("intake.problem.json_not_list", lang)), name)
    return _json_source(name, doc, lang)


def _json_source(name: str, records: list[Any], lang: Lang) -> SuggestionSource:
    problems = [InputProblem(t("intake.problem.json_not_object", lang), k + 2)
                for k, rec in enumerate(records) if not isinstance(rec, dict)]
    headers = list(dict.fromkeys(str(key) for rec in records if isinstance(rec, dict)
                                 for key in rec))
    fields, ignored = _resolve(headers, name, lang)

    def chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        for at in range(0, len(records), size):
            part = records[at:at + size]
            yield _records_frame(part, headers), np.arange(at + 2, at + 2 + len(part))

    return SuggestionSource(name, fields, ignored, chunks, problems)


def _open_jsonl(path: Path, head: bytes, *, lang: Lang, encoding: str | None,
                sheet: object) -> SuggestionSource:
    name = str(path)
    enc = _encoding_of(head, encoding, name, lang)
    headers: list[str] = []
    with open(path, encoding=enc) as handle:  # the keys of the first records
        for k, line in enumerate(handle):
            if k >= 1000:
                break
            record = _json_line(line)
            if isinstance(record, dict):
                headers.extend(h for h in map(str, record) if h not in headers)
    fields, ignored = _resolve(headers, name, lang)
    problems: list[InputProblem] = []

    def chunks(size: int) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
        problems.clear()
        with open(path, encoding=enc) as handle:
            block: list[Any] = []
            at = 0
            for k, line in enumerate(handle):
                record = _json_line(line)
                if not isinstance(record, dict):
                    problems.append(InputProblem(t("intake.problem.json_not_object", lang),
                                                 k + 2, None, line.strip()[:80] or None))
                    record = {}
                block.append(record)
                if len(block) == size:
                    yield _records_frame(block, headers), np.arange(at + 2, at + 2 + size)
                    at += size
                    block = []
            if block:
                yield _records_frame(block, headers), np.arange(at + 2, at + 2 + len(block))

    return SuggestionSource(name, fields, ignored, chunks, problems)


def _json_line(line: str) -> object:
    if not line.strip():
        return {}
    try:
        return json.loads(line, parse_float=str)
    except json.JSONDecodeError:
        return None


def lookup_field(header: str) -> str | None:
    """The suggestion field a header means, or ``None``.

    >>> lookup_field("建议内容（原文）"), lookup_field("Submitter ID"), lookup_field("备注")
    (None, 'submitter', None)
    """
    return _LOOKUP.get(_fold(header))


def headers_of(fields: Mapping[str, str]) -> list[str]:
    """The headers of the fields found, in field order."""
    return [fields[f] for f in FIELDS if f in fields]
