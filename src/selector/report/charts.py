"""Charts of a report as PNG bytes (matplotlib, Agg backend; no global pyplot state).

Five charts: spend and beneficiaries by domain and by target group, and the use of each
funding pool. Money is drawn in 万元 (10,000 yuan), the unit budgets are discussed in;
the spend-by-domain chart marks the rules' cap on one domain's share of the money with a
dashed line. Every label is in the report's language, drawn with the CJK font of
:func:`selector._fonts.cjk_font`; when no CJK font is installed, charts fall back to the
codes of the groups and English words rather than drawing empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from selector._fonts import chart_style, cjk_font
from selector.i18n import Lang, fmt_number
from selector.report.content import GroupRow, Report
from selector.report.i18n import text

__all__ = ["CHART_KEYS", "bar_chart", "pool_chart", "report_charts"]

_COLOUR = "#2f6db5"
_CAP = "#b42318"
_REST = "#d9dee5"
#: The charts of a report, in order (their keys are the wording keys of their titles).
CHART_KEYS = ("chart_spend_domain", "chart_benefit_domain", "chart_spend_group",
              "chart_benefit_group", "chart_pools")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _figure(rows: int) -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.4, 0.9 + 0.38 * max(1, rows)), dpi=110, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str, *,
              lang: Lang = "en", digits: int = 0, cap: float | None = None,
              cap_label: str = "") -> bytes:
    """A horizontal bar chart as PNG bytes (first bar on top), each bar labelled.

    ``cap``: a dashed vertical line at that value, labelled ``cap_label``.
    """
    if len(labels) != len(values):
        raise ValueError(f"labels and values must have the same length, got {len(labels)} "
                         f"and {len(values)}")
    if cjk_font() is None and not all(s.isascii() for s in [*labels, title, cap_label]):
        raise ValueError("no CJK font available for non-ASCII chart labels")

    def shown(v: float, _pos: object = None) -> str:
        return fmt_number(v, lang, digits)

    with chart_style():
        fig, ax = _figure(len(labels))
        order = list(range(len(labels)))[::-1]
        ax.barh([labels[i] for i in order], [values[i] for i in order],
                color=_COLOUR)
        ax.set_title(title, fontsize=11, loc="left")
        ax.xaxis.set_major_formatter(FuncFormatter(shown))
        for idx, i in enumerate(order):
            ax.annotate(shown(values[i]), (values[i], idx), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8)
        if cap is not None:
            ax.axvline(cap, color=_CAP, ls="--", lw=1.2)
            ax.annotate(cap_label, (cap, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -2), textcoords="offset points", va="top", fontsize=8,
                        color=_CAP)
        ax.margins(x=0.18)
        return _png(fig)


def pool_chart(labels: Sequence[str], paid: Sequence[float], amounts: Sequence[float],
               title: str, *, lang: Lang = "en", used_word: str = "") -> bytes:
    """Each pool's amount as a grey bar, the part paid in blue, with the share used."""
    with chart_style():
        fig, ax = _figure(len(labels))
        ys = list(range(len(labels)))[::-1]
        ax.barh(ys, amounts, color=_REST)
        ax.barh(ys, paid, color=_COLOUR)
        ax.set_yticks(ys, list(labels))
        ax.set_title(title, fontsize=11, loc="left")
        ax.xaxis.set_major_formatter(FuncFormatter(
            lambda v, _pos: fmt_number(v, lang)))
        for y, p, a in zip(ys, paid, amounts, strict=True):
            share = 100 * p / a if a else 0.0
            ax.annotate(f"{used_word}{fmt_number(share, lang, 1)}%", (max(p, a), y),
                        xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)
        ax.margins(x=0.2)
        return _png(fig)


def _labels(rows: Sequence[GroupRow]) -> list[str]:
    if cjk_font() is None:
        return [r.code for r in rows]
    return [r.label for r in rows]


def report_charts(report: Report) -> dict[str, bytes]:
    """The charts of a report, by key (:data:`CHART_KEYS`); empty ones are left out."""
    lang: Lang = report.lang if cjk_font() is not None else "en"

    def word(key: str) -> str:
        return text(key, lang)

    def wan(amount: object) -> float:  # yuan -> 万元
        return float(amount) / 10_000  # type: ignore[arg-type]

    charts: dict[str, bytes] = {}
    total = wan(report.total_cost)
    for key, rows, field in (
        ("chart_spend_domain", report.by_domain, "cost"),
        ("chart_benefit_domain", report.by_domain, "beneficiaries"),
        ("chart_spend_group", report.by_target_group, "cost"),
        ("chart_benefit_group", report.by_target_group, "beneficiaries"),
    ):
        if not rows:
            continue
        money = field == "cost"
        values = [wan(getattr(r, field)) if money else float(getattr(r, field)) for r in rows]
        cap = None
        if key == "chart_spend_domain" and report.domain_cap is not None and total > 0:
            cap = report.domain_cap * total
        charts[key] = bar_chart(
            _labels(rows), values, word(key), lang=lang, digits=1 if money else 0, cap=cap,
            cap_label=word("chart_cap").format(share=fmt_number(100 * (report.domain_cap or 0),
                                                                lang, 0)))
    if report.pools:
        labels = [p.label if cjk_font() is not None else p.name for p in report.pools]
        charts["chart_pools"] = pool_chart(
            labels, [wan(p.paid) for p in report.pools], [wan(p.amount) for p in report.pools],
            word("chart_pools"), lang=lang, used_word=word("chart_used"))
    return charts
