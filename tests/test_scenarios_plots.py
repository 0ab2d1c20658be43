"""Scenario charts: figures hold the numbers they were given and save as PNG."""

from __future__ import annotations

import io
from decimal import Decimal

import numpy as np
import pytest
from matplotlib.figure import Figure

from selector import InvalidInputError, Proposal, ProposalSet
from selector.rules import Eligibility, Rules
from selector.scenarios import Scenario, Uncertainty, compare, frontier, robustness, sweep
from selector.scenarios.plots import plot_comparison, plot_frontier, plot_robustness

PLAIN = Rules(completion=None, eligibility=Eligibility(require_indicator=False))
SOLVER = "highs"


def make_set() -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id=f"P{k}", title=f"职工驿站{k}", domain=("health", "skills")[k % 2],
                 cost=Decimal(c), beneficiaries=b, beneficiaries_low=b / 2,
                 beneficiaries_high=b * 2)
        for k, (c, b) in enumerate([(300, 4.0), (520, 9.0), (700, 10.0), (1150, 18.0)])])


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_frontier_plot_draws_every_step() -> None:
    f = frontier(make_set(), PLAIN, low=300, high=2670, solver=SOLVER, workers=1, progress=False)
    fig = plot_frontier(f)
    top = fig.axes[0]
    xs, ys = top.lines[0].get_data()
    assert len(xs) == 2 * len(f.points)
    assert list(np.unique(ys)) == sorted(f.points["objective"])
    assert _png(fig).startswith(b"\x89PNG")
    table = sweep(make_set(), PLAIN, [300, 1000, 2670], solver=SOLVER, workers=1, progress=False)
    assert len(plot_frontier(table).axes[0].lines[0].get_xdata()) == 3
    with pytest.raises(InvalidInputError):
        plot_frontier(table.drop(columns="objective"))


def test_comparison_plot_has_a_bar_per_scenario_and_group() -> None:
    comp = compare([Scenario("a", budget=1000), Scenario("b", budget=2000)],
                   proposals=make_set(), rules=PLAIN, solver=SOLVER, workers=1, progress=False)
    fig = plot_comparison(comp, by="domain", value="count")
    wide = comp.pivot("domain", "count")
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert sorted(heights) == sorted(wide.to_numpy().ravel().tolist())
    assert _png(fig).startswith(b"\x89PNG")


def test_robustness_plot_shows_the_most_frequent_first() -> None:
    r = robustness(make_set(), PLAIN, Uncertainty(), samples=6, seed=1, budget=1500,
                   solver=SOLVER, workers=1, progress=False)
    fig = plot_robustness(r, top=3)
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert widths == sorted(r.frequencies["frequency"], reverse=True)[:3]
    assert _png(fig).startswith(b"\x89PNG")
    with pytest.raises(InvalidInputError):
        plot_robustness(r, top=0)
