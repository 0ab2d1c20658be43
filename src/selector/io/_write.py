"""Writers: CSV, Excel, JSON and Parquet, each read back by the loaders unchanged.

Every writer is atomic: the file is written beside the target under a temporary name and
moved over it in one step (:func:`os.replace`), so a killed write leaves the old file or
the new one, never half a file. Text cells are neutralised for spreadsheets
(:func:`selector.text.neutralise_cell`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from openpyxl import Workbook

from selector._errors import InputProblem, InvalidInputError
from selector.atomic import replacing
from selector.io._cells import ITEM_SEPARATORS, format_indicator_cells
from selector.io._fields import HEADERS_EN, HEADERS_ZH
from selector.io._validate import CHANNELS, POOLS
from selector.model import CANONICAL_COLUMNS, FLOAT_COLUMNS, ProposalSet
from selector.taxonomy import Taxonomy
from selector.text_columns import neutralise_series

__all__ = ["WRITE_FORMATS", "save_proposals"]

#: Formats :func:`save_proposals` writes, by file suffix.
WRITE_FORMATS = {".csv": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json",
                 ".parquet": "parquet", ".pq": "parquet"}

_TEXT = ("id", "title", "domain", "district", "variant_group", "proposer", "channel")
_LISTS = ("target_groups", "pools", "requires", "excludes")
_ORDER = ("id", "title", "domain", "cost", *[c for c in CANONICAL_COLUMNS[4:]])
_MAX_EXACT_FLOAT = 10**15  # below this many fen a double holds the amount exactly


def _cost_text(minor: np.ndarray) -> pd.Series:
    """Exact yuan text of fen amounts: ``12000050`` → ``"120000.50"``, whole yuan bare."""
    whole = pd.Series(minor // 100).astype(str).to_numpy(dtype=object)
    frac = pd.Series(minor % 100).astype(str).str.zfill(2).to_numpy(dtype=object)
    text = np.where(minor % 100 == 0, whole, whole + "." + frac)
    return pd.Series(text, dtype=object)


def _float_text(values: np.ndarray) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    finite = np.isfinite(values)
    whole = finite & (values == np.round(values)) & (np.abs(values) < 1e15)
    out[whole] = pd.Series(values[whole].astype(np.int64)).astype(str).to_numpy(dtype=object)
    rest = finite & ~whole
    out[rest] = [np.format_float_positional(v, trim="-") for v in values[rest]]
    return out


def _labels(values: np.ndarray, taxonomy: Taxonomy, lang: str) -> np.ndarray:
    if lang != "zh":
        return values
    labels = {c.code: c.zh for c in taxonomy}
    out: np.ndarray = pd.Series(values, dtype=object).map(
        lambda v: labels.get(v, v) if isinstance(v, str) else v).to_numpy(dtype=object)
    return out


def _list_labels(values: np.ndarray, taxonomy: Taxonomy, lang: str) -> np.ndarray:
    if lang != "zh":
        return values
    labels = {c.code: c.zh for c in taxonomy}
    out = np.empty(len(values), dtype=object)
    out[:] = [tuple(labels.get(i, i) for i in t) for t in values]
    return out


def _typed_table(proposals: ProposalSet, lang: str) -> dict[str, np.ndarray]:
    """Column name (canonical, with ``cost`` for ``cost_minor``) → values for writing."""
    frame = proposals.frame
    cols: dict[str, np.ndarray] = {}
    for name in _ORDER:
        if name == "cost":
            cols["cost"] = frame["cost_minor"].to_numpy(dtype=np.int64)
        elif name == "domain":
            cols[name] = _labels(frame[name].to_numpy(dtype=object), proposals.domains, lang)
        elif name == "channel":
            cols[name] = _labels(frame[name].to_numpy(dtype=object), CHANNELS, lang)
        elif name == "target_groups":
            cols[name] = _list_labels(frame[name].to_numpy(dtype=object),
                                      proposals.target_groups, lang)
        elif name == "pools":
            cols[name] = _list_labels(frame[name].to_numpy(dtype=object), POOLS, lang)
        else:
            cols[name] = frame[name].to_numpy()
    if proposals.currency != "CNY":
        cols["currency"] = np.full(len(frame), proposals.currency, dtype=object)
    for name in proposals.extra_columns:
        cols[name] = frame[name].to_numpy()
    return cols


def _header(name: str, lang: str) -> str:
    table = HEADERS_ZH if lang == "zh" else HEADERS_EN
    return table.get(name, name)


def _text_cells(proposals: ProposalSet, lang: str) -> pd.DataFrame:
    """Every cell as text (``None`` when empty), formula-neutralised, for CSV."""
    problems: list[InputProblem] = []
    rows = np.arange(2, len(proposals) + 2)
    out: dict[str, pd.Series] = {}
    for name, values in _typed_table(proposals, lang).items():
        header = _header(name, lang)
        if name == "cost":
            cells = _cost_text(values)
        elif values.dtype.kind in "iu":
            cells = pd.Series(values).astype(str)
        elif values.dtype.kind == "f":
            cells = pd.Series(_float_text(values.astype(np.float64)), dtype=object)
        elif name in _LISTS:
            bad = [k for k, t in enumerate(values) if any(
                any(ch in item for ch in ITEM_SEPARATORS) for item in t)]
            problems.extend(InputProblem.of(
                "io.write.separator", int(rows[k]), header, "|".join(values[k]),
                separators=" ".join(ITEM_SEPARATORS.replace("\n", ""))) for k in bad)
            cells = pd.Series([" | ".join(t) if t else None for t in values], dtype=object)
        elif name == "indicators":
            text = [t if values[k] else None
                    for k, t in enumerate(format_indicator_cells(list(values)))]
            problems.extend(InputProblem.of(
                "io.write.indicator", int(rows[k]), header, repr(values[k]))
                for k, t in enumerate(text) if t is None and values[k])
            cells = pd.Series(text, dtype=object)
        else:
            cells = pd.Series([None if v is None or (isinstance(v, float) and v != v)
                               else str(v) for v in values], dtype=object)
        out[header] = neutralise_series(cells)
    if problems:
        raise InvalidInputError(problems, "save_proposals")
    return pd.DataFrame(out)


def _write_xlsx(proposals: ProposalSet, path: Path, lang: str) -> None:
    text = _text_cells(proposals, lang)  # validates and neutralises text cells
    typed = _typed_table(proposals, lang)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("proposals")
    columns: list[list[Any]] = []
    for (name, values), header in zip(typed.items(), text.columns, strict=True):
        if name == "cost":
            exact = values < _MAX_EXACT_FLOAT
            columns.append([int(m) // 100 if m % 100 == 0 else float(m) / 100 if ok else t
                            for m, ok, t in zip(values.tolist(), exact.tolist(),
                                                text[header].tolist(), strict=True)])
        elif values.dtype.kind in "iuf":
            # Excel keeps 15 significant digits: a number it would round is written as text
            # (which the loader reads back exactly)
            columns.append([None if v != v else v if float(f"{v:.15g}") == v else t
                            for v, t in zip(values.tolist(), text[header].tolist(),
                                            strict=True)])
        else:
            columns.append(text[header].tolist())
    ws.append(list(text.columns))
    for row in zip(*columns, strict=True):
        ws.append(list(row))
    wb.save(path)


def _jsonable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, np.generic):
        return _jsonable(value.item())
    if isinstance(value, tuple | list | np.ndarray):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def _records(proposals: ProposalSet) -> list[dict[str, Any]]:
    typed = _typed_table(proposals, "en")
    names = list(typed)
    minor = typed["cost"]
    typed["cost"] = _cost_text(minor).to_numpy(dtype=object)
    indicators = np.empty(len(minor), dtype=object)
    indicators[:] = [[{"name": n, "target": t, "unit": u} for n, t, u in ind]
                     for ind in typed["indicators"]]
    typed["indicators"] = indicators
    return [{k: _jsonable(v) for k, v in zip(names, row, strict=True)}
            for row in zip(*(typed[n] for n in names), strict=True)]


def _write_parquet(proposals: ProposalSet, path: Path) -> None:
    typed = _typed_table(proposals, "en")
    arrays: dict[str, Any] = {}
    for name, values in typed.items():
        if name == "cost":
            arrays[name] = pa.array([Decimal(int(m)).scaleb(-2) for m in values],
                                    type=pa.decimal128(38, 2))
        elif name in FLOAT_COLUMNS:
            arrays[name] = pa.array(values, type=pa.float64(), from_pandas=True)
        elif name in _LISTS:
            arrays[name] = pa.array([list(t) for t in values], type=pa.list_(pa.string()))
        elif name == "indicators":
            arrays[name] = pa.array(
                [[{"name": n, "target": t, "unit": u} for n, t, u in ind] for ind in values],
                type=pa.list_(pa.struct([("name", pa.string()), ("target", pa.float64()),
                                         ("unit", pa.string())])))
        elif name in _TEXT or name == "currency":
            arrays[name] = pa.array(values, type=pa.string(), from_pandas=True)
        else:
            arrays[name] = pa.array([list(v) if isinstance(v, tuple) else v for v in values],
                                    from_pandas=True)
    pq.write_table(pa.table(arrays), path)


def save_proposals(
    proposals: ProposalSet,
    path: str | Path,
    *,
    format: Literal["csv", "xlsx", "json", "parquet"] | None = None,
    headers: Literal["en", "zh"] = "en",
    encoding: str = "utf-8",
) -> Path:
    """Write proposals so that :func:`~selector.load_proposals` reads them back equal.

    Parameters
    ----------
    proposals:
        The set to write.
    path:
        Target file; the format follows the suffix unless ``format`` is given.
    format:
        ``"csv"``, ``"xlsx"``, ``"json"`` (a list of records) or ``"parquet"``.
    headers:
        ``"en"``: canonical column names and codes; ``"zh"``: Chinese headers and Chinese
        labels of domains, target groups, channels and pools (CSV and Excel only), as a
        planner's export would have them.
    encoding:
        CSV only; ``"utf-8-sig"`` adds the byte-order mark Excel needs to show Chinese.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    InvalidInputError
        When a value cannot be written in the text syntax of CSV/Excel cells (e.g. a
        target group containing ``|``); JSON and Parquet hold any value.
    """
    target = Path(path)
    fmt = format or WRITE_FORMATS.get(target.suffix.lower())
    if fmt is None:
        raise InvalidInputError(InputProblem.of(
            "io.write.format", value=target.name, suffixes=", ".join(WRITE_FORMATS)),
            "save_proposals")
    writers: dict[str, Callable[[Path], object]] = {
        "csv": lambda tmp: _text_cells(proposals, headers).to_csv(
            tmp, index=False, encoding=encoding, lineterminator="\n",
            sep="\t" if target.suffix.lower() == ".tsv" else ","),
        "xlsx": lambda tmp: _write_xlsx(proposals, tmp, headers),
        "json": lambda tmp: tmp.write_text(json.dumps(
            _records(proposals), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
            encoding="utf-8"),
        "parquet": lambda tmp: _write_parquet(proposals, tmp),
    }
    if fmt not in writers:
        raise InvalidInputError(InputProblem.of("io.write.unknown", value=str(fmt)),
                                "save_proposals")
    with replacing(target) as tmp:
        writers[fmt](tmp)
    return target
