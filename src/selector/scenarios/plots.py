"""Charts of the scenario results (matplotlib :class:`~matplotlib.figure.Figure`).

Figures are built without pyplot (no global state, no window, Agg canvas); save them
with ``fig.savefig(path)``. Every label is in ``lang`` (Chinese by default) from the
message catalogue, drawn with the CJK font and the chart style of :mod:`selector._fonts`:
money in 万元 (10,000 yuan), the unit budgets are discussed in; plain tick labels (no
``1e7`` or ``+2.299e4`` offsets), whole numbers where the figure is a count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import matplotlib.patches
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from selector._errors import InvalidInputError
from selector._fonts import chart_style
from selector.i18n import DEFAULT_LANG, Lang, fmt_number, t

if TYPE_CHECKING:
    from selector.scenarios.compare import Comparison
    from selector.scenarios.frontier import Frontier
    from selector.scenarios.robustness import Robustness

__all__ = ["plot_comparison", "plot_frontier", "plot_robustness"]

_BLUE, _ORANGE, _GREY = "#2f6db5", "#e3a21a", "#b0b0b0"
_COLOURS = {"core": _BLUE, "borderline": _ORANGE, "exterior": _GREY}
#: Steps of the frontier annotated with their marginal value (the largest ones).
ANNOTATED_STEPS = 5


def _figure(width: float, height: float, rows: int = 1) -> tuple[Figure, list[Any]]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, 1, sharex=True, squeeze=False,
                        height_ratios=[3, 1.6] if rows == 2 else None)
    return fig, list(axes[:, 0])


def _numbers(ax_axis: Any, lang: Lang, digits: int = 0) -> None:
    ax_axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_number(v, lang, digits)))


def _wan_digits(values: np.ndarray) -> int:
    """Decimals needed to show budgets in 万元 (whole 万元 unless the range is narrow)."""
    span = float(np.nanmax(values) - np.nanmin(values)) if len(values) else 0.0
    return 0 if span >= 20 else (1 if span >= 2 else 2)


def plot_frontier(result: Frontier | pd.DataFrame, *, lang: Lang = DEFAULT_LANG,
                  title: str | None = None) -> Figure:
    """The optimum against the budget (steps), and what each extra 万元 buys.

    Accepts a :class:`~selector.scenarios.Frontier` (drawn as exact steps) or the table
    of :func:`~selector.scenarios.sweep` (drawn as points joined by lines). The lower
    panel shows the marginal value of each step, in beneficiaries per extra 10,000 yuan;
    the largest steps are annotated with it.

    Parameters
    ----------
    result:
        The frontier, or a sweep table (columns ``budget``, ``objective``, ``marginal``).
    lang:
        ``"zh"`` (default) or ``"en"``: the labels.
    title:
        The title (default: "预算有效边界" / "Efficient frontier").

    Returns
    -------
    matplotlib.figure.Figure
        Two panels sharing the budget axis (万元); save it with ``fig.savefig(path)``.

    Examples
    --------
    >>> table = pd.DataFrame({"budget": [1e6, 2e6], "objective": [10.0, 30.0],
    ...                       "marginal": [float("nan"), 2e-5]})
    >>> fig = plot_frontier(table, lang="zh")
    >>> fig.axes[1].get_ylabel()
    '每万元新增受益职工'
    """
    frame = result if isinstance(result, pd.DataFrame) else result.points
    if "budget" not in frame or "objective" not in frame:
        raise InvalidInputError(t("plot.needs_frontier", lang))
    budget = np.array([float(b) for b in frame["budget"]]) / 10_000
    value = frame["objective"].to_numpy(dtype=np.float64)
    ends = (np.array([float(b) for b in frame["budget_to"]]) / 10_000 if "budget_to" in frame
            else budget)
    digits = _wan_digits(np.concatenate([budget, ends]))
    with chart_style():
        fig, (top, bottom) = _figure(6.8, 5.0, rows=2)
        if "budget_to" in frame:
            top.plot(np.ravel(np.column_stack([budget, ends])), np.repeat(value, 2),
                     color=_BLUE, lw=1.6)
            top.plot(budget[1:], value[1:], "o", ms=3, color=_BLUE,
                     label=t("plot.breakpoint", lang))
        else:
            order = np.argsort(budget)
            top.plot(budget[order], value[order], "o-", ms=3, color=_BLUE,
                     label=t("plot.optimum", lang))
        top.set_ylabel(t("plot.objective", lang))
        top.set_title(title or t("plot.frontier_title", lang), loc="left")
        top.yaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))
        _numbers(top.yaxis, lang)
        top.grid(alpha=0.3)
        per_wan = np.full(len(frame), np.nan)
        if "marginal" in frame:
            per_wan = frame["marginal"].to_numpy(dtype=np.float64) * 10_000
            ok = np.flatnonzero(np.isfinite(per_wan))
            bottom.vlines(budget[ok], 0, per_wan[ok], color=_ORANGE, lw=1.4)
            bottom.plot(budget[ok], per_wan[ok], "o", ms=2.5, color=_ORANGE)
            best = ok[np.argsort(-per_wan[ok], kind="stable")[:ANNOTATED_STEPS]]
            for k in best:
                bottom.annotate(fmt_number(per_wan[k], lang, 1), (budget[k], per_wan[k]),
                                xytext=(0, 3), textcoords="offset points", ha="center",
                                fontsize=7, color="#7a5300")
            bottom.margins(y=0.25)
        bottom.set_ylabel(t("plot.per_wan", lang))
        bottom.set_xlabel(t("plot.budget_wan", lang))
        bottom.xaxis.set_major_locator(MaxNLocator(nbins=7, steps=[1, 2, 2.5, 5, 10]))
        _numbers(bottom.xaxis, lang, digits)
        finite = per_wan[np.isfinite(per_wan)]
        _numbers(bottom.yaxis, lang, 0 if len(finite) and finite.max() >= 10 else 1)
        bottom.grid(alpha=0.3)
    return fig


def _group_labels(comparison: Comparison, by: str, codes: list[str], lang: Lang) -> list[str]:
    for selection in comparison.selections.values():
        taxonomy = (selection.proposals.domains if by == "domain"
                    else selection.proposals.target_groups)
        return [taxonomy.label(c, lang) if c in taxonomy else c for c in codes]
    return codes


def plot_comparison(comparison: Comparison, *, by: str = "domain", value: str = "cost",
                    lang: Lang = DEFAULT_LANG) -> Figure:
    """Grouped bars: one group per domain (or target group), one bar per scenario.

    Parameters
    ----------
    comparison:
        The scenarios solved side by side (:func:`~selector.scenarios.compare`).
    by:
        ``"domain"`` or ``"target_group"``: the groups, labelled from the taxonomy.
    value:
        ``"cost"`` (drawn in 万元), ``"count"`` or ``"beneficiaries"``.
    lang:
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    wide = comparison.pivot(by=by, value=value)
    names = list(wide.columns)
    groups = _group_labels(comparison, by, [str(g) for g in wide.index], lang)
    scale = 10_000.0 if value == "cost" else 1.0
    with chart_style():
        fig, (ax,) = _figure(6.8, 4.0)
        width = 0.8 / max(1, len(names))
        xs = np.arange(len(groups))
        for k, name in enumerate(names):
            ax.bar(xs + k * width - 0.4 + width / 2,
                   wide[name].to_numpy(dtype=np.float64) / scale, width, label=str(name))
        ax.set_xticks(xs, groups, rotation=30, ha="right")
        what = t(f"plot.value_{value}", lang)
        ax.set_ylabel(what)
        ax.set_title(t(f"plot.compare_title_{by}", lang, value=what), loc="left")
        if value == "count":
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        _numbers(ax.yaxis, lang)
        if names:
            ax.legend(frameon=False)
        ax.grid(axis="y", alpha=0.3)
    return fig


def plot_robustness(result: Robustness, *, top: int = 30, lang: Lang = DEFAULT_LANG) -> Figure:
    """Selection frequency of the ``top`` most often selected proposals, by class.

    Parameters
    ----------
    result:
        The sampled scenarios (:func:`~selector.scenarios.robustness`).
    top:
        How many proposals to draw (the most often selected first).
    lang:
        ``"zh"`` (default) or ``"en"``: labels and the names of the classes.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if top < 1:
        raise InvalidInputError(t("plot.top", lang, got=top))
    freq = result.frequencies.sort_values(["frequency", "id"], ascending=[False, True],
                                          kind="stable").head(top)
    with chart_style():
        fig, (ax,) = _figure(6.4, 1.0 + 0.22 * max(1, len(freq)))
        ys = np.arange(len(freq))[::-1]
        colours = [_COLOURS[c] for c in freq["class"]]
        ax.barh(ys, freq["frequency"].to_numpy(dtype=np.float64), color=colours)
        ax.set_yticks(ys, [str(i) for i in freq["id"]])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{100 * v:.0f}%"))
        ax.set_xlabel(t("plot.frequency", lang, n=result.samples))
        ax.set_title(t("plot.robustness_title", lang), loc="left")
        handles = [matplotlib.patches.Patch(color=c, label=t(f"plot.class_{k}", lang))
                   for k, c in _COLOURS.items()]
        ax.legend(handles=handles, frameon=False, loc="lower right")
    return fig
