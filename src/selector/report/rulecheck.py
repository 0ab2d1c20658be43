"""How each rule of the call was met by a selection: the engine's checks, formatted.

One row per :class:`~selector.engine.families.RuleCheck` the engine's verifier computed
for the list (``Selection.checks``; re-checked with :func:`selector.engine.check` when a
selection carries none): the rule in words, the limit, the value achieved, whether it
holds, and whether it is binding (its key is in ``Selection.binding``). Nothing here
measures a rule: the report and the verifier read the same checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from selector.engine import RuleCheck, check
from selector.i18n import DEFAULT_LANG, Lang, fmt_money, fmt_number, fmt_percent, t
from selector.problem import Problem
from selector.result import Selection

__all__ = ["RuleRow", "evaluate_rules", "rule_row"]


@dataclass(frozen=True)
class RuleRow:
    """One rule and how it was met."""

    key: str          # the check's key, compared with ``Selection.binding``
    rule: str         # in words
    limit: str
    achieved: str
    met: bool
    binding: bool


def _value(value: Any, unit: str, lang: Lang, currency: str) -> str:
    if value is None:
        return "–"
    if unit == "money":
        return fmt_money(value, lang, currency=currency)
    if unit == "share":
        return fmt_percent(float(value), lang)
    if unit == "count":
        return fmt_number(int(value), lang)
    return fmt_number(float(value), lang, 1)


def rule_row(c: RuleCheck, selection: Selection, lang: Lang = DEFAULT_LANG) -> RuleRow:
    """One check as a row of the report's rule table."""
    proposals = selection.proposals
    currency = proposals.currency
    if c.family == "force":     # a forced decision: selected or not, not a number
        wanted = "rules.check.selected" if c.side == "min" else "rules.check.not_selected"
        got = "rules.check.selected" if c.achieved else "rules.check.not_selected"
        limit, achieved = t(wanted, lang), t(got, lang)
    elif not c.side:            # a condition: how many proposals break it
        limit = t("rules.check.must_hold", lang)
        achieved = (t("rules.check.holds", lang) if c.met
                    else t("rules.check.broken_by", lang, n=fmt_number(int(c.achieved), lang)))
    else:
        sign = {"max": "≤ ", "min": "≥ "}.get(c.side, "")
        limit = sign + _value(c.limit, c.unit, lang, currency)
        achieved = _value(c.achieved, c.unit, lang, currency)
    return RuleRow(c.key, c.words.render(lang, proposals), limit, achieved, c.met,
                   c.key in selection.binding)


def evaluate_rules(selection: Selection, lang: Lang = DEFAULT_LANG,
                   problem: Problem | None = None) -> list[RuleRow]:
    """Every limit of ``selection.rules`` with the value achieved (see the module
    docstring); ``problem`` is accepted for callers that have one and is not needed."""
    checks = selection.checks or check(selection)
    return [rule_row(c, selection, lang) for c in checks]
