"""Scoring the runner-ups: pure functions, no database.

Every eligible proposal that the optimum leaves out (a *runner-up*) gets four components,
each normalised to [0, 1] over the runner-ups (min–max; 1 is best; when every runner-up
has the same raw value the component is 1 for all, so it changes no order):

=================  ==========================================================  =========
component          raw value                                                   better
=================  ==========================================================  =========
value_for_money    beneficiaries per yuan, ``b_i / c_i`` (cost 0: the best)     higher
review             mean of the min–max normalised review columns               higher
                   (``expert_score``, ``worker_score``) that it has; none: 0
forced_in_loss     objective lost if it were forced in: ``z* − z*(x_i = 1)``;  lower
                   forcing it in breaks the rules: component 0
entry_budget       smallest budget at which it is selected, minus the budget   lower
                   (:func:`selector.engine.whatif.entry_budget`, searched up to
                   ``max_budget_factor × budget``); not selected by then: 0
=================  ==========================================================  =========

The score is the weighted mean ``score_i = Σ_k w_k · comp_k(i) / Σ_k w_k`` (in [0, 1])
with the weights of :class:`ScoringWeights`. A component that cannot be computed for
this call (no review column, or no budget for ``entry_budget``) gets weight 0.

The two distance components need re-solves through one shared
:class:`selector.engine.whatif.Resolver` (cached) and, optionally, a
:class:`concurrent.futures.Executor`: the forced-in loss one value-only re-solve each
(:meth:`~selector.engine.whatif.Resolver.value`: the optimum's value is the claim, so the
tie-break stage that picks among equal lists is skipped), the entry budget a verified
budget search of several solves each. By default every
runner-up gets both. For very large calls two documented shortcuts bound the work:
``ScoringConfig.resolve_limit = k`` re-solves (forced in) only the ``k`` runner-ups best
on the two cheap components (``resolved`` is True for them), and
``entry_budget_limit = m`` searches the entry budget only for the ``m`` best of those on
the three components known by then (``searched``). A runner-up left out of a step gets 0
on that component; the distance components are normalised over the runner-ups that have
them.

Runner-ups are ranked by score (descending), then beneficiaries (descending), then id;
ranks are 1..n. The year's reserve is the runner-ups ranked within ``top_n`` (when set)
and scoring at least ``threshold`` (when set).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from selector.engine import Model
from selector.engine.whatif import Resolver, entry_budget, map_each
from selector.money import from_fen
from selector.result import Selection

__all__ = ["COMPONENTS", "Progress", "RunnerUps", "ScoringConfig", "ScoringWeights",
           "normalise", "score_runner_ups"]

COMPONENTS = ("value_for_money", "review", "forced_in_loss", "entry_budget")

#: ``progress(done, total)``: see :func:`score_runner_ups`.
Progress = Callable[[int, int], None]
_R = TypeVar("_R")


class ScoringWeights(BaseModel):
    """Weights of the score components (any non-negative numbers, not all zero)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value_for_money: float = Field(default=0.3, ge=0)
    review: float = Field(default=0.2, ge=0)
    forced_in_loss: float = Field(default=0.3, ge=0)
    entry_budget: float = Field(default=0.2, ge=0)

    @model_validator(mode="after")
    def _not_all_zero(self) -> ScoringWeights:
        if not any(getattr(self, c) > 0 for c in COMPONENTS):
            raise ValueError("at least one scoring weight must be > 0")
        return self


class ScoringConfig(BaseModel):
    """How runner-ups are scored and how many form the reserve.

    Examples
    --------
    >>> ScoringConfig(top_n=20, weights={"review": 0.5}).weights.review
    0.5
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    weights: ScoringWeights = ScoringWeights()
    top_n: int | None = Field(default=30, ge=1)
    threshold: float | None = Field(default=None, ge=0, le=1)
    review_columns: tuple[str, ...] = ("expert_score", "worker_score")
    max_budget_factor: float = Field(default=2.0, ge=1)
    resolve_limit: int | None = Field(default=None, ge=0)
    entry_budget_limit: int | None = Field(default=None, ge=0)


@dataclass(frozen=True)
class RunnerUps:
    """Every runner-up, scored and ranked.

    Attributes
    ----------
    frame:
        One row per runner-up in rank order: ``rank, id, title, cost, beneficiaries``,
        the raw values ``value_for_money, review, forced_in_loss, entry_budget``
        (``entry_budget`` as Decimal yuan or None, ``forced_in_loss`` ``inf`` when
        infeasible), the components ``c_<name>`` in [0, 1], ``score``, ``resolved`` and
        ``reserved`` (in the year's reserve).
    weights:
        The weights actually used (0 for a component unavailable in this call).
    config:
        The configuration.
    """

    frame: pd.DataFrame
    weights: dict[str, float]
    config: ScoringConfig

    @property
    def reserve(self) -> tuple[str, ...]:
        """Ids of the year's reserve, best first."""
        return tuple(self.frame.loc[self.frame["reserved"], "id"])

    @property
    def ranks(self) -> dict[str, int]:
        """``{id: rank}`` of every runner-up."""
        return dict(zip(self.frame["id"], self.frame["rank"].astype(int), strict=True))

    @property
    def scores(self) -> dict[str, float]:
        """``{id: score}`` of every runner-up."""
        return dict(zip(self.frame["id"], self.frame["score"].astype(float), strict=True))


def normalise(raw: np.ndarray, *, higher_is_better: bool = True) -> np.ndarray:
    """Min–max normalise to [0, 1], 1 = best; NaN → 0; all equal → 1.

    ``+inf`` (lower is better: ``-inf``) counts as the worst value, ``+inf`` with
    ``higher_is_better`` as the best.

    Examples
    --------
    >>> normalise(np.array([2.0, 4.0, np.nan])).tolist()
    [0.0, 1.0, 0.0]
    >>> normalise(np.array([10.0, 30.0, np.inf]), higher_is_better=False).tolist()
    [1.0, 0.0, 0.0]
    """
    x = np.asarray(raw, dtype=np.float64)
    out = np.zeros(len(x))
    finite = np.isfinite(x)
    if higher_is_better:
        out[np.isposinf(x)] = 1.0
    if finite.any():
        lo, hi = float(x[finite].min()), float(x[finite].max())
        if hi > lo:
            scaled = (x[finite] - lo) / (hi - lo)
            out[finite] = scaled if higher_is_better else 1.0 - scaled
        else:
            out[finite] = 1.0
    return out


def score_runner_ups(model: Model, base: Selection, config: ScoringConfig | None = None, *,
                     executor: Executor | None = None,
                     resolver: Resolver | None = None,
                     progress: Progress | None = None) -> RunnerUps:
    """Score and rank every eligible proposal the optimum leaves out.

    Parameters
    ----------
    model, base:
        The compiled model and its optimum (``model.solve()``).
    config:
        Weights, reserve size, search limits (defaults: :class:`ScoringConfig`).
    executor:
        Optional executor for the re-solves (threads or processes that can share the
        model).
    resolver:
        A shared :class:`selector.engine.whatif.Resolver` (its cache is reused).
    progress:
        Called as ``progress(done, total)`` before the first re-solve (``done = 0``) and
        after each runner-up's forced-in loss or entry budget; ``total`` is known before
        any re-solve runs (the limits fix it).

    Returns
    -------
    RunnerUps
        See the module docstring for the score.
    """
    scoring = _Scoring(model, base, config or ScoringConfig(), resolver or Resolver(model, base),
                       executor, progress)
    resolved, loss = scoring.forced_in_loss()
    searched, entry = scoring.entry_budget()
    return scoring.ranked(resolved, loss, searched, entry)


class _Scoring:
    """The steps of :func:`score_runner_ups`: the cheap components first, then the two
    components that need re-solves, for as many runner-ups as the limits allow."""

    def __init__(self, model: Model, base: Selection, cfg: ScoringConfig, res: Resolver,
                 executor: Executor | None, progress: Progress | None = None) -> None:
        self.model, self.base, self.cfg, self.res, self.executor = model, base, cfg, res, executor
        problem = model.problem
        chosen = np.zeros(problem.n, dtype=bool)
        chosen[[problem.index[pid] for pid in base.selected]] = True
        self.pos = np.flatnonzero(np.asarray(model.eligible, dtype=bool) & ~chosen)
        self.ids = [str(problem.ids[p]) for p in self.pos]
        self.order_ids = np.array(self.ids, dtype=object).astype(str)
        cost = problem.cost[self.pos].astype(np.float64) / 100.0
        self.benefit = problem.benefit[self.pos]
        with np.errstate(divide="ignore", invalid="ignore"):
            self.vfm = np.where(cost > 0, self.benefit / np.where(cost > 0, cost, 1.0), np.inf)
        self.review = self._review()
        self.comp = {"value_for_money": normalise(self.vfm),
                     "review": np.nan_to_num(self.review, nan=0.0)}
        self.weights = {c: float(getattr(cfg.weights, c)) for c in COMPONENTS}
        if not np.isfinite(self.review).any():
            self.weights["review"] = 0.0
        self.budget = base.budget if base.budget is not None else model.budget
        if self.budget is None:
            self.weights["entry_budget"] = 0.0
        # the ``resolve_limit`` best on the cheap components: the runner-ups re-solved
        self.cheap = self.best(self.partial_score(("value_for_money", "review")),
                               np.ones(len(self.pos), dtype=bool), cfg.resolve_limit)
        self._progress = progress
        self._lock = threading.Lock()
        self._done = 0
        self._total = self._steps()
        self._tick(0)

    def _steps(self) -> int:
        """Runner-ups that get a re-solve step: forced in, then entry budget (as many as
        :meth:`best` keeps of :attr:`cheap`)."""
        cheap, limit = int(self.cheap.sum()), self.cfg.entry_budget_limit
        forced = cheap if self.weights["forced_in_loss"] > 0 else 0
        entry = ((cheap if limit is None else min(cheap, limit))
                 if self.weights["entry_budget"] > 0 else 0)
        return forced + entry

    def _tick(self, steps: int = 1) -> None:
        self._done += steps
        if self._progress is not None:
            self._progress(self._done, self._total)

    def _counted(self, fn: Callable[[str], _R]) -> Callable[[str], _R]:
        """``fn`` that reports one step done each time it returns."""
        def step(pid: str) -> _R:
            out = fn(pid)
            with self._lock:
                self._tick()
            return out
        return step

    def _review(self) -> np.ndarray:
        """Mean of the min–max normalised review columns a runner-up has (NaN: none)."""
        problem = self.model.problem
        cols = [c for c in self.cfg.review_columns if c in self.model.proposals.frame.columns]
        if not cols:
            return np.full(len(self.pos), np.nan)
        normed = [normalise(problem.column(c)[self.pos]) for c in cols]
        have = [np.isfinite(problem.column(c)[self.pos]) for c in cols]
        count = np.sum(have, axis=0)
        total = np.sum([np.where(h, v, 0.0) for h, v in zip(have, normed, strict=True)], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan))

    def best(self, partial: np.ndarray, among: np.ndarray, limit: int | None) -> np.ndarray:
        """Boolean mask of the ``limit`` best of ``among`` by ``partial`` (all when None)."""
        if limit is None or limit >= int(among.sum()):
            return among.copy()
        cand = np.flatnonzero(among)
        order = np.lexsort((self.order_ids[cand], -self.benefit[cand], -partial[cand]))
        mask = np.zeros(len(self.pos), dtype=bool)
        mask[cand[order[:limit]]] = True
        return mask

    def partial_score(self, names: Sequence[str]) -> np.ndarray:
        wsum = sum(self.weights[c] for c in names) or 1.0
        return np.asarray(sum(self.weights[c] * self.comp[c] for c in names),
                          dtype=np.float64) / wsum

    def forced_in_loss(self) -> tuple[np.ndarray, np.ndarray]:
        """Every runner-up's loss if forced in, or the ``resolve_limit`` best on the cheap
        components': ``(resolved, loss)``."""
        resolved = np.zeros(len(self.pos), dtype=bool)
        loss = np.full(len(self.pos), np.nan)
        self.comp["forced_in_loss"] = np.zeros(len(self.pos))
        if self.weights["forced_in_loss"] <= 0:
            return resolved, loss
        resolved = self.cheap.copy()
        todo = np.flatnonzero(resolved)
        base, res = self.base, self.res

        def forced_loss(pid: str) -> float:
            sel = res.value(force_in=[pid])
            return math.inf if sel is None else base.objective - sel.objective

        loss[todo] = map_each(self._counted(forced_loss), [self.ids[k] for k in todo],
                              self.executor)
        self.comp["forced_in_loss"][resolved] = normalise(loss[resolved], higher_is_better=False)
        return resolved, loss

    def entry_budget(self) -> tuple[np.ndarray, list[Decimal | None]]:
        """Of the ``resolve_limit`` best on the cheap components, the
        ``entry_budget_limit`` best on the components so far: their verified entry
        budgets, ``(searched, entry)``."""
        searched = np.zeros(len(self.pos), dtype=bool)
        entry: list[Decimal | None] = [None] * len(self.pos)
        self.comp["entry_budget"] = np.zeros(len(self.pos))
        budget = self.budget
        if self.weights["entry_budget"] <= 0 or budget is None:
            return searched, entry
        searched = self.best(self.partial_score(("value_for_money", "review", "forced_in_loss")),
                             self.cheap, self.cfg.entry_budget_limit)
        todo = np.flatnonzero(searched)
        cap = (Decimal(budget) * Decimal(str(self.cfg.max_budget_factor))).to_integral_value()
        model, base, res = self.model, self.base, self.res

        def find(pid: str) -> Decimal | None:
            return entry_budget(model, base, pid, max_budget=cap, resolver=res)

        for k, found in zip(todo, map_each(self._counted(find), [self.ids[k] for k in todo],
                                           self.executor), strict=True):
            entry[k] = found
        extra = np.array([np.inf if e is None else float(e - Decimal(budget)) for e in entry])
        self.comp["entry_budget"][searched] = normalise(extra[searched], higher_is_better=False)
        return searched, entry

    def ranked(self, resolved: np.ndarray, loss: np.ndarray, searched: np.ndarray,
               entry: list[Decimal | None]) -> RunnerUps:
        """The table in rank order, and the year's reserve."""
        weights, comp, problem, pos = self.weights, self.comp, self.model.problem, self.pos
        total_w = sum(weights.values()) or 1.0
        score = np.clip(sum(weights[c] * comp[c] for c in COMPONENTS) / total_w, 0.0, 1.0)
        out = pd.DataFrame({
            "id": pd.Series(self.ids, dtype=object),
            "title": pd.Series([str(v) for v in self.model.proposals.frame["title"]
                                .to_numpy()[pos]], dtype=object),
            "cost": pd.Series([from_fen(c) for c in problem.cost[pos]], dtype=object),
            "beneficiaries": self.benefit,
            "value_for_money": self.vfm,
            "review": self.review,
            "forced_in_loss": loss,
            "entry_budget": pd.Series(entry, dtype=object),
            **{f"c_{c}": comp[c] for c in COMPONENTS},
            "score": score,
            "resolved": resolved,
            "searched": searched,
        })
        out = out.iloc[np.lexsort((self.order_ids, -self.benefit, -score))].reset_index(drop=True)
        out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
        keep = np.ones(len(out), dtype=bool)
        if self.cfg.top_n is not None:
            keep &= out["rank"].to_numpy() <= self.cfg.top_n
        if self.cfg.threshold is not None:
            keep &= out["score"].to_numpy() >= self.cfg.threshold
        out["reserved"] = keep
        return RunnerUps(frame=out, weights=weights, config=self.cfg)
