"""Executors: local processes and a Dask LocalCluster give the local answer exactly."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from decimal import Decimal

import pytest

from selector import Proposal, ProposalSet
from selector.rules import Count, Eligibility, Rules
from selector.scenarios import (
    Scenario,
    Uncertainty,
    budget_grid,
    compare,
    frontier,
    robustness,
    run_tasks,
    sweep,
)
from selector.scenarios.execution import chunked

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"
COLS = ["budget", "status", "objective", "cost_used", "count", "ids", "marginal"]


def make_set() -> ProposalSet:
    costs = [310, 520, 700, 1150, 1800, 2300, 640, 990]
    benefits = [4.0, 9.0, 10.0, 18.0, 25.0, 33.0, 8.0, 15.0]
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", domain="health", cost=Decimal(c) / 100, beneficiaries=b,
                 beneficiaries_low=b * 0.6, beneficiaries_high=b * 1.5)
        for k, (c, b) in enumerate(zip(costs, benefits, strict=True))])


def _local(ps: ProposalSet) -> dict:
    return {
        "sweep": sweep(ps, PLAIN, budget_grid("3.1", 60, 12), solver=SOLVER, workers=1,
                       progress=False),
        "frontier": frontier(ps, PLAIN, low="3.1", high=40, solver=SOLVER, progress=False),
        "robust": robustness(ps, PLAIN, Uncertainty(cost_spread=0.1), samples=8, seed=3,
                             budget=30, solver=SOLVER, workers=1, progress=False),
    }


def _remote(ps: ProposalSet, **where) -> dict:
    return {
        "sweep": sweep(ps, PLAIN, budget_grid("3.1", 60, 12), solver=SOLVER, progress=False,
                       **where),
        "frontier": frontier(ps, PLAIN, low="3.1", high=40, solver=SOLVER, progress=False,
                             **where),
        "robust": robustness(ps, PLAIN, Uncertainty(cost_spread=0.1), samples=8, seed=3,
                             budget=30, solver=SOLVER, progress=False, **where),
    }


def _assert_same(a: dict, b: dict) -> None:
    assert a["sweep"][COLS].equals(b["sweep"][COLS])
    fcols = ["budget", "budget_to", "objective", "cost_used", "ids", "added", "removed"]
    assert a["frontier"].points[fcols].equals(b["frontier"].points[fcols])
    assert a["robust"].frequencies.equals(b["robust"].frequencies)
    rcols = ["scenario", "status", "objective", "cost_used", "ids"]
    assert a["robust"].scenarios[rcols].equals(b["robust"].scenarios[rcols])


@pytest.fixture(scope="module")
def local() -> dict:
    return _local(make_set())


def test_process_pool_gives_the_local_answer(local: dict) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        _assert_same(local, _remote(make_set(), executor=pool))


def test_default_is_local_processes() -> None:
    assert run_tasks(abs, list(range(-6, 0)), workers=2, progress=False) == [6, 5, 4, 3, 2, 1]


def test_any_executor_gives_the_local_answer(local: dict) -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        _assert_same(local, _remote(make_set(), executor=pool, workers=2))


def test_dask_local_cluster_gives_the_local_answer(local: dict) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, processes=False, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        _assert_same(local, _remote(make_set(), executor=client))
        comp = compare([Scenario("a", budget=20), Scenario("b", rules=PLAIN.model_copy(
            update={"count": Count(max=2)}), budget=20)], proposals=make_set(), rules=PLAIN,
            solver=SOLVER, executor=client, progress=False)
        assert comp.totals["count"].iloc[1] <= 2


def test_run_tasks_keeps_task_order_and_shows_no_output(capsys: pytest.CaptureFixture) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        assert run_tasks(abs, list(range(-20, 0)), executor=pool, progress=False) == list(
            range(20, 0, -1))
    assert run_tasks(abs, [-3, 4], workers=1, progress=True, sizes=[2, 5]) == [3, 4]
    out = capsys.readouterr()
    assert out.out == ""


def test_run_tasks_refuses_what_is_not_an_executor() -> None:
    with pytest.raises(TypeError, match="executor"):
        run_tasks(abs, [1, 2], executor=object(), progress=False)
    with pytest.raises(ValueError, match="workers"):
        run_tasks(abs, [1], workers=0, progress=False)


def test_chunked_covers_every_item_once_in_order() -> None:
    for n in range(0, 12):
        for parts in range(1, 6):
            chunks = chunked(list(range(n)), parts)
            assert [i for c in chunks for i in c] == list(range(n))
            assert len(chunks) == min(n, parts)
            if chunks:
                assert max(map(len, chunks)) - min(map(len, chunks)) <= 1
