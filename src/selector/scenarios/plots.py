"""Charts of the scenario results (matplotlib :class:`~matplotlib.figure.Figure`).

Figures are built without pyplot (no global state, no window, Agg canvas); save them
with ``fig.savefig(path)``. Labels are in English; ids and group codes are drawn with
the CJK font of :mod:`selector.report.fonts` when one is installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import matplotlib
import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from selector._errors import InvalidInputError

if TYPE_CHECKING:
    from selector.scenarios.compare import Comparison
    from selector.scenarios.frontier import Frontier
    from selector.scenarios.robustness import Robustness

__all__ = ["plot_comparison", "plot_frontier", "plot_robustness"]

_COLOURS = {"core": "#2f6db5", "borderline": "#e3a21a", "exterior": "#b0b0b0"}


@contextmanager
def _style() -> Iterator[None]:
    families = ["DejaVu Sans"]
    try:
        from selector.report.fonts import cjk_font

        font = cjk_font()
        if font is not None:
            families.insert(0, font.family)
    except ImportError:  # pragma: no cover - the report package is optional here
        pass
    with matplotlib.rc_context({"font.family": families, "font.size": 9}):
        yield


def _figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list[Axes]]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False,
                        height_ratios=[3, 1.3] if rows == 2 else None)
    return fig, list(axes[:, 0])


def _money_scale(values: np.ndarray) -> tuple[float, str]:
    top = float(np.nanmax(values)) if len(values) else 0.0
    if top >= 1e6:
        return 1e6, "million yuan"
    if top >= 1e4:
        return 1e4, "10k yuan"
    return 1.0, "yuan"


def plot_frontier(result: Frontier | pd.DataFrame, *, title: str = "Efficient frontier") -> Figure:
    """The optimum against the budget (steps), and the marginal value of each step.

    Accepts a :class:`~selector.scenarios.Frontier` (drawn as exact steps) or the table
    of :func:`~selector.scenarios.sweep` (drawn as points joined by lines).
    """
    frame = result if isinstance(result, pd.DataFrame) else result.points
    if "budget" not in frame or "objective" not in frame:
        raise InvalidInputError("plot_frontier needs a Frontier or a sweep table")
    budget = np.array([float(b) for b in frame["budget"]])
    value = frame["objective"].to_numpy(dtype=np.float64)
    scale, unit = _money_scale(budget)
    with _style():
        fig, (top, bottom) = _figure(6.4, 4.6, rows=2)
        if "budget_to" in frame:
            ends = np.array([float(b) for b in frame["budget_to"]])
            xs = np.ravel(np.column_stack([budget, ends])) / scale
            ys = np.repeat(value, 2)
            top.plot(xs, ys, color="#2f6db5", lw=1.6)
            top.plot(budget[1:] / scale, value[1:], "o", ms=3,
                     color="#2f6db5", label="breakpoint")
        else:
            order = np.argsort(budget)
            top.plot(budget[order] / scale, value[order], "o-", ms=3,
                     color="#2f6db5", label="optimum")
        top.set_ylabel("optimal objective")
        top.set_title(title, loc="left")
        top.grid(alpha=0.3)
        marginal = frame["marginal"].to_numpy(dtype=np.float64) if "marginal" in frame else None
        if marginal is not None:
            ok = np.isfinite(marginal)
            bottom.vlines(budget[ok] / scale, 0, marginal[ok],
                          color="#e3a21a", lw=1.2)
        bottom.set_ylabel("per extra yuan")
        bottom.set_xlabel(f"budget ({unit})")
        bottom.grid(alpha=0.3)
    return fig


def plot_comparison(comparison: Comparison, *, by: str = "domain",
                    value: str = "cost") -> Figure:
    """Grouped bars: one group per domain (or target group), one bar per scenario."""
    wide = comparison.pivot(by=by, value=value)
    names = list(wide.columns)
    groups = [str(g) for g in wide.index]
    with _style():
        fig, (ax,) = _figure(6.4, 3.8)
        width = 0.8 / max(1, len(names))
        xs = np.arange(len(groups))
        for k, name in enumerate(names):
            ax.bar(xs + k * width - 0.4 + width / 2,
                   wide[name].to_numpy(dtype=np.float64), width, label=str(name))
        ax.set_xticks(xs, groups, rotation=30, ha="right")
        ax.set_ylabel(value)
        ax.set_title(f"{value} by {by.replace('_', ' ')} per scenario",
                     loc="left")
        if names:
            ax.legend(frameon=False)
        ax.grid(axis="y", alpha=0.3)
    return fig


def plot_robustness(result: Robustness, *, top: int = 30) -> Figure:
    """Selection frequency of the ``top`` most often selected proposals, by class."""
    if top < 1:
        raise InvalidInputError(f"top must be >= 1, got {top}")
    freq = result.frequencies.sort_values(["frequency", "id"], ascending=[False, True],
                                          kind="stable").head(top)
    with _style():
        fig, (ax,) = _figure(6.4, 1.0 + 0.22 * max(1, len(freq)))
        ys = np.arange(len(freq))[::-1]
        colours = [_COLOURS[c] for c in freq["class"]]
        ax.barh(ys, freq["frequency"].to_numpy(dtype=np.float64),
                color=colours)
        ax.set_yticks(ys, [str(i) for i in freq["id"]])
        ax.set_xlim(0, 1)
        ax.set_xlabel(f"selection frequency over {result.samples} scenarios")
        ax.set_title("Robustness: core, borderline and exterior proposals",
                     loc="left")
        handles = [matplotlib.patches.Patch(color=c, label=k) for k, c in _COLOURS.items()]
        ax.legend(handles=handles, frameon=False, loc="lower right")
    return fig
