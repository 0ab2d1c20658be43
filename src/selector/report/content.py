"""The content of a selection report: one pure structure every writer reads.

:func:`build_report` turns a :class:`~selector.Selection` (plus the reserve ranking and the
"why not" explanations, when available) into a :class:`Report`. The HTML, Markdown, JSON,
Excel and CSV writers only lay this structure out, so their figures cannot drift apart.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from selector.i18n import DEFAULT_LANG, Lang, fmt_date, fmt_datetime, t
from selector.money import from_fen
from selector.problem import Problem
from selector.report.i18n import text
from selector.report.rulecheck import RuleRow, evaluate_rules
from selector.result import Selection, SolverRecord
from selector.rules import Rules
from selector.taxonomy import Taxonomy

__all__ = [
    "GroupRow",
    "IneligibleRow",
    "Notice",
    "PoolRow",
    "ProjectRow",
    "Provenance",
    "Report",
    "ReasonCount",
    "ReserveRow",
    "build_report",
    "file_sha256",
    "notice_of",
]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Provenance:
    """What is needed to reproduce a result."""

    input_path: str = ""
    input_sha256: str = ""
    rules_path: str = ""
    rules_sha256: str = ""
    solver: SolverRecord | str = ""
    solver_version: str = ""
    selector_version: str = ""
    generated_at: str = ""
    seconds: float = math.nan

    @classmethod
    def of(cls, selection: Selection, input_path: str | Path | None = None,
           rules_path: str | Path | None = None) -> Provenance:
        """Hash the input files and record the solver, versions and the time.

        ``generated_at`` is ISO 8601 in UTC (machine output); reports show it in the
        call's time zone (Asia/Shanghai) with :meth:`generated_text`.
        """
        from selector import __version__

        return cls(
            input_path="" if input_path is None else str(input_path),
            input_sha256="" if input_path is None else file_sha256(input_path),
            rules_path="" if rules_path is None else str(rules_path),
            rules_sha256="" if rules_path is None else file_sha256(rules_path),
            solver=selection.solver,
            solver_version=selection.solver_version,
            selector_version=__version__,
            generated_at=_dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
            seconds=selection.seconds,
        )

    def solver_text(self, lang: Lang) -> str:
        """The solver line: the solver, its version and the engine's route in words (see
        :meth:`selector.result.SolverRecord.label`); the version alone when only text
        was recorded."""
        if isinstance(self.solver, SolverRecord):
            return self.solver.label(lang)
        return self.solver_version or self.solver

    def generated_text(self, lang: Lang) -> str:
        """When the report was generated, in words (Asia/Shanghai), or '–'."""
        if not self.generated_at:
            return "–"
        return fmt_datetime(_dt.datetime.fromisoformat(self.generated_at), lang)


@dataclass(frozen=True)
class ProjectRow:
    """A selected project."""

    id: str
    title: str
    domain: str
    domain_label: str
    cost: Decimal
    beneficiaries: float
    target_groups: tuple[str, ...]
    district: str
    pools: dict[str, Decimal]
    start_month: int | None
    forced: str


@dataclass(frozen=True)
class GroupRow:
    """Totals of the selection within one group (a domain, a target group)."""

    code: str
    label: str
    count: int
    cost: Decimal
    beneficiaries: float
    cost_share: float


@dataclass(frozen=True)
class PoolRow:
    """Spend from one funding pool against its amount."""

    name: str
    paid: Decimal
    amount: Decimal
    label: str = ""

    @property
    def share(self) -> float:
        """The part of the pool used (0 for an empty pool)."""
        return float(self.paid / self.amount) if self.amount else 0.0


@dataclass(frozen=True)
class ReserveRow:
    """A reserve project: its rank, score and why it missed the list."""

    rank: int
    id: str
    title: str
    domain_label: str
    cost: Decimal
    beneficiaries: float
    score: float | None
    why_missed: str


@dataclass(frozen=True)
class IneligibleRow:
    """A proposal that was never a candidate, with all its reasons."""

    id: str
    title: str
    reasons: tuple[str, ...]
    kinds: tuple[str, ...] = ()   # the reasons' codes (rules.reason.<code>), same order


@dataclass(frozen=True)
class ReasonCount:
    """How many proposals were screened out for one kind of reason."""

    reason: str
    count: int


@dataclass(frozen=True)
class Notice:
    """What makes the public list a notice (公示): who issues it, for how long, and where
    objections go. Read from the rules file's ``[notice]`` table (:func:`notice_of`)."""

    issuer: str = ""
    start: _dt.date | None = None
    end: _dt.date | None = None
    days: int | None = None
    phone: str = ""
    email: str = ""
    address: str = ""

    @property
    def channels(self) -> tuple[tuple[str, str], ...]:
        """``(kind, value)`` of every objection channel given (phone, email, address)."""
        return tuple((k, v) for k, v in (("phone", self.phone), ("email", self.email),
                                         ("address", self.address)) if v)

    def period(self, lang: Lang) -> str:
        """The publicity period in words ('' when none is given)."""
        if self.start and self.end:
            return text("notice_from_to", lang).format(start=fmt_date(self.start, lang),
                                                       end=fmt_date(self.end, lang))
        if self.start and self.days:
            return text("notice_from_days", lang).format(start=fmt_date(self.start, lang),
                                                         days=self.days)
        if self.days:
            return text("notice_days", lang).format(days=self.days)
        return ""

    @property
    def complete(self) -> bool:
        """True when the notice names its issuer, its period and an objection channel."""
        return bool(self.issuer and (self.days or (self.start and self.end))
                    and self.channels)


def notice_of(rules: Rules) -> Notice | None:
    """The notice of the rules file's ``[notice]`` table (:class:`selector.rules.Notice`:
    issuer, period, ``[notice.objections]``), or ``None`` when it has none."""
    given = rules.notice
    if given is None:
        return None
    channels = given.objections
    return Notice(issuer=given.issuer or "", start=given.start, end=given.last_day,
                  days=given.length,
                  phone=(channels.phone or "") if channels else "",
                  email=(channels.email or "") if channels else "",
                  address=(channels.address or "") if channels else "")


@dataclass(frozen=True)
class Report:
    """Everything a selection report shows (see :func:`build_report`)."""

    lang: Lang
    title: str
    status: str
    objective: float
    bound: float
    gap: float
    beneficiaries: float
    count: int
    total_cost: Decimal
    budget: Decimal | None
    currency: str
    pools: tuple[PoolRow, ...]
    selected: tuple[ProjectRow, ...]
    by_domain: tuple[GroupRow, ...]
    by_target_group: tuple[GroupRow, ...]
    rules: tuple[RuleRow, ...]
    binding: tuple[str, ...]
    reserve: tuple[ReserveRow, ...]
    ineligible: tuple[IneligibleRow, ...]
    provenance: Provenance
    result: dict[str, Any] = field(default_factory=dict)  # Selection.to_dict()
    notice: Notice | None = None
    reasons: tuple[ReasonCount, ...] = ()
    domain_cap: float | None = None

    def t(self, key: str) -> str:
        """Wording in the report's language."""
        return text(key, self.lang)

    def pool_label(self, name: str) -> str:
        """The display name of a pool (its ``label`` in the rules file, else its name)."""
        for pool in self.pools:
            if pool.name == name:
                return pool.label or name
        return name

    def selected_by_domain(self) -> list[tuple[str, list[ProjectRow]]]:
        """The selected projects grouped by domain label, in the order of ``by_domain``."""
        groups: dict[str, list[ProjectRow]] = {g.code: [] for g in self.by_domain}
        for row in self.selected:
            groups.setdefault(row.domain, []).append(row)
        labels = {g.code: g.label for g in self.by_domain}
        return [(labels.get(code, code), rows) for code, rows in groups.items() if rows]


def _label(taxonomy: Taxonomy, code: str, lang: Lang) -> str:
    if code in taxonomy:
        return taxonomy.get(code).label(lang)
    if code == "uncategorised":
        return text("uncategorised", lang)
    return code


def _text_or_blank(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _group_rows(problem: Problem, x: np.ndarray, column: str, taxonomy: Taxonomy,
                lang: Lang) -> tuple[GroupRow, ...]:
    known = [c for c in taxonomy.codes]
    member = problem.membership(column, known)
    spent = int(problem.cost @ x.astype(np.int64))
    rows = []
    for g, code in enumerate(member.labels):
        mask = member.matrix[g].toarray().ravel().astype(bool) & x
        if not mask.any():
            continue
        cost = int(problem.cost[mask].sum())
        rows.append(GroupRow(code=code, label=_label(taxonomy, code, lang),
                             count=int(mask.sum()), cost=from_fen(cost),
                             beneficiaries=float(problem.benefit[mask].sum()),
                             cost_share=cost / spent if spent else 0.0))
    return tuple(rows)


def build_report(
    selection: Selection,
    *,
    lang: Lang = DEFAULT_LANG,
    title: str | None = None,
    reserve: Sequence[tuple[str, float | None]] = (),
    why_not: Mapping[str, str] | None = None,
    provenance: Provenance | None = None,
    notice: Notice | None = None,
) -> Report:
    """Lay out a selection for the reports.

    Parameters
    ----------
    selection:
        The verified result.
    lang:
        ``"zh"`` or ``"en"``: labels of domains, target groups and headings.
    title:
        The report's title (default: "Selection report" in ``lang``).
    reserve:
        ``(id, score)`` pairs in rank order (score ``None`` when unscored). Default: none.
    why_not:
        ``{id: sentence}`` from :func:`selector.explain.why_not`, for the reserve.
    provenance:
        Hashes, solver and time; default: from the selection only.
    notice:
        Issuer, publicity period and objection channels of the public list; default: the
        rules file's ``[notice]`` (:func:`notice_of`).

    Returns
    -------
    Report
        Every figure the writers show; they only lay it out.

    Examples
    --------
    >>> from selector.datasets import generate_call
    >>> from selector.engine import Model
    >>> from selector.rules import Rules
    >>> selection = Model.build(generate_call(30, seed=1), Rules(budget=900_000)).solve()
    >>> report = build_report(selection, lang="zh")
    >>> report.count == selection.count, report.t("beneficiaries")
    (True, '受益职工')
    """
    proposals = selection.proposals
    problem = Problem(proposals)
    frame = proposals.frame
    index = problem.index
    chosen = np.zeros(problem.n, dtype=bool)
    chosen[[index[i] for i in selection.selected]] = True
    why_not = dict(why_not or {})

    selected = []
    for pid in selection.selected:
        row = frame.iloc[index[pid]]
        selected.append(ProjectRow(
            id=pid, title=str(row["title"]), domain=str(row["domain"]),
            domain_label=_label(proposals.domains, str(row["domain"]), lang),
            cost=from_fen(row["cost_minor"]), beneficiaries=float(row["beneficiaries"]),
            target_groups=tuple(_label(proposals.target_groups, str(g), lang)
                                for g in row["target_groups"]),
            district=_text_or_blank(row["district"]),
            pools=dict(selection.pool_payments.get(pid, {})),
            start_month=selection.schedule.get(pid),
            forced=selection.forced_in.get(pid, ""),
        ))

    pools = tuple(
        PoolRow(name=pool.name, amount=pool.amount,
                paid=sum((p.get(pool.name, Decimal(0)) for p in selection.pool_payments.values()),
                         Decimal(0)),
                label=getattr(pool, "label", None) or pool.name)
        for pool in selection.rules.pools
    )
    reserve_rows = []
    for rank, (pid, score) in enumerate(reserve, start=1):
        row = frame.iloc[index[pid]]
        reserve_rows.append(ReserveRow(
            rank=rank, id=pid, title=str(row["title"]),
            domain_label=_label(proposals.domains, str(row["domain"]), lang),
            cost=from_fen(row["cost_minor"]), beneficiaries=float(row["beneficiaries"]),
            score=score, why_missed=why_not.get(pid, "")))
    ineligible = tuple(
        IneligibleRow(id=pid, title=str(frame.iloc[index[pid]]["title"]),
                      reasons=tuple(r.render(lang, proposals) for r in reasons),
                      kinds=tuple(r.code for r in reasons))
        for pid, reasons in selection.ineligible_reasons.items() if pid in index
    )
    return Report(
        lang=lang,
        title=title or text("report_title", lang),
        status=selection.status.value,
        objective=selection.objective,
        bound=selection.bound,
        gap=selection.gap,
        beneficiaries=selection.beneficiaries,
        count=selection.count,
        total_cost=selection.total_cost,
        budget=selection.budget,
        currency=proposals.currency,
        pools=pools,
        selected=tuple(selected),
        by_domain=_group_rows(problem, chosen, "domain", proposals.domains, lang),
        by_target_group=_group_rows(problem, chosen, "target_groups", proposals.target_groups,
                                    lang),
        rules=tuple(evaluate_rules(selection, lang, problem)),
        binding=selection.binding,
        reserve=tuple(reserve_rows),
        ineligible=ineligible,
        provenance=provenance or Provenance.of(selection),
        result=selection.to_dict(),
        notice=notice if notice is not None else notice_of(selection.rules),
        reasons=_reason_counts(ineligible, lang),
        domain_cap=_domain_cap(selection.rules),
    )


def _reason_counts(rows: Sequence[IneligibleRow], lang: Lang) -> tuple[ReasonCount, ...]:
    """Proposals per kind of reason (a proposal counts once under each of its kinds)."""
    counts: dict[str, int] = {}
    for row in rows:
        for code in dict.fromkeys(row.kinds):
            kind = t(f"report.reason_kind.{code}", lang)
            counts[kind] = counts.get(kind, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return tuple(ReasonCount(reason=k, count=n) for k, n in ordered)


def _domain_cap(rules: Rules) -> float | None:
    """The tightest cap on one domain's share of the money (drawn on the charts)."""
    caps = [g.max_share for g in rules.groups if g.column == "domain" and g.measure == "cost"
            and g.max_share is not None and not g.values]
    return min(caps) if caps else None
