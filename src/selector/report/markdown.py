"""The report as Markdown (charts referenced as PNG files beside it).

Proposal text comes from the public and is made inert in every cell and heading
(:func:`md_cell`): Markdown punctuation that could start a link, an image, emphasis,
code or a heading is backslash-escaped (``[``, ``]``, ``(``, ``)``, ``!``, ``*``, ``_``,
backticks, ``#``, ``~``, ``|``), ``<``, ``>`` and ``&`` become HTML entities (raw HTML
shows as text), and ``:`` after a scheme and ``www.`` are escaped so that no renderer turns
a URL into a link. A title ``[x](javascript:alert(1))`` or ``![](http://evil/x.png)``
renders as those characters, not as a link or a remote image.

Examples
--------
>>> md_cell("a | <b>")
'a \\\\| &lt;b&gt;'
>>> md_cell("[x](javascript:alert(1))")
'\\\\[x\\\\]\\\\(javascript\\\\:alert\\\\(1\\\\)\\\\)'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from selector.i18n import fmt_count, fmt_money, fmt_number, fmt_percent
from selector.report.content import Report

__all__ = ["md_cell", "report_markdown"]

_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*)\\?:")
_WWW = re.compile(r"(?i)\bwww\\?\.")


def md_cell(value: object) -> str:
    """Text safe inside a Markdown table cell or heading (see the module docstring)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"([\\`*_\[\]()!#~|])", r"\\\1", text)
    text = _SCHEME.sub(lambda m: m.group(1) + "\\:", text)
    return _WWW.sub("www\\.", text)


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
        ``{chart key: relative path of its PNG}`` to embed as images (optional; the
        paths are ours, never text from the input).

    Returns
    -------
    str
        The Markdown text.
    """
    t, lang = report.t, report.lang

    def money(value: Any) -> str:
        return fmt_money(value, lang, currency=report.currency)

    def count(value: Any) -> str:
        return fmt_count(value, lang)

    sep = t("list_sep")
    out = [f"# {md_cell(report.title)}", "", f"## {t('headline')}", ""]
    head = [
        (t("beneficiaries"), count(report.beneficiaries)),
        (t("projects"), fmt_number(report.count, lang)),
        (t("spend"), money(report.total_cost)),
        (t("budget"), money(report.budget)),
        (t("status"), t(f"status_{report.status}")),
        (t("gap"), fmt_percent(report.gap, lang, 4) if math.isfinite(report.gap) else "–"),
        (t("generated_at"), report.provenance.generated_text(lang)),
    ]
    out += _table(["", ""], head)
    if report.pools:
        out += [f"### {t('pools')}", ""]
        out += _table([t("pool"), t("paid"), t("amount"), t("pool_used")],
                      [(p.label, money(p.paid), money(p.amount), fmt_percent(p.share, lang))
                       for p in report.pools])
    out += [f"## {t('selected_by_domain')}", ""]
    for label, rows in report.selected_by_domain():
        out += [f"### {md_cell(label)}", ""]
        out += _table([t("id"), t("title"), t("cost"), t("beneficiaries"), t("target_groups")],
                      [(r.id, r.title, money(r.cost), count(r.beneficiaries),
                        sep.join(r.target_groups)) for r in rows])
    for key, rows_g in (("by_domain", report.by_domain), ("by_target_group",
                                                          report.by_target_group)):
        out += [f"## {t(key)}", ""]
        out += _table([t("domain") if key == "by_domain" else t("target_groups"), t("projects"),
                       t("cost"), t("beneficiaries"), t("share_of_spend")],
                      [(g.label, fmt_number(g.count, lang), money(g.cost), count(g.beneficiaries),
                        fmt_percent(g.cost_share, lang)) for g in rows_g])
        if key == "by_target_group":
            out += [t("group_note"), ""]
    if charts:
        out += [f"## {t('charts')}", ""]
        out += [f"![{md_cell(t(key))}]({path})" for key, path in charts.items()] + [""]
    out += [f"## {t('rules')}", "", t("binding_note"), ""]
    out += _table([t("rule"), t("limit"), t("achieved"), t("met"), t("binding")],
                  [(r.rule, r.limit, r.achieved, t("yes") if r.met else t("no"),
                    t("binding") if r.binding else "") for r in report.rules])
    out += [f"## {t('reserve')}", ""]
    out += _table([t("rank"), t("id"), t("title"), t("cost"), t("beneficiaries"), t("score"),
                   t("why_missed")],
                  [(r.rank, r.id, r.title, money(r.cost), count(r.beneficiaries),
                    fmt_number(r.score, lang, 2), r.why_missed) for r in report.reserve]) \
        if report.reserve else [t("none"), ""]
    out += [f"## {t('ineligible')}", ""]
    if report.reasons:
        out += _table([t("reason"), t("projects")],
                      [(c.reason, fmt_number(c.count, lang)) for c in report.reasons])
    out += _table([t("id"), t("title"), t("reasons")],
                  [(r.id, r.title, t("reason_sep").join(r.reasons)) for r in report.ineligible]) \
        if report.ineligible else [t("none"), ""]
    p = report.provenance
    out += [f"## {t('reproducibility')}", ""]
    out += _table(["", ""], [
        (t("input_file"), f"{p.input_path} ({t('sha256')} {p.input_sha256})" if p.input_path
         else "–"),
        (t("rules_file"), f"{p.rules_path} ({t('sha256')} {p.rules_sha256})" if p.rules_path
         else t("default_rules")),
        (t("solver"), p.solver_text(lang)),
        (t("selector_version"), p.selector_version),
        (t("generated_at"), p.generated_text(lang)),
    ])
    return "\n".join(out)
