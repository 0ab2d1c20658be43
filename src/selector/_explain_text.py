"""Words of the explanations, in Chinese and English (pure functions, no solving).

Every sentence a reader sees about one proposal comes from :func:`reason`, so a report's
"why not" column and ``selector explain ID`` cannot disagree.

Examples
--------
>>> money(Decimal("1234567"), "CNY")
'¥1,234,567'
>>> money(Decimal("99.5"), "EUR")
'€99.50'
>>> money(Decimal("2500"), "PLN")
'2,500 PLN'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from selector._relax import RuleChange
    from selector.model import ProposalSet

__all__ = ["Lang", "change_words", "count", "money", "unit_words"]

Lang = Literal["zh", "en"]

_SYMBOL = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def money(amount: Decimal | int | float, currency: str = "CNY") -> str:
    """Exact money with the currency: whole amounts without decimals."""
    value = Decimal(str(amount))
    text = f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"
    symbol = _SYMBOL.get(currency.upper())
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def count(value: float) -> str:
    """A number of beneficiaries: whole with separators, else up to two decimals."""
    if math.isinf(value):
        return "∞"
    if abs(value - round(value)) < 1e-9:
        return f"{round(value):,}"
    return f"{value:,.2f}"


def unit_words(objective_kind: str, lang: Lang) -> str:
    """What the objective counts: beneficiaries, risk-adjusted, or weighted points."""
    if lang == "zh":
        return {"beneficiaries": "名受益职工", "risk_adjusted": "名预期受益职工"}.get(
            objective_kind, "分（目标值）")
    return {"beneficiaries": "beneficiaries", "risk_adjusted": "expected beneficiaries"}.get(
        objective_kind, "objective points")


_COLUMN_ZH = {"domain": "领域", "district": "区", "target_groups": "服务对象", "channel": "渠道",
              "proposer": "申报单位", "pools": "资金池"}
_MEASURE = {"en": {"cost": "the money", "beneficiaries": "the beneficiaries",
                   "count": "the projects"},
            "zh": {"cost": "资金", "beneficiaries": "受益人数", "count": "项目数"}}


def group_label(proposals: ProposalSet, column: str, label: str, lang: Lang) -> str:
    """A group's label in ``lang`` (taxonomy labels for domains and target groups)."""
    if column == "domain":
        return proposals.domains.label(label, lang)
    if column == "target_groups":
        return proposals.target_groups.label(label, lang)
    return label


def _group_who(change: RuleChange, proposals: ProposalSet, lang: Lang) -> str:
    rule = change.rule
    col_zh = _COLUMN_ZH.get(rule.column, rule.column)
    if change.label is None:
        return f"每个{col_zh}" if lang == "zh" else f"each {rule.column}"
    labels = change.label.split("+") if rule.combine else [change.label]
    shown = ("+" if lang == "en" else "、").join(
        group_label(proposals, rule.column, lab, lang) for lab in labels)
    return f"{col_zh}“{shown}”" if lang == "zh" else f"{rule.column} {shown}"


def _limit(rule: Any, side: str, proposals: ProposalSet, lang: Lang) -> str:
    share = getattr(rule, f"{side}_share")
    total = getattr(rule, f"{side}_total")
    if share is not None:
        pct = f"{share * 100:g} %"
        return f"{_MEASURE[lang][rule.measure]}占比{pct}" if lang == "zh" else \
            f"{pct} of {_MEASURE['en'][rule.measure]}"
    if rule.measure == "cost":
        return money(total, proposals.currency)
    if rule.measure == "count":
        return f"{count(float(total))}个项目" if lang == "zh" else f"{count(float(total))} projects"
    return f"{count(float(total))}名受益职工" if lang == "zh" else \
        f"{count(float(total))} beneficiaries"


def change_words(change: RuleChange, proposals: ProposalSet, lang: Lang) -> str:
    """The rule a change lifts or loosens, in words, e.g. "the 30 % cap on the money for
    domain Health" / "领域“健康管理”资金占比30 %的上限"."""
    rule = change.rule
    if change.family == "group":
        who = _group_who(change, proposals, lang)
        limit = _limit(rule, change.side, proposals, lang)
        if lang == "zh":
            return f"{who}{limit}的{'上限' if change.side == 'max' else '下限'}"
        kind = "cap" if change.side == "max" else "floor"
        return f"the {kind} of {limit} for {who}"
    if change.family == "count":
        n = change.old
        if lang == "zh":
            return f"项目数{'不超过' if change.side == 'max' else '不少于'}{n}个的规定"
        return f"the {'cap' if change.side == 'max' else 'floor'} of {n} projects"
    if change.family == "distinct":
        col = rule.column
        return (f"至少覆盖{rule.min}个不同{_COLUMN_ZH.get(col, col)}的规定" if lang == "zh"
                else f"the rule to cover at least {rule.min} different {col} values")
    if change.family == "resource":
        return (f"{rule.name}（{rule.column}）不超过{rule.capacity:g}的容量" if lang == "zh"
                else f"the capacity of {rule.capacity:g} {rule.column} ({rule.name})")
    if change.family == "max_project_share":
        return (f"单个项目不超过预算{rule * 100:g} %的规定" if lang == "zh"
                else f"the {rule * 100:g} % limit per project")
    if change.family == "relations":
        zh = {"requires": "项目依赖关系", "excludes": "项目互斥关系", "variants": "同一项目只选一个版本"}
        en = {"requires": "the requires relations", "excludes": "the excludes relations",
              "variants": "the one-variant-per-idea rule"}
        return zh[rule] if lang == "zh" else en[rule]
    if change.family == "schedule":
        return "月度实施计划的限制" if lang == "zh" else "the monthly schedule limits"
    if change.family == "force_in":
        return (f"对{rule.id}的强制纳入" if lang == "zh"
                else f"the pledge to fund {rule.id}")
    return change.key


def id_list(ids: Sequence[str], lang: Lang, limit: int = 4) -> str:
    """Ids joined for a sentence, the tail counted ("P1, P2 and 3 more")."""
    shown = list(ids[:limit])
    rest = len(ids) - len(shown)
    if lang == "zh":
        text = "、".join(shown)
        return text + (f"等{len(ids)}个项目" if rest else "")
    text = ", ".join(shown)
    return text + (f" and {rest} more" if rest else "")
