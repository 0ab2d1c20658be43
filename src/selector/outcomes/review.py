"""Planned against actual: what each funded project promised and what it delivered.

:func:`review` turns stored outcomes into the figures of the planned-vs-actual report
(:mod:`selector.report.outcomes`): one row per project, and the same totals per domain,
district and applicant unit. Fund efficiency is money per person served: planned cost ÷
planned beneficiaries against actual cost ÷ actual beneficiaries (yuan per person-time).
A ratio is ``actual / planned`` of the group's sums (so large projects weigh more).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd

from selector.money import from_fen
from selector.outcomes.load import OutcomeTable

__all__ = ["DIMENSIONS", "Review", "review"]

#: The groupings of the report, in order.
DIMENSIONS = ("domain", "district", "proposer")

_GROUP_COLUMNS = ["group", "count", "planned_beneficiaries", "actual_beneficiaries", "ratio",
                  "planned_cost", "actual_cost", "planned_per_person", "actual_per_person",
                  "satisfaction", "on_time"]


def _per_person(cost: Decimal | None, people: float) -> float:
    if cost is None or people <= 0:
        return math.nan
    return float(cost) / people


@dataclass(frozen=True)
class Review:
    """Planned-vs-actual figures of one year (or of every year stored).

    Attributes
    ----------
    projects:
        One row per project: ``year, id, title, domain, district, proposer,
        planned_beneficiaries, actual_beneficiaries, ratio, planned_cost, actual_cost``
        (exact :class:`~decimal.Decimal` yuan; ``None`` when not evaluated),
        ``satisfaction, on_time``.
    groups:
        ``{dimension: frame}`` for ``domain``, ``district`` and ``proposer``, with columns
        ``group, count, planned_beneficiaries, actual_beneficiaries, ratio, planned_cost,
        actual_cost, planned_per_person, actual_per_person, satisfaction`` (mean) and
        ``on_time`` (share of the evaluated projects finished on time).
    totals:
        The same figures over all projects.
    """

    projects: pd.DataFrame
    groups: dict[str, pd.DataFrame]
    totals: dict[str, object] = field(default_factory=dict)
    years: tuple[int, ...] = ()


def _summary(rows: pd.DataFrame) -> dict[str, object]:
    planned = float(rows["planned_beneficiaries"].sum())
    actual = float(rows["actual_beneficiaries"].sum())
    planned_cost = sum(rows["planned_cost"], Decimal(0))
    evaluated = [c for c in rows["actual_cost"] if c is not None]
    actual_cost = sum(evaluated, Decimal(0)) if evaluated else None
    people = float(rows.loc[rows["actual_cost"].notna(), "actual_beneficiaries"].sum())
    on_time = rows["on_time"].dropna()
    satisfaction = rows["satisfaction"].dropna()
    return {
        "count": len(rows), "planned_beneficiaries": planned, "actual_beneficiaries": actual,
        "ratio": actual / planned if planned > 0 else math.nan,
        "planned_cost": planned_cost, "actual_cost": actual_cost,
        "planned_per_person": _per_person(planned_cost, planned),
        "actual_per_person": _per_person(actual_cost, people),
        "satisfaction": float(satisfaction.mean()) if len(satisfaction) else math.nan,
        "on_time": float(on_time.astype(bool).mean()) if len(on_time) else math.nan,
    }


def review(outcomes: OutcomeTable, year: int | None = None) -> Review:
    """The planned-vs-actual figures of ``outcomes`` (of ``year`` only, when given).

    Examples
    --------
    >>> from selector import Proposal, ProposalSet
    >>> from selector.outcomes import outcomes_from_frame
    >>> ps = ProposalSet.from_proposals([
    ...     Proposal(id="A", domain="health", cost=1000, beneficiaries=100),
    ...     Proposal(id="B", domain="skills", cost=3000, beneficiaries=300)])
    >>> table = outcomes_from_frame(pd.DataFrame({"id": ["A", "B"], "actual": [80, 330],
    ...                             "actual_cost": ["900", "3000"]}), ps, year=2026)
    >>> r = review(table)
    >>> r.totals["ratio"], r.groups["domain"]["ratio"].round(2).tolist()
    (1.025, [1.1, 0.8])
    """
    frame = outcomes.frame
    if year is not None:
        frame = frame[frame["year"] == year]
    projects = pd.DataFrame({
        "year": frame["year"].to_numpy(dtype=np.int64),
        "id": frame["id"].to_numpy(dtype=object),
        "title": frame["title"].to_numpy(dtype=object),
        "domain": frame["domain"].to_numpy(dtype=object),
        "district": frame["district"].to_numpy(dtype=object),
        "proposer": frame["proposer"].to_numpy(dtype=object),
        "planned_beneficiaries": frame["planned_beneficiaries"].to_numpy(dtype=np.float64),
        "actual_beneficiaries": frame["actual_beneficiaries"].to_numpy(dtype=np.float64),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        projects["ratio"] = np.where(projects["planned_beneficiaries"] > 0,
                                     projects["actual_beneficiaries"]
                                     / projects["planned_beneficiaries"], np.nan)
    projects["planned_cost"] = pd.Series([from_fen(int(v)) for v in frame["planned_cost_fen"]],
                                         dtype=object)
    projects["actual_cost"] = pd.Series([None if pd.isna(v) else from_fen(int(v))
                                         for v in frame["actual_cost_fen"]], dtype=object)
    projects["satisfaction"] = frame["satisfaction"].to_numpy(dtype=np.float64)
    projects["on_time"] = pd.Series(frame["on_time"].to_numpy(), dtype="boolean")
    groups: dict[str, pd.DataFrame] = {}
    for dim in DIMENSIONS:
        rows = []
        keys = projects[dim].map(lambda v: v if isinstance(v, str) and v else "")
        for key in dict.fromkeys(keys):
            rows.append({"group": key, **_summary(projects[keys == key])})
        out = pd.DataFrame(rows, columns=_GROUP_COLUMNS)
        groups[dim] = out.sort_values("planned_beneficiaries", ascending=False,
                                      kind="stable").reset_index(drop=True)
    totals = _summary(projects) if len(projects) else {}
    return Review(projects=projects, groups=groups, totals=totals,
                  years=tuple(sorted({int(y) for y in projects["year"]})))
