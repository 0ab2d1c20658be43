"""Utilitarian and proportional rules side by side: MES, greedy and the exact selection.

"Why not fund by equal shares?" Participatory budgeting compares the utilitarian list
(the most supporters or beneficiaries per yuan) with proportional rules such as the
Method of Equal Shares (MES; Peters, Pierczyński & Skowron 2021, equalshares.net), which
gives every voter an equal share of the budget and funds a project only when its
supporters can pay for it together. :func:`compare_rules` runs, on the same call:

``mes``
    pabutools' :func:`~pabutools.rules.method_of_equal_shares` on approval ballots with
    cost satisfaction (``Cost_Sat``, the equalshares.net default), iterated by raising
    each voter's budget (pabutools' ``voter_budget_increment``; default step 1 % of each
    voter's equal share, the step pabutools' ``exhaustion_by_budget_increase`` uses by
    default) and completed by greedy utilitarian welfare with
    :func:`~pabutools.rules.completion_by_rule_combination` — the "MES in full" of
    pabutools' documentation (Rules → Exhaustion Methods). MES runs on the proposals that
    pass the call's screening, with the rules' total budget; the other rules are not
    MES's to keep, and are checked afterwards.
``greedy``
    :func:`selector.greedy`: beneficiaries per yuan down the list, caps kept on the way.
``ilp``
    :func:`selector.select`: the proven optimum under every rule.

Every list is then checked against every rule of the call by the engine's exact verifier
(:func:`broken_rules`; pools are paid by the exact payment plan when one exists), and
the comparison reports per rule: projects, spend, beneficiaries, voters with at least
one approved project funded (coverage), spend and beneficiaries per domain, district and
target group, and the rules the list breaks.

Ballots
-------
MES needs ballots. A Pabulib file carries its own (``VOTES``; approval and choose-1 ballots,
read by :func:`ballots_from_pabulib`; cumulative, scoring and ordinal ballots are refused,
since this comparison uses approvals). For a union call, worker votes are approvals only
when a ballot file is given (:func:`load_ballots`): CSV or ``.xlsx``, one row per voter:

==============  ====================================================  ========
field           headers                                               content
==============  ====================================================  ========
voter           职工编号, 投票人, 选民编号, voter_id, voter              any text, unique
approved        支持项目, 赞成项目, 投票项目, approved, vote, votes      proposal ids separated
                                                                      by ``| 、 , ， ; ；``
==============  ====================================================  ========

pabutools is an optional dependency: ``pip install "selector[proportional]"`` (it pulls in
gurobipy, whose size-limited licence PuLP then lists as a solver; the engine never uses it).
"""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.baselines import greedy
from selector.engine import Model, Outcome, RuleCheck
from selector.engine.options import SolveOptions
from selector.engine.screening import check_columns, pool_eligibility, screen_problem
from selector.engine.solve import exact_pool_payments
from selector.engine.verify import rule_violations
from selector.i18n import DEFAULT_LANG, Lang, t
from selector.io import detect_encoding
from selector.model import ProposalSet
from selector.money import from_fen, to_fen
from selector.problem import Problem
from selector.rules import Rules
from selector.taxonomy import normalise_label
from selector.text import normalise_key, strip_invisible

__all__ = ["RULES", "Ballots", "RuleComparison", "RuleList", "ballots_from_pabulib",
           "broken_rules", "compare_rules", "load_ballots", "mes"]

RuleName = Literal["mes", "greedy", "ilp"]
#: The rules :func:`compare_rules` knows, in their default order.
RULES: tuple[RuleName, ...] = ("mes", "greedy", "ilp")
_SEPARATORS = re.compile(r"[|、,，;；\n]+")
_VOTER = ("职工编号", "投票人", "选民编号", "voter id", "voter")
_APPROVED = ("支持项目", "赞成项目", "投票项目", "approved", "vote", "votes")


def _fold(header: object) -> str:
    return normalise_label(strip_invisible(str(header))).replace(" ", "")


@dataclass(frozen=True)
class Ballots:
    """Approval ballots: for each voter, the proposal ids they approve.

    Examples
    --------
    >>> b = Ballots(("w1", "w2"), (("P1", "P2"), ("P2",)))
    >>> b.approvals_of("P2"), len(b)
    (2, 2)
    """

    voters: tuple[str, ...]
    approvals: tuple[tuple[str, ...], ...]
    source: str = ""

    def __len__(self) -> int:
        return len(self.voters)

    def approvals_of(self, proposal_id: str) -> int:
        """How many voters approve ``proposal_id``."""
        return sum(proposal_id in a for a in self.approvals)

    def coverage(self, selected: Sequence[str]) -> float:
        """Share of the voters with at least one approved project in ``selected``."""
        if not self.voters:
            return math.nan
        chosen = set(selected)
        return sum(bool(chosen.intersection(a)) for a in self.approvals) / len(self.voters)


def _pabutools(lang: Lang) -> Any:
    """The pabutools modules (deferred: pabutools is the optional ``proportional`` extra)."""
    try:
        import pabutools.election as election
        import pabutools.fractions as fractions
        import pabutools.rules as rules
    except ImportError:
        raise InvalidInputError(t("proportional.needs_pabutools", lang)) from None
    return election, rules, fractions


def ballots_from_pabulib(path: str | Path, *, lang: Lang = DEFAULT_LANG) -> Ballots:
    """The approval ballots of a Pabulib file's ``VOTES`` section (``vote`` column).

    Raises :class:`~selector.InvalidInputError` for a file without votes or with
    cumulative, scoring or ordinal ballots.
    """
    source = str(path)
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(t("proportional.unreadable", lang, detail=str(exc)), source) \
            from None
    section, header, vote_type = "", [], "approval"
    voters: list[str] = []
    approvals: list[tuple[str, ...]] = []
    rows = csv.reader(io.StringIO(text), delimiter=";")
    for row in rows:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        head = row[0].strip().lower()
        if head in ("meta", "projects", "votes"):
            section, header = head, [h.strip() for h in next(rows, [])]
            continue
        if section == "meta" and head == "vote_type" and len(row) > 1:
            vote_type = row[1].strip().lower()
        elif section == "votes":
            cells = dict(zip(header, (c.strip() for c in row), strict=False))
            voters.append(cells.get("voter_id", str(len(voters) + 1)))
            approvals.append(tuple(p.strip() for p in cells.get("vote", "").split(",")
                                   if p.strip()))
    if vote_type not in ("approval", "choose-1"):
        raise InvalidInputError(t("proportional.not_approval", lang, kind=vote_type), source)
    if not voters:
        raise InvalidInputError(t("proportional.no_votes", lang), source)
    return Ballots(tuple(voters), tuple(approvals), source)


def load_ballots(path: str | Path, proposals: ProposalSet, *, lang: Lang = DEFAULT_LANG
                 ) -> Ballots:
    """Read a ballot file of worker votes (see "Ballots" in the module docstring).

    Every problem (unknown proposal id, a voter twice, an empty voter id) is reported at
    once with its row and column. A ``.pb`` file is read with :func:`ballots_from_pabulib`.
    """
    file = Path(path)
    source = str(path)
    if file.suffix.lower() == ".pb":
        return ballots_from_pabulib(file, lang=lang)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise InvalidInputError(t("proportional.unreadable", lang, detail=exc.strerror or ""),
                                source) from None
    try:
        if raw.startswith(b"PK\x03\x04"):
            table = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False,
                                  engine="openpyxl")
        else:
            text = raw.decode(detect_encoding(raw)).lstrip("\ufeff")
            try:
                sep = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t").delimiter
            except csv.Error:
                sep = ","
            table = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except Exception as exc:  # pandas, openpyxl and codecs raise many kinds
        raise InvalidInputError(t("proportional.unreadable", lang, detail=str(exc).strip()[:200]),
                                source) from None
    return ballots_from_frame(table, proposals, source=source, lang=lang)


def ballots_from_frame(table: pd.DataFrame, proposals: ProposalSet, *, source: str = "",
                       lang: Lang = DEFAULT_LANG) -> Ballots:
    """Validate a DataFrame of ballots (headers as in the module docstring)."""
    columns = _ballot_columns(table, source, lang)
    known = {normalise_key(str(i)): str(i) for i in proposals.frame["id"]}
    problems: list[InputProblem] = []
    voters: list[str] = []
    approvals: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for k, (voter_cell, approved_cell) in enumerate(zip(table[columns["voter"]],
                                                        table[columns["approved"]], strict=True)):
        row = k + 2
        voter = normalise_key(str(voter_cell or ""))
        text = strip_invisible(str(approved_cell or "")).strip()
        if not voter and not text:
            continue
        if not voter:
            problems.append(InputProblem(t("proportional.voter_missing", lang), row,
                                         columns["voter"]))
        elif voter in seen:
            problems.append(InputProblem(t("proportional.voter_twice", lang), row,
                                         columns["voter"], voter[:80]))
        seen.add(voter)
        ids, unknown = _approved_ids(text, known)
        problems.extend(InputProblem(t("proportional.unknown_id", lang), row,
                                     columns["approved"], item[:80]) for item in unknown)
        voters.append(voter)
        approvals.append(tuple(dict.fromkeys(ids)))
    if problems:
        raise InvalidInputError(problems[:200], source)
    if not voters:
        raise InvalidInputError(t("proportional.no_votes", lang), source)
    return Ballots(tuple(voters), tuple(approvals), source)


def _ballot_columns(table: pd.DataFrame, source: str, lang: Lang) -> dict[str, str]:
    """``{"voter": header, "approved": header}`` (the first header of each field)."""
    lookup = {_fold(h): "voter" for h in _VOTER} | {_fold(h): "approved" for h in _APPROVED}
    columns: dict[str, str] = {}
    for h in table.columns:
        f = lookup.get(_fold(h))
        if f is not None and f not in columns:
            columns[f] = str(h)
    missing = [f for f in ("voter", "approved") if f not in columns]
    if missing:
        names = {"voter": "、".join(_VOTER[:2] + _VOTER[3:4]),
                 "approved": "、".join(_APPROVED[:1] + _APPROVED[3:4])}
        raise InvalidInputError([InputProblem(t("proportional.missing_column", lang,
                                                names=names[f]), 1) for f in missing], source)
    return columns


def _approved_ids(text: str, known: dict[str, str]) -> tuple[list[str], list[str]]:
    """The proposal ids of one ballot cell, and the items that name no proposal."""
    ids: list[str] = []
    unknown: list[str] = []
    for item in (p.strip() for p in _SEPARATORS.split(text)):
        if not item:
            continue
        pid = known.get(normalise_key(item))
        if pid is None:
            unknown.append(item)
        else:
            ids.append(pid)
    return ids, unknown


def mes(proposals: ProposalSet, ballots: Ballots, budget: Decimal | int | str, *,
        increment: Fraction | Decimal | int | None = None, eligible: Sequence[str] | None = None,
        lang: Lang = DEFAULT_LANG) -> tuple[str, ...]:
    """The Method of Equal Shares with completion (see the module docstring).

    Parameters
    ----------
    budget:
        The total budget (major units, exact).
    increment:
        Raise of each voter's budget per iteration, in major units; default 1 % of the
        equal share ``budget / voters`` (exact fraction). ``1`` is equalshares.net's "Add1".
    eligible:
        The ids MES may fund (default: all).

    Returns
    -------
    tuple
        The funded ids, in the proposals' order.
    """
    election, rules, fractions = _pabutools(lang)
    limit = Fraction(to_fen(budget, "budget", rounding="floor"), 100)
    ids = [str(i) for i in proposals.frame["id"]]
    allowed = set(ids if eligible is None else (str(i) for i in eligible))
    projects = {pid: election.Project(pid, Fraction(int(c), 100))
                for pid, c in zip(ids, proposals.frame["cost_minor"], strict=True)
                if pid in allowed}
    instance = election.Instance(projects.values(), budget_limit=fractions.frac(
        limit.numerator, limit.denominator))
    profile = election.ApprovalProfile([
        election.ApprovalBallot([projects[p] for p in approved if p in projects])
        for approved in ballots.approvals])
    if not projects or profile.num_ballots() == 0:
        return ()
    step = Fraction(limit, 100 * profile.num_ballots()) if increment is None \
        else Fraction(str(increment))
    outcome = rules.completion_by_rule_combination(
        instance, profile.as_multiprofile(),
        [rules.method_of_equal_shares, rules.greedy_utilitarian_welfare],
        [{"sat_class": election.Cost_Sat,
          "voter_budget_increment": fractions.frac(step.numerator, step.denominator)},
         {"sat_class": election.Cost_Sat}])
    chosen = {p.name for p in outcome}
    return tuple(pid for pid in ids if pid in chosen)


def broken_rules(proposals: ProposalSet, rules: Rules, selected: Sequence[str], *,
                 budget: Decimal | None = None, starts: Mapping[str, int] | None = None
                 ) -> tuple[RuleCheck, ...]:
    """Every rule of ``rules`` the list ``selected`` breaks, by the engine's exact verifier
    (``check.render(lang, proposals)`` says each in words).

    Pools are paid by :func:`~selector.engine.solve.exact_pool_payments` (the list breaks
    the pools only when no payment plan exists). This is the one adapter to the verifier:
    when it returns structured checks, only this function changes.
    """
    problem = Problem(proposals)
    check_columns(problem, rules)
    if budget is not None:
        rules = rules.with_budget(budget)
    total = rules.total_budget
    budget_minor = None if total is None else to_fen(total, "budget", rounding="floor")
    chosen = np.zeros(problem.n, dtype=bool)
    for pid in selected:
        chosen[problem.index[str(pid)]] = True
    screening = screen_problem(problem, rules, problem.cost, budget_minor, explain=False)
    payments = None
    if rules.pools:
        amounts = np.array([to_fen(p.amount, "pool") for p in rules.pools], dtype=np.int64)
        allowed = pool_eligibility(problem, rules.pools)
        sel = np.flatnonzero(chosen)
        plan = exact_pool_payments(problem.cost[sel], allowed[sel], amounts)
        if plan is not None:
            payments = np.zeros((problem.n, len(rules.pools)), dtype=np.int64)
            payments[sel] = plan
    at = {problem.index[str(i)]: m for i, m in (starts or {}).items()}
    return tuple(rule_violations(Outcome(
        problem=problem, rules=rules, chosen=chosen, cost=problem.cost, benefit=problem.benefit,
        budget_minor=budget_minor, eligible=screening.eligible, payments=payments, starts=at)))


@dataclass(frozen=True)
class RuleList:
    """The list one rule funds, with its totals and the call's rules it breaks."""

    rule: str
    selected: tuple[str, ...]
    total_cost: Decimal
    beneficiaries: float
    coverage: float
    broken: tuple[RuleCheck, ...]
    seconds: float
    status: str = ""

    @property
    def count(self) -> int:
        """Number of projects funded."""
        return len(self.selected)


@dataclass(frozen=True)
class RuleComparison:
    """The lists of several rules on the same call (see :func:`compare_rules`).

    Attributes
    ----------
    lists:
        One :class:`RuleList` per rule, in the order asked.
    totals:
        One row per rule: ``rule, count, total_cost, budget, beneficiaries, coverage,
        broken`` (number of broken rules), ``seconds``.
    by_group:
        One row per (dimension, group, rule): ``dimension`` (domain, district,
        target_group), ``group``, ``rule``, ``count``, ``cost`` (exact), ``beneficiaries``.
    budget:
        The total budget every rule spent from.
    voters:
        Number of ballots (0 without ballots).
    """

    lists: tuple[RuleList, ...]
    totals: pd.DataFrame
    by_group: pd.DataFrame
    budget: Decimal | None
    voters: int = 0
    currency: str = "CNY"
    extra: dict[str, Any] = field(default_factory=dict)

    def list_of(self, rule: str) -> RuleList:
        """The list of one rule."""
        for item in self.lists:
            if item.rule == rule:
                return item
        raise KeyError(rule)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (money as exact text)."""
        return {
            "budget": None if self.budget is None else str(self.budget),
            "currency": self.currency, "voters": self.voters,
            "lists": [{"rule": r.rule, "selected": list(r.selected), "count": r.count,
                       "total_cost": str(r.total_cost), "beneficiaries": r.beneficiaries,
                       "coverage": None if math.isnan(r.coverage) else r.coverage,
                       "broken": [b.render("en") for b in r.broken], "status": r.status, "seconds": r.seconds}
                      for r in self.lists],
            "by_group": [{**row, "cost": str(row["cost"])}
                         for row in self.by_group.to_dict("records")],
        }


def _group_rows(proposals: ProposalSet, lists: Sequence[RuleList]) -> pd.DataFrame:
    frame = proposals.frame
    cost = frame["cost_minor"].to_numpy(dtype=np.int64)
    benefit = frame["beneficiaries"].to_numpy(dtype=np.float64)
    index = {str(i): k for k, i in enumerate(frame["id"])}
    dims: dict[str, list[tuple[str, ...]]] = {
        "domain": [(str(d),) for d in frame["domain"]],
        "district": [(str(d),) if isinstance(d, str) and d else () for d in frame["district"]],
        "target_group": [tuple(str(g) for g in gs) for gs in frame["target_groups"]],
    }
    rows = []
    for dim, values in dims.items():
        groups = list(dict.fromkeys(g for v in values for g in v))
        for group in groups:
            members = {k for k, v in enumerate(values) if group in v}
            for item in lists:
                pos = [index[i] for i in item.selected if index[i] in members]
                rows.append({"dimension": dim, "group": group, "rule": item.rule,
                             "count": len(pos), "cost": from_fen(int(cost[pos].sum())),
                             "beneficiaries": float(benefit[pos].sum())})
    return pd.DataFrame(rows, columns=["dimension", "group", "rule", "count", "cost",
                                       "beneficiaries"])


def compare_rules(proposals: ProposalSet, rules: Rules | None = None, *,
                  ballots: Ballots | None = None, compare: Sequence[str] = RULES,
                  budget: Decimal | int | str | None = None, options: SolveOptions | None = None,
                  increment: Fraction | Decimal | int | None = None,
                  lang: Lang = DEFAULT_LANG, **shorthands: Any) -> RuleComparison:
    """Run MES, greedy and the exact selection on the same call and compare their lists.

    Parameters
    ----------
    rules:
        The call's rules (default: budget only). Every list is checked against them.
    ballots:
        Approval ballots; required for ``"mes"``.
    compare:
        Rules to run, from :data:`RULES`, in the order shown.
    budget:
        Overrides the rules' total budget (a Pabulib file's own budget, say).
    options:
        The exact selection's solver, time limit and gap
        (:class:`~selector.engine.options.SolveOptions`, as the scenario functions take;
        default CBC, no time limit).
    increment:
        MES's raise of each voter's budget per iteration (see :func:`mes`).
    **shorthands:
        ``solver=``, ``time_limit=``, ``gap=``: one setting of ``options`` each.

    Raises
    ------
    InvalidInputError
        An unknown rule name, MES without ballots or without a budget, pabutools missing,
        a bad solver setting.
    TypeError
        Another keyword.
    """
    other_keys = sorted(set(shorthands) - {"solver", "time_limit", "gap"})
    if other_keys:
        raise TypeError(f"compare_rules() got an unexpected keyword argument {other_keys[0]!r}")
    solve = (options or SolveOptions()).merged(**shorthands)
    rules = rules or Rules()
    names = list(dict.fromkeys(compare))
    unknown = [n for n in names if n not in RULES]
    if unknown or not names:
        raise InvalidInputError(t("proportional.unknown_rule", lang, got=", ".join(unknown),
                                  allowed=", ".join(RULES)))
    if budget is not None:
        rules = rules.with_budget(budget)
    total = rules.total_budget
    if "mes" in names:
        if ballots is None:
            raise InvalidInputError(t("proportional.mes_needs_ballots", lang))
        if total is None:
            raise InvalidInputError(t("proportional.mes_needs_budget", lang))
    problem = Problem(proposals)
    check_columns(problem, rules)
    budget_minor = None if total is None else to_fen(total, "budget", rounding="floor")
    eligible_mask = screen_problem(problem, rules, problem.cost, budget_minor,
                                   explain=False).eligible
    eligible = [str(i) for i in problem.ids[eligible_mask]]
    benefit = dict(zip((str(i) for i in problem.ids), problem.benefit.tolist(), strict=True))
    cost = dict(zip((str(i) for i in problem.ids), problem.cost.tolist(), strict=True))
    lists = []
    for name in names:
        start = time.perf_counter()
        starts: dict[str, int] = {}
        status = ""
        if name == "mes":
            assert ballots is not None and total is not None
            selected = mes(proposals, ballots, total, increment=increment, eligible=eligible,
                           lang=lang)
        elif name == "greedy":
            selected = greedy(proposals, rules).selected
        else:
            result = Model.build(proposals, rules, solver=solve.solver or "cbc").solve(
                solver=solve.solver, time_limit=solve.time_limit, gap=solve.gap)
            selected, starts, status = result.selected, dict(result.schedule), result.status.value
        seconds = time.perf_counter() - start
        lists.append(RuleList(
            rule=name, selected=tuple(selected),
            total_cost=from_fen(sum(int(cost[i]) for i in selected)),
            beneficiaries=float(sum(benefit[i] for i in selected)),
            coverage=ballots.coverage(selected) if ballots is not None else math.nan,
            broken=broken_rules(proposals, rules, selected, starts=starts or None),
            seconds=seconds, status=status))
    totals = pd.DataFrame([{"rule": r.rule, "count": r.count, "total_cost": r.total_cost,
                            "budget": total, "beneficiaries": r.beneficiaries,
                            "coverage": r.coverage, "broken": len(r.broken),
                            "seconds": r.seconds} for r in lists])
    return RuleComparison(lists=tuple(lists), totals=totals,
                          by_group=_group_rows(proposals, lists), budget=total,
                          voters=0 if ballots is None else len(ballots),
                          currency=proposals.currency)
