"""How results show in a terminal and a notebook: a short ``repr`` and an HTML summary.

:class:`~selector.Selection`, :class:`~selector.scenarios.Frontier`,
:class:`~selector.scenarios.Comparison` and :class:`~selector.explain.Explanation` call
these from their ``__repr__`` and ``_repr_html_``. A ``repr`` is one line of at most a few
hundred characters (never the proposals or a whole table); the HTML is a small table of
the headline figures and the first rows, every value from the input escaped. Words come
from the catalogue (``display.*``) in :data:`selector.i18n.DEFAULT_LANG`.

Pure formatting: imports nothing heavier than the standard library and the catalogue.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from selector.i18n import DEFAULT_LANG, Lang, fmt_count, fmt_money, fmt_number, t

if TYPE_CHECKING:
    from selector.explain import Explanation
    from selector.result import Selection
    from selector.scenarios.compare import Comparison
    from selector.scenarios.frontier import Frontier

__all__ = ["HTML_ROWS", "comparison_html", "comparison_repr", "explanation_html",
           "frontier_html", "frontier_repr", "selection_html", "selection_repr"]

#: Rows shown in an HTML summary (the rest is counted, not shown).
HTML_ROWS = 10
_LIMIT = 300


def _short(text: str, limit: int = _LIMIT) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _status(value: object, lang: Lang) -> str:
    key = f"report.status_{value}"
    return t(key, lang) if value in ("optimal", "feasible", "infeasible", "error") else str(value)


def _table(head: Sequence[str], rows: Iterable[Sequence[object]], more: int,
           lang: Lang) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    tail = (f"<p>{html.escape(t('display.more_rows', lang, n=more))}</p>" if more > 0 else "")
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>{tail}"


def _facts(title: str, facts: Sequence[tuple[str, str]]) -> str:
    rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                   f"<td>{html.escape(v)}</td></tr>" for k, v in facts)
    return f"<div><strong>{html.escape(title)}</strong><table>{rows}</table></div>"


def selection_repr(s: Selection, lang: Lang = DEFAULT_LANG) -> str:
    """One line: status, count, beneficiaries, spend against the budget, solver."""
    cur = s.proposals.currency
    spend = fmt_money(s.total_cost, lang, currency=cur)
    if s.budget is not None:
        spend += " / " + fmt_money(s.budget, lang, currency=cur)
    return _short(t("display.selection", lang, status=_status(s.status.value, lang),
                    n=fmt_number(s.count, lang), beneficiaries=fmt_count(s.beneficiaries, lang),
                    spend=spend, solver=s.solver.label(lang),
                    seconds=fmt_number(s.seconds, lang, 2)))


def selection_html(s: Selection, lang: Lang = DEFAULT_LANG) -> str:
    """The headline figures, then the first selected projects."""
    cur = s.proposals.currency
    facts = [
        (t("report.status", lang), _status(s.status.value, lang)),
        (t("report.projects", lang), fmt_number(s.count, lang)),
        (t("report.beneficiaries", lang), fmt_count(s.beneficiaries, lang)),
        (t("report.spend", lang), fmt_money(s.total_cost, lang, currency=cur)),
        (t("report.budget", lang), fmt_money(s.budget, lang, currency=cur)),
        (t("report.ineligible", lang), fmt_number(len(s.ineligible), lang)),
        (t("report.solver", lang), s.solver.label(lang)),
    ]
    frame = s.proposals.frame
    index = {pid: k for k, pid in enumerate(frame["id"])}
    rows = []
    for pid in s.selected[:HTML_ROWS]:
        row = frame.iloc[index[pid]]
        domain = str(row["domain"])
        rows.append((pid, str(row["title"]), s.proposals.domains.label(domain, lang),
                     fmt_money(int(row["cost_minor"]) / 100, lang, currency=cur),
                     fmt_count(float(row["beneficiaries"]), lang)))
    head = [t(f"report.{k}", lang) for k in ("id", "title", "domain", "cost", "beneficiaries")]
    return (_facts(t("display.selection_title", lang), facts)
            + _table(head, rows, s.count - len(rows), lang))


def frontier_repr(f: Frontier, lang: Lang = DEFAULT_LANG) -> str:
    """One line: the range, the steps, the solves, whether it is proven."""
    return _short(t("display.frontier", lang, low=fmt_money(f.low, lang),
                    high=fmt_money(f.high, lang), steps=len(f.points), solves=f.solves,
                    proof=t("cli.frontier.proven", lang) if f.proven
                    else t("cli.frontier.unproven", lang, n=f.unproven)))


def frontier_html(f: Frontier, lang: Lang = DEFAULT_LANG) -> str:
    """The headline, then the first steps (budget, objective, per extra 万元)."""
    rows = [(fmt_money(r["budget"], lang), fmt_money(r["budget_to"], lang),
             _status(r["status"], lang), fmt_count(r["objective"], lang),
             fmt_number(float(r["marginal"]) * 10_000, lang, 2), fmt_number(r["count"], lang))
            for r in f.points.head(HTML_ROWS).to_dict("records")]
    head = [t(f"cli.col.{k}", lang) for k in ("from", "to", "status", "objective", "per_wan",
                                               "projects")]
    return (f"<p><strong>{html.escape(frontier_repr(f, lang))}</strong></p>"
            + _table(head, rows, len(f.points) - len(rows), lang))


def comparison_repr(c: Comparison, lang: Lang = DEFAULT_LANG) -> str:
    """One line: how many scenarios, against which baseline."""
    return _short(t("display.comparison", lang, n=len(c.names), baseline=c.baseline,
                    names="、".join(c.names) if lang == "zh" else ", ".join(c.names)))


def comparison_html(c: Comparison, lang: Lang = DEFAULT_LANG) -> str:
    """The totals table of the scenarios."""
    rows = [(r["scenario"], _status(r["status"], lang), fmt_money(r["budget"], lang),
             fmt_count(r["objective"], lang), fmt_money(r["cost_used"], lang),
             fmt_number(r["count"], lang), fmt_number(r["entered"], lang),
             fmt_number(r["left"], lang)) for r in c.totals.head(HTML_ROWS).to_dict("records")]
    head = [t(f"cli.col.{k}", lang) for k in ("scenario", "status", "budget", "objective",
                                               "cost_used", "projects", "enter", "leave")]
    return (f"<p><strong>{html.escape(comparison_repr(c, lang))}</strong></p>"
            + _table(head, rows, len(c.totals) - len(rows), lang))


def explanation_html(e: Explanation, lang: Lang | None = None) -> str:
    """The reasons of the first runners-up and the counts of each section."""
    shown: Any = lang or e.lang
    rows = [(r.id, e.why_not(r.id, shown)) for r in list(e.runners_up)[:HTML_ROWS]]
    head = [t("report.id", shown), t("report.why_missed", shown)]
    return (f"<p><strong>{html.escape(repr(e))}</strong></p>"
            + _table(head, rows, len(e.runners_up) - len(rows), shown))
