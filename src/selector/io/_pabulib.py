"""Pabulib ``.pb`` files (pabulib.org): real participatory-budgeting elections.

A ``.pb`` file is UTF-8 text in three ``;``-separated sections, ``META``, ``PROJECTS`` and
``VOTES``, each starting with its header line; quoted fields may hold ``;``. The mapping:

===========================  =================================================
Pabulib                      ProposalSet
===========================  =================================================
``project_id``               ``id`` (text, e.g. ``I.5``)
``name``                     ``title``
``cost``                     ``cost_minor`` (exact)
``votes``                    ``beneficiaries``; a blank cell (or no column): the
                             approvals counted in VOTES
``category`` (a, b, ...)     ``domain`` = first category (or ``uncategorised``), and the
                             extra column ``categories`` = tuple of all
``target``/``beneficiaries`` ``target_groups`` (a list of groups in Pabulib, not a count)
``district``                 ``district``
``proposer``                 ``proposer``
``selected``                 extra column ``selected`` (int; 2 and 3 = extra funds)
other columns                extra columns
META ``budget``              ``meta["budget"]`` (Decimal)
META ``*_per_category``      ``meta[key]`` = {category: Decimal or int}, aligned with META
                             ``categories`` (or the categories in first-seen order)
META ``currency``            ``ProposalSet.currency`` (by country when absent)
===========================  =================================================

Every META entry is also kept as text in ``meta["pabulib"]``.

The file is checked against itself, and every inconsistency is an error naming the
file's line (reported as the row): a META count that disagrees with the sections
(``num_projects``, ``num_votes``), a cost outside META ``min_project_cost`` /
``max_project_cost``, a vote naming an unknown project, an empty or malformed vote line
(a field count unlike the header's, points that do not match the projects named), a vote
shorter than META ``min_length`` or longer than ``max_length``, and a ``votes`` cell that
disagrees with the count of the VOTES section. A project named twice in one vote counts
twice, as the publishers' own ``votes`` column counts it (Warszawa 2026, Jelonki).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.io._cells import ProblemLog
from selector.io._limits import read_limited
from selector.io._validate import Vocabulary, build_proposals
from selector.model import ProposalSet
from selector.money import parse_money
from selector.taxonomy import Taxonomy

__all__ = ["load_pabulib"]

UNCATEGORISED = "uncategorised"
_CURRENCY_BY_COUNTRY = {"poland": "PLN", "netherlands": "EUR", "france": "EUR",
                        "hungary": "HUF", "canada": "CAD", "switzerland": "CHF",
                        "usa": "USD", "united states": "USD"}
_MONEY_META = ("budget", "max_sum_cost", "min_project_cost", "max_project_cost")
_COUNT_META = ("min_length", "max_length", "num_projects", "num_votes")
_MONEY_PER_CATEGORY = ("budget_per_category", "max_sum_cost_per_category")
_COUNT_PER_CATEGORY = ("min_length_per_category", "max_length_per_category")


@dataclass
class _Section:
    """The lines of one section: ``(line number in the file, text)``."""

    name: str
    lines: list[tuple[int, str]] = field(default_factory=list)

    def rows(self, source: str) -> tuple[list[str], list[list[str]], list[int]]:
        """``(header, rows, line of each row)``; quoted fields may hold ``;`` and breaks."""
        body = [(n, text) for n, text in self.lines if text.strip()]
        if not body:
            return [], [], []
        reader = csv.reader(io.StringIO("\n".join(t for _, t in body)), delimiter=";")
        numbers = [n for n, _ in body]
        try:
            header = [h.strip() for h in next(reader)]
            rows, lines = [], []
            for row in reader:
                lines.append(numbers[min(reader.line_num, len(numbers)) - 1])
                rows.append(row)
        except csv.Error as exc:
            raise InvalidInputError(InputProblem.of(
                "io.pb.unreadable", numbers[min(reader.line_num, len(numbers)) - 1],
                section=self.name, reason=str(exc)), source) from None
        return header, rows, lines


def _sections(text: str, source: str) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    current: _Section | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        key = line.strip().strip(";").upper()
        if key in ("META", "PROJECTS", "VOTES") and (current is None or line.count(";") == 0):
            current = sections.setdefault(key, _Section(key))
            continue
        if current is None:
            if line.strip():
                raise InvalidInputError(InputProblem.of("io.pb.first_line", number), source)
            continue
        current.lines.append((number, line))
    for needed in ("META", "PROJECTS"):
        if needed not in sections:
            raise InvalidInputError(InputProblem.of("io.pb.no_section", section=needed), source)
    return sections


def _meta(section: _Section, log: ProblemLog) -> dict[str, tuple[str, int]]:
    """META ``key → (value, line)``; a key given twice is a problem."""
    out: dict[str, tuple[str, int]] = {}
    for number, line in section.lines:
        row = next(csv.reader([line], delimiter=";"), [])
        if len(row) < 2 or not row[0].strip() or row[0].strip().lower() == "key":
            continue
        key = row[0].strip()
        if key in out:
            log.report("io.pb.meta_twice", number, key, None, line=out[key][1])
            continue
        out[key] = (";".join(row[1:]).strip(), number)
    return out


def _table(section: _Section, log: ProblemLog, source: str
           ) -> tuple[pd.DataFrame, np.ndarray]:
    """A section as a text table and the file line of each row; a row whose field count
    differs from the header's is a problem."""
    header, rows, lines = section.rows(source)
    width = len(header)
    for row, number in zip(rows, lines, strict=True):
        if len(row) != width:
            log.report("io.pb.fields", number, None, None, cells=len(row),
                       section=section.name, header=width)
    good = [r for r in rows if len(r) == width]
    frame = pd.DataFrame(good, columns=header, dtype=object) if header else pd.DataFrame()
    if len(frame):
        frame = frame.apply(lambda col: col.str.strip())
        frame = frame.mask(frame == "")
    return frame, np.array([n for r, n in zip(rows, lines, strict=True) if len(r) == width],
                           dtype=np.int64)


@dataclass
class _Votes:
    """What the VOTES section says: approvals per project and the problems of its lines."""

    counts: Counter[str]
    lines: int


def _votes(section: _Section | None, ids: set[str], meta: dict[str, tuple[str, int]],
           log: ProblemLog, source: str) -> _Votes | None:
    if section is None or not any(t.strip() for _, t in section.lines):
        return None
    frame, lines = _table(section, log, source)
    if "vote" not in frame.columns:
        log.report("io.pb.no_vote_column", section.lines[0][0])
        return _Votes(Counter(), len(frame))
    ballots = frame["vote"].fillna("").str.split(",")
    items = ballots.map(lambda b: [v.strip() for v in b if v.strip()])
    sizes = items.map(len).to_numpy()
    counts: Counter[str] = Counter(v for b in items for v in b)
    unknown = set(counts) - ids
    for k in np.flatnonzero(sizes == 0)[:20].tolist():
        log.report("io.pb.vote_empty", int(lines[k]))
    if unknown:
        bad = items.map(lambda b: [v for v in b if v in unknown])
        for k in np.flatnonzero(bad.map(len).to_numpy() > 0).tolist():
            log.report("io.pb.vote_unknown", int(lines[k]), "vote", None,
                       ids=", ".join(dict.fromkeys(bad.iloc[k])))
    _check_lengths(sizes, lines, meta, log)
    if "points" in frame.columns:
        points = frame["points"].fillna("").map(lambda p: len([x for x in p.split(",") if x.strip()]))
        for k in np.flatnonzero(points.to_numpy() != sizes).tolist():
            log.report("io.pb.points", int(lines[k]), "points", None, n=int(sizes[k]),
                       points=int(points.iloc[k]))
    return _Votes(counts, len(frame))


def _check_lengths(sizes: np.ndarray, lines: np.ndarray, meta: dict[str, tuple[str, int]],
                   log: ProblemLog) -> None:
    for key, wrong, message in (("min_length", np.less, "io.pb.vote_short"),
                                ("max_length", np.greater, "io.pb.vote_long")):
        limit = _count(meta, key, log)
        if limit is None:
            continue
        for k in np.flatnonzero(wrong(sizes, limit) & (sizes > 0)).tolist():
            log.report(message, int(lines[k]), "vote", None, n=int(sizes[k]), limit=limit)


def _count(meta: dict[str, tuple[str, int]], key: str, log: ProblemLog) -> int | None:
    if key not in meta:
        return None
    text, number = meta[key]
    if not re.fullmatch(r"[0-9]{1,12}", text.strip()):
        log.report("io.pb.meta_number", number, key, text, name=key)
        return None
    return int(text)


def _amount(meta: dict[str, tuple[str, int]], key: str, log: ProblemLog) -> Decimal | None:
    if key not in meta:
        return None
    text, number = meta[key]
    try:
        return parse_money(text.strip(), f"META {key}")
    except InvalidInputError as exc:
        first = exc.problems[0]
        log.add(InputProblem(first.message, number, key, text, first.key, first.params))
        return None


def _support(projects: pd.DataFrame, ids: pd.Series, lines: np.ndarray,
             votes: _Votes | None, log: ProblemLog) -> pd.Series:
    """Beneficiaries: the ``votes`` cell, else the VOTES count; both must agree."""
    counted = None if votes is None else ids.map(votes.counts).fillna(0).astype(np.int64)
    column = projects["votes"] if "votes" in projects.columns else \
        pd.Series(None, index=projects.index, dtype=object)
    blank = column.isna().to_numpy()
    if counted is None:
        for k in np.flatnonzero(blank)[:20].tolist():
            log.report("io.pb.no_votes", int(lines[k]), "votes")
        return column
    given = pd.to_numeric(column, errors="coerce").to_numpy()
    differ = ~blank & np.isfinite(given) & (given != counted.to_numpy())
    for k in np.flatnonzero(differ)[:20].tolist():
        log.report("io.pb.votes_disagree", int(lines[k]), "votes", column.iloc[k],
                   counted=int(counted.iloc[k]))
    return column.where(~blank, counted.astype(str))


def _check_meta_counts(meta: dict[str, tuple[str, int]], projects: int, votes: _Votes | None,
                       log: ProblemLog) -> None:
    for key, found in (("num_projects", projects),
                       ("num_votes", None if votes is None else votes.lines)):
        declared = _count(meta, key, log)
        if declared is not None and found is not None and declared != found:
            log.report(f"io.pb.{key}", meta[key][1], key, None, meta=declared, found=found)


def _split(cell: object) -> tuple[str, ...]:
    if not isinstance(cell, str):
        return ()
    return tuple(dict.fromkeys(p.strip() for p in cell.split(",") if p.strip()))


def load_pabulib(path: str | Path) -> ProposalSet:
    """Load a Pabulib ``.pb`` election as proposals (see the module docstring).

    Parameters
    ----------
    path:
        The ``.pb`` file.

    Returns
    -------
    ProposalSet
        Domains and target groups use taxonomies built from the file's own categories
        and groups; ``meta`` holds the budget and any per-category limits.

    Raises
    ------
    InvalidInputError
        When the file is not a readable Pabulib file, a project is invalid or the file
        contradicts itself; problems name the line of the file (as the row).
    """
    source = str(path)
    raw = read_limited(Path(path), source)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(InputProblem.of("io.pb.utf8", reason=str(exc)), source) from None
    sections = _sections(text, source)
    log = ProblemLog()
    meta_text = _meta(sections["META"], log)
    projects, lines = _table(sections["PROJECTS"], log, source)
    log.raise_if_any(source)
    if "project_id" not in projects.columns or "cost" not in projects.columns:
        raise InvalidInputError(InputProblem.of("io.pb.columns"), source)
    ids = projects["project_id"].fillna("")
    votes = _votes(sections.get("VOTES"), set(ids), meta_text, log, source)
    support = _support(projects, ids, lines, votes, log)
    _check_meta_counts(meta_text, len(projects), votes, log)
    meta = _pabulib_meta(meta_text, _categories(projects, meta_text), source, log)
    log.raise_if_any(source)
    proposals = _build(projects, support, lines, meta, meta_text, source)
    _check_costs(proposals, meta, lines, log)
    log.raise_if_any(source)
    return proposals


def _categories(projects: pd.DataFrame, meta_text: dict[str, tuple[str, int]]) -> list[str]:
    """The categories in META order, then as first seen (``uncategorised`` last, if used)."""
    cells = projects["category"].map(_split) if "category" in projects.columns else \
        pd.Series([()] * len(projects), dtype=object)
    listed = _split(meta_text.get("categories", ("", 0))[0])
    seen = list(dict.fromkeys([*listed, *(c for t in cells for c in t)]))
    if any(not t for t in cells):
        seen.append(UNCATEGORISED)
    return seen


def _build(projects: pd.DataFrame, support: pd.Series, lines: np.ndarray, meta: dict[str, Any],
           meta_text: dict[str, tuple[str, int]], source: str) -> ProposalSet:
    categories = projects["category"].map(_split) if "category" in projects.columns else \
        pd.Series([()] * len(projects), dtype=object)
    group_col = next((c for c in ("target", "beneficiaries") if c in projects.columns), None)
    groups = projects[group_col].map(_split) if group_col else \
        pd.Series([()] * len(projects), dtype=object)
    frame: dict[str, pd.Series] = {
        "id": projects["project_id"], "title": projects.get("name", pd.Series("", index=projects.index)),
        "domain": categories.map(lambda t: t[0] if t else UNCATEGORISED),
        "cost": projects["cost"], "beneficiaries": support, "target_groups": groups,
    }
    for name in ("district", "proposer"):
        if name in projects.columns:
            frame[name] = projects[name]
    cats = np.empty(len(projects), dtype=object)
    cats[:] = categories.tolist()
    frame["categories"] = pd.Series(cats, dtype=object, index=projects.index)
    used = {"project_id", "name", "category", "cost", "votes", "district", "proposer", group_col}
    for column in projects.columns:
        if column not in used:
            frame[column] = projects[column]
    if "selected" in frame:
        selected = pd.to_numeric(frame["selected"], errors="coerce")
        frame["selected"] = selected if selected.isna().any() else selected.astype("int64")
    currency = (meta_text.get("currency", ("", 0))[0] or _CURRENCY_BY_COUNTRY.get(
        meta_text.get("country", ("", 0))[0].strip().lower(), "XXX")).upper()
    table = pd.DataFrame({k: v.reset_index(drop=True) for k, v in frame.items()})
    group_codes = list(dict.fromkeys(g for t in groups for g in t))
    vocabulary = Vocabulary(
        domains=Taxonomy.from_codes("category", _categories(projects, meta_text)),
        target_groups=Taxonomy.from_codes("target", group_codes) if group_codes else None,
        currency=currency)
    return build_proposals(list(table.columns),
                           [table.iloc[:, j] for j in range(table.shape[1])], lines, vocabulary,
                           meta=meta, source=source)


def _check_costs(proposals: ProposalSet, meta: dict[str, Any], lines: np.ndarray,
                 log: ProblemLog) -> None:
    cost = proposals.frame["cost_minor"].to_numpy()
    for key, wrong, message in (("max_project_cost", np.greater, "io.pb.max_cost"),
                                ("min_project_cost", np.less, "io.pb.min_cost")):
        if meta.get(key) is None:
            continue
        for k in np.flatnonzero(wrong(cost, int(meta[key] * 100)))[:20].tolist():
            log.report(message, int(lines[k]), "cost", f"{Decimal(int(cost[k])) / 100}",
                       limit=str(meta[key]))


def _pabulib_meta(meta_text: dict[str, tuple[str, int]], categories: list[str], source: str,
                  log: ProblemLog) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": source, "format": "pabulib",
                            "pabulib": {k: v for k, (v, _) in meta_text.items()}}
    for key in _MONEY_META:
        if key in meta_text:
            meta[key] = _amount(meta_text, key, log)
    for key in _COUNT_META:
        if key in meta_text:
            meta[key] = _count(meta_text, key, log)
    names = [c for c in categories if c != UNCATEGORISED]
    for key in (*_MONEY_PER_CATEGORY, *_COUNT_PER_CATEGORY):
        if key not in meta_text:
            continue
        text, number = meta_text[key]
        values = [v.strip() for v in text.split(",")]
        if len(values) == 1 and len(names) != 1:
            values = values * len(names)  # one value for every category
        if len(values) != len(names):
            log.report("io.pb.meta_categories", number, key, text, name=key, values=len(values),
                       n=len(names))
            continue
        parsed = [_amount({key: (v, number)}, key, log) if key in _MONEY_PER_CATEGORY
                  else _count({key: (v, number)}, key, log) for v in values]
        if all(v is not None for v in parsed):
            meta[key] = dict(zip(names, parsed, strict=True))
    return meta
