"""Pabulib ``.pb`` files (pabulib.org): real participatory-budgeting elections.

A ``.pb`` file is UTF-8 text in three ``;``-separated sections, ``META``, ``PROJECTS`` and
``VOTES``, each starting with its header line; quoted fields may hold ``;``. The mapping:

===========================  =================================================
Pabulib                      ProposalSet
===========================  =================================================
``project_id``               ``id`` (text, e.g. ``I.5``)
``name``                     ``title``
``cost``                     ``cost_minor`` (exact)
``votes``                    ``beneficiaries`` (without it: approvals counted in VOTES)
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
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.io._validate import build_proposals
from selector.model import ProposalSet
from selector.taxonomy import Taxonomy

__all__ = ["load_pabulib"]

UNCATEGORISED = "uncategorised"
_CURRENCY_BY_COUNTRY = {"poland": "PLN", "netherlands": "EUR", "france": "EUR",
                        "hungary": "HUF", "canada": "CAD", "switzerland": "CHF",
                        "usa": "USD", "united states": "USD"}
_MONEY_PER_CATEGORY = ("budget_per_category", "max_sum_cost_per_category")
_COUNT_PER_CATEGORY = ("min_length_per_category", "max_length_per_category")


def _sections(text: str, source: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        key = line.strip().strip(";").upper()
        if key in ("META", "PROJECTS", "VOTES") and (current is None or line.count(";") == 0):
            current = sections.setdefault(key, [])
            continue
        if current is None:
            if line.strip():
                raise InvalidInputError(InputProblem(
                    "not a Pabulib file: expected the first line to be META", 1), source)
            continue
        current.append(line)
    for needed in ("META", "PROJECTS"):
        if needed not in sections:
            raise InvalidInputError(InputProblem(f"not a Pabulib file: no {needed} section"),
                                    source)
    return {k: "\n".join(v) for k, v in sections.items()}


def _meta(section: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for row in csv.reader(io.StringIO(section), delimiter=";"):
        if len(row) >= 2 and row[0].strip() and row[0].strip().lower() != "key":
            out[row[0].strip()] = ";".join(row[1:]).strip()
    return out


def _decimal(text: str, what: str, source: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidInputError(InputProblem(f"META {what} must be a number", None, what,
                                             text), source) from None
    if not value.is_finite():
        raise InvalidInputError(InputProblem(f"META {what} must be finite", None, what, text),
                                source)
    return value


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
        When the file is not a readable Pabulib file or a project is invalid.
    """
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise InvalidInputError(InputProblem("no such file"), source) from None
    except UnicodeDecodeError as exc:
        raise InvalidInputError(InputProblem(f"a Pabulib file must be UTF-8 text ({exc})"),
                                source) from None
    parts = _sections(text, source)
    meta_text = _meta(parts["META"])
    try:
        projects = pd.read_csv(io.StringIO(parts["PROJECTS"]), sep=";", dtype=str,
                               keep_default_na=False, na_values=[""], quotechar='"')
        votes = (pd.read_csv(io.StringIO(parts["VOTES"]), sep=";", dtype=str,
                             keep_default_na=False, na_values=[""])
                 if parts.get("VOTES", "").strip() and "votes" not in projects.columns
                 else None)
    except (pd.errors.ParserError, ValueError) as exc:
        raise InvalidInputError(InputProblem(f"cannot read the Pabulib sections: {exc}"),
                                source) from None
    projects.columns = [str(c).strip() for c in projects.columns]
    if "project_id" not in projects.columns or "cost" not in projects.columns:
        raise InvalidInputError(InputProblem(
            "the PROJECTS section must have project_id and cost columns"), source)

    ids = projects["project_id"].str.strip()
    if "votes" in projects.columns:
        support = projects["votes"]
    else:
        support = pd.Series("0", index=projects.index, dtype=object)
        if votes is not None and "vote" in votes.columns:
            counts = votes["vote"].dropna().str.split(",").explode().str.strip().value_counts()
            support = ids.map(counts).fillna(0).astype(int).astype(str)

    categories = projects["category"].map(_split) if "category" in projects.columns else \
        pd.Series([()] * len(projects), dtype=object)
    listed = _split(meta_text.get("categories", ""))
    seen = list(dict.fromkeys([*listed, *(c for t in categories for c in t)]))
    domain = categories.map(lambda t: t[0] if t else UNCATEGORISED)
    if (domain == UNCATEGORISED).any():
        seen.append(UNCATEGORISED)
    group_col = next((c for c in ("target", "beneficiaries") if c in projects.columns), None)
    groups = projects[group_col].map(_split) if group_col else \
        pd.Series([()] * len(projects), dtype=object)

    frame: dict[str, pd.Series] = {
        "id": ids, "title": projects.get("name", pd.Series("", index=projects.index)),
        "domain": domain, "cost": projects["cost"], "beneficiaries": support,
        "target_groups": groups,
    }
    for name in ("district", "proposer"):
        if name in projects.columns:
            frame[name] = projects[name]
    cats = np.empty(len(projects), dtype=object)
    cats[:] = categories.tolist()
    frame["categories"] = pd.Series(cats, dtype=object)
    used = {"project_id", "name", "category", "cost", "votes", "district", "proposer"}
    used |= {group_col} if group_col else set()
    for column in projects.columns:
        if column not in used:
            frame[column] = projects[column]
    if "selected" in frame:
        selected = pd.to_numeric(frame["selected"], errors="coerce")
        frame["selected"] = selected if selected.isna().any() else selected.astype("int64")

    meta = _pabulib_meta(meta_text, seen, source)
    currency = (meta_text.get("currency") or _CURRENCY_BY_COUNTRY.get(
        meta_text.get("country", "").strip().lower(), "XXX")).upper()
    table = pd.DataFrame({k: v.reset_index(drop=True) for k, v in frame.items()})
    group_codes = list(dict.fromkeys(g for t in groups for g in t))
    return build_proposals(
        list(table.columns), [table.iloc[:, j] for j in range(table.shape[1])],
        np.arange(2, len(table) + 2), domains=Taxonomy.from_codes("category", seen),
        target_groups=Taxonomy.from_codes("target", group_codes) if group_codes else None,
        currency=currency, meta=meta, source=source)


def _pabulib_meta(meta_text: dict[str, str], categories: list[str], source: str
                  ) -> dict[str, Any]:
    meta: dict[str, Any] = {"source": source, "format": "pabulib", "pabulib": dict(meta_text)}
    if "budget" in meta_text:
        meta["budget"] = _decimal(meta_text["budget"], "budget", source)
    for key in ("max_sum_cost", "min_project_cost", "max_project_cost"):
        if key in meta_text:
            meta[key] = _decimal(meta_text[key], key, source)
    for key in ("min_length", "max_length", "num_projects", "num_votes"):
        if key in meta_text:
            meta[key] = int(_decimal(meta_text[key], key, source))
    for key in (*_MONEY_PER_CATEGORY, *_COUNT_PER_CATEGORY):
        if key not in meta_text:
            continue
        values = [v.strip() for v in meta_text[key].split(",")]
        names = [c for c in categories if c != "uncategorised"]
        if len(values) == 1 and len(names) != 1:
            values = values * len(names)  # one value for every category
        if len(values) != len(names):
            raise InvalidInputError(InputProblem(
                f"META {key} has {len(values)} values but there are {len(names)} categories",
                None, key, meta_text[key]), source)
        numbers = [_decimal(v, key, source) for v in values]
        meta[key] = dict(zip(names, numbers if key in _MONEY_PER_CATEGORY
                             else [int(n) for n in numbers], strict=True))
    return meta
