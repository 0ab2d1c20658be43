"""The rule set of a call: Python objects, or a TOML rules file.

All money in a rules file is in major units (yuan) and exact (parsed as ``Decimal``).
Shares are fractions in [0, 1]. Every table rejects unknown keys; the error names the
key and the nearest valid one.

A complete rules file (every key optional; top-level keys come before the first table)::

    budget = 30_000_000                 # total money; omitted: the sum of the pools
    max_project_share = 0.10            # no single project above 10 % of the budget

    [objective]
    kind = "beneficiaries"              # "beneficiaries" | "risk_adjusted" | "weighted"
    # weights = { beneficiaries = 1.0, expert_score = 50.0 }  # with kind = "weighted" only
    # ties among equal optima: fewer yuan spent, then the smallest sum of the ids'
    # positions in ascending text order (earlier ids preferred); see selector.engine.solve

    [[pools]]                           # funding pools, each with its own amount
    name = "fiscal"                     # a project may be paid from several pools
    label = "财政专项资金"                # optional: the name reports show (else `name`)
    amount = 20_000_000
    column = "pools"                    # eligible when `name` is listed in this column
                                        # (an empty list = eligible for every pool)
    [[pools]]
    name = "charity"
    amount = 10_000_000
    only = { column = "domain", values = ["hardship", "migrant", "life"] }   # optional rule

    [[resources]]                       # other capacities, e.g. staff-months
    name = "staff"
    label = "工会工作人员（人·月）"        # optional display label
    column = "staff_months"             # a numeric column of the proposals
    capacity = 400

    [[groups]]                          # breadth of benefit, over any column
    label = "单一领域资金占比不超过30%"   # optional display label
    column = "domain"                   # single- or multi-valued (target_groups, ...)
    values = []                         # empty: each value of the column on its own
    combine = false                     # true: the listed values form one union group
    measure = "cost"                    # "cost" | "beneficiaries" | "count"
    max_share = 0.30                    # of the selected total of `measure`
    min_share = 0.0
    max_total = 9_000_000               # absolute (yuan, beneficiaries or projects)
    min_total = 1                       # e.g. at least one project per domain

    [[distinct]]                        # a minimum number of distinct values covered
    label = "覆盖至少8个区县"             # optional display label
    column = "district"
    min = 8

    [eligibility]
    require_indicator = true            # at least one indicator with a target value
    min_expert_score = 60
    min_worker_score = 0
    min_worker_votes = 0
    min_completion_probability = 0.5

    [completion]
    deadline_month = 12                 # earliest_start + duration - 1 <= deadline
    require_schedule_data = false       # true: missing start/duration is ineligible

    [schedule]                          # optional monthly plan: a start month each
    monthly_spend_cap = 4_000_000       # cost is spread evenly over the duration
    max_concurrent = 40                 # projects running in any one month

    [count]
    min = 10
    max = 10                            # "exactly ten practical projects"

    [[force_in]]
    id = "P007"
    reason = "pledged last year"

    [[force_out]]
    id = "P031"
    reason = "duplicate of a city programme"

    [relations]
    requires = true                     # honour the requires / excludes / variant_group
    excludes = true                     # columns of the proposals
    variants = true

    [notice]                            # the public notice (公示) of the list; all optional
    issuer = "某市总工会"                 # issuing body (发布单位)
    start = 2026-03-02                  # publicity period (公示期): first day,
    end = 2026-03-08                    # and last day -- or `days = 7` instead of `end`
    [notice.objections]                 # objection channel (异议渠道): at least one of
    phone = "010-12345678"
    email = "shishi@example.org"
    address = "某市某区某路1号 市总工会权益保障部"

What the rules mean (the engine, ``selector.engine``, and its verifier hold to this):

- ``[[groups]]`` and ``[[distinct]]`` may carry a ``name``: the planner's own words, used
  in messages (e.g. ``name = "every domain gets a project"``). ``values = []`` means every
  value that occurs in the column; a listed value that no proposal has is an error.
  A multi-valued column (``target_groups``) puts a proposal in each of its groups.
- ``label`` (pools, resources, groups, distinct) is what reports and the public notice
  show for the rule; without it they show ``name`` (a group without either: its
  :attr:`GroupRule.key`). Labels and every ``[notice]`` text are plain text of at most
  200 characters: invisible characters are removed and control characters (a line
  break, an escape) are refused.
- Shares are of the *selected* total of the measure; ``max_total``/``min_total`` of
  ``measure = "cost"`` are in yuan.
- ``[[resources]]``: a missing value in the column counts as 0.
- ``[[pools]]``: ``only`` values need not occur in the data. A project eligible for no
  pool is screened out; the budget still caps the total.
- ``[eligibility]``: a missing expert/worker score or vote count fails a minimum that is
  set; a missing completion probability passes (it counts as 1, also for
  ``kind = "risk_adjusted"``). ``kind = "weighted"`` counts a missing value as 0.
- ``[completion]``: a missing earliest start counts as month 1; a missing duration is
  not checked unless ``require_schedule_data``.
- ``[schedule]``: start months run from the earliest start to the last month that still
  ends by the deadline (12 without ``[completion]``); a missing duration is one month.
- ``max_project_share`` screens out projects above that share of the budget.
- ``force_in`` of a proposal that screening rules out is a conflict (reported, with the
  screening reasons); ``requires`` of a missing or screened-out id screens the project out;
  ``excludes`` of a missing id is ignored.
- ``[notice]``: the publicity period is ``start`` with ``end`` (inclusive) or with
  ``days``; ``days`` alone says only how long. ``[notice.objections]`` needs at least
  one of ``phone``, ``email``, ``address``. Nothing in ``[notice]`` changes the selection.
"""

from __future__ import annotations

import difflib
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from selector._errors import InputProblem, InvalidInputError
from selector.text import control_characters, strip_invisible

__all__ = [
    "Completion",
    "Count",
    "Distinct",
    "Eligibility",
    "Force",
    "GroupRule",
    "Label",
    "Notice",
    "Objections",
    "Objective",
    "Pool",
    "PoolFilter",
    "Relations",
    "Resource",
    "Rules",
    "Schedule",
    "load_rules",
]

Money = Decimal

#: The longest label or notice text accepted (characters).
MAX_LABEL = 200


def _plain_text(value: str) -> str:
    text = strip_invisible(value).strip()
    if control_characters(text):
        raise PydanticCustomError("control_characters",
                                  "must not contain control characters (line breaks, escapes)")
    if not text:
        raise PydanticCustomError("empty_text", "must not be empty")
    return text


#: Display text a planner writes (a label, the issuing body): invisible characters removed,
#: control characters refused, 1 to :data:`MAX_LABEL` characters.
Label = Annotated[str, Field(max_length=MAX_LABEL), AfterValidator(_plain_text)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Objective(_Strict):
    """What the selection maximises."""

    kind: Literal["beneficiaries", "risk_adjusted", "weighted"] = "beneficiaries"
    weights: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights_only_when_weighted(self) -> Objective:
        if self.kind == "weighted" and not self.weights:
            raise ValueError("objective.weights must name at least one column when kind = 'weighted'")
        if self.kind != "weighted" and self.weights:
            raise ValueError("objective.weights is used only when kind = 'weighted'")
        return self


class PoolFilter(_Strict):
    """Eligibility of a pool by a rule: the proposal's ``column`` has one of ``values``."""

    column: str
    values: tuple[str, ...] = Field(min_length=1)


class Pool(_Strict):
    """A funding pool with its own amount and eligibility."""

    name: str = Field(min_length=1)
    label: Label | None = None
    amount: Money = Field(ge=0)
    column: str = "pools"
    only: PoolFilter | None = None


class Resource(_Strict):
    """A generic capacity: the sum of a numeric column over the selection is capped."""

    name: str = Field(min_length=1)
    label: Label | None = None
    column: str
    capacity: float = Field(ge=0)


class GroupRule(_Strict):
    """Breadth of benefit over the groups of one column."""

    name: str | None = None
    label: Label | None = None
    column: str = "domain"
    values: tuple[str, ...] = ()
    combine: bool = False
    measure: Literal["cost", "beneficiaries", "count"] = "cost"
    max_share: float | None = Field(default=None, ge=0, le=1)
    min_share: float | None = Field(default=None, ge=0, le=1)
    max_total: Decimal | None = Field(default=None, ge=0)
    min_total: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _something_to_do(self) -> GroupRule:
        if all(v is None for v in (self.max_share, self.min_share, self.max_total, self.min_total)):
            raise ValueError("a group rule needs max_share, min_share, max_total or min_total")
        if self.combine and not self.values:
            raise ValueError("combine = true needs the values to combine")
        if (self.min_share is not None and self.max_share is not None
                and self.min_share > self.max_share):
            raise ValueError(f"min_share must be <= max_share, got {self.min_share} > {self.max_share}")
        if (self.min_total is not None and self.max_total is not None
                and self.min_total > self.max_total):
            raise ValueError(f"min_total must be <= max_total, got {self.min_total} > {self.max_total}")
        return self

    @property
    def key(self) -> str:
        """A stable name for messages and constraint names (``name``, else built from the
        column, the values and the measure); :attr:`label` is what reports show."""
        if self.name:
            return self.name
        which = "+".join(self.values) if self.combine else (",".join(self.values) or "each")
        return f"{self.column}[{which}].{self.measure}"


class Distinct(_Strict):
    """At least ``min`` distinct values of ``column`` are covered by the selection."""

    name: str | None = None
    label: Label | None = None
    column: str
    min: int = Field(ge=1)


class Eligibility(_Strict):
    """Screening thresholds: a proposal failing any of them is never a candidate."""

    require_indicator: bool = True
    min_expert_score: float | None = None
    min_worker_score: float | None = None
    min_worker_votes: float | None = None
    min_completion_probability: float | None = Field(default=None, ge=0, le=1)


class Completion(_Strict):
    """One-year completion: start + duration must end by the deadline month."""

    deadline_month: int = Field(default=12, ge=1, le=120)
    require_schedule_data: bool = False


class Schedule(_Strict):
    """Optional monthly plan: each selected project gets a start month."""

    monthly_spend_cap: Money | None = Field(default=None, ge=0)
    max_concurrent: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _some_cap(self) -> Schedule:
        if self.monthly_spend_cap is None and self.max_concurrent is None:
            raise ValueError("schedule needs monthly_spend_cap or max_concurrent")
        return self


class Count(_Strict):
    """Cardinality of the selection."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> Count:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"count.min must be <= count.max, got {self.min} > {self.max}")
        return self


class Force(_Strict):
    """A proposal forced in or out, with the reason."""

    id: str
    reason: str = ""


class Relations(_Strict):
    """Which relation columns of the proposals are honoured."""

    requires: bool = True
    excludes: bool = True
    variants: bool = True


class Objections(_Strict):
    """Where the public may object during the publicity period (异议渠道)."""

    phone: Label | None = None
    email: Label | None = None
    address: Label | None = None

    @model_validator(mode="after")
    def _some_channel(self) -> Objections:
        if self.phone is None and self.email is None and self.address is None:
            raise PydanticCustomError("no_channel", "give at least one of phone, email, address")
        return self


class Notice(_Strict):
    """The public notice (公示) of the list: who issues it, how long it is shown and where
    to object. It changes nothing in the selection; the reports render it.

    Examples
    --------
    >>> Notice(issuer="某市总工会", start=date(2026, 3, 2), days=7).last_day
    datetime.date(2026, 3, 8)
    """

    issuer: Label | None = None
    start: date | None = None
    end: date | None = None
    days: int | None = Field(default=None, ge=1, le=366)
    objections: Objections | None = None

    @model_validator(mode="after")
    def _period(self) -> Notice:
        if self.end is not None and self.start is None:
            raise PydanticCustomError("notice_end_without_start", "end needs a start date")
        if self.end is not None and self.start is not None:
            if self.end < self.start:
                raise PydanticCustomError("notice_end_before_start",
                                          "end must not be before start")
            if self.days is not None and self.days != (self.end - self.start).days + 1:
                raise PydanticCustomError(
                    "notice_days_disagree",
                    "days ({days}) disagrees with start and end ({span} days); give one of them",
                    {"days": self.days, "span": (self.end - self.start).days + 1})
        return self

    @property
    def last_day(self) -> date | None:
        """The last day of the publicity period (``end``, or ``start + days - 1``)."""
        if self.end is not None:
            return self.end
        if self.start is not None and self.days is not None:
            return self.start + timedelta(days=self.days - 1)
        return None

    @property
    def length(self) -> int | None:
        """The publicity period in days (inclusive), when known."""
        if self.days is not None:
            return self.days
        if self.start is not None and self.end is not None:
            return (self.end - self.start).days + 1
        return None


class Rules(_Strict):
    """Every rule of a call. ``Rules()`` means: budget only (given at solve time).

    Examples
    --------
    >>> r = Rules(budget=1_000_000, count=Count(max=10))
    >>> r.total_budget
    Decimal('1000000')
    """

    budget: Money | None = Field(default=None, ge=0)
    objective: Objective = Objective()
    pools: tuple[Pool, ...] = ()
    resources: tuple[Resource, ...] = ()
    groups: tuple[GroupRule, ...] = ()
    distinct: tuple[Distinct, ...] = ()
    max_project_share: float | None = Field(default=None, gt=0, le=1)
    eligibility: Eligibility = Eligibility()
    completion: Completion | None = Completion()
    schedule: Schedule | None = None
    count: Count | None = None
    force_in: tuple[Force, ...] = ()
    force_out: tuple[Force, ...] = ()
    relations: Relations = Relations()
    notice: Notice | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        names = [p.name for p in self.pools]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"pool names must be unique, got {sorted(dup)} twice")
        both = {f.id for f in self.force_in} & {f.id for f in self.force_out}
        if both:
            raise ValueError(f"a proposal cannot be forced both in and out: {sorted(both)}")
        return self

    @property
    def total_budget(self) -> Decimal | None:
        """The budget, or the sum of the pools when no budget is given."""
        if self.budget is not None:
            return self.budget
        if self.pools:
            return sum((p.amount for p in self.pools), Decimal(0))
        return None

    def with_budget(self, budget: Decimal | float | int | str) -> Rules:
        """A copy with another total budget."""
        return self.model_copy(update={"budget": Decimal(str(budget))})

    def to_toml(self) -> str:
        """This rule set as a TOML rules file (round-trips through :func:`load_rules`)."""
        import tomli_w

        return tomli_w.dumps(_toml_ready(self.model_dump(exclude_defaults=True)))


def _valid_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _model_at(path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the key at ``path`` (for suggestions)."""
    model: type[BaseModel] = Rules
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        ann = field.annotation
        found = None
        for cand in _walk_types(ann):
            if isinstance(cand, type) and issubclass(cand, BaseModel):
                found = cand
                break
        if found is None:
            return None
        model = found
    return model


def _walk_types(ann: Any) -> list[Any]:
    out = [ann]
    for arg in getattr(ann, "__args__", ()) or ():
        out.extend(_walk_types(arg))
    return out


def rules_problems(error: ValidationError) -> list[InputProblem]:
    """Turn a pydantic error into planner-readable problems naming the key."""
    problems = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"])
        key = ".".join(str(p) for p in loc) or "(rules)"
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            unknown = str(loc[-1])
            hint = ""
            if owner is not None:
                near = difflib.get_close_matches(unknown, _valid_keys(owner), n=1, cutoff=0.4)
                if near:
                    hint = f"; did you mean {near[0]!r}?"
            problems.append(InputProblem(f"unknown key {unknown!r}{hint}", column=key))
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
            shown = err.get("input")
            value = None if isinstance(shown, dict | list) else (None if shown is None else str(shown))
            problems.append(InputProblem(msg, column=key, value=value))
    return problems


def parse_rules(data: dict[str, Any], source: str = "rules") -> Rules:
    """Validate a mapping (e.g. parsed TOML) into :class:`Rules`."""
    try:
        return Rules.model_validate(data)
    except ValidationError as exc:
        raise InvalidInputError(rules_problems(exc), source=source) from None


def load_rules(path: str | Path) -> Rules:
    """Read and validate a TOML rules file.

    Raises
    ------
    InvalidInputError
        For a missing or unreadable file, bad TOML, unknown keys (with the nearest valid
        key), or values out of range; every problem at once.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInputError(f"rules file not found: {p}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read rules file {p}: {exc}") from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(f"not valid TOML: {exc}", source=str(p)) from None
    return parse_rules(_decimals_to_plain(data), source=str(p))


def _toml_ready(obj: Any) -> Any:
    """Money as TOML numbers (exact: integral amounts as integers), tuples as arrays."""
    if isinstance(obj, dict):
        return {k: _toml_ready(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_toml_ready(v) for v in obj]
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    return obj


def _decimals_to_plain(obj: Any) -> Any:
    """Keep Decimals for money; pydantic converts them to float where a float is wanted."""
    if isinstance(obj, dict):
        return {k: _decimals_to_plain(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decimals_to_plain(v) for v in obj]
    return obj


def exact_share(share: float) -> Fraction:
    """A share as the fraction its decimal text says (0.7 is 7/10, not the binary double
    0.6999…): shares are compared with whole fen and project counts exactly."""
    return Fraction(str(share))
