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
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from selector.engine import Model
from selector.engine.whatif import Resolver, entry_budget, map_each
from selector.money import from_fen
from selector.result import Selection

__all__ = ["COMPONENTS", "RunnerUps", "ScoringConfig", "ScoringWeights", "normalise",
           "score_runner_ups"]

COMPONENTS = ("value_for_money", "review", "forced_in_loss", "entry_budget")


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
                     resolver: Resolver | None = None) -> RunnerUps:
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

    Returns
    -------
    RunnerUps
        See the module docstring for the score.
    """
    cfg = config or ScoringConfig()
    problem = model.problem
    chosen = np.zeros(problem.n, dtype=bool)
    for pid in base.selected:
        chosen[problem.index[pid]] = True
    pos = np.flatnonzero(np.asarray(model.eligible, dtype=bool) & ~chosen)
    ids = [str(problem.ids[p]) for p in pos]
    frame = model.proposals.frame
    cost = problem.cost[pos].astype(np.float64) / 100.0
    benefit = problem.benefit[pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        vfm = np.where(cost > 0, benefit / np.where(cost > 0, cost, 1.0), np.inf)

    review_cols = [c for c in cfg.review_columns if c in frame.columns]
    normed = [normalise(problem.column(c)[pos]) for c in review_cols]
    have = [np.isfinite(problem.column(c)[pos]) for c in review_cols]
    review_raw = np.full(len(pos), np.nan)
    if review_cols:
        count = np.sum(have, axis=0)
        total = np.sum([np.where(h, v, 0.0) for h, v in zip(have, normed, strict=True)], axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            review_raw = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    comp = {"value_for_money": normalise(vfm), "review": np.nan_to_num(review_raw, nan=0.0)}

    w = cfg.weights
    weights = {c: float(getattr(w, c)) for c in COMPONENTS}
    if not review_cols or not np.isfinite(review_raw).any():
        weights["review"] = 0.0
    budget = base.budget if base.budget is not None else model.budget
    if budget is None:
        weights["entry_budget"] = 0.0

    res = resolver or Resolver(model, base)
    order_ids = np.array(ids, dtype=object).astype(str)

    def best(partial: np.ndarray, among: np.ndarray, limit: int | None) -> np.ndarray:
        """Boolean mask of the ``limit`` best of ``among`` by ``partial`` (all when None)."""
        if limit is None or limit >= int(among.sum()):
            return among.copy()
        cand = np.flatnonzero(among)
        order = np.lexsort((order_ids[cand], -benefit[cand], -partial[cand]))
        mask = np.zeros(len(pos), dtype=bool)
        mask[cand[order[:limit]]] = True
        return mask

    def partial_score(names: Sequence[str]) -> np.ndarray:
        wsum = sum(weights[c] for c in names) or 1.0
        return np.asarray(sum(weights[c] * comp[c] for c in names), dtype=np.float64) / wsum

    # forced-in loss: every runner-up, or the resolve_limit best on the cheap components
    resolved = np.zeros(len(pos), dtype=bool)
    loss = np.full(len(pos), np.nan)
    comp["forced_in_loss"] = np.zeros(len(pos))
    if weights["forced_in_loss"] > 0:
        resolved = best(partial_score(("value_for_money", "review")),
                        np.ones(len(pos), dtype=bool), cfg.resolve_limit)
        todo = np.flatnonzero(resolved)

        def forced_loss(pid: str) -> float:
            sel = res.value(force_in=[pid])
            return math.inf if sel is None else base.objective - sel.objective

        for k, lost in zip(todo, map_each(forced_loss, [ids[k] for k in todo], executor),
                           strict=True):
            loss[k] = lost
        comp["forced_in_loss"][resolved] = normalise(loss[resolved], higher_is_better=False)

    # entry budget: of those, the entry_budget_limit best on the components so far
    searched = np.zeros(len(pos), dtype=bool)
    entry: list[Decimal | None] = [None] * len(pos)
    comp["entry_budget"] = np.zeros(len(pos))
    if weights["entry_budget"] > 0 and budget is not None:
        among = resolved if weights["forced_in_loss"] > 0 else best(
            partial_score(("value_for_money", "review")), np.ones(len(pos), dtype=bool),
            cfg.resolve_limit)
        searched = best(partial_score(("value_for_money", "review", "forced_in_loss")),
                        among, cfg.entry_budget_limit)
        todo = np.flatnonzero(searched)
        cap = (Decimal(budget) * Decimal(str(cfg.max_budget_factor))).to_integral_value()

        def find(pid: str) -> Decimal | None:
            return entry_budget(model, base, pid, max_budget=cap, resolver=res)

        for k, found in zip(todo, map_each(find, [ids[k] for k in todo], executor), strict=True):
            entry[k] = found
        extra = np.array([np.inf if e is None else float(e - Decimal(budget)) for e in entry])
        comp["entry_budget"][searched] = normalise(extra[searched], higher_is_better=False)

    total_w = sum(weights.values()) or 1.0
    score = sum(weights[c] * comp[c] for c in COMPONENTS) / total_w
    score = np.clip(score, 0.0, 1.0)
    out = pd.DataFrame({
        "id": pd.Series(ids, dtype=object),
        "title": pd.Series([str(v) for v in frame["title"].to_numpy()[pos]], dtype=object),
        "cost": pd.Series([from_fen(c) for c in problem.cost[pos]], dtype=object),
        "beneficiaries": benefit,
        "value_for_money": vfm,
        "review": review_raw,
        "forced_in_loss": loss,
        "entry_budget": pd.Series(entry, dtype=object),
        **{f"c_{c}": comp[c] for c in COMPONENTS},
        "score": score,
        "resolved": resolved,
        "searched": searched,
    })
    order = np.lexsort((order_ids, -benefit, -score))
    out = out.iloc[order].reset_index(drop=True)
    out.insert(0, "rank", np.arange(1, len(out) + 1, dtype=np.int64))
    keep = np.ones(len(out), dtype=bool)
    if cfg.top_n is not None:
        keep &= out["rank"].to_numpy() <= cfg.top_n
    if cfg.threshold is not None:
        keep &= out["score"].to_numpy() >= cfg.threshold
    out["reserved"] = keep
    return RunnerUps(frame=out, weights=weights, config=cfg)
