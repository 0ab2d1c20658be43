"""One reserve: the scoring that both the committee report and the reserve store use.

``selector select --reserve N`` (the report's reserve list) and ``selector reserve add
--top N`` (what the store keeps) both call :func:`plan_reserve`, so for the same inputs
they list the same proposals in the same order with the same scores.

The scoring is :func:`~selector.reserve.score_runner_ups` with the configuration of
:func:`reserve_config`. Its two search limits do not depend on the size asked for up to
:data:`DEFAULT_RESERVE_SIZE`: every reserve of at most that many is the head of one and
the same ranking (a reserve of 5 is the first 5 of the reserve of 10). The limits:

- the forced-in loss (one value-only re-solve each) of the :data:`RESOLVE_AT_LEAST`
  runner-ups best on value for money and reviews (or of ``size``, if more);
- the verified entry budget (several solves each) of the :data:`DEFAULT_RESERVE_SIZE`
  best of those so far (or of ``size``, if more).

Examples
--------
>>> reserve_config(5).resolve_limit, reserve_config(5).entry_budget_limit
(30, 10)
>>> reserve_config(5).model_copy(update={"top_n": 10}) == reserve_config(10)
True
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING

from selector.reserve.scoring import Progress, RunnerUps, ScoringConfig, score_runner_ups
from selector.result import Selection

if TYPE_CHECKING:
    from selector.engine import Model
    from selector.engine.whatif import Resolver

__all__ = ["DEFAULT_RESERVE_SIZE", "RESOLVE_AT_LEAST", "plan_reserve", "reserve_config"]

#: The size of a year's reserve unless asked otherwise (``select --reserve``,
#: ``reserve add --top``, :func:`plan_reserve`).
DEFAULT_RESERVE_SIZE = 10
#: Runner-ups whose forced-in loss is computed at least (one re-solve each): three times
#: the default reserve, so a reserve of up to 10 is chosen among the 30 runner-ups best on
#: value for money and reviews. On a generated call of 2,000 proposals one forced-in
#: re-solve takes about a second, so 200 of them (the first choice) made a reserve cost
#: minutes while changing little: a runner-up outside the best 30 on the first two
#: components rarely makes the best 10 on all four.
RESOLVE_AT_LEAST = 3 * DEFAULT_RESERVE_SIZE


def reserve_config(size: int = DEFAULT_RESERVE_SIZE, *,
                   threshold: float | None = None) -> ScoringConfig:
    """The scoring configuration of a reserve of ``size`` (module docstring)."""
    return ScoringConfig(top_n=size, threshold=threshold,
                         resolve_limit=max(size, RESOLVE_AT_LEAST),
                         entry_budget_limit=max(size, DEFAULT_RESERVE_SIZE))


def plan_reserve(model: Model, base: Selection, size: int = DEFAULT_RESERVE_SIZE, *,
                 threshold: float | None = None,
                 executor: Executor | None = None,
                 resolver: Resolver | None = None,
                 progress: Progress | None = None) -> RunnerUps:
    """Score the runner-ups of ``base`` and mark the year's reserve: the ``size`` best
    (those scoring at least ``threshold``, when given).

    Parameters
    ----------
    model, base:
        The compiled model and its optimum (``model.solve()``).
    size:
        How many runner-ups form the reserve (>= 1).
    threshold:
        Only runner-ups scoring at least this (in [0, 1]).
    executor:
        Optional executor for the re-solves.
    resolver:
        A :class:`~selector.engine.whatif.Resolver` of ``model`` and ``base`` to share
        (``selector select`` explains the reserve with the same one, so no re-solve runs
        twice).
    progress:
        ``progress(done, total)`` as the runner-ups are re-solved
        (:func:`~selector.reserve.score_runner_ups`).

    Returns
    -------
    RunnerUps
        ``.reserve`` is the reserve, best first; :func:`selector.reserve.reserve_year`
        records exactly that.
    """
    return score_runner_ups(model, base, reserve_config(size, threshold=threshold),
                            executor=executor, resolver=resolver, progress=progress)
