"""What ``selector frontier`` and ``selector compare`` print and write (pure formatting).

Machine output (``*_dict``): money as exact text, NaN as null, ids as given. Terminal
output (``*_view``): words from the catalogue (``cli.*``) in the chosen language, money in
元 (or 万元) through :func:`selector.i18n.fmt_money`, every value from the input made
terminal-safe. Nothing here solves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from rich.console import Group
from rich.text import Text

from selector.cli._common import safe
from selector.cli._tables import records, rich_table, rows_of
from selector.i18n import Lang, fmt_count, fmt_money, fmt_number, t

if TYPE_CHECKING:
    from selector.scenarios import Comparison, Frontier
    from selector.taxonomy import Taxonomy

__all__ = ["comparison_dict", "comparison_view", "frontier_dict", "frontier_view",
           "sweep_dict", "sweep_view"]

By = Literal["domain", "target_group"]
Value = Literal["cost", "count", "beneficiaries"]


def frontier_dict(result: Frontier) -> dict[str, Any]:
    """The machine output of an exact frontier (money as exact text, NaN as null)."""
    return {
        "kind": "frontier",
        "low": str(result.low),
        "high": str(result.high),
        "solves": result.solves,
        "unproven": result.unproven,
        "proven": result.proven,
        "breakpoints": [str(b) for b in result.breakpoints],
        "points": records(result.points),
    }


def sweep_dict(table: pd.DataFrame) -> dict[str, Any]:
    """The machine output of a budget sweep (one record per budget)."""
    return {"kind": "sweep", "points": records(table)}


def comparison_dict(result: Comparison) -> dict[str, Any]:
    """The machine output of a comparison (money as exact text, NaN as null)."""
    return {
        "scenarios": list(result.names),
        "baseline": result.baseline,
        "totals": records(result.totals),
        "by_domain": records(result.by_domain),
        "by_target_group": records(result.by_target_group),
        "changes": records(result.changes),
        "messages": dict(result.messages),
    }


def _status(value: object, lang: Lang) -> str:
    return t(f"report.status_{value}", lang) if value in (
        "optimal", "feasible", "infeasible", "error") else safe(value)


def _per_wan(value: float, lang: Lang) -> str:
    """Objective per extra 10,000 yuan (万元), the unit budgets are discussed in."""
    return fmt_number(value * 10_000, lang, 2)


def _ids(ids: Sequence[Any], lang: Lang, limit: int = 4) -> str:
    items = [safe(i) for i in ids]
    if not items:
        return "–"
    head = t("cli.list_sep", lang).join(items[:limit])
    if len(items) <= limit:
        return head
    return t("cli.more", lang, head=head, n=len(items) - limit)


def frontier_view(result: Frontier, lang: Lang, currency: str = "CNY") -> Group:
    """A headline and one line per step of the frontier."""
    def money(v: Any) -> str:
        return fmt_money(v, lang, currency=currency)

    steps = len(result.points)
    proof = (t("cli.frontier.proven", lang) if result.proven
             else t("cli.frontier.unproven", lang, n=result.unproven))
    head = t("cli.frontier.head", lang, low=money(result.low), high=money(result.high),
             steps=steps, solves=result.solves, proof=proof)
    rows = []
    for r in rows_of(result.points):
        rows.append([money(r["budget"]), money(r["budget_to"]), _status(r["status"], lang),
                     fmt_count(r["objective"], lang), _per_wan(r["marginal"], lang),
                     fmt_number(r["count"], lang), _ids(r["added"], lang),
                     _ids(r["removed"], lang)])
    headers = [t(f"cli.col.{k}", lang) for k in ("from", "to", "status", "objective", "per_wan",
                                                  "projects", "enter", "leave")]
    return Group(Text(head), rich_table(headers, rows, right=(0, 1, 3, 4, 5), wrap=(6, 7)))


def sweep_view(table: pd.DataFrame, lang: Lang, currency: str = "CNY") -> Group:
    """A headline and one line per budget of a sweep."""
    rows = []
    for r in rows_of(table):
        rows.append([fmt_money(r["budget"], lang, currency=currency),
                     _status(r["status"], lang), fmt_count(r["objective"], lang),
                     fmt_money(r["cost_used"], lang, currency=currency),
                     fmt_number(r["count"], lang), _per_wan(r["marginal"], lang)])
    headers = [t(f"cli.col.{k}", lang) for k in ("budget", "status", "objective", "cost_used",
                                                  "projects", "per_wan")]
    return Group(Text(t("cli.sweep.head", lang, n=len(table))),
                 rich_table(headers, rows, right=(0, 2, 3, 4, 5)))


def _taxonomy(result: Comparison, by: By) -> Taxonomy | None:
    for selection in result.selections.values():
        proposals = selection.proposals
        return proposals.domains if by == "domain" else proposals.target_groups
    return None


def group_label(taxonomy: Taxonomy | None, code: object, lang: Lang) -> str:
    """The display name of a domain or target group (the code when the taxonomy lacks it)."""
    text = str(code)
    if taxonomy is not None and text in taxonomy:
        return taxonomy.get(text).label(lang)
    return t("report.uncategorised", lang) if text == "uncategorised" else safe(text)


def _figure(value: Value, v: float, lang: Lang, currency: str) -> str:
    if value == "cost":
        return fmt_money(v, lang, currency=currency)
    return fmt_count(v, lang)


def _pivot_view(result: Comparison, by: By, value: Value, lang: Lang, currency: str) -> Group:
    wide = result.pivot(by=by, value=value)
    names = [safe(c) for c in wide.columns]
    taxonomy = _taxonomy(result, by)
    rows = [[group_label(taxonomy, group, lang),
             *(_figure(value, float(v), lang, currency) for v in wide.loc[group])]
            for group in wide.index]
    title = t(f"cli.compare.pivot_{by}", lang, value=t(f"cli.col.{value}", lang))
    return Group(Text(title, style="bold"),
                 rich_table([t(f"cli.col.{by}", lang), *names], rows,
                            right=tuple(range(1, len(names) + 1))))


def comparison_view(result: Comparison, lang: Lang, value: Value = "cost",
                    currency: str = "CNY") -> Group:
    """Totals, the two group tables and the projects that enter and leave."""
    def money(v: Any) -> str:
        return fmt_money(v, lang, currency=currency)

    totals = [[safe(r["scenario"]), _status(r["status"], lang), money(r["budget"]),
               fmt_count(r["objective"], lang), money(r["cost_used"]),
               fmt_number(r["count"], lang), fmt_number(r["entered"], lang),
               fmt_number(r["left"], lang)] for r in rows_of(result.totals)]
    headers = [t(f"cli.col.{k}", lang) for k in ("scenario", "status", "budget", "objective",
                                                  "cost_used", "projects", "enter", "leave")]
    parts: list[Any] = [
        Text(t("cli.compare.head", lang, n=len(result.names), baseline=safe(result.baseline)),
             style="bold"),
        rich_table(headers, totals, right=(2, 3, 4, 5, 6, 7)),
    ]
    for name, why in result.messages.items():
        parts.append(Text(t("cli.explain.line", lang, id=safe(name), reason=safe(why))))
    if result.selections:
        parts += [Text(""), _pivot_view(result, "domain", value, lang, currency),
                  Text(""), _pivot_view(result, "target_group", value, lang, currency)]
    if not result.changes.empty:
        rows = [[safe(r["scenario"]), "+" if r["change"] == "enters" else "-", safe(r["id"]),
                 safe(r["title"]), money(r["cost"]), fmt_count(r["beneficiaries"], lang)]
                for r in rows_of(result.changes)]
        headers = [t("cli.col.scenario", lang), "", t("cli.col.id", lang),
                   t("cli.col.title", lang), t("cli.col.cost", lang),
                   t("cli.col.beneficiaries", lang)]
        parts += [Text(""), Text(t("cli.compare.changes", lang, baseline=safe(result.baseline)),
                                 style="bold"),
                  rich_table(headers, rows, right=(4, 5), wrap=(3,))]
    return Group(*parts)
