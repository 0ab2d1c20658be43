"""One deadline for the whole call: every solver run gets only the time left (issues #18,
#19). No wall clock here: a fake clock that the fake solvers advance, and the limits each
solver run was handed."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import numpy as np
import pytest

import selector.engine.solve as solve_module
from selector import Model, Proposal, ProposalSet, Rules, SolverError
from selector.engine.backends import Limits, MatrixModel, Outcome, RawResult
from selector.engine.model import RESERVE_SHARE
from selector.engine.solve import Deadline
from selector.i18n import t
from selector.rules import Eligibility, GroupRule, Schedule


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_deadline_arithmetic() -> None:
    clock = FakeClock()
    d = Deadline.after(10.0, clock=clock)
    assert d.left() == 10.0 and not d.expired()
    clock.now += 4.0
    assert d.left() == 6.0
    assert d.within(2.0).left() == 2.0 and d.within(50.0).left() == 6.0
    assert d.share(0.5).left() == 3.0
    clock.now += 7.0
    assert d.left() == 0.0 and d.expired()
    assert Deadline().left() is None and not Deadline().expired()
    assert Deadline().share(0.5).left() is None
    assert Deadline(clock=clock).within(3.0).left() == 3.0


def _example(n: int = 8, schedule: bool = False) -> tuple[ProposalSet, Rules]:
    ps = ProposalSet.from_proposals(
        Proposal(id=f"P{k}", domain=("health", "skills")[k % 2], cost=Decimal(10 + k),
                 beneficiaries=20 + 3 * k, duration_months=2, earliest_start=1)
        for k in range(n))
    rules = Rules(budget=Decimal(60), eligibility=Eligibility(require_indicator=False),
                  groups=(GroupRule(column="domain", max_share=0.7),),
                  schedule=Schedule(max_concurrent=2) if schedule else None)
    return ps, rules


def _recording(monkeypatch: pytest.MonkeyPatch, clock: FakeClock, step: float,
               stop_after: float | None = None) -> list[tuple[float | None, float]]:
    """Every solver run records (time limit handed, time left then) and takes ``step``
    seconds of the fake clock; past ``stop_after`` it answers as a solver out of time."""
    seen: list[tuple[float | None, float]] = []
    real = solve_module._run

    def fake(model: MatrixModel, backend: Any, limits: Limits,
             start: np.ndarray | None = None) -> RawResult:
        seen.append((limits.time_limit, clock.now))
        clock.now += step
        if limits.time_limit is not None and limits.time_limit <= 0:
            return RawResult(Outcome.NO_SOLUTION, None, math.nan, math.nan, "no time left")
        return real(model, backend, replace_time(limits), start)

    monkeypatch.setattr(solve_module, "_run", fake)
    return seen


def replace_time(limits: Limits) -> Limits:
    from dataclasses import replace

    return replace(limits, time_limit=None)   # the real solver must not stop on a fake limit


@pytest.mark.parametrize("schedule", [False, True])
def test_no_solver_run_gets_more_than_the_time_left(monkeypatch: pytest.MonkeyPatch,
                                                    schedule: bool) -> None:
    clock = FakeClock()
    ps, rules = _example(schedule=schedule)
    model = Model.build(ps, rules)
    seen = _recording(monkeypatch, clock, step=0.5)
    limit = 20.0
    deadline = Deadline.after(limit, clock=clock)
    start = clock.now
    model.solve(time_limit=deadline, solver="highs")
    assert seen, "no solver ran"
    for handed, at in seen:
        assert handed is not None
        # the stages end RESERVE_SHARE before the limit, and never get it afresh
        assert handed <= (1 - RESERVE_SHARE) * limit - (at - start) + 1e-9


def test_time_used_by_earlier_stages_is_not_granted_again(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Each run takes 4 s of a 20 s limit: the limits handed shrink by 4 s a run."""
    clock = FakeClock()
    ps, rules = _example(schedule=True)
    model = Model.build(ps, rules)
    seen = _recording(monkeypatch, clock, step=4.0)
    try:
        model.solve(time_limit=Deadline.after(20.0, clock=clock), solver="cbc")
    except SolverError:
        pass   # out of (fake) time is a fair outcome; the limits are what is checked
    handed = [h for h, _ in seen]
    assert handed[0] == pytest.approx((1 - RESERVE_SHARE) * 20.0)
    assert all(b <= a - 4.0 + 1e-9 or b == 0 for a, b in zip(handed, handed[1:], strict=False))


def test_a_float_limit_starts_when_solve_is_called(monkeypatch: pytest.MonkeyPatch) -> None:
    """``time_limit=T`` (seconds) is one deadline from the call's start: the first solver
    run is handed at most (1 − RESERVE_SHARE)·T."""
    ps, rules = _example()
    handed: list[float | None] = []
    real = solve_module._run

    def spy(model: MatrixModel, backend: Any, limits: Limits,
            start: np.ndarray | None = None) -> RawResult:
        handed.append(limits.time_limit)
        return real(model, backend, limits, start)

    monkeypatch.setattr(solve_module, "_run", spy)
    Model.build(ps, rules).solve(time_limit=8.0, solver="highs")
    assert handed and all(h is not None and h <= (1 - RESERVE_SHARE) * 8.0 for h in handed)


def test_out_of_time_before_any_list_raises_not_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    """A deadline already past: no solver gets time, and the call says so."""
    clock = FakeClock()
    ps, rules = _example()
    seen = _recording(monkeypatch, clock, step=0.0)
    deadline = Deadline(at=clock.now - 1.0, clock=clock)
    with pytest.raises(SolverError) as caught:
        Model.build(ps, rules).solve(time_limit=deadline, solver="cbc", diagnose=False)
    assert all(h == 0 for h, _ in seen)
    # in the catalogue's words (no solver's English status inside the Chinese sentence)
    assert str(caught.value) in {t("engine.error.no_time", "zh", solver=name)
                                 for name in ("cbc", "highs", "cpsat")}


def test_large_calls_keep_a_reserve_per_proposal(monkeypatch: pytest.MonkeyPatch) -> None:
    """The result of a large call takes seconds to assemble: the reserve grows with the
    number of proposals (here 1 s a proposal, 8 proposals: 8 of 20 s), up to half."""
    import selector.engine.model as model_module

    monkeypatch.setattr(model_module, "RESERVE_PER_PROPOSAL", 1.0)
    clock = FakeClock()
    ps, rules = _example()
    seen = _recording(monkeypatch, clock, step=0.0)
    Model.build(ps, rules).solve(time_limit=Deadline.after(20.0, clock=clock), solver="cbc")
    assert seen[0][0] == pytest.approx(12.0)
    monkeypatch.setattr(model_module, "RESERVE_PER_PROPOSAL", 100.0)
    seen.clear()
    Model.build(ps, rules).solve(time_limit=Deadline.after(20.0, clock=clock), solver="cbc")
    assert seen[0][0] == pytest.approx(10.0)   # never more than half the limit
