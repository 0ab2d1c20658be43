"""Charts of a report as PNG bytes (matplotlib, Agg backend; no global pyplot state).

Chinese labels are drawn with the CJK font of :func:`selector.report.fonts.cjk_font`; when
no CJK font is installed, charts fall back to the ASCII codes of the groups rather than
drawing empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from selector.report.content import GroupRow, Report
from selector.report.fonts import cjk_font

__all__ = ["bar_chart", "report_charts"]

_COLOUR = "#2f6db5"


def _font_families() -> list[str]:
    font = cjk_font()
    return ([font.family] if font else []) + ["DejaVu Sans"]


def _ascii(text: str) -> bool:
    return text.isascii()


def bar_chart(labels: Sequence[str], values: Sequence[float], title: str,
              *, thousands: bool = True) -> bytes:
    """A horizontal bar chart as PNG bytes (largest bar on top)."""
    if len(labels) != len(values):
        raise ValueError(f"labels and values must have the same length, got {len(labels)} "
                         f"and {len(values)}")
    families = _font_families()
    if len(families) == 1 and not all(_ascii(s) for s in [*labels, title]):
        raise ValueError("no CJK font available for non-ASCII chart labels")
    with matplotlib.rc_context({"font.family": families, "svg.fonttype": "path"}):
        height = 0.9 + 0.38 * max(1, len(labels))
        fig = Figure(figsize=(6.4, height), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        order = list(range(len(labels)))[::-1]
        ax.barh([labels[i] for i in order], [values[i] for i in order], color=_COLOUR)
        ax.set_title(title, fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        if thousands:
            ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
                lambda v, _pos: f"{v:,.0f}"))
        for idx, value in zip(range(len(order)), [values[i] for i in order], strict=True):
            ax.annotate(f"{value:,.0f}", (value, idx), xytext=(3, 0),
                        textcoords="offset points", va="center", fontsize=8)
        ax.margins(x=0.18)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _labels(rows: Sequence[GroupRow]) -> list[str]:
    if cjk_font() is None:
        return [r.code for r in rows]
    return [r.label for r in rows]


def report_charts(report: Report) -> dict[str, bytes]:
    """The four charts of a report: spend and beneficiaries by domain and by target group.

    Keys are the wording keys of their titles (``chart_spend_domain``, ...); groups without
    selected projects are left out.
    """
    title = report.t if cjk_font() is not None else (lambda key: _english(key))
    charts: dict[str, bytes] = {}
    for key, rows, field in (
        ("chart_spend_domain", report.by_domain, "cost"),
        ("chart_benefit_domain", report.by_domain, "beneficiaries"),
        ("chart_spend_group", report.by_target_group, "cost"),
        ("chart_benefit_group", report.by_target_group, "beneficiaries"),
    ):
        if not rows:
            continue
        values = [float(getattr(r, field)) for r in rows]
        charts[key] = bar_chart(_labels(rows), values, title(key))
    return charts


def _english(key: str) -> str:
    from selector.report.i18n import text

    return text(key, "en")
