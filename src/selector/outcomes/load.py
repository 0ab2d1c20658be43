"""Reading an outcomes file: what each funded project actually achieved.

An outcomes file is the third-party evaluation of a year's funded projects, one row per
project, as CSV (UTF-8, GB18030, ... detected) or Excel ``.xlsx``, with Chinese or
English headers:

=========================  ==============================================  ==========
field                      headers accepted (any case, spaces, brackets)   required
=========================  ==============================================  ==========
``id``                     项目编号, 编号, id, proposal_id, project_id       yes
``actual_beneficiaries``   实际受益人数, 实际服务人次, 服务人次, 实际受益人次,  yes
                           actual_beneficiaries, person_times, served
``satisfaction``           满意度, 群众满意度, satisfaction                   no
``actual_cost``            实际支出(元), 实际支出, 决算金额(元), 实际成本,    no
                           actual_cost; 实际支出(万元) in units of 10,000
``on_time``                按期完成, 是否按期完成, 按时完成, on_time,          no
                           completed_on_time
``year``                   年度, 实施年度, year (must equal the year given)   no
=========================  ==============================================  ==========

Cells: beneficiaries are a number ≥ 0 with optional thousands separators and unit
(``3,000人次``); satisfaction a fraction in [0, 1], a percentage (``92%``) or a number in
(1, 100] read as a percentage; money with the grammar of :mod:`selector.money`; on time
``是/否``, ``yes/no``, ``true/false``, ``1/0``, ``Y/N``, ``√/×``. Any other column is
ignored.

The planned figures (estimated beneficiaries, cost, domain, district, applicant unit,
target groups, title) come from the year's proposals, so every id must be one of them.
Every problem is reported at once, with its spreadsheet row and column, in one
:class:`~selector.InvalidInputError`; nothing is returned half-read.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.i18n import DEFAULT_LANG, Lang, t
from selector.io import detect_encoding
from selector.model import ProposalSet
from selector.money import parse_money_column
from selector.taxonomy import normalise_label
from selector.text import normalise_key, strip_invisible

__all__ = ["OUTCOME_COLUMNS", "OutcomeTable", "load_outcomes", "outcomes_from_frame", "tidy_frame"]

#: Columns of :attr:`OutcomeTable.frame`, in order.
OUTCOME_COLUMNS = (
    "year", "id", "title", "domain", "district", "proposer", "target_groups",
    "planned_beneficiaries", "planned_cost_fen", "actual_beneficiaries", "satisfaction",
    "actual_cost_fen", "on_time",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("项目编号", "编号", "项目ID", "项目代码", "id", "proposal id", "project id"),
    "actual_beneficiaries": ("实际受益人数", "实际服务人次", "服务人次", "实际受益人次",
                             "实际受益职工数", "实际受益人数(人)", "actual beneficiaries",
                             "person times", "served", "actual"),
    "satisfaction": ("满意度", "群众满意度", "职工满意度", "满意率", "satisfaction"),
    "actual_cost": ("实际支出", "实际支出(元)", "决算金额", "决算金额(元)", "实际成本",
                    "实际成本(元)", "actual cost", "actual cost (yuan)"),
    "actual_cost_wan": ("实际支出(万元)", "决算金额(万元)", "实际成本(万元)",
                        "actual cost (10k yuan)"),
    "on_time": ("按期完成", "是否按期完成", "按时完成", "是否按时完成", "on time",
                "completed on time"),
    "year": ("年度", "实施年度", "year"),
}
_REQUIRED = ("id", "actual_beneficiaries")
_YES = {"是", "yes", "y", "true", "1", "√", "✓", "按期", "已完成"}
_NO = {"否", "no", "n", "false", "0", "×", "✗", "逾期", "未完成"}


def _fold(header: object) -> str:
    text = str(header).translate(str.maketrans("（）【】", "()[]"))
    return normalise_label(strip_invisible(text)).replace(" ", "")


_LOOKUP = {_fold(alias): field for field, aliases in _ALIASES.items()
           for alias in (field, *aliases)}


@dataclass(frozen=True)
class OutcomeTable:
    """Validated outcomes of one year, each with its planned figures.

    Attributes
    ----------
    frame:
        One row per project, columns :data:`OUTCOME_COLUMNS`: money in integer fen
        (``actual_cost_fen`` nullable ``Int64``), ``satisfaction`` a fraction (NaN when
        absent), ``on_time`` a nullable ``boolean``.
    source:
        Where the rows came from.
    """

    frame: pd.DataFrame
    source: str = ""

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def years(self) -> list[int]:
        """The years present, ascending."""
        return sorted({int(y) for y in self.frame["year"]})


def _read_table(path: Path, raw: bytes, sheet: str | int | None, lang: Lang
                ) -> pd.DataFrame:
    source = str(path)
    if raw.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            return pd.read_excel(io.BytesIO(raw), sheet_name=0 if sheet is None else sheet,
                                 dtype=str, keep_default_na=False, engine="openpyxl")
        except ValueError as exc:  # unknown sheet, not a workbook
            raise InvalidInputError(t("outcomes.bad_workbook", lang, detail=str(exc)),
                                    source) from None
        except Exception as exc:  # openpyxl's own errors (a broken zip, ...)
            raise InvalidInputError(t("outcomes.bad_workbook", lang, detail=type(exc).__name__),
                                    source) from None
    try:
        text = raw.decode(detect_encoding(raw))
    except (ValueError, UnicodeDecodeError):
        raise InvalidInputError(t("outcomes.not_text", lang), source) from None
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                           skip_blank_lines=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise InvalidInputError(t("outcomes.bad_csv", lang, detail=str(exc).strip()),
                                source) from None


def load_outcomes(path: str | Path, proposals: ProposalSet, *, year: int,
                  sheet: str | int | None = None, lang: Lang = DEFAULT_LANG) -> OutcomeTable:
    """Read and validate an outcomes file (see the module docstring).

    Parameters
    ----------
    path:
        A CSV or ``.xlsx`` file.
    proposals:
        The year's proposals: the planned figures of every project.
    year:
        The year the projects ran in.
    sheet:
        Excel sheet name or 0-based number (default: the first).
    lang:
        Language of the problems reported.

    Raises
    ------
    InvalidInputError
        Listing every problem found, each with its row (header = row 1) and column.
    """
    file = Path(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise InvalidInputError(t("outcomes.no_file", lang), str(path)) from None
    except OSError as exc:
        raise InvalidInputError(t("outcomes.unreadable", lang, detail=exc.strerror or ""),
                                str(path)) from None
    if not raw.strip():
        raise InvalidInputError(t("outcomes.empty", lang), str(path))
    table = _read_table(file, raw, sheet, lang)
    return outcomes_from_frame(table, proposals, year=year, source=str(path), lang=lang)


def _numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Floats from cells like ``3,000人次``; ``(values, bad mask)`` (NaN where empty)."""
    cleaned = text.str.replace(r"[,，\s_]", "", regex=True).str.replace(
        r"(?:人次|人|次)$", "", regex=True)
    values = pd.to_numeric(cleaned.where(cleaned != ""), errors="coerce").to_numpy(
        dtype=np.float64)
    given = (text.str.strip() != "").to_numpy()
    bad = given & ~np.isfinite(values)
    return values, bad


def _satisfaction(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    cleaned = text.str.strip()
    percent = cleaned.str.endswith(("%", "％")).to_numpy()
    values, bad = _numbers(cleaned.str.rstrip("%％"))
    values = np.where(percent | (values > 1), values / 100, values)
    bad |= np.isfinite(values) & ((values < 0) | (values > 1))
    return values, bad


def _on_time(text: pd.Series) -> tuple[pd.Series, np.ndarray]:
    folded = text.map(lambda v: normalise_label(v))
    yes = folded.isin(_YES).to_numpy()
    no = folded.isin(_NO).to_numpy()
    given = (folded != "").to_numpy()
    out = pd.array([True if y else (False if n else None) for y, n in zip(yes, no, strict=True)],
                   dtype="boolean")
    return pd.Series(out), given & ~yes & ~no


def outcomes_from_frame(table: pd.DataFrame, proposals: ProposalSet, *, year: int,
                        source: str = "", lang: Lang = DEFAULT_LANG) -> OutcomeTable:
    """Validate a DataFrame of outcomes (any accepted headers; cells as text or numbers).

    See :func:`load_outcomes`; ``source`` names the input in the problems.

    Examples
    --------
    >>> from selector import Proposal
    >>> ps = ProposalSet.from_proposals([Proposal(id="P1", domain="health", cost=1000,
    ...                                           beneficiaries=200)])
    >>> got = outcomes_from_frame(pd.DataFrame({"项目编号": ["P1"], "实际服务人次": ["180人次"],
    ...                                         "满意度": ["92%"]}), ps, year=2026)
    >>> got.frame[["id", "planned_beneficiaries", "actual_beneficiaries", "satisfaction"]
    ...           ].to_dict("records")
    [{'id': 'P1', 'planned_beneficiaries': 200.0, 'actual_beneficiaries': 180.0, 'satisfaction': 0.92}]
    """
    fields = _fields(table, source, lang)
    if not (isinstance(year, int) and 1900 <= year <= 2200):
        raise InvalidInputError(t("outcomes.bad_year", lang, got=year), source)
    # in this order: the problems are listed in the order the steps find them
    reading = _Reading(table, fields, lang)
    index = {normalise_key(str(i)): k for k, i in enumerate(proposals.frame["id"])}
    frame_ids = reading.ids(index)
    actual = reading.beneficiaries()
    satisfaction = reading.satisfaction()
    cost = reading.cost()
    on_time = reading.on_time()
    reading.check_year(year)
    if reading.problems:
        raise InvalidInputError(reading.problems, source)
    take = ~reading.blank
    pos = np.array([index[i] for i in frame_ids[take]], dtype=np.int64)
    out = _with_plans(proposals, pos, year, {
        "actual_beneficiaries": actual[take],
        "satisfaction": satisfaction[take],
        "actual_cost_fen": pd.array(cost)[take],
        "on_time": on_time.array[take],
    })
    if out.empty:
        raise InvalidInputError(t("outcomes.empty", lang), source)
    return OutcomeTable(tidy_frame(out), source)


def _fields(table: pd.DataFrame, source: str, lang: Lang) -> dict[str, str]:
    """Field → header of ``table``; a header given twice (or both money columns) and
    missing required columns are raised together."""
    problems: list[InputProblem] = []
    fields: dict[str, str] = {}
    for h in (str(h) for h in table.columns):
        field = _LOOKUP.get(_fold(h))
        if field is None:
            continue
        if field in fields:
            problems.append(InputProblem(t("outcomes.header_twice", lang, first=fields[field]),
                                         1, h))
            continue
        fields[field] = h
    if "actual_cost" in fields and "actual_cost_wan" in fields:
        problems.append(InputProblem(t("outcomes.header_twice", lang,
                                       first=fields["actual_cost"]), 1,
                                     fields["actual_cost_wan"]))
    for f in (f for f in _REQUIRED if f not in fields):
        problems.append(InputProblem(t("outcomes.missing_column", lang,
                                       names="、".join(_ALIASES[f][:3])), 1))
    if problems:
        raise InvalidInputError(problems, source)
    return fields


class _Reading:
    """The cells of an outcomes table, read one field at a time; each step adds its
    problems (at most 50 per kind), rows left wholly blank (a spreadsheet's trailing
    lines) are skipped."""

    def __init__(self, table: pd.DataFrame, fields: dict[str, str], lang: Lang) -> None:
        self.fields, self.lang = fields, lang
        self.cells = {
            f: table[h].map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v))
                            else strip_invisible(str(v)).strip()).astype(object).reset_index(drop=True)
            for f, h in fields.items()}
        self.n = len(self.cells["id"])
        self.blank = np.logical_and.reduce([(self.cells[f] == "").to_numpy() for f in self.cells])
        self.rows = np.arange(2, self.n + 2)
        self.problems: list[InputProblem] = []

    def bad(self, mask: np.ndarray, field: str, key: str, **params: Any) -> None:
        """The rows of ``mask`` (not blank) are problems ``key`` of ``field``."""
        for k in np.flatnonzero(mask & ~self.blank)[:50]:
            self.problems.append(InputProblem(t(key, self.lang, **params), int(self.rows[k]),
                                              self.fields[field],
                                              str(self.cells[field].iloc[k])[:80]))

    def ids(self, index: dict[str, int]) -> pd.Series:
        """The normalised ids; empty, repeated and unknown ones are problems."""
        frame_ids = self.cells["id"].map(normalise_key)
        empty_id = (frame_ids == "").to_numpy()
        self.bad(empty_id, "id", "outcomes.id_missing")
        dup = frame_ids.duplicated(keep="first").to_numpy() & ~empty_id
        self.bad(dup, "id", "outcomes.id_twice")
        unknown = ~frame_ids.isin(list(index)).to_numpy() & ~empty_id
        self.bad(unknown, "id", "outcomes.id_unknown")
        return frame_ids

    def beneficiaries(self) -> np.ndarray:
        """The actual beneficiaries (required, a number >= 0)."""
        actual, wrong = _numbers(self.cells["actual_beneficiaries"])
        self.bad(wrong | (np.isfinite(actual) & (actual < 0)), "actual_beneficiaries",
                 "outcomes.bad_count")
        self.bad(~np.isfinite(actual) & ~wrong, "actual_beneficiaries", "outcomes.count_missing")
        return actual

    def satisfaction(self) -> np.ndarray:
        """Satisfaction as a fraction (NaN when absent)."""
        if "satisfaction" not in self.cells:
            return np.full(self.n, np.nan)
        satisfaction, wrong = _satisfaction(self.cells["satisfaction"])
        self.bad(wrong, "satisfaction", "outcomes.bad_satisfaction")
        return satisfaction

    def cost(self) -> Any:
        """The actual cost in fen, from yuan or 10,000 yuan (nullable ``Int64``)."""
        n, cells = self.n, self.cells
        money_field = "actual_cost" if "actual_cost" in cells else (
            "actual_cost_wan" if "actual_cost_wan" in cells else None)
        if money_field is None:
            return pd.array([None] * n, dtype="Int64")
        text = cells[money_field]
        present = (text != "").to_numpy()
        minor, kinds = parse_money_column(text.where(text != "").astype("str"),
                                          4 if money_field == "actual_cost_wan" else 0)
        wrong = np.zeros(n, dtype=bool)
        for mask in kinds.values():
            wrong |= mask
        self.bad(wrong, money_field, "outcomes.bad_money")
        return pd.array([int(m) if p and not w else None
                         for m, p, w in zip(minor, present, wrong, strict=True)], dtype="Int64")

    def on_time(self) -> pd.Series:
        """Finished on time (nullable ``boolean``)."""
        if "on_time" not in self.cells:
            return pd.Series(pd.array([None] * self.n, dtype="boolean"))
        on_time, wrong = _on_time(self.cells["on_time"])
        self.bad(wrong, "on_time", "outcomes.bad_on_time")
        return on_time

    def check_year(self, year: int) -> None:
        """A year column, when given, must hold ``year``."""
        if "year" in self.cells:
            years, wrong = _numbers(self.cells["year"])
            self.bad(wrong | (np.isfinite(years) & (years != year)), "year",
                     "outcomes.other_year", year=year)


def _with_plans(proposals: ProposalSet, pos: np.ndarray, year: int,
                measured: dict[str, Any]) -> pd.DataFrame:
    """The planned figures of the proposals at ``pos`` beside what was ``measured``."""
    planned = proposals.frame.iloc[pos].reset_index(drop=True)
    return pd.DataFrame({
        "year": np.full(len(pos), year, dtype=np.int64),
        "id": planned["id"].astype(str).to_numpy(dtype=object),
        "title": planned["title"].astype(str).to_numpy(dtype=object),
        "domain": planned["domain"].astype(str).to_numpy(dtype=object),
        "district": planned["district"].to_numpy(dtype=object),
        "proposer": planned["proposer"].to_numpy(dtype=object),
        "target_groups": planned["target_groups"].to_numpy(dtype=object),
        "planned_beneficiaries": planned["beneficiaries"].to_numpy(dtype=np.float64),
        "planned_cost_fen": planned["cost_minor"].to_numpy(dtype=np.int64),
        **measured,
    })


def _text_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value)
    return text or None


def tidy_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The canonical dtypes of an outcomes frame (also for rows read back from the store)."""
    out = frame.loc[:, list(OUTCOME_COLUMNS)].reset_index(drop=True).copy()
    out["year"] = out["year"].astype("int64")
    for col in ("id", "title", "domain"):
        out[col] = out[col].astype(str).astype(object)
    for col in ("district", "proposer"):
        out[col] = pd.Series([_text_or_none(v) for v in out[col]], dtype=object)
    out["target_groups"] = pd.Series([tuple(v) if isinstance(v, list | tuple) else ()
                                      for v in out["target_groups"]], dtype=object)
    for col in ("planned_beneficiaries", "actual_beneficiaries", "satisfaction"):
        out[col] = out[col].astype("float64")
    out["planned_cost_fen"] = out["planned_cost_fen"].astype("int64")
    out["actual_cost_fen"] = out["actual_cost_fen"].astype("Int64")
    out["on_time"] = out["on_time"].astype("boolean")
    return out

