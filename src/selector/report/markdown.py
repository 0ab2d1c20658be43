"""The report as Markdown (charts referenced as PNG files beside it).

Proposal text is escaped for Markdown tables: ``|`` and line breaks cannot break a table,
and ``<``, ``>``, ``&`` are written as HTML entities so raw HTML in a title is shown as text.

Examples
--------
>>> md_cell("a | <b>")
'a \\\\| &lt;b&gt;'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from selector.report.content import Report
from selector.report.fmt import money, number, percent

__all__ = ["md_cell", "report_markdown"]


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\\", "\\\\").replace("|", "\\|")
    return " ".join(text.split())


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(md_cell(h) for h in header) + " |",
             "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(md_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def report_markdown(report: Report, charts: Mapping[str, str] | None = None) -> str:
    """The committee's report as Markdown.

    Parameters
    ----------
    report:
        The report content.
    charts:
        ``{chart key: relative path of its PNG}`` to embed as images (optional).
    """
    t = report.t
    out = [f"# {md_cell(report.title)}", "", f"## {t('headline')}", ""]
    head = [
        (t("beneficiaries"), number(report.beneficiaries)),
        (t("projects"), str(report.count)),
        (t("spend"), f"{money(report.total_cost)} {report.currency}"),
        (t("budget"), f"{money(report.budget)} {report.currency}"),
        (t("status"), t(f"status_{report.status}")),
        (t("gap"), percent(report.gap, 4) if math.isfinite(report.gap) else "–"),
    ]
    out += _table(["", ""], head)
    if report.pools:
        out += [f"### {t('pools')}", ""]
        out += _table([t("pool"), t("paid"), t("amount")],
                      [(p.name, money(p.paid), money(p.amount)) for p in report.pools])
    out += [f"## {t('selected_by_domain')}", ""]
    for label, rows in report.selected_by_domain():
        out += [f"### {md_cell(label)}", ""]
        out += _table([t("id"), t("title"), t("cost"), t("beneficiaries"), t("target_groups")],
                      [(r.id, r.title, money(r.cost), number(r.beneficiaries),
                        ", ".join(r.target_groups)) for r in rows])
    for key, rows_g in (("by_domain", report.by_domain), ("by_target_group",
                                                          report.by_target_group)):
        out += [f"## {t(key)}", ""]
        out += _table([t("domain") if key == "by_domain" else t("target_groups"), t("projects"),
                       t("cost"), t("beneficiaries"), t("share_of_spend")],
                      [(g.label, g.count, money(g.cost), number(g.beneficiaries),
                        percent(g.cost_share)) for g in rows_g])
        if key == "by_target_group":
            out += [t("group_note"), ""]
    if charts:
        out += [f"## {t('charts')}", ""]
        out += [f"![{md_cell(t(key))}]({path})" for key, path in charts.items()] + [""]
    out += [f"## {t('rules')}", "", t("binding_note"), ""]
    out += _table([t("rule"), t("limit"), t("achieved"), t("met"), t("binding")],
                  [(r.rule, r.limit, r.achieved, t("yes") if r.met else t("no"),
                    "**" + t("binding") + "**" if r.binding else "") for r in report.rules])
    out += [f"## {t('reserve')}", ""]
    out += _table([t("rank"), t("id"), t("title"), t("cost"), t("beneficiaries"), t("score"),
                   t("why_missed")],
                  [(r.rank, r.id, r.title, money(r.cost), number(r.beneficiaries),
                    number(r.score, 2), r.why_missed) for r in report.reserve]) \
        if report.reserve else [t("none"), ""]
    out += [f"## {t('ineligible')}", ""]
    out += _table([t("id"), t("title"), t("reasons")],
                  [(r.id, r.title, "; ".join(r.reasons)) for r in report.ineligible]) \
        if report.ineligible else [t("none"), ""]
    p = report.provenance
    out += [f"## {t('reproducibility')}", ""]
    out += _table(["", ""], [
        (t("input_file"), f"{p.input_path} (sha256 {p.input_sha256})" if p.input_path else "–"),
        (t("rules_file"), f"{p.rules_path} (sha256 {p.rules_sha256})" if p.rules_path
         else t("default_rules")),
        (t("solver"), f"{p.solver} {p.solver_version}"),
        (t("selector_version"), p.selector_version),
        (t("generated_at"), p.generated_at),
    ])
    return "\n".join(out)
