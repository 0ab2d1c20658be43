"""The proposal model.

A :class:`Proposal` is one candidate project (pydantic v2, validated). A
:class:`ProposalSet` holds many of them in one canonical, columnar
:class:`pandas.DataFrame` (fast at 10^6 rows) together with the taxonomy, the
currency and any metadata of the source file (e.g. a Pabulib META budget).

Canonical columns (``CANONICAL_COLUMNS``), one row per proposal, in this order:

==========================  ===========  ==============================================
column                      dtype        meaning
==========================  ===========  ==============================================
id                          object(str)  unique id, compared as text
title                       object(str)  any Unicode
domain                      object(str)  a code of ``ProposalSet.domains``
cost_minor                  int64        exact cost in minor units (fen, cents)
beneficiaries               float64      estimated workers served (>= 0)
beneficiaries_low/high      float64      optional range; NaN when absent
duration_months             float64      NaN when absent
earliest_start              float64      month of the plan year, 1..12; NaN when absent
target_groups               object       tuple[str, ...] of codes (free codes allowed)
district                    object       str or None
indicators                  object       tuple[(name, target or None, unit or None)]
expert_score, worker_score  float64      NaN when absent
worker_votes                float64      NaN when absent
completion_probability      float64      0..1; NaN when absent
pools                       object       tuple[str, ...]; empty = eligible for every pool
requires, excludes          object       tuple[str, ...] of proposal ids
variant_group               object       str or None
proposer, channel           object       str or None; channel in {"union", "online"}
year                        float64      year submitted; NaN when absent
==========================  ===========  ==============================================

Any other column of the source is kept after these ("extra" columns) and is usable by
rules.

Plausibility ceilings (``NUMERIC_RANGES``): a value outside its range is refused at the
door, by the loaders and by :class:`Proposal` alike.

==========================  ===================================================
column                      accepted values
==========================  ===================================================
cost                        0 to ``selector.money.MAX_YUAN`` (10^12 yuan), to the fen
beneficiaries (low, high)   0 to 10^9 workers per proposal
duration_months             more than 0, at most 120 months
earliest_start              a whole month, 1 to 12
expert_score, worker_score  0 to 100
worker_votes                a whole number, 0 to 10^9
completion_probability      0 to 1
year                        a whole year, 1900 to 2200
extra numeric columns       at most 10^15 in size (beyond, doubles are not exact)
==========================  ===================================================

Text (see :mod:`selector.text`): ids and other keys are compared after Unicode NFKC with
invisible characters removed; titles keep their characters but lose invisible ones;
control characters (line breaks, escapes) are refused in ids and titles.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from selector._errors import CheckedModel
from selector.money import Money
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Taxonomy
from selector.text import control_characters, normalise_key, strip_invisible

__all__ = [
    "CANONICAL_COLUMNS",
    "FLOAT_COLUMNS",
    "MAX_BENEFICIARIES",
    "MAX_EXTRA_NUMBER",
    "MAX_MONTHS",
    "NUMERIC_RANGES",
    "TUPLE_COLUMNS",
    "Indicator",
    "Proposal",
    "ProposalSet",
    "Range",
]

FLOAT_COLUMNS = (
    "beneficiaries", "beneficiaries_low", "beneficiaries_high", "duration_months",
    "earliest_start", "expert_score", "worker_score", "worker_votes",
    "completion_probability", "year",
)
TUPLE_COLUMNS = ("target_groups", "indicators", "pools", "requires", "excludes")
OPTIONAL_TEXT_COLUMNS = ("district", "variant_group", "proposer", "channel")
CANONICAL_COLUMNS = (
    "id", "title", "domain", "cost_minor", "beneficiaries", "beneficiaries_low",
    "beneficiaries_high", "duration_months", "earliest_start", "target_groups", "district",
    "indicators", "expert_score", "worker_score", "worker_votes", "completion_probability",
    "pools", "requires", "excludes", "variant_group", "proposer", "channel", "year",
)

#: Most workers one proposal may claim to serve.
MAX_BENEFICIARIES = 10**9
#: Longest duration of a project, in months.
MAX_MONTHS = 120
#: Largest magnitude of a number in an extra column (doubles are exact integers below it).
MAX_EXTRA_NUMBER = 1e15


@dataclass(frozen=True)
class Range:
    """The accepted values of a numeric column: ``low``..``high`` (``low`` excluded when
    ``low_open``), whole numbers only when ``whole``."""

    low: float
    high: float
    whole: bool = False
    low_open: bool = False

    def outside(self, values: np.ndarray) -> np.ndarray:
        """Mask of the finite ``values`` outside the range (NaN is not outside)."""
        finite = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            low = values <= self.low if self.low_open else values < self.low
            bad = finite & (low | (values > self.high))
            if self.whole:
                bad |= finite & (values != np.round(values))
        out: np.ndarray = bad
        return out


#: Plausibility ceilings of the numeric columns (see the module docstring).
NUMERIC_RANGES: dict[str, Range] = {
    "beneficiaries": Range(0, MAX_BENEFICIARIES),
    "beneficiaries_low": Range(0, MAX_BENEFICIARIES),
    "beneficiaries_high": Range(0, MAX_BENEFICIARIES),
    "duration_months": Range(0, MAX_MONTHS, low_open=True),
    "earliest_start": Range(1, 12, whole=True),
    "expert_score": Range(0, 100),
    "worker_score": Range(0, 100),
    "worker_votes": Range(0, MAX_BENEFICIARIES, whole=True),
    "completion_probability": Range(0, 1),
    "year": Range(1900, 2200, whole=True),
}


def _key(value: str) -> str:
    text = normalise_key(value)
    if control_characters(text):
        raise PydanticCustomError("control_characters",
                                  "must not contain control characters (line breaks, escapes)")
    return text


def _free_text(value: str) -> str:
    text = strip_invisible(value).strip()
    if control_characters(text):
        raise PydanticCustomError("control_characters",
                                  "must not contain control characters (line breaks, escapes)")
    return text


#: An id or other key: NFKC, invisible characters removed, control characters refused.
Key = Annotated[str, AfterValidator(_key)]
#: A title or other free text: invisible characters removed, control characters refused.
FreeText = Annotated[str, AfterValidator(_free_text)]


def _ranged(field: str, **kwargs: Any) -> Any:
    """A pydantic ``Field`` holding :data:`NUMERIC_RANGES` ``[field]``."""
    r = NUMERIC_RANGES[field]
    if r.low_open:
        return Field(gt=r.low, le=r.high, allow_inf_nan=False, **kwargs)
    return Field(ge=r.low, le=r.high, allow_inf_nan=False, **kwargs)


class Indicator(CheckedModel):
    """A measurable indicator: a name, a target value and a unit."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1)
    target: float | None = None
    unit: str | None = None

    @property
    def measurable(self) -> bool:
        """True when a finite target value is set."""
        return self.target is not None and math.isfinite(self.target)


class Proposal(CheckedModel):
    """One proposal submitted to the call.

    Money is exact: ``cost`` is a :class:`~decimal.Decimal` in major units (yuan) with at
    most two decimals; the solver works in integer minor units.

    Examples
    --------
    >>> p = Proposal(id="P1", title="户外劳动者驿站", domain="health", cost="120000.50",
    ...              beneficiaries=3000)
    >>> p.cost_minor
    12000050
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Key = Field(min_length=1)
    title: FreeText = ""
    domain: Key = Field(min_length=1)
    cost: Money
    currency: str = "CNY"
    beneficiaries: float = _ranged("beneficiaries")
    beneficiaries_low: float | None = _ranged("beneficiaries_low", default=None)
    beneficiaries_high: float | None = _ranged("beneficiaries_high", default=None)
    duration_months: float | None = _ranged("duration_months", default=None)
    earliest_start: float | None = _ranged("earliest_start", default=None)
    target_groups: tuple[Key, ...] = ()
    district: Key | None = None
    indicators: tuple[Indicator, ...] = ()
    expert_score: float | None = _ranged("expert_score", default=None)
    worker_score: float | None = _ranged("worker_score", default=None)
    worker_votes: float | None = _ranged("worker_votes", default=None)
    completion_probability: float | None = _ranged("completion_probability", default=None)
    pools: tuple[Key, ...] = ()
    requires: tuple[Key, ...] = ()
    excludes: tuple[Key, ...] = ()
    variant_group: Key | None = None
    proposer: FreeText | None = None
    channel: Literal["union", "online"] | None = None
    year: int | None = _ranged("year", default=None)
    extra: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, v: object) -> str:
        return str(v)

    @field_validator("worker_votes", "earliest_start")
    @classmethod
    def _whole(cls, v: float | None) -> float | None:
        if v is not None and v != round(v):
            raise PydanticCustomError("whole_number", "must be a whole number")
        return v

    @property
    def cost_minor(self) -> int:
        """The cost in integer minor units (fen)."""
        return int(self.cost * 100)

    @property
    def measurable(self) -> bool:
        """True when at least one indicator has a target value."""
        return any(i.measurable for i in self.indicators)


def _none_if_nan(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    return v


class ProposalSet:
    """Validated proposals as one canonical DataFrame (see the module docstring).

    Build one with :func:`selector.load_proposals`, :func:`selector.proposals_from_frame`
    (validates a user DataFrame) or :meth:`from_proposals`. It is immutable by convention: methods
    return new sets.

    Attributes
    ----------
    frame:
        The canonical DataFrame (``CANONICAL_COLUMNS`` then extra columns).
    domains, target_groups:
        The taxonomies the codes refer to.
    currency:
        ISO code of the money (``"CNY"`` by default).
    meta:
        Metadata of the source (e.g. ``{"budget": Decimal(...), "budget_per_category": {...}}``
        for Pabulib files).
    """

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        domains: Taxonomy = DEFAULT_DOMAINS,
        target_groups: Taxonomy = DEFAULT_TARGET_GROUPS,
        currency: str = "CNY",
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        missing = [c for c in CANONICAL_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"canonical frame lacks columns {missing}; "
                             "use selector.proposals_from_frame")
        extra = [c for c in frame.columns if c not in CANONICAL_COLUMNS]
        self.frame = frame.loc[:, [*CANONICAL_COLUMNS, *extra]].reset_index(drop=True)
        self.domains = domains
        self.target_groups = target_groups
        self.currency = currency
        self.meta: dict[str, Any] = dict(meta or {})

    # -- construction -------------------------------------------------------------------
    @classmethod
    def from_proposals(cls, proposals: Iterable[Proposal], **kwargs: Any) -> ProposalSet:
        """Build a set from :class:`Proposal` objects."""
        rows = []
        extras: list[dict[str, Any]] = []
        currency = kwargs.pop("currency", None)
        for p in proposals:
            currency = currency or p.currency
            rows.append({
                "id": p.id, "title": p.title, "domain": p.domain, "cost_minor": p.cost_minor,
                **{c: (np.nan if getattr(p, c) is None else float(getattr(p, c)))
                   for c in FLOAT_COLUMNS},
                "target_groups": tuple(p.target_groups),
                "indicators": tuple((i.name, i.target, i.unit) for i in p.indicators),
                "pools": tuple(p.pools), "requires": tuple(p.requires),
                "excludes": tuple(p.excludes),
                **{c: getattr(p, c) for c in OPTIONAL_TEXT_COLUMNS},
            })
            extras.append(dict(p.extra))
        frame = pd.DataFrame(rows, columns=list(CANONICAL_COLUMNS))
        frame = frame.astype({"cost_minor": "int64", **dict.fromkeys(FLOAT_COLUMNS, "float64")})
        frame = frame.astype({c: object for c in ("id", "title", "domain", *TUPLE_COLUMNS,
                                                   *OPTIONAL_TEXT_COLUMNS)})
        extra_frame = pd.DataFrame(extras)
        if len(extra_frame.columns):
            frame = pd.concat([frame, extra_frame], axis=1)
        return cls(frame, currency=currency or "CNY", **kwargs)

    # -- access ---------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> list[str]:
        """Proposal ids in order."""
        return [str(i) for i in self.frame["id"]]

    @property
    def extra_columns(self) -> list[str]:
        """Names of the columns kept from the source beyond the canonical ones."""
        return [c for c in self.frame.columns if c not in CANONICAL_COLUMNS]

    def proposal(self, i: int) -> Proposal:
        """The proposal at position ``i`` as a validated :class:`Proposal`."""
        row = self.frame.iloc[i]
        data: dict[str, Any] = {c: _none_if_nan(row[c]) for c in CANONICAL_COLUMNS}
        data["cost"] = Decimal(int(data.pop("cost_minor"))) / 100
        data["indicators"] = tuple(
            Indicator(name=n, target=_none_if_nan(t), unit=u) for n, t, u in row["indicators"]
        )
        if data["year"] is not None:
            data["year"] = int(data["year"])
        data["extra"] = {c: _none_if_nan(row[c]) for c in self.extra_columns}
        return Proposal(currency=self.currency, **data)

    def __iter__(self) -> Iterator[Proposal]:
        for i in range(len(self)):
            yield self.proposal(i)

    def __getitem__(self, proposal_id: str) -> Proposal:
        pos = np.flatnonzero(self.frame["id"].to_numpy() == str(proposal_id))
        if not len(pos):
            raise KeyError(proposal_id)
        return self.proposal(int(pos[0]))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProposalSet):
            return NotImplemented
        return self.currency == other.currency and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]

    def subset(self, ids: Sequence[str] | np.ndarray) -> ProposalSet:
        """A new set with only the given ids, in this set's order."""
        mask = self.frame["id"].isin([str(i) for i in ids]).to_numpy()
        return self.replace_frame(self.frame.loc[mask])

    def replace_frame(self, frame: pd.DataFrame) -> ProposalSet:
        """A new set with the same taxonomies, currency and meta, and this canonical frame."""
        return ProposalSet(frame, domains=self.domains, target_groups=self.target_groups,
                           currency=self.currency, meta=self.meta)

    def to_frame(self) -> pd.DataFrame:
        """A user-facing copy: ``cost`` as exact ``Decimal`` yuan instead of ``cost_minor``."""
        out = self.frame.copy()
        pos = out.columns.get_loc("cost_minor")
        cost = [Decimal(int(v)) / 100 for v in out["cost_minor"]]
        out = out.drop(columns="cost_minor")
        out.insert(int(pos), "cost", cost)  # type: ignore[arg-type]
        return out

    def __repr__(self) -> str:
        return f"<ProposalSet: {len(self)} proposals, {self.currency}>"
