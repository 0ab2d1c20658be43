"""Eligibility screening: which proposals are never candidates, and why.

Every reason is a sentence a planner reads. A proposal is screened out when

- it cannot finish by ``completion.deadline_month``: ``earliest_start + duration - 1``
  is later than the deadline (missing start counts as month 1; missing duration is not
  checked unless ``completion.require_schedule_data``, which then screens it out);
- ``eligibility.require_indicator`` and no indicator has a target value;
- a score threshold is set and the score is missing or below it (expert score, worker
  score, worker votes);
- ``eligibility.min_completion_probability`` is set and the probability is below it
  (a missing probability is not screened: unknown counts as 1, as in the objective);
- it is forced out (the reason from the rules);
- there are pools and none of them may pay for it;
- it costs more than the budget, or more than ``max_project_share`` of the budget;
- it requires a proposal that is missing from the data or is itself screened out
  (followed transitively).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from functools import partial

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.problem import Problem
from selector.rules import Pool, Rules, exact_share

__all__ = ["Screening", "pool_eligibility", "screen_problem", "to_minor", "yuan"]


def to_minor(amount: Decimal | int | float | str) -> int:
    """Money in major units to integer minor units (fen), rounding down to the fen."""
    return int((Decimal(str(amount)) * 100).to_integral_value(rounding=ROUND_FLOOR))


def yuan(minor: int | np.integer) -> Decimal:
    """Integer minor units (fen) to exact major units."""
    return Decimal(int(minor)) / 100


@dataclass(frozen=True)
class Screening:
    """The outcome of screening.

    Attributes
    ----------
    eligible:
        Boolean mask over the proposals: True for candidates.
    reasons:
        ``{id: (reason, ...)}`` for every proposal that is not a candidate.
    """

    eligible: np.ndarray
    reasons: dict[str, tuple[str, ...]]


def pool_eligibility(problem: Problem, pools: Iterable[Pool]) -> np.ndarray:
    """``n × P`` boolean matrix: may pool ``p`` pay for proposal ``i`` (cached on the
    problem per pool list; read-only).

    A proposal may use a pool when the pool's ``column`` lists the pool's name, or lists
    nothing at all (an empty list means every pool); an ``only`` filter must also hold.
    """
    pools = list(pools)
    key = tuple(p.model_dump_json() for p in pools)
    cache: dict[tuple[str, ...], np.ndarray] = problem.__dict__.setdefault("_pool_cache", {})
    if key in cache:
        return cache[key]
    frame = problem.proposals.frame
    out = np.ones((problem.n, len(pools)), dtype=bool)
    for p, pool in enumerate(pools):
        ok = _lists_each(frame[pool.column].to_numpy(dtype=object), pool.name)
        if pool.only is not None:
            member = problem.membership(pool.only.column)
            ok &= member.union(list(pool.only.values))
        out[:, p] = ok
    out.setflags(write=False)
    cache[key] = out
    return out


def _value_texts(values: np.ndarray, template: str, at: np.ndarray) -> list[str]:
    """``template`` filled with each of ``values[at]`` (for :func:`screen_problem`'s
    flags: formatted only for the proposals flagged)."""
    return [template.format(v) for v in values[at].tolist()]


def _lists_each(values: np.ndarray, name: str) -> np.ndarray:
    """:func:`_lists` of every value, computed once per distinct value."""
    try:
        codes, distinct = pd.factorize(values)
    except TypeError:   # unhashable cells (lists): one by one
        return np.fromiter((_lists(v, name) for v in values), dtype=bool, count=len(values))
    ok = np.array([_lists(v, name) for v in distinct] + [True], dtype=bool)
    return ok[codes]   # code -1 (missing) takes the last entry: every pool


def _lists(value: object, name: str) -> bool:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return True
    if isinstance(value, tuple | list | set | frozenset):
        return len(value) == 0 or name in value
    text = str(value).strip()
    return text == "" or name in [t.strip() for t in text.replace(";", ",").split(",")]


def check_columns(problem: Problem, rules: Rules) -> None:
    """Raise :class:`InvalidInputError` for rules that name unknown columns, groups or ids."""
    frame = problem.proposals.frame
    found: list[InputProblem] = []

    def need(column: str, key: str) -> bool:
        if column not in frame.columns:
            import difflib

            near = difflib.get_close_matches(column, [str(c) for c in frame.columns], n=1)
            hint = f"; did you mean {near[0]!r}?" if near else ""
            found.append(InputProblem(f"no column {column!r} in the proposals{hint}",
                                      column=key, value=column))
            return False
        return True

    for k, pool in enumerate(rules.pools):
        need(pool.column, f"pools.{k}.column")
        if pool.only is not None:   # its values may be absent from this call's data
            need(pool.only.column, f"pools.{k}.only.column")
    for k, res in enumerate(rules.resources):
        if need(res.column, f"resources.{k}.column"):
            values = problem.column(res.column)
            if np.all(np.isnan(values)) and len(values):
                found.append(InputProblem(f"column {res.column!r} has no numbers",
                                          column=f"resources.{k}.column", value=res.column))
    for k, group in enumerate(rules.groups):
        if need(group.column, f"groups.{k}.column") and group.values:
            labels = problem.membership(group.column).labels
            for v in group.values:
                if v not in labels:
                    found.append(InputProblem(
                        f"no proposal has {group.column} = {v!r} (group does not exist)",
                        column=f"groups.{k}.values", value=v))
    for k, dist in enumerate(rules.distinct):
        need(dist.column, f"distinct.{k}.column")
    if rules.objective.kind == "weighted":
        for col in rules.objective.weights:
            need(col, f"objective.weights.{col}")
    index = problem.index
    for which, forces in (("force_in", rules.force_in), ("force_out", rules.force_out)):
        for k, f in enumerate(forces):
            if f.id not in index:
                found.append(InputProblem(f"no proposal with id {f.id!r}",
                                          column=f"{which}.{k}.id", value=f.id))
    if found:
        raise InvalidInputError(found, source="rules")


def screen_problem(problem: Problem, rules: Rules, cost: np.ndarray,
                   budget_minor: int | None, *, explain: bool = True) -> Screening:
    """Screen every proposal (see the module docstring for the reasons).

    ``explain=False`` decides eligibility only: ``reasons`` is left empty and no text is
    formatted (what :func:`selector.verify` needs).
    """
    n = problem.n
    frame = problem.proposals.frame
    reasons: dict[int, list[str]] = {}

    def flag(mask: np.ndarray, text: str | Callable[[np.ndarray], list[str]]) -> None:
        """Add a reason to the proposals in ``mask``: one text, or one per flagged
        position (``text(positions)``, formatted only for those)."""
        where = np.flatnonzero(mask)
        if not explain:
            texts = [""] * len(where)
        elif isinstance(text, str):
            texts = [text] * len(where)
        else:
            texts = text(where)
        for i, t in zip(where.tolist(), texts, strict=True):
            reasons.setdefault(i, []).append(t)

    if rules.completion is not None:
        deadline = rules.completion.deadline_month
        start = problem.column("earliest_start")
        dur = problem.column("duration_months")
        start1 = np.where(np.isnan(start), 1.0, start)
        end = start1 + np.ceil(dur) - 1
        late = ~np.isnan(dur) & (end > deadline)
        flag(late, lambda at: [
            f"cannot finish by month {deadline}: starts month {s:g} at the earliest and "
            f"runs {d:g} months (ends month {e:g})"
            for s, d, e in zip(start1[at].tolist(), dur[at].tolist(), end[at].tolist(),
                               strict=True)])
        if rules.completion.require_schedule_data:
            flag(np.isnan(dur) | np.isnan(start), "no earliest start or duration given "
                 "(completion.require_schedule_data)")
    elig = rules.eligibility
    if elig.require_indicator:
        measurable = np.fromiter(
            (any(t is not None and t == t for _, t, _u in inds)   # (NaN != NaN)
             for inds in frame["indicators"]), dtype=bool, count=n)
        flag(~measurable, "no indicator with a target value (eligibility.require_indicator)")
    for col, minimum, word in (("expert_score", elig.min_expert_score, "expert score"),
                               ("worker_score", elig.min_worker_score, "worker score"),
                               ("worker_votes", elig.min_worker_votes, "worker votes")):
        if minimum is None:
            continue
        values = problem.column(col)
        flag(np.isnan(values), f"no {word} (at least {minimum:g} required)")
        below = ~np.isnan(values) & (values < minimum)
        flag(below, partial(_value_texts, values, f"{word} {{:g}} is below the minimum "
                                                  f"{minimum:g}"))
    if elig.min_completion_probability is not None:
        prob = problem.column("completion_probability")
        low = ~np.isnan(prob) & (prob < elig.min_completion_probability)
        flag(low, partial(_value_texts, prob, "completion probability {:g} is below the "
                          f"minimum {elig.min_completion_probability:g}"))
    index = problem.index
    for f in rules.force_out:
        if f.id in index:
            reasons.setdefault(index[f.id], []).append(
                f"forced out: {f.reason}" if f.reason else "forced out")
    if rules.pools:
        payable = pool_eligibility(problem, rules.pools).any(axis=1)
        flag(np.asarray(~payable), "no funding pool may pay for it")
    if budget_minor is not None:
        flag(np.asarray(cost > budget_minor), f"costs more than the whole budget ({yuan(budget_minor)})")
        if rules.max_project_share is not None:
            frac = exact_share(rules.max_project_share)   # whole fen, exactly
            cap = budget_minor * frac.numerator // frac.denominator
            flag(np.asarray((cost > cap) & (cost <= budget_minor)),
                 f"costs more than {rules.max_project_share:.0%} of the budget ({yuan(cap)})")
    if rules.relations.requires:
        _screen_requires(problem, reasons)
    eligible = np.ones(n, dtype=bool)
    eligible[list(reasons)] = False
    if not explain:
        return Screening(eligible=eligible, reasons={})
    flagged = sorted(reasons)
    out = dict(zip(problem.ids[flagged].astype(str).tolist(),
                   (tuple(reasons[i]) for i in flagged), strict=True))
    return Screening(eligible=eligible, reasons=out)


def _screen_requires(problem: Problem, reasons: dict[int, list[str]]) -> None:
    index = problem.index
    requires = problem.proposals.frame["requires"].to_numpy(dtype=object)
    has = [i for i, r in enumerate(requires) if r]
    for i in has:
        for other in requires[i]:
            if str(other) not in index:
                reasons.setdefault(i, []).append(
                    f"requires {other}, which is not among the proposals")
    changed = True
    while changed:
        changed = False
        for i in has:
            for other in requires[i]:
                j = index.get(str(other))
                if j is None or not reasons.get(j):
                    continue
                text = f"requires {other}, which is not a candidate"
                if text not in reasons.get(i, ()):
                    reasons.setdefault(i, []).append(text)
                    changed = True
