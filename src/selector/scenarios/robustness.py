"""Robustness under uncertain estimates: selection frequencies and a robust list.

:func:`robustness` draws ``N`` scenarios of beneficiaries and costs (see
:mod:`selector.scenarios.uncertainty`), solves each under all the rules, and reports how
often each proposal is selected. In the spirit of the core index of Robust Portfolio
Modeling (Liesiö, Mild & Salo 2007), a proposal is

- **core** when it is selected in every sampled scenario that has a list,
- **exterior** when it is selected in none of them,
- **borderline** otherwise.

(RPM's core index ranges over all non-dominated portfolios under incomplete
information; here it ranges over the optimal lists of the sampled scenarios.)

:func:`robust_select` chooses the list whose objective is best in the worst sampled
scenario, or at a chosen percentile, by one exact integer program: every rule of the
call at the stated (nominal) costs, plus one objective row per scenario::

    max t
    s.t.  t ≤ w_s · x + M_s (1 − y_s)     ∀ s      (w_s: objective weights in scenario s)
          Σ_s y_s ≥ k,  y_s ∈ {0, 1}               (k = ⌈(1 − p/100) · N⌉)

so ``t`` is the largest value that at least ``k`` of the ``N`` sampled scenarios reach:
the worst case for ``p = 0`` (then ``k = N`` and no ``y`` is needed), otherwise the
``p``-th percentile from below. ``M_s`` is a valid upper bound of ``t − w_s·x``. The list
is then re-solved by the engine with every candidate forced in or out, so it is verified
against all the rules like any other selection.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector._errors import InputProblem, InvalidInputError, SolverError
from selector.engine import Model
from selector.engine.backends import Outcome, RawResult
from selector.engine.extend import Columns, Rows, solve_extended
from selector.engine.program import Formulation
from selector.i18n import DEFAULT_LANG, t
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, to_fen
from selector.result import Selection
from selector.rules import Rules
from selector.scenarios._common import (
    Point,
    RunOptions,
    SolveOptions,
    build_model,
    settings,
    solve_point,
)
from selector.scenarios.execution import chunked, run_tasks
from selector.scenarios.uncertainty import Bounds, Uncertainty, scenario_seeds

__all__ = ["RobustChoice", "Robustness", "robust_select", "robustness"]

CORE, BORDERLINE, EXTERIOR = "core", "borderline", "exterior"


@dataclass(frozen=True)
class Robustness:
    """Selection frequencies over sampled scenarios.

    Attributes
    ----------
    frequencies:
        One row per proposal: ``id, title, domain, cost, beneficiaries, benefit_low,
        benefit_high, nominal`` (selected at the estimates), ``selected`` (in how many
        scenarios), ``frequency`` (share of the scenarios that have a list) and ``class``
        (core / borderline / exterior).
    scenarios:
        One row per scenario: ``scenario, status, objective, cost_used, count,
        beneficiaries, ids, message``.
    nominal:
        The ids selected at the estimates.
    samples, seed:
        How the scenarios were drawn.
    """

    frequencies: pd.DataFrame
    scenarios: pd.DataFrame
    nominal: tuple[str, ...]
    samples: int
    seed: int

    def ids(self, cls: str) -> list[str]:
        """Ids of one class: ``"core"``, ``"borderline"`` or ``"exterior"``."""
        if cls not in (CORE, BORDERLINE, EXTERIOR):
            raise InvalidInputError(InputProblem.of("engine.arg.one_of", name="class",
                                                    allowed="core, borderline, exterior",
                                                    got=repr(cls)))
        return list(self.frequencies.loc[self.frequencies["class"] == cls, "id"])


@dataclass(frozen=True)
class _Chunk:
    proposals: ProposalSet
    rules: Rules | None
    budget_fen: int
    bounds: Bounds
    seeds: tuple[tuple[int, np.random.SeedSequence], ...]
    options: SolveOptions


def _solve_chunk(chunk: _Chunk) -> list[Point]:
    model = build_model(chunk.proposals, chunk.rules)
    ids = chunk.bounds.ids
    vary_b = np.flatnonzero(chunk.bounds.uncertain_benefit)
    vary_c = np.flatnonzero(chunk.bounds.uncertain_cost)
    out = []
    for _, seed in chunk.seeds:
        benefit, cost = chunk.bounds.sample(seed)
        out.append(solve_point(
            model, chunk.budget_fen, chunk.options, catch_errors=True,
            beneficiaries={ids[k]: float(benefit[k]) for k in vary_b} or None,
            cost={ids[k]: from_fen(int(cost[k])) for k in vary_c} or None,
        ))
    return out


def _budget_fen(rules: Rules | None, budget: MoneyLike | None) -> int:
    if budget is not None:
        return to_fen(budget, "budget")
    total = None if rules is None else rules.total_budget
    if total is None:
        raise InvalidInputError(InputProblem.of("engine.arg.no_budget"))
    return to_fen(total, "budget")


def robustness(
    proposals: ProposalSet,
    rules: Rules | None = None,
    uncertainty: Uncertainty | None = None,
    *,
    samples: int = 100,
    seed: int = 0,
    budget: MoneyLike | None = None,
    options: SolveOptions | None = None,
    run: RunOptions | None = None,
    **shorthands: Any,
) -> Robustness:
    """How often each proposal is selected when the estimates vary.

    Parameters
    ----------
    proposals, rules:
        The call.
    uncertainty:
        The ranges (default ``Uncertainty()``: the low/high columns, triangular).
    samples, seed:
        Number of scenarios and the seed they derive from; the answer depends only on
        these, not on the executor or the chunking.
    budget:
        Overrides the rules' budget.
    options:
        Passed to every solve (:class:`~selector.engine.options.SolveOptions`).
    run:
        Where the scenarios run (:class:`~selector.scenarios.execution.RunOptions`; by
        default in this process, safe in any script).
    **shorthands:
        ``solver=``, ``time_limit=``, ``gap=``, ``workers=``, ``executor=``, ``chunks=``,
        ``progress=``: one setting of ``options`` or ``run`` each.

    Returns
    -------
    Robustness

    Examples
    --------
    >>> from selector.datasets import generate_call
    >>> from selector.rules import Rules, Eligibility
    >>> call = generate_call(10, seed=2)
    >>> rules = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
    >>> r = robustness(call, rules, samples=5, budget=600_000, solver="highs",
    ...                workers=1, progress=False)
    >>> set(r.frequencies["class"]) <= {"core", "borderline", "exterior"}
    True
    >>> len(r.scenarios), bool(r.frequencies["frequency"].between(0, 1).all())
    (5, True)
    """
    uncertainty = uncertainty or Uncertainty()
    bounds = uncertainty.bounds(proposals)
    budget_fen = _budget_fen(rules, budget)
    options, where = settings("robustness", options, run, shorthands)
    nominal = solve_point(build_model(proposals, rules), budget_fen, options)
    groups = chunked(list(enumerate(scenario_seeds(seed, samples))), where.parts())
    tasks = [_Chunk(proposals, rules, budget_fen, bounds, tuple(g), options) for g in groups]
    results = run_tasks(_solve_chunk, tasks, executor=where.executor, workers=where.workers,
                        progress=where.progress, description="Scenarios",
                        sizes=[len(g) for g in groups])
    points = [p for chunk in results for p in chunk]
    return Robustness(
        frequencies=_frequencies(proposals, bounds, nominal, points),
        scenarios=_scenarios(points), nominal=nominal.ids, samples=samples, seed=seed,
    )


def _frequencies(proposals: ProposalSet, bounds: Bounds, nominal: Point,
                 points: list[Point]) -> pd.DataFrame:
    index = {i: k for k, i in enumerate(proposals.ids)}
    counts = np.zeros(len(index), dtype=np.int64)
    solved = [p for p in points if p.feasible]
    for p in solved:
        counts[[index[i] for i in p.ids]] += 1
    total = len(solved)
    cls = np.where(counts == total, CORE, np.where(counts == 0, EXTERIOR, BORDERLINE))
    if total == 0:
        cls[:] = EXTERIOR
    frame = proposals.frame
    chosen = set(nominal.ids)
    return pd.DataFrame({
        "id": proposals.ids,
        "title": frame["title"].to_numpy(dtype=object),
        "domain": frame["domain"].to_numpy(dtype=object),
        "cost": [from_fen(int(c)) for c in frame["cost_minor"]],
        "beneficiaries": frame["beneficiaries"].to_numpy(dtype=np.float64),
        "benefit_low": bounds.benefit[0],
        "benefit_high": bounds.benefit[2],
        "nominal": [i in chosen for i in proposals.ids],
        "selected": counts,
        "frequency": counts / total if total else np.zeros(len(counts)),
        "class": cls,
    })


def _scenarios(points: list[Point]) -> pd.DataFrame:
    rows = []
    for k, p in enumerate(points):
        rows.append({"scenario": k, "status": p.status, "objective": p.objective,
                     "cost_used": from_fen(p.cost_fen) if p.feasible else None,
                     "count": p.count, "beneficiaries": p.beneficiaries, "ids": p.ids,
                     "message": p.message})
    return pd.DataFrame(rows, columns=["scenario", "status", "objective", "cost_used",
                                       "count", "beneficiaries", "ids", "message"])


@dataclass(frozen=True)
class RobustChoice:
    """The list that is best in the worst (or a low-percentile) sampled scenario.

    Attributes
    ----------
    selection:
        The list, verified by the engine against all the rules (its ``objective`` is the
        value at the estimates).
    percentile:
        ``0`` for the worst case; ``p`` for the value reached in at least
        ``⌈(1 − p/100)·N⌉`` scenarios.
    value, bound, status:
        The criterion of the chosen list and the solver's proof (``status`` optimal or
        feasible with a gap).
    values:
        The chosen list's objective in each sampled scenario.
    nominal_ids, nominal_value, nominal_values:
        The list optimal at the estimates, its criterion and its per-scenario values, for
        comparison (the price of robustness is ``selection.objective`` below the nominal
        optimum; the gain is ``value − nominal_value``).
    """

    selection: Selection
    percentile: float
    value: float
    bound: float
    status: str
    values: np.ndarray
    nominal_ids: tuple[str, ...]
    nominal_value: float
    nominal_values: np.ndarray
    samples: int
    seed: int


def criterion(values: np.ndarray, percentile: float) -> float:
    """The largest ``t`` reached by at least ``⌈(1 − p/100)·N⌉`` of the ``N`` values.

    Examples
    --------
    >>> import numpy as np
    >>> criterion(np.array([5.0, 1.0, 3.0, 4.0]), 0), criterion(np.array([5.0, 1.0, 3.0, 4.0]), 25)
    (1.0, 3.0)
    """
    k = _needed(len(values), percentile)
    return float(np.sort(values)[::-1][k - 1])


def _needed(n: int, percentile: float) -> int:
    if not 0 <= percentile < 100:
        raise InvalidInputError(InputProblem.of("engine.arg.within", name="percentile",
                                                interval="[0, 100)", got=percentile))
    return max(1, math.ceil((1 - percentile / 100) * n - 1e-9))


def robust_select(
    proposals: ProposalSet,
    rules: Rules | None = None,
    uncertainty: Uncertainty | None = None,
    *,
    samples: int = 100,
    seed: int = 0,
    percentile: float = 0.0,
    budget: MoneyLike | None = None,
    options: SolveOptions | None = None,
    **shorthands: Any,
) -> RobustChoice:
    """The list that maximises the worst case (or a percentile) over sampled scenarios.

    See the module docstring for the integer program. Beneficiaries vary by scenario;
    every rule is held at the stated costs (cost ranges are not used here). The same
    ``samples`` and ``seed`` as :func:`robustness` give the same scenarios. ``options``
    (:class:`~selector.engine.options.SolveOptions`, or the shorthands ``solver=``,
    ``time_limit=``, ``gap=``) apply to every solve.

    Raises
    ------
    InfeasibleError
        The rules cannot hold at the estimates.
    SolverError
        The solver found no list in time.

    Examples
    --------
    >>> from selector.datasets import generate_call
    >>> from selector.rules import Rules, Eligibility
    >>> call = generate_call(10, seed=2)
    >>> rules = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
    >>> rc = robust_select(call, rules, samples=8, budget=600_000, solver="highs")
    >>> rc.value >= rc.nominal_value
    True
    """
    uncertainty = uncertainty or Uncertainty()
    bounds = uncertainty.bounds(proposals)
    budget_yuan = from_fen(_budget_fen(rules, budget))
    k_needed = _needed(samples, percentile)
    options, _ = settings("robust_select", options, None, shorthands, run_keys=())
    model = Model.build(proposals, rules, budget=budget_yuan)
    nominal = model.solve(**options.solve_kwargs(diagnose=True))
    form = model.case().form
    weights = np.vstack([model.objective_weights(bounds.sample(s)[0])[form.cand]
                         for s in scenario_seeds(seed, samples)])
    x, raw = _solve_max_min(form, weights, k_needed, options)
    cand = form.cand
    chosen = cand[x > 0.5]
    ids = model.problem.ids
    selection = model.solve(force_in=[str(ids[i]) for i in chosen],
                            force_out=[str(ids[i]) for i in cand[x < 0.5]],
                            **options.solve_kwargs())
    nominal_x = np.isin(ids[cand], list(nominal.selected)).astype(np.float64)
    values = weights @ x
    nominal_values = weights @ nominal_x
    value = criterion(values, percentile)
    bound = raw.bound if math.isfinite(raw.bound) else value
    return RobustChoice(
        selection=selection, percentile=percentile, value=value, bound=max(bound, value),
        status=raw.status.value, values=values, nominal_ids=nominal.selected,
        nominal_value=criterion(nominal_values, percentile), nominal_values=nominal_values,
        samples=samples, seed=seed,
    )


def _solve_max_min(form: Formulation, weights: np.ndarray, k_needed: int,
                   options: SolveOptions) -> tuple[np.ndarray, RawResult]:
    """Solve the max-min (or percentile) program of the module docstring over the rows of
    ``form``; return the x columns and the raw result."""
    n_s, nx = weights.shape
    ncol = form.shape[1]
    use_y = k_needed < n_s
    t_lo = float(np.minimum(weights, 0).sum(axis=1).min())
    t_hi = float(np.maximum(weights, 0).sum(axis=1).max())
    big_m = t_hi - np.minimum(weights, 0).sum(axis=1)
    extra = 1 + (n_s if use_y else 0)
    t_col = ncol
    # scenario rows: t − w_s·x + M_s y_s ≤ M_s   (t − w_s·x ≤ 0 without y)
    rows_r = [np.repeat(np.arange(n_s), nx), np.arange(n_s)]
    rows_c = [np.tile(np.arange(nx), n_s), np.full(n_s, t_col)]
    rows_v = [-weights.ravel(), np.ones(n_s)]
    lower = [np.full(n_s, -math.inf)]
    upper = [big_m if use_y else np.zeros(n_s)]
    if use_y:   # and Σ_s y_s ≥ k
        y_cols = t_col + 1 + np.arange(n_s)
        rows_r += [np.arange(n_s), np.full(n_s, n_s)]
        rows_c += [y_cols, y_cols]
        rows_v += [big_m, np.ones(n_s)]
        lower.append(np.array([float(k_needed)]))
        upper.append(np.array([math.inf]))
    matrix = sp.csr_matrix(
        (np.concatenate(rows_v), (np.concatenate(rows_r), np.concatenate(rows_c))),
        shape=(n_s + (1 if use_y else 0), ncol + extra))
    objective = np.zeros(ncol + extra)
    objective[t_col] = 1.0
    raw = solve_extended(
        form, objective, maximize=True,
        options=options if options.gap is not None else options.merged(gap=1e-6),
        integral=bool(np.all(weights == np.round(weights))),
        columns=Columns(np.concatenate([[t_lo], np.zeros(extra - 1)]),
                        np.concatenate([[t_hi], np.ones(extra - 1)]),
                        np.concatenate([[False], np.ones(extra - 1, dtype=bool)])),
        rows=Rows(matrix, np.concatenate(lower), np.concatenate(upper)))
    if raw.status not in (Outcome.OPTIMAL, Outcome.FEASIBLE) or raw.x is None:
        raise SolverError(t("engine.error.robust_no_list", DEFAULT_LANG, status=raw.raw_status),
                          solver_status=raw.raw_status)
    return np.rint(raw.x[:nx]), raw
