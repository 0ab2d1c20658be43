r"""Completion within the year, and the optional monthly plan.

Rules file::

    [completion]
    deadline_month = 12                 # earliest_start + duration - 1 <= deadline
    require_schedule_data = false       # true: missing start/duration is ineligible

    [schedule]                          # optional monthly plan: a start month each
    monthly_spend_cap = 4_000_000       # cost is spread evenly over the duration
    max_concurrent = 40                 # projects running in any one month

Screening (``[completion]``): a proposal that cannot finish by the deadline (a missing
earliest start counts as month 1; a missing duration is not checked unless
``require_schedule_data``, which then screens it out) is never a candidate.

Rows (``[schedule]``; ``s_km ∈ {0, 1}``: candidate ``k`` starts in month ``m``, from its
earliest start to the last month that still ends by the deadline, 12 without
``[completion]``; ``d_k`` its duration in whole months, 1 when missing)::

    Σ_m s_km − x_k = 0                        ∀ k           [start[k]]
    Σ_{k,m: m≤t<m+d_k} (c_k/d_k) s_km ≤ S     ∀ month t     [spend[month=t]]
    Σ_{k,m: m≤t<m+d_k} s_km ≤ K               ∀ month t     [concurrent[month=t]]

Checks: ``schedule.starts`` (every selected project has a start month in its window),
``schedule.monthly_spend_cap`` (the busiest month's spending, within one fen) and
``schedule.max_concurrent`` (the most projects running at once).

Binding: a monthly cap whose busiest month leaves less than one fen (one project).

Relaxation: the monthly plan lifted whole.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import numpy as np

from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, Screen
from selector.engine.program import Builder, Formulation, Inputs
from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Rules
from selector.rules import Schedule as ScheduleRule

__all__ = ["Schedule", "schedule_window"]

INF = np.inf


def schedule_window(problem: Problem, rules: Rules,
                    positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """For the proposals at ``positions``: first allowed start month, last allowed start
    month, duration (whole months), and the number of months in the plan (the
    completion deadline, 12 without one)."""
    horizon = rules.completion.deadline_month if rules.completion else 12
    start = problem.column("earliest_start")[positions]
    dur = problem.column("duration_months")[positions]
    first = np.where(np.isnan(start), 1, start).astype(np.int64)
    length = np.maximum(np.where(np.isnan(dur), 1, np.ceil(dur)).astype(np.int64), 1)
    last = np.maximum(horizon - length + 1, first)   # no deadline room: start at `first`
    return first, last, length, horizon


def _plan_words(sched: ScheduleRule) -> Words:
    parts = []
    if sched.monthly_spend_cap is not None:
        parts.append(Words("rules.schedule.spend_cap", {"amount": Decimal(sched.monthly_spend_cap)}))
    if sched.max_concurrent is not None:
        parts.append(Words("rules.schedule.concurrent_cap", {"n": sched.max_concurrent}))
    return Words("rules.schedule.words", {"limits": tuple(parts)})


class Schedule(Family):
    """The completion deadline (screening) and the monthly plan (rows)."""

    key = "schedule"

    def active(self, rules: Rules) -> bool:
        return rules.completion is not None or rules.schedule is not None

    def screen(self, s: Screen) -> None:
        completion = s.rules.completion
        if completion is None:
            return
        deadline = completion.deadline_month
        start = s.problem.column("earliest_start")
        dur = s.problem.column("duration_months")
        start1 = np.where(np.isnan(start), 1.0, start)
        end = start1 + np.ceil(dur) - 1
        late = ~np.isnan(dur) & (end > deadline)
        s.flag(late, self.key, "late", lambda at: [
            {"deadline": deadline, "start": a, "duration": d, "end": e}
            for a, d, e in zip(start1[at].tolist(), dur[at].tolist(), end[at].tolist(),
                               strict=True)])
        if completion.require_schedule_data:
            s.flag(np.isnan(dur) | np.isnan(start), self.key, "no_schedule_data")

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        sched = inp.rules.schedule
        if sched is None:
            return
        first, last, length, horizon = schedule_window(inp.problem, inp.rules, cand)
        counts = last - first + 1
        kk = np.repeat(np.arange(len(cand)), counts)
        offs = np.arange(len(kk)) - np.repeat(np.cumsum(counts) - counts, counts)
        months = np.repeat(first, counts) + offs
        b.start_pairs = np.column_stack([kk, months]).astype(np.int64)
        s = b.cols("start", len(kk), 0.0, 1.0, True)
        u = b.unit("schedule", self.key, _plan_words(sched))
        n = len(cand)
        b.rows([f"start[{k}]" for k in range(n)], u,
               np.concatenate([kk, np.arange(n)]),
               np.concatenate([s + np.arange(len(kk)), np.arange(n)]),
               np.concatenate([np.ones(len(kk)), -np.ones(n)]), 0.0, 0.0,
               check="schedule.starts")
        end_month = max(horizon, int((months + length[kk] - 1).max(initial=horizon)))
        # the start column j runs in months months[j] .. months[j] + length - 1
        run = length[kk]
        rr = np.repeat(months, run) + (np.arange(int(run.sum()))
                                       - np.repeat(np.cumsum(run) - run, run))
        cc = np.repeat(s + np.arange(len(kk)), run)
        if sched.monthly_spend_cap is not None:
            per_month = (inp.cost[cand][kk] / run).astype(float)
            b.rows([f"spend[month={t}]" for t in range(1, end_month + 1)], u, rr - 1, cc,
                   np.repeat(per_month, run), -INF, float(sched.monthly_spend_cap) * 100,
                   check="schedule.monthly_spend_cap")
        if sched.max_concurrent is not None:
            b.rows([f"concurrent[month={t}]" for t in range(1, end_month + 1)], u, rr - 1, cc,
                   np.ones(len(cc)), -INF, float(sched.max_concurrent),
                   check="schedule.max_concurrent")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        sched = o.rules.schedule
        if sched is None:
            return []
        sel = o.selected
        first, last, length, horizon = schedule_window(o.problem, o.rules, sel)
        months = max(horizon, int((first + length - 1).max(initial=horizon)))
        spend = np.zeros(months + 2)
        running = np.zeros(months + 2, dtype=np.int64)
        wrong = np.zeros(o.problem.n, dtype=bool)
        for k, i in enumerate(sel):
            m = o.starts.get(int(i))
            if m is None or not first[k] <= m <= last[k]:
                wrong[i] = True
                continue
            spend[m:m + length[k]] += o.cost[i] / length[k]
            running[m:m + length[k]] += 1
        bad = int(wrong.sum())
        out = [RuleCheck("schedule.starts", self.key, "schedule", "", 0, bad, bad == 0,
                         "count", Words("rules.schedule.starts_name"), o.ids(wrong))]
        if sched.monthly_spend_cap is not None:
            cap = float(sched.monthly_spend_cap) * 100
            peak = float(spend.max())
            out.append(RuleCheck("schedule.monthly_spend_cap", self.key, "schedule", "max",
                                 Decimal(sched.monthly_spend_cap),
                                 Decimal(int(round(peak))) / 100, peak <= cap + 1.0, "money",
                                 Words("rules.schedule.spend_name")))
        if sched.max_concurrent is not None:
            most = int(running.max())
            out.append(RuleCheck("schedule.max_concurrent", self.key, "schedule", "max",
                                 sched.max_concurrent, most, most <= sched.max_concurrent,
                                 "count", Words("rules.schedule.concurrent_name")))
        return out

    def binding(self, form: Formulation, tight: Callable[[np.ndarray], np.ndarray],
                columns: np.ndarray, o: Outcome) -> list[str]:
        keys = ("schedule.monthly_spend_cap", "schedule.max_concurrent")
        rows = [r for r in form.rows_of(self.key) if form.row_check[r] in keys]
        if not rows:
            return []
        cols = np.asarray(columns, dtype=float).copy()
        cols[form.integer] = np.rint(cols[form.integer])
        act = form.matrix[rows] @ cols
        found = [form.row_check[r] for r, v in zip(rows, act, strict=True)
                 if form.row_upper[r] - v < 1.0]
        return list(dict.fromkeys(found))

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        if rules.schedule is None:
            return []
        return [RuleChange("schedule", self.key, "schedule", "max",
                           rules.model_copy(update={"schedule": None}),
                           Words("rules.schedule.change"))]
