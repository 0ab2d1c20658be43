"""Validation of a table of proposals into a :class:`~selector.model.ProposalSet`.

The door every loader goes through. :func:`build_proposals` runs named steps, one per
field or family of fields, each vectorised over the whole column with pandas/Arrow:

1. headers: limits (count, length), aliases and the user's mapping, duplicates, the
   required fields (:func:`_resolve_headers`); a problem here stops at once;
2. cells: every cell as text, blank rows dropped, cell lengths within the limit
   (:class:`_Table`); a problem here stops at once too (nothing huge is parsed);
3. fields: ids (normalised as keys *before* the duplicate check), free text, domains,
   costs (exact fen, the file's total within 64-bit), numbers (grammar and plausibility
   ceilings of :data:`~selector.model.NUMERIC_RANGES`), estimate order, multi-valued
   fields, indicators, channel, currency, extra columns.

Every problem of step 3 is collected (row and column as the planner sees them) and raised
as one :class:`~selector.InvalidInputError`; nothing is returned unless all is valid.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from selector._errors import InputProblem, Phrase
from selector.io._cells import (
    NUMBER_KINDS,
    ProblemLog,
    as_text,
    parse_indicators,
    parse_items,
    parse_money,
    parse_number,
    split_items,
    to_float,
)
from selector.io._fields import FIELDS, Field, fold_header, lookup_header
from selector.io._limits import LIMITS
from selector.io._memory import bulk
from selector.model import (
    CANONICAL_COLUMNS,
    FLOAT_COLUMNS,
    MAX_EXTRA_NUMBER,
    NUMERIC_RANGES,
    ProposalSet,
)
from selector.money import KINDS as MONEY_KINDS
from selector.money import MAX_YUAN
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Taxonomy
from selector.text import normalise_key
from selector.text_columns import (
    arrow_strings,
    clean_keys,
    clean_texts,
    factorize,
    is_text_categorical,
    longest_bytes,
    spread,
)

__all__ = ["CHANNELS", "POOLS", "REQUIRED", "Vocabulary", "build_proposals",
           "proposals_from_frame"]

#: Fields every file must have a column for.
REQUIRED = ("id", "domain", "cost", "beneficiaries")

#: Accepted spellings of the two channels.
CHANNELS = Taxonomy.model_validate({"name": "channel", "categories": [
    {"code": "union", "zh": "基层工会", "en": "Grassroots union",
     "aliases": ["工会", "工会推荐", "线下", "union"]},
    {"code": "online", "zh": "网上平台", "en": "Online platform",
     "aliases": ["网上", "线上", "网络", "网上征集", "网络平台", "online platform"]},
]})

#: Chinese spellings of the two usual funding pools (other pool codes pass through).
POOLS = Taxonomy.model_validate({"name": "pools", "categories": [
    {"code": "fiscal", "zh": "财政资金", "en": "Fiscal", "aliases": ["财政"]},
    {"code": "charity", "zh": "公益资金", "en": "Charity",
     "aliases": ["公益", "慈善", "慈善资金", "彩票公益金"]},
]})

#: Key fields (compared as :func:`~selector.text.normalise_key`) and free-text fields.
_KEYS = ("id", "domain", "district", "variant_group", "channel", "currency")
_FREE = ("title", "proposer")
_UNITS = {0: "yuan", 4: "wan", -2: "fen"}
_MAX_SHOWN = f"{int(MAX_YUAN):,}"
_INT64_MAX = np.iinfo(np.int64).max


def proposals_from_frame(
    frame: pd.DataFrame,
    *,
    mapping: Mapping[str, str] | None = None,
    domains: Taxonomy = DEFAULT_DOMAINS,
    target_groups: Taxonomy | None = DEFAULT_TARGET_GROUPS,
    currency: str | None = None,
    meta: Mapping[str, Any] | None = None,
    source: str = "",
) -> ProposalSet:
    """Validate a DataFrame of proposals (any supported headers) into a proposal set.

    Parameters
    ----------
    frame:
        One row per proposal; headers in English or Chinese (see :mod:`selector.io`).
        Row ``k`` (0-based) is reported as spreadsheet row ``k + 2``.
    mapping:
        Header → field for headers the built-in aliases do not know, e.g.
        ``{"资金(元)": "cost", "联系人": "proposer"}``.
    domains, target_groups:
        Taxonomies that cells are matched against (code, Chinese or English label).
        ``target_groups=None`` accepts any group code.
    currency:
        ISO code of the money; default: a ``currency`` column, else ``"CNY"``.
    meta:
        Metadata kept on the set.
    source:
        Name shown in front of error messages (e.g. the file name).

    Raises
    ------
    InvalidInputError
        Listing every problem found (row, column, value, what was expected).

    Examples
    --------
    >>> frame = pd.DataFrame({"项目编号": ["A1", "A2"], "项目名称": ["职工书屋", "户外驿站"],
    ...                       "领域": ["文体服务", "health"], "预算金额(元)": ["80,000", "12万"],
    ...                       "预计受益人数": [300, 1200]})
    >>> proposals_from_frame(frame).frame["cost_minor"].tolist()
    [8000000, 12000000]
    >>> bad = frame.assign(领域=["文体服务", "helth"])
    >>> proposals_from_frame(bad)
    Traceback (most recent call last):
    ...
    selector._errors.InvalidInputError: row 3, column '领域': unknown domain 'helth': ...
    """
    headers = [str(c) for c in frame.columns]
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    rows = np.arange(2, len(frame) + 2)
    return build_proposals(headers, columns, rows,
                           Vocabulary(mapping, domains, target_groups, currency), meta=meta,
                           source=source)


@dataclass(frozen=True)
class Vocabulary:
    """How cells are read: the user's header mapping, the taxonomies that cells are matched
    against (``target_groups=None`` accepts any group code) and the currency asked for."""

    mapping: Mapping[str, str] | None = None
    domains: Taxonomy = DEFAULT_DOMAINS
    target_groups: Taxonomy | None = DEFAULT_TARGET_GROUPS
    currency: str | None = None


def build_proposals(
    headers: Sequence[str],
    columns: Sequence[pd.Series],
    rows: np.ndarray,
    vocabulary: Vocabulary = Vocabulary(),
    *,
    meta: Mapping[str, Any] | None = None,
    source: str = "",
    extra_problems: Sequence[InputProblem] = (),
) -> ProposalSet:
    """Validate columns (``headers[j]`` over ``columns[j]``, spreadsheet ``rows``)."""
    with bulk():
        return _build(headers, columns, rows, vocabulary, meta, source, extra_problems)


def _build(headers: Sequence[str], columns: Sequence[pd.Series], rows: np.ndarray,
           vocabulary: Vocabulary, meta: Mapping[str, Any] | None, source: str,
           extra_problems: Sequence[InputProblem]) -> ProposalSet:
    mapping, domains, target_groups, currency = (
        vocabulary.mapping, vocabulary.domains, vocabulary.target_groups, vocabulary.currency)
    headers = [normalise_key(str(h)) for h in headers]
    log = ProblemLog(headers)
    for problem in extra_problems:
        log.add(problem)
    found = _resolve_headers(headers, mapping, log)
    log.raise_if_any(source)
    table = _Table(headers, columns, rows, found, log)
    log.raise_if_any(source)
    ids, ids_arrow = _ids(table)
    out: dict[str, Any] = {"id": ids}
    for field in _FREE + ("district", "variant_group"):
        out[field] = _optional_text(table, field)
    out["domain"] = _domains(table, domains)
    out["cost_minor"] = _costs(table)
    for field in FLOAT_COLUMNS:
        out[field] = _numbers(table, field)
    _estimate_order(table, out)
    id_set = _IdSet(ids, ids_arrow)
    id_set.prefetch(_reference_cells(table))
    for field in ("target_groups", "pools", "requires", "excludes"):
        out[field] = _lists(table, field, target_groups, id_set)
    out["indicators"] = _indicators(table)
    out["channel"] = _channels(table)
    file_currency = _currency(table, currency)
    extras = _extras(table)
    log.raise_if_any(source)
    # every array in out and extras is built here and used once: no copy needed; an
    # explicit dtype keeps text columns object (pandas would infer ``str``)
    arrays = {**{c: out[c] for c in CANONICAL_COLUMNS}, **extras}
    canonical = pd.DataFrame({c: pd.Series(v, dtype=v.dtype, copy=False)
                              for c, v in arrays.items()}, copy=False)
    return ProposalSet(canonical, domains=domains,
                       target_groups=target_groups or DEFAULT_TARGET_GROUPS,
                       currency=(currency or file_currency or "CNY").upper(), meta=meta)


# -- step 1: headers -----------------------------------------------------------------------
def _check_header_limits(headers: Sequence[str], log: ProblemLog) -> None:
    if len(headers) > LIMITS.columns:
        log.report("io.limit.columns", 1, None, None, n=len(headers), limit=LIMITS.columns)
    for header in headers:
        if len(header) > LIMITS.header_chars:
            log.report("io.limit.header", 1, header, None, limit=LIMITS.header_chars)


def _check_mapping(headers: Sequence[str], mapping: Mapping[str, str], log: ProblemLog) -> None:
    folded = {fold_header(h) for h in headers}
    for given, wanted in mapping.items():
        if wanted not in FIELDS:
            log.report("io.mapping.unknown_field", None, str(given), None, field=wanted,
                       fields=", ".join(sorted(FIELDS)))
        elif fold_header(given) not in folded:
            log.report("io.mapping.not_in_file", 1, str(given))


def _resolve_headers(headers: Sequence[str], mapping: Mapping[str, str] | None,
                     log: ProblemLog) -> dict[str, tuple[int, Field]]:
    """field name → (column position, field); problems for limits, duplicates and gaps."""
    _check_header_limits(headers, log)
    if mapping:
        _check_mapping(headers, mapping, log)
    known = {k: v for k, v in (mapping or {}).items() if v in FIELDS}
    seen: dict[str, int] = {}
    found: dict[str, tuple[int, Field]] = {}
    for j, header in enumerate(headers):
        key = fold_header(header)
        if key in seen:
            log.report("io.header.duplicate", 1, header, None, position=seen[key] + 1)
            continue
        seen[key] = j
        field = lookup_header(header, known)
        if field is None:
            continue
        if field.name in found:
            log.report("io.header.same_field", 1, header, None,
                       other=headers[found[field.name][0]], field=field.name)
            continue
        found[field.name] = (j, field)
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        log.report("io.header.missing_required", 1, None, None, missing=", ".join(missing),
                   found=", ".join(repr(h) for h in headers) or "-")
    return found


# -- step 2: cells as text -----------------------------------------------------------------
class _Table:
    """The cells of every column as text (NA when empty), without blank rows, indexed by
    the spreadsheet row, and where each field is."""

    def __init__(self, headers: Sequence[str], columns: Sequence[pd.Series], rows: np.ndarray,
                 found: dict[str, tuple[int, Field]], log: ProblemLog) -> None:
        self.headers = list(headers)
        self.found = found
        self.log = log
        index = pd.Index(rows, name="row")
        # shared by the columns without list cells (known to hold none: see listed)
        no_lists = self.no_lists = pd.Series(np.nan, index=index)
        self.texts: dict[int, tuple[pd.Series, pd.Series]] = {}
        for j, col in enumerate(columns):
            col = col.set_axis(index)
            self.texts[j] = (col, no_lists) if _is_numeric(col) else as_text(col, no_lists=no_lists)
            self._check_lengths(j)
        self._drop_blank_rows(index)

    def _check_lengths(self, j: int) -> None:
        col = self.texts[j][0]
        if _is_numeric(col) or not col.notna().any():
            return
        coded = is_text_categorical(col)  # then each distinct text is measured once
        array = arrow_strings(pd.Series(col.cat.categories.array) if coded else col)
        if longest_bytes(array) <= LIMITS.cell_chars:  # bytes ≥ characters
            return
        long = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(array), LIMITS.cell_chars),
                                       False), dtype=bool)
        if coded:
            long = spread(long, col)
        self.log.add_mask(long, col, self.headers[j], "io.limit.cell", limit=LIMITS.cell_chars)

    def _drop_blank_rows(self, index: pd.Index) -> None:
        empty = np.ones(len(index), dtype=bool)
        for col, lists in self.texts.values():
            if not empty.any():
                break
            empty &= col.isna().to_numpy() & lists.isna().to_numpy()
        if empty.all():
            self.log.report("io.file.no_rows" if self.headers else "io.file.empty")
        elif empty.any():
            keep = ~empty
            no_lists = self.no_lists[keep]
            self.texts = {j: (c[keep], no_lists if lst is self.no_lists else lst[keep])
                          for j, (c, lst) in self.texts.items()}
            self.no_lists = no_lists
            index = index[keep]
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def listed(self, lists: pd.Series) -> np.ndarray:
        """The mask of the list-like cells of a column's ``lists`` (all false at once for
        the columns that have none)."""
        if lists is self.no_lists:
            return np.zeros(len(lists), dtype=bool)
        out: np.ndarray = lists.notna().to_numpy()
        return out

    def has(self, field: str) -> bool:
        """Whether a column means ``field``."""
        return field in self.found

    def header(self, field: str) -> str:
        """The header of the column meaning ``field``."""
        return self.headers[self.found[field][0]]

    def cells(self, field: str) -> tuple[pd.Series, pd.Series, str]:
        """``(text, lists, header)`` of ``field`` (numbers as text)."""
        col, lists = self.texts[self.found[field][0]]
        if _is_numeric(col):
            col, lists = as_text(col)
        return col, lists, self.header(field)

    def single(self, field: str) -> tuple[pd.Series, str]:
        """The text of a single-valued ``field`` after the door: a key (NFKC, invisible
        characters removed) or free text (invisible characters removed); list cells and
        control characters are reported."""
        col, lists, header = self.cells(field)
        self.log.add_mask(self.listed(lists), lists, header, "io.cell.list")
        if field not in _KEYS and field not in _FREE:
            return col, header
        cleaned, control = (clean_keys if field in _KEYS else clean_texts)(col, trimmed=True)
        self.log.add_mask(control, col, header, "io.text.control")
        return cleaned, header


# -- step 3: fields ------------------------------------------------------------------------
def _ids(table: _Table) -> tuple[np.ndarray, pa.ChunkedArray]:
    """The ids as Python text (for the frame) and as Arrow (for lookups); missing and
    repeated ids reported, the repeats after normalising (an id differing from an earlier
    one only invisibly or in width is a repeat)."""
    ids, header = table.single("id")
    raw = table.cells("id")[0]
    table.log.add_mask(ids.isna(), raw, header, "io.id.missing")
    out: np.ndarray = ids.to_numpy(dtype=object, na_value="")
    present = arrow_strings(ids)
    if _distinct(present):
        return out, present  # every id once (rows of repeats only looked for if needed)
    later = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    if later.any():  # shown as written, so that an id differing invisibly is visible
        rows = pd.Series(ids.index.to_numpy(), index=ids.index)
        first = rows.groupby(ids.to_numpy(dtype=object, na_value=""), sort=False).transform("first")
        table.log.add_mask(later, raw, header, "io.id.duplicate",
                           first=first.to_numpy()[later])
    return out, present


def _distinct(values: pa.ChunkedArray) -> bool:
    """Whether the present ``values`` are all different: at once when they are in
    increasing order, as files usually list their ids (one comparison of neighbours),
    else by one hash pass.

    >>> _distinct(pa.chunked_array([["a", None, "b"]]))
    True
    >>> _distinct(pa.chunked_array([["b", "a", "b"]]))
    False
    """
    present = values.drop_null()
    if len(present) < 2 or pc.all(pc.less(present[:-1], present[1:])).as_py():
        return True
    return len(pc.unique(present)) == len(present)


def _optional_text(table: _Table, field: str) -> np.ndarray:
    missing = "" if field == "title" else None
    if not table.has(field):
        return np.full(len(table), missing, dtype=object)
    text, _ = table.single(field)
    return _objects(*factorize(text), missing)


def _domains(table: _Table, domains: Taxonomy) -> np.ndarray:
    text, header = table.single("domain")
    table.log.add_mask(text.isna(), text, header, "io.domain.missing", choices=_choices(domains))
    codes, uniques = factorize(text)
    mapped = np.array([domains.code_of(u) for u in uniques] + [""], dtype=object)
    unknown = _rows_of_none(mapped, codes)
    _report_unknown(table.log, unknown, text, header, domains, "io.unknown.domain")
    out: np.ndarray = mapped[codes]
    return out


def _report_unknown(log: ProblemLog, mask: np.ndarray, cells: pd.Series | tuple[pd.Series, pd.Series],
                    header: str, taxonomy: Taxonomy, key: str,
                    values: Callable[[Any], list[str]] = lambda cell: [str(cell)]) -> None:
    """Problem ``key`` for the cells of ``mask`` naming their unknown ``values`` and the
    nearest valid code of the first that has one (each value looked up once)."""
    suggest = functools.cache(taxonomy.suggest)

    def hint(cell: object) -> Phrase | str:
        for value in values(cell):
            near = suggest(value)
            if near is not None:
                return Phrase("io.unknown.hint", (("hint", near),
                                                  ("label", taxonomy.label(near, "zh"))))
        return ""

    log.add_mask(mask, cells, header, key, item=lambda cell: ", ".join(values(cell)),
                 choices=_choices(taxonomy), hint=hint)


def _costs(table: _Table) -> np.ndarray:
    text, lists, header = table.cells("cost")
    table.log.add_mask(table.listed(lists), lists, header, "io.cell.list")
    exponent = table.found["cost"][1].cost_exponent
    unit = Phrase(f"io.unit.{_UNITS[exponent]}")
    minor, bad = parse_money(text, exponent)
    table.log.add_mask(text.isna(), text, header, "io.cost.missing", unit=unit)
    for kind in MONEY_KINDS:
        table.log.add_mask(bad[kind], text, header, f"io.cost.{kind}", unit=unit,
                           max=_MAX_SHOWN)
    high, low = np.divmod(minor, 1 << 32)  # exact sum: both halves fit in int64
    total = int(high.sum()) * (1 << 32) + int(low.sum())
    if total > _INT64_MAX:
        table.log.report("io.cost.total", None, header, None, total=f"{total // 100:,}")
    return minor


def _numbers(table: _Table, field: str) -> np.ndarray:
    if not table.has(field):
        return np.full(len(table), np.nan)
    col, lists = table.texts[table.found[field][0]]
    header = table.header(field)
    expected = Phrase(f"io.expect.{field}")
    if _is_numeric(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = {kind: np.zeros(len(values), dtype=bool) for kind in NUMBER_KINDS}
        bad["format"] = np.isinf(values)
        if bad["format"].any():  # (a copy only then: the column may be the caller's)
            values = values.copy()
            values[bad["format"]] = np.nan
    else:
        values, bad = parse_number(col, percent=field == "completion_probability")
        table.log.add_mask(table.listed(lists), lists, header, "io.cell.list")
    for kind in NUMBER_KINDS:
        table.log.add_mask(bad[kind], col, header, f"io.number.{kind}", expected=expected)
    if field == "beneficiaries":
        missing = np.isnan(values) & ~np.logical_or.reduce(list(bad.values()))
        table.log.add_mask(missing, col, header, "io.number.missing", expected=expected)
    table.log.add_mask(NUMERIC_RANGES[field].outside(values), col, header, "io.number.range",
                       expected=expected)
    return values


def _estimate_order(table: _Table, out: dict[str, Any]) -> None:
    b = out["beneficiaries"]
    for field, wrong, key in (("beneficiaries_low", out["beneficiaries_low"] > b,
                               "io.estimate.low_above"),
                              ("beneficiaries_high", out["beneficiaries_high"] < b,
                               "io.estimate.high_below")):
        if table.has(field):
            table.log.add_mask(wrong, table.texts[table.found[field][0]][0], table.header(field),
                               key)


class _IdSet:
    """The proposal ids, and which of a few referenced items are among them (each item
    looked up once: the answers are kept)."""

    def __init__(self, ids: np.ndarray, arrow: pa.ChunkedArray) -> None:
        self.ids = ids
        self._arrow = arrow
        self._answers: dict[str, bool] = {}

    def known(self, items: list[str]) -> set[str]:
        """The ``items`` that are ids."""
        self.prefetch(items)
        return {item for item in items if self._answers[item]}

    def prefetch(self, items: list[str]) -> None:
        """Look the ``items`` up now, all in one pass over the ids (the few items are
        hashed, the many ids probed: each pass costs the same, whatever asks)."""
        new = [item for item in dict.fromkeys(items) if item not in self._answers]
        if not new:
            return
        hit = pc.is_in(self._arrow, value_set=pa.array(new, type=self._arrow.type))
        found = set(pc.filter(self._arrow, hit).to_pylist())
        self._answers.update((item, item in found) for item in new)


def _reference_cells(table: _Table) -> list[str]:
    """The distinct cells of the columns that refer to other proposals, when the reader
    gave them as categoricals (a cell is usually one id: the references of both columns
    are then looked up in one pass; other cells are looked up when met)."""
    cells: list[str] = []
    for field in ("requires", "excludes"):
        if table.has(field):
            text = table.cells(field)[0]
            if is_text_categorical(text):
                cells.extend(text.cat.categories.tolist())
    return cells


def _lists(table: _Table, field: str, target_groups: Taxonomy | None,
           id_set: _IdSet) -> np.ndarray:
    if not table.has(field):
        return _empty_tuples(len(table))
    text, lists, header = table.cells(field)
    cells = (text, lists)
    if field == "target_groups" and target_groups is not None:
        items = parse_items(text, lists, target_groups.code_of)
        _report_unknown(table.log, items.unknown_rows, cells, header, target_groups,
                        "io.unknown.target_group",
                        lambda cell: [i for i in split_items(cell) if i in items.unknown])
    elif field == "pools":
        items = parse_items(text, lists, lambda s: POOLS.code_of(s) or s)
    elif field == "target_groups":
        items = parse_items(text, lists)
    else:
        ids = id_set.ids
        items = parse_items(text, lists, lookup_many=id_set.known)
        table.log.add_mask(items.unknown_rows, cells, header, "io.list.dangling",
                           ids=lambda cell: ", ".join(
                               i for i in split_items(cell) if i in items.unknown))
        refs = np.flatnonzero(text.notna().to_numpy() | table.listed(lists))
        self_ref = np.zeros(len(items.tuples), dtype=bool)
        self_ref[refs] = [own in cell for own, cell in zip(
            ids[refs].tolist(), items.tuples[refs].tolist(), strict=True)]
        table.log.add_mask(self_ref, cells, header, "io.list.self")
    table.log.add_mask(items.control_rows, cells, header, "io.text.control")
    return items.tuples


def _indicators(table: _Table) -> np.ndarray:
    if not table.has("indicators"):
        return _empty_tuples(len(table))
    text, lists, header = table.cells("indicators")
    indicators, malformed = parse_indicators(text, lists)
    table.log.add_mask(malformed, (text, lists), header, "io.indicator.malformed")
    return indicators


def _channels(table: _Table) -> np.ndarray:
    if not table.has("channel"):
        return np.full(len(table), None, dtype=object)
    text, header = table.single("channel")
    codes, uniques = factorize(text)
    mapped = np.array([CHANNELS.code_of(u) for u in uniques] + [None], dtype=object)
    unknown = _rows_of_none(mapped, codes)
    table.log.add_mask(unknown, text, header, "io.unknown.channel")
    out: np.ndarray = mapped[codes]
    return out


def _currency(table: _Table, currency: str | None) -> str | None:
    if not table.has("currency"):
        return None
    text, header = table.single("currency")
    found = sorted(set(text.dropna().str.upper().tolist()))
    if len(found) > 1:
        table.log.report("io.currency.mixed", None, header, None, found=", ".join(found))
        return None
    if found and currency is not None and currency.upper() != found[0]:
        table.log.report("io.currency.conflict", None, header, None, file=found[0],
                         given=currency)
    return found[0] if found else None


def _extras(table: _Table) -> dict[str, np.ndarray]:
    used = {j for j, _ in table.found.values()}
    extras: dict[str, np.ndarray] = {}
    for j, header in enumerate(table.headers):
        if j in used or header in CANONICAL_COLUMNS:
            continue
        col, lists = table.texts[j]
        if not header:
            has_data = col.notna() | lists.notna()
            if has_data.any():
                table.log.report("io.header.blank_data", 1, None, col[has_data].iloc[0],
                                 position=j + 1)
            continue
        if _is_numeric(col):
            values = col.to_numpy(copy=True)
            huge = ~np.isnan(values) & ~(np.abs(values) <= MAX_EXTRA_NUMBER) \
                if values.dtype.kind == "f" else np.abs(values) > MAX_EXTRA_NUMBER
            table.log.add_mask(huge, col, header, "io.number.extra",
                               limit=f"{MAX_EXTRA_NUMBER:,.0f}")
            extras[header] = values
        else:
            extras[header] = _extra_values(table, header, col, lists)
    return extras


def _extra_values(table: _Table, header: str, col: pd.Series, lists: pd.Series) -> np.ndarray:
    """An extra text column: numeric when every cell is a number of at most
    :data:`~selector.model.MAX_EXTRA_NUMBER` (no leading zeros), else text as written
    (so ``inf``, ``007`` or an 18-digit code stay text), invisible characters removed."""
    if table.listed(lists).any():
        merged = col.astype(object).where(col.notna(), lists)
        out = np.empty(len(merged), dtype=object)
        out[:] = [v if isinstance(v, list | tuple | np.ndarray | dict) or not pd.isna(v)
                  else None for v in merged]
        return out
    present = col.notna()
    if present.any():
        numeric = to_float(col)
        if ((np.abs(numeric) <= MAX_EXTRA_NUMBER) | ~present.to_numpy()).all() \
                and not _leading_zero(col):
            return numeric
    text, control = clean_texts(col, trimmed=True)
    table.log.add_mask(control, col, header, "io.text.control")
    return text.astype(object).where(text.notna(), None).to_numpy(dtype=object)


# -- helpers -------------------------------------------------------------------------------
def _leading_zero(col: pd.Series) -> bool:
    """Whether some cell is a number written with a leading zero (``007``, ``-01``), which
    keeps an extra column as text. The pattern runs only on cells that start ``0``,
    ``+0`` or ``-0`` (a prefix test is much cheaper).

    >>> _leading_zero(pd.Series(["10", "0.5", "-0.5"])), _leading_zero(pd.Series(["1", "-07"]))
    (False, True)
    """
    array = arrow_strings(col)
    maybe = pc.fill_null(pc.or_(pc.starts_with(array, "0"), pc.or_(
        pc.starts_with(array, "+0"), pc.starts_with(array, "-0"))), False)
    if not pc.any(maybe).as_py():
        return False
    return bool(pc.any(pc.match_substring_regex(array.filter(maybe), r"^[+-]?0[0-9]")).as_py())


def _choices(taxonomy: Taxonomy, limit: int = 12) -> str:
    shown = [c.code if c.zh == c.code else f"{c.code} ({c.zh})" for c in taxonomy][:limit]
    more = ", ..." if len(taxonomy) > limit else ""
    return ", ".join(shown) + more


def _is_numeric(col: pd.Series) -> bool:
    return not isinstance(col.dtype, pd.StringDtype) and col.dtype.kind in "iufb"


def _objects(codes: np.ndarray, uniques: pd.Index, missing: object) -> np.ndarray:
    """Python strings of a factorized text column (``missing`` for empty cells).

    Converting each distinct text once is much cheaper than converting every cell when
    values repeat (districts, proposers, titles), and not slower when they do not.
    """
    table = np.empty(len(uniques) + 1, dtype=object)
    table[:-1] = uniques.to_numpy(dtype=object)
    table[-1] = missing
    out: np.ndarray = table[codes]
    return out


def _rows_of_none(mapped: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """The rows whose distinct value (``codes`` into ``mapped``, whose last entry stands for
    an empty cell) mapped to ``None``."""
    per_value = np.array([m is None for m in mapped[:-1]] + [False])
    out: np.ndarray = per_value[codes] if per_value.any() else np.zeros(len(codes), dtype=bool)
    return out


def _empty_tuples(n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(())
    return out

