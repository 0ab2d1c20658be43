"""Validation of a table of proposals into a :class:`~selector.model.ProposalSet`.

One pass per column, vectorised with pandas; every problem is collected and raised as
one :class:`~selector.InvalidInputError`. Nothing is returned unless all is valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.io._cells import (
    Problems,
    as_text,
    parse_indicators,
    parse_items,
    parse_money,
    parse_number,
    to_float,
)
from selector.io._fields import FIELDS, Field, fold_header, lookup_header
from selector.model import CANONICAL_COLUMNS, FLOAT_COLUMNS, TUPLE_COLUMNS, ProposalSet
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Taxonomy

__all__ = ["CHANNELS", "POOLS", "REQUIRED", "build_proposals", "proposals_from_frame"]

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

_NUMERIC_RULES: dict[str, tuple[float | None, float | None, bool, str]] = {
    # field: (min, max, whole number, expected)
    "beneficiaries": (0, None, False, "a number of workers >= 0"),
    "beneficiaries_low": (0, None, False, "a number of workers >= 0"),
    "beneficiaries_high": (0, None, False, "a number of workers >= 0"),
    "duration_months": (1e-9, None, False, "a duration in months > 0"),
    "earliest_start": (1, 12, True, "a month from 1 to 12"),
    "expert_score": (None, None, False, "a score"),
    "worker_score": (None, None, False, "a score"),
    "worker_votes": (0, None, False, "a number of votes >= 0"),
    "completion_probability": (0, 1, False, "a probability from 0 to 1 (or 0% to 100%)"),
    "year": (1900, 2200, True, "a whole year like 2026"),
}


def _choices(taxonomy: Taxonomy, limit: int = 12) -> str:
    shown = [c.code if c.zh == c.code else f"{c.code} ({c.zh})" for c in taxonomy][:limit]
    more = ", ..." if len(taxonomy) > limit else ""
    return ", ".join(shown) + more


def _unknown_message(taxonomy: Taxonomy, what: str, value: str) -> str:
    hint = taxonomy.suggest(value)
    did_you_mean = f"; did you mean {hint!r} ({taxonomy.label(hint, 'zh')})?" if hint else ""
    return f"unknown {what} {value!r}: expected one of {_choices(taxonomy)}{did_you_mean}"


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
    return build_proposals(headers, columns, rows, mapping=mapping, domains=domains,
                           target_groups=target_groups, currency=currency, meta=meta,
                           source=source)


def _resolve_headers(headers: Sequence[str], mapping: Mapping[str, str] | None,
                     problems: Problems) -> dict[str, tuple[int, Field]]:
    """field name → (column position, field); problems for duplicates and gaps."""
    if mapping:
        folded = {fold_header(h) for h in headers}
        for given, wanted in mapping.items():
            if wanted not in FIELDS:
                problems.add(f"mapping points to unknown field {wanted!r}; expected one of "
                             f"{', '.join(sorted(FIELDS))}", None, str(given))
            elif fold_header(given) not in folded:
                problems.add("mapping names a column that is not in the file", 1, str(given))
    seen: dict[str, int] = {}
    found: dict[str, tuple[int, Field]] = {}
    for j, header in enumerate(headers):
        key = fold_header(header)
        if key in seen:
            problems.add(f"duplicate header (also column {seen[key] + 1})", 1, header)
            continue
        seen[key] = j
        field = lookup_header(header, {k: v for k, v in (mapping or {}).items() if v in FIELDS})
        if field is None:
            continue
        if field.name in found:
            other = headers[found[field.name][0]]
            problems.add(f"columns {other!r} and {header!r} both mean {field.name!r}; "
                         "keep one", 1, header)
            continue
        found[field.name] = (j, field)
    missing = [f for f in REQUIRED if f not in found]
    if missing:
        problems.add(f"missing required column(s): {', '.join(missing)} (found: "
                     f"{', '.join(repr(h) for h in headers) or 'no columns'})", 1)
    return found


def build_proposals(
    headers: Sequence[str],
    columns: Sequence[pd.Series],
    rows: np.ndarray,
    *,
    mapping: Mapping[str, str] | None = None,
    domains: Taxonomy = DEFAULT_DOMAINS,
    target_groups: Taxonomy | None = DEFAULT_TARGET_GROUPS,
    currency: str | None = None,
    meta: Mapping[str, Any] | None = None,
    source: str = "",
    extra_problems: Sequence[InputProblem] = (),
) -> ProposalSet:
    """Validate columns (``headers[j]`` over ``columns[j]``, spreadsheet ``rows``)."""
    problems = Problems()
    problems.set_order(headers)
    for p in extra_problems:
        problems.add(p.message, p.row, p.column, p.value)
    found = _resolve_headers(headers, mapping, problems)
    if problems:
        raise InvalidInputError(problems.result(), source)

    index = pd.Index(rows, name="row")
    texts: dict[int, tuple[pd.Series, pd.Series]] = {}
    no_lists = pd.Series(np.nan, index=index)  # shared by the columns without list cells
    for j, col in enumerate(columns):
        col = col.set_axis(index)
        texts[j] = (col, no_lists) if _is_numeric(col) else as_text(col, no_lists=no_lists)
    # drop rows where every cell is empty (blank spreadsheet rows)
    empty = np.ones(len(index), dtype=bool)
    for col, lists in texts.values():
        if not empty.any():
            break
        empty &= col.isna().to_numpy() & lists.isna().to_numpy()
    if empty.all():
        raise InvalidInputError(InputProblem(
            "no proposals: the file has a header row but no data rows" if len(headers)
            else "no proposals: the file is empty"), source)
    if empty.any():
        keep = ~empty
        texts = {j: (c[keep], lst[keep]) for j, (c, lst) in texts.items()}
        index = index[keep]

    out: dict[str, Any] = {}

    def text_of(field: str) -> tuple[pd.Series, pd.Series, str] | None:
        if field not in found:
            return None
        j = found[field][0]
        col, lists = texts[j]
        if _is_numeric(col):
            col, lists = as_text(col)
        if field not in TUPLE_COLUMNS:
            problems.add_mask(lists.notna(), lists, headers[j], "expected one value, not a list")
        return col, lists, headers[j]

    # id
    ids_text, _, id_header = text_of("id")  # type: ignore[misc]
    missing_id = ids_text.isna().to_numpy()
    problems.add_mask(missing_id, ids_text, id_header, "missing id")
    out["id"] = ids_text.to_numpy(dtype=object, na_value="")
    id_set = set(out["id"].tolist())  # holds "" when some id is missing
    later = np.zeros(len(missing_id), dtype=bool)
    if len(id_set) - missing_id.any() < len(missing_id) - missing_id.sum():  # some id repeats
        later = (ids_text.duplicated(keep="first") & ids_text.notna()).to_numpy()
    if later.any():
        repeated = set(ids_text[later].tolist())
        first_row: dict[str, int] = {}
        for row, value in zip(ids_text.index.tolist(), ids_text.tolist(), strict=True):
            if value in repeated:
                first_row.setdefault(value, row)
        problems.add_mask(later, ids_text, id_header,
                          lambda v: f"duplicate id (first used in row {first_row[v]})")

    # title and optional text
    for field in ("title", "district", "variant_group", "proposer"):
        got = text_of(field)
        if got is None:
            out[field] = np.full(len(index), "" if field == "title" else None, dtype=object)
            continue
        out[field] = _objects(*pd.factorize(got[0]), "" if field == "title" else None)

    # domain
    dom_text, _, dom_header = text_of("domain")  # type: ignore[misc]
    problems.add_mask(dom_text.isna(), dom_text, dom_header,
                      f"missing domain: expected one of {_choices(domains)}")
    codes, uniques = pd.factorize(dom_text)
    mapped = np.array([domains.code_of(u) for u in uniques] + [""], dtype=object)
    out["domain"] = mapped[codes]
    unknown = np.array([m is None for m in mapped[:-1]] + [False])[codes]
    problems.add_mask(unknown, dom_text, dom_header,
                      lambda v: _unknown_message(domains, "domain", str(v)))

    # cost
    cost_text, _, cost_header = text_of("cost")  # type: ignore[misc]
    exponent = found["cost"][1].cost_exponent
    unit = {0: "yuan", 4: "10,000 yuan (万元)", -2: "fen"}[exponent]
    minor, bad = parse_money(cost_text, exponent)
    problems.add_mask(cost_text.isna(), cost_text, cost_header, f"missing cost (in {unit})")
    problems.add_mask(bad["format"], cost_text, cost_header,
                      f"cost must be an amount in {unit} like 120000, 1,200,000.50, ¥120000 "
                      "or 12万")
    problems.add_mask(bad["negative"], cost_text, cost_header, "cost must not be negative")
    problems.add_mask(bad["decimals"], cost_text, cost_header,
                      "cost must be exact to the fen (at most 2 decimals of a yuan)")
    problems.add_mask(bad["large"], cost_text, cost_header, "cost is too large")
    out["cost_minor"] = minor

    # numbers
    for field in FLOAT_COLUMNS:
        if field not in found:
            out[field] = np.full(len(index), np.nan)
            if field == "beneficiaries":
                raise AssertionError("required column missing after header check")
            continue
        j = found[field][0]
        col, lists = texts[j]
        header = headers[j]
        lo, hi, whole, expected = _NUMERIC_RULES[field]
        if _is_numeric(col):
            values = col.to_numpy(dtype=np.float64, na_value=np.nan).copy()
            shown = col
            bad_num = np.isinf(values)
            values[bad_num] = np.nan
        else:
            values, bad_num = parse_number(col, percent=field == "completion_probability")
            shown = col
            problems.add_mask(lists.notna(), lists, header, "expected one value, not a list")
        problems.add_mask(bad_num, shown, header, f"not a number: expected {expected}")
        if field == "beneficiaries":
            problems.add_mask(np.isnan(values) & ~bad_num, shown, header,
                              f"missing beneficiaries: expected {expected}")
        finite = np.isfinite(values)
        out_of_range = finite & (((values < lo) if lo is not None else False)
                                 | ((values > hi) if hi is not None else False))
        if whole:
            out_of_range |= finite & (values != np.round(values))
        problems.add_mask(out_of_range, shown, header, f"expected {expected}")
        out[field] = values

    b, low, high = out["beneficiaries"], out["beneficiaries_low"], out["beneficiaries_high"]
    if "beneficiaries_low" in found:
        problems.add_mask(low > b, texts[found["beneficiaries_low"][0]][0],
                          headers[found["beneficiaries_low"][0]],
                          "low estimate is above the estimated beneficiaries")
    if "beneficiaries_high" in found:
        problems.add_mask(high < b, texts[found["beneficiaries_high"][0]][0],
                          headers[found["beneficiaries_high"][0]],
                          "high estimate is below the estimated beneficiaries")

    # multi-valued
    for field in ("target_groups", "pools", "requires", "excludes"):
        got = text_of(field)
        if got is None:
            out[field] = _empty_tuples(len(index))
            continue
        text, lists, header = got
        cells = (text, lists)
        if field == "target_groups" and target_groups is not None:
            items, bad_rows, unknown_items = parse_items(text, lists, target_groups.code_of)
            problems.add_mask(bad_rows, cells, header,
                              _unknown_items(target_groups, unknown_items))
        elif field == "pools":
            items, _, _ = parse_items(text, lists, lambda s: POOLS.code_of(s) or s)
        else:
            items, dangling_rows, dangling = parse_items(
                text, lists, lambda s: s if s in id_set else None)
            problems.add_mask(dangling_rows, cells, header, _dangling_ids(dangling))
            refs = np.flatnonzero(text.notna().to_numpy() | lists.notna().to_numpy())
            self_ref = np.zeros(len(items), dtype=bool)
            self_ref[refs] = [out["id"][k] in items[k] for k in refs]
            problems.add_mask(self_ref, cells, header, "a proposal cannot refer to itself")
        out[field] = items

    # indicators
    got = text_of("indicators")
    if got is None:
        out["indicators"] = _empty_tuples(len(index))
    else:
        text, lists, header = got
        out["indicators"], bad_ind = parse_indicators(text, lists)
        problems.add_mask(bad_ind, (text, lists), header,
                          "malformed indicator: expected 名称=目标值单位 items separated by ';', "
                          "e.g. 培训人数=500人; 满意度=90%")

    # channel
    got = text_of("channel")
    if got is None:
        out["channel"] = np.full(len(index), None, dtype=object)
    else:
        text, _, header = got
        codes, uniques = pd.factorize(text)
        mapped = np.array([CHANNELS.code_of(u) for u in uniques] + [None], dtype=object)
        unknown = np.array([m is None for m in mapped[:-1]] + [False])[codes]
        problems.add_mask(unknown, text, header,
                          "unknown channel: expected union (基层工会) or online (网上平台)")
        out["channel"] = mapped[codes]

    # currency
    got = text_of("currency")
    file_currency = None
    if got is not None:
        text, _, header = got
        found_currencies = sorted(set(text.dropna().str.upper().tolist()))
        if len(found_currencies) > 1:
            problems.add("all proposals must use one currency, found "
                         f"{', '.join(found_currencies)}", None, header)
        elif found_currencies:
            file_currency = found_currencies[0]
            if currency is not None and currency.upper() != file_currency:
                problems.add(f"the file is in {file_currency} but currency={currency!r} was "
                             "given", None, header)

    # extra columns
    used = {j for j, _ in found.values()}
    extras: dict[str, np.ndarray] = {}
    for j, header in enumerate(headers):
        if j in used or header in CANONICAL_COLUMNS:
            continue
        col, lists = texts[j]
        if not header.strip():
            has_data = col.notna() | lists.notna()
            if has_data.any():
                problems.add(f"column {j + 1} has data but no header", 1, None,
                             str(col[has_data].iloc[0]))
            continue
        extras[header] = _extra_values(col, lists)

    if problems:
        raise InvalidInputError(problems.result(), source)

    # every array in out and extras is built here and used once: no copy needed; an
    # explicit dtype keeps text columns object (pandas would infer ``str``)
    arrays = {**{c: out[c] for c in CANONICAL_COLUMNS}, **extras}
    canonical = pd.DataFrame({c: pd.Series(v, dtype=v.dtype, copy=False)
                              for c, v in arrays.items()}, copy=False)
    return ProposalSet(canonical, domains=domains,
                       target_groups=target_groups or DEFAULT_TARGET_GROUPS,
                       currency=(currency or file_currency or "CNY").upper(), meta=meta)


def _unknown_items(taxonomy: Taxonomy, unknown: dict[str, None]) -> Callable[[object], str]:
    def message(cell: object) -> str:
        return "; ".join(_unknown_message(taxonomy, "target group", i)
                         for i in _items_of(cell) if i in unknown)
    return message


def _dangling_ids(missing: dict[str, None]) -> Callable[[object], str]:
    def message(cell: object) -> str:
        return "refers to unknown proposal id(s): " + ", ".join(
            i for i in _items_of(cell) if i in missing)
    return message


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


def _empty_tuples(n: int) -> np.ndarray:
    out = np.empty(n, dtype=object)
    out.fill(())
    return out


def _items_of(value: object) -> tuple[str, ...]:
    from selector.io._cells import _split_items

    return _split_items(value)


def _extra_values(col: pd.Series, lists: pd.Series) -> np.ndarray:
    """An extra column: numeric when every cell is a finite number (no leading zeros),
    else text (so ``inf`` or ``007`` written in a cell stay as written)."""
    if _is_numeric(col):
        return col.to_numpy(copy=True)
    if lists.notna().any():
        merged = col.astype(object).where(col.notna(), lists)
        out = np.empty(len(merged), dtype=object)
        out[:] = [v if isinstance(v, list | tuple | np.ndarray | dict) or not pd.isna(v)
                  else None for v in merged]
        return out
    present = col.notna()
    if present.any():
        numeric = to_float(col)
        if (np.isfinite(numeric) | ~present.to_numpy()).all() \
                and not col.str.match(r"^[+-]?0\d", na=False).any():
            return numeric
    return col.astype(object).where(present, None).to_numpy(dtype=object)
