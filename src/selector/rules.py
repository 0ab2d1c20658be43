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
    SerializeAsAny,
    ValidationError,
    ValidatorFunctionWrapHandler,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from selector._errors import CheckedModel, InputProblem, InvalidInputError, validation_problems
from selector.model import Key
from selector.money import Money, MoneyLike, parse_money
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
    "register_table",
]

#: The largest count a rule may ask for (projects, distinct values, concurrent projects).
MAX_COUNT = 10**7
#: The largest capacity of a resource (beyond it doubles are not exact integers).
MAX_CAPACITY = 1e15
#: The largest rules file read, in bytes, and the deepest nesting of its tables and arrays.
MAX_RULES_BYTES = 1 << 20
MAX_RULES_DEPTH = 16

#: The longest label or notice text accepted (characters).
MAX_LABEL = 200


def _fail(kind: str, template: str, **context: Any) -> PydanticCustomError:
    """A rule error of type ``rules_<kind>``, worded by catalogue entry ``io.rules.<kind>``."""
    return PydanticCustomError(f"rules_{kind}", template, context or None)


def _plain_text(value: str) -> str:
    text = strip_invisible(value).strip()
    if control_characters(text):
        raise _fail("control_characters",
                    "must not contain control characters (line breaks, escapes)")
    if not text:
        raise _fail("empty_text", "must not be empty")
    return text


#: Display text a planner writes (a label, the issuing body): invisible characters removed,
#: control characters refused, 1 to :data:`MAX_LABEL` characters.
Label = Annotated[str, Field(max_length=MAX_LABEL), AfterValidator(_plain_text)]


class _Strict(CheckedModel):
    """Rules models: unknown keys refused, frozen, floats finite; a bad value raises
    :class:`~selector.InvalidInputError` naming its key."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)



class Objective(_Strict):
    """What the selection maximises."""

    kind: Literal["beneficiaries", "risk_adjusted", "weighted"] = "beneficiaries"
    weights: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _weights_only_when_weighted(self) -> Objective:
        if self.kind == "weighted" and not self.weights:
            raise _fail("weights_missing", "objective.weights must name at least one column "
                        "when kind = 'weighted'")
        if self.kind != "weighted" and self.weights:
            raise _fail("weights_unused", "objective.weights is used only when kind = 'weighted'")
        return self


class PoolFilter(_Strict):
    """Eligibility of a pool by a rule: the proposal's ``column`` has one of ``values``."""

    column: str
    values: tuple[Key, ...] = Field(min_length=1)


class Pool(_Strict):
    """A funding pool with its own amount and eligibility."""

    name: str = Field(min_length=1)
    label: Label | None = None
    amount: Money
    column: str = "pools"
    only: PoolFilter | None = None


class Resource(_Strict):
    """A generic capacity: the sum of a numeric column over the selection is capped."""

    name: str = Field(min_length=1)
    label: Label | None = None
    column: str
    capacity: float = Field(ge=0, le=MAX_CAPACITY)


class GroupRule(_Strict):
    """Breadth of benefit over the groups of one column."""

    name: str | None = None
    label: Label | None = None
    column: str = "domain"
    values: tuple[Key, ...] = ()
    combine: bool = False
    measure: Literal["cost", "beneficiaries", "count"] = "cost"
    max_share: float | None = Field(default=None, ge=0, le=1)
    min_share: float | None = Field(default=None, ge=0, le=1)
    max_total: Money | None = None
    min_total: Money | None = None

    @model_validator(mode="after")
    def _something_to_do(self) -> GroupRule:
        if all(v is None for v in (self.max_share, self.min_share, self.max_total, self.min_total)):
            raise _fail("group_empty", "a group rule needs max_share, min_share, max_total or "
                        "min_total")
        if self.combine and not self.values:
            raise _fail("combine_values", "combine = true needs the values to combine")
        if (self.min_share is not None and self.max_share is not None
                and self.min_share > self.max_share):
            raise _fail("share_order", "min_share must be <= max_share, got {low} > {high}",
                        low=str(self.min_share), high=str(self.max_share))
        if (self.min_total is not None and self.max_total is not None
                and self.min_total > self.max_total):
            raise _fail("total_order", "min_total must be <= max_total, got {low} > {high}",
                        low=str(self.min_total), high=str(self.max_total))
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
    min: int = Field(ge=1, le=MAX_COUNT)


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

    monthly_spend_cap: Money | None = None
    max_concurrent: int | None = Field(default=None, ge=1, le=MAX_COUNT)

    @model_validator(mode="after")
    def _some_cap(self) -> Schedule:
        if self.monthly_spend_cap is None and self.max_concurrent is None:
            raise _fail("schedule_empty", "schedule needs monthly_spend_cap or max_concurrent")
        return self


class Count(_Strict):
    """Cardinality of the selection."""

    min: int | None = Field(default=None, ge=0, le=MAX_COUNT)
    max: int | None = Field(default=None, ge=0, le=MAX_COUNT)

    @model_validator(mode="after")
    def _ordered(self) -> Count:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise _fail("count_order", "count.min must be <= count.max, got {low} > {high}",
                        low=self.min, high=self.max)
        return self


class Force(_Strict):
    """A proposal forced in or out, with the reason."""

    id: Key
    reason: str = Field(default="", max_length=1000)


class Relations(_Strict):
    """Which relation columns of the proposals are honoured."""

    requires: bool = True
    excludes: bool = True
    variants: bool = True


#: Rules-file tables declared by rule families outside this module: ``{name: schema}``
#: (see :func:`register_table`).
_TABLES: dict[str, type[BaseModel]] = {}


def _registered() -> dict[str, type[BaseModel]]:
    """The registered tables, the rule families loaded first (they register theirs on
    import; the import is here, not at the top, because the families import this module)."""
    import selector.engine.families  # noqa: F401  (registers the families' tables)

    return _TABLES


def register_table(name: str, schema: type[BaseModel]) -> None:
    """Let a rule family declare a top-level table of the rules file with its own schema.

    ``[name]`` in a rules file (or ``Rules(name=...)``, or ``Rules(tables={name: ...})``)
    is then validated by ``schema`` and kept in :attr:`Rules.tables`; an unknown key in it
    is an error naming the nearest valid key, like any other. The rule families of
    :mod:`selector.engine.families` register theirs, so adding a family needs no change
    here.

    Raises
    ------
    ValueError
        ``name`` is already a key of the rules, or registered with another schema.
    """
    if name in Rules.model_fields or (name in _TABLES and _TABLES[name] is not schema):
        raise ValueError(f"rules table {name!r} is already defined")
    _TABLES[name] = schema


def _again(error: Any, loc: tuple[Any, ...]) -> InitErrorDetails:
    """A validation error raised once more at ``loc``, its type, words and context kept
    (our own error types, such as ``money_negative``, are custom errors to pydantic)."""
    ctx = {k: v for k, v in (error.get("ctx") or {}).items() if k != "error"}
    kind = PydanticCustomError(str(error["type"]), str(error["msg"]), ctx or None)
    return InitErrorDetails(type=kind, loc=loc, input=error["input"])


def _table_errors(name: str, exc: ValidationError) -> list[InitErrorDetails]:
    return [_again(e, (name, *e["loc"])) for e in exc.errors()]


class Objections(_Strict):
    """Where the public may object during the publicity period (异议渠道)."""

    phone: Label | None = None
    email: Label | None = None
    address: Label | None = None

    @model_validator(mode="after")
    def _some_channel(self) -> Objections:
        if self.phone is None and self.email is None and self.address is None:
            raise _fail("no_channel", "give at least one of phone, email, address")
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
            raise _fail("end_without_start", "end needs a start date")
        if self.end is not None and self.start is not None:
            if self.end < self.start:
                raise _fail("end_before_start", "end must not be before start")
            if self.days is not None and self.days != (self.end - self.start).days + 1:
                raise _fail("days_disagree",
                            "days ({days}) disagrees with start and end ({span} days); give "
                            "one of them", days=self.days, span=(self.end - self.start).days + 1)
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

    budget: Money | None = None
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
    tables: dict[str, SerializeAsAny[BaseModel]] = Field(default_factory=dict)

    @model_validator(mode="wrap")
    @classmethod
    def _family_tables(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Rules:
        """Move the registered tables (:func:`register_table`) into :attr:`tables`,
        each validated by its own schema; errors keep their place (``per_unit.max``)."""
        if not isinstance(data, dict):
            return handler(data)  # type: ignore[no-any-return]
        data = dict(data)
        registered = _registered()
        given = dict(data.pop("tables", None) or {})
        given.update({k: data.pop(k) for k in list(data) if k in registered})
        tables: dict[str, BaseModel] = {}
        errors: list[InitErrorDetails] = []
        for name, value in given.items():
            schema = registered.get(name)
            if schema is None:
                errors.append(InitErrorDetails(type="extra_forbidden", loc=(name,), input=value))
            elif isinstance(value, schema):
                tables[name] = value
            elif value is not None:
                try:
                    tables[name] = schema.model_validate(value)
                except ValidationError as exc:
                    errors.extend(_table_errors(name, exc))
        try:
            out = handler({**data, "tables": tables})
        except ValidationError as exc:
            errors = [*(_again(e, tuple(e["loc"])) for e in exc.errors()), *errors]
            raise ValidationError.from_exception_data(cls.__name__, errors) from None
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return out  # type: ignore[no-any-return]

    def table(self, name: str) -> BaseModel | None:
        """The table ``name`` a rule family declared (:func:`register_table`), if given."""
        return self.tables.get(name)

    @classmethod
    def valid_keys(cls) -> list[str]:
        """The keys a rules file may use at the top: the fields and the registered tables
        (for the nearest-key suggestion of an unknown key)."""
        return [k for k in cls.model_fields if k != "tables"] + list(_registered())

    @classmethod
    def child_model(cls, name: str) -> type[BaseModel] | None:
        """The schema of a registered table ``name`` (see :func:`register_table`)."""
        return _registered().get(name)

    @model_validator(mode="after")
    def _consistent(self) -> Rules:
        names = [p.name for p in self.pools]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise _fail("pools_twice", "pool names must be unique, got {names} twice",
                        names=", ".join(sorted(dup)))
        both = {f.id for f in self.force_in} & {f.id for f in self.force_out}
        if both:
            raise _fail("forced_both", "a proposal cannot be forced both in and out: {ids}",
                        ids=", ".join(sorted(both)))
        return self

    @property
    def total_budget(self) -> Decimal | None:
        """The budget, or the sum of the pools when no budget is given."""
        if self.budget is not None:
            return self.budget
        if self.pools:
            return sum((p.amount for p in self.pools), Decimal(0))
        return None

    def with_budget(self, budget: MoneyLike) -> Rules:
        """A copy with another total budget (parsed as :func:`selector.money.parse_money`).

        Raises :class:`~selector.InvalidInputError` for a budget that is not an amount
        of money (``1e40``, ``"NaN"``, ``-5``, ...)."""
        return self.model_copy(update={"budget": parse_money(budget, "budget")})

    def to_toml(self) -> str:
        """This rule set as a TOML rules file (round-trips through :func:`load_rules`)."""
        import tomli_w

        data = self.model_dump(exclude_defaults=True)
        data.update(data.pop("tables", {}))
        return tomli_w.dumps(_toml_ready(data))


def rules_problems(error: ValidationError) -> list[InputProblem]:
    """Turn a pydantic error into planner-readable problems naming the key."""
    return validation_problems(error, Rules)


def parse_rules(data: dict[str, Any], source: str = "rules") -> Rules:
    """Validate a mapping (e.g. parsed TOML) into :class:`Rules`."""
    if _depth(data) > MAX_RULES_DEPTH:
        raise InvalidInputError(InputProblem.of("io.limit.depth", limit=MAX_RULES_DEPTH),
                                source)
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise InvalidInputError(InputProblem.of("io.rules.dict_type", column="(rules)"), source)
    try:
        return Rules(**data)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.problems, source=source) from None


def _depth(value: object) -> int:
    """Nesting depth of tables and arrays (iterative: never a RecursionError)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list | tuple):
            deepest = max(deepest, level)
            if deepest > MAX_RULES_DEPTH:
                break
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict)
                                                 else item))
    return deepest


def load_rules(path: str | Path) -> Rules:
    """Read and validate a TOML rules file.

    Raises
    ------
    InvalidInputError
        For a missing, unreadable or too large file (over 1 MiB), bad TOML, nesting
        deeper than 16 levels, unknown keys (with the nearest valid key), or values out
        of range (money through :data:`selector.money.Money`: ``budget = 1e400`` is
        refused as above the ceiling); every problem at once.
    """
    p = Path(path)
    source = str(p)
    try:
        if p.stat().st_size > MAX_RULES_BYTES:
            raise InvalidInputError(InputProblem.of(
                "io.limit.file", size=f"{p.stat().st_size:,}", limit=f"{MAX_RULES_BYTES:,}"),
                source)
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InvalidInputError(InputProblem.of("io.rules.not_found"), source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(InputProblem.of("io.rules.unreadable", reason=str(exc)),
                                source) from None
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInputError(InputProblem.of("io.rules.toml", reason=str(exc)),
                                source) from None
    except RecursionError:
        raise InvalidInputError(InputProblem.of("io.limit.depth", limit=MAX_RULES_DEPTH),
                                source) from None
    return parse_rules(data, source=source)


def _toml_ready(obj: Any) -> Any:
    """Money as TOML numbers (exact: integral amounts as integers), tuples as arrays."""
    if isinstance(obj, dict):
        return {k: _toml_ready(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list | tuple):
        return [_toml_ready(v) for v in obj]
    if isinstance(obj, Decimal):
        return int(obj) if obj == obj.to_integral_value() else float(obj)
    return obj


def exact_share(share: float) -> Fraction:
    """A share as the fraction its decimal text says (0.7 is 7/10, not the binary double
    0.6999…): shares are compared with whole fen and project counts exactly."""
    return Fraction(str(share))
