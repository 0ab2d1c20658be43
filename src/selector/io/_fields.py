"""Header aliases: which column of a planner's file means which field.

Headers are matched after folding (case, spaces, full-width brackets, see
:func:`fold_header`). Each field has an English and a Chinese header used by the
writers, and further aliases accepted on reading. Three headers carry a unit for the
cost: ``cost`` / ``预算金额(元)`` in yuan, ``cost_wan`` / ``预算金额(万元)`` in units of
10,000 yuan, ``cost_minor`` / ``预算金额(分)`` in fen.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from selector.model import CANONICAL_COLUMNS
from selector.taxonomy import normalise_label
from selector.text import normalise_key

__all__ = ["FIELDS", "HEADERS_EN", "HEADERS_ZH", "Field", "fold_header", "lookup_header"]


@dataclass(frozen=True)
class Field:
    """A field a column can mean; ``cost_exponent`` is the power of ten of a cost unit."""

    name: str
    cost_exponent: int = 0


#: Writer headers (canonical order, ``cost`` in yuan in place of ``cost_minor``).
HEADERS_EN: dict[str, str] = {c: c for c in CANONICAL_COLUMNS if c != "cost_minor"} | {
    "cost": "cost", "currency": "currency"}
HEADERS_ZH: dict[str, str] = {
    "id": "项目编号", "title": "项目名称", "domain": "领域", "cost": "预算金额(元)",
    "beneficiaries": "预计受益人数", "beneficiaries_low": "受益人数下限",
    "beneficiaries_high": "受益人数上限", "duration_months": "实施周期(月)",
    "earliest_start": "最早开工月份", "target_groups": "服务对象", "district": "所属区县",
    "indicators": "绩效指标", "expert_score": "专家评分", "worker_score": "职工评分",
    "worker_votes": "职工投票数", "completion_probability": "完成概率", "pools": "资金渠道",
    "requires": "依赖项目", "excludes": "互斥项目", "variant_group": "方案组",
    "proposer": "申报单位", "channel": "申报渠道", "year": "申报年度", "currency": "币种",
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("项目编号", "编号", "项目ID", "项目代码", "proposal id", "proposal_id", "project id",
           "project_id", "ID"),
    "title": ("项目名称", "名称", "项目标题", "标题", "name", "project name", "proposal"),
    "domain": ("领域", "项目领域", "所属领域", "服务领域", "类别", "项目类别", "category"),
    "cost": ("预算金额", "预算金额(元)", "预算", "预算(元)", "金额", "金额(元)", "申请金额",
             "申请金额(元)", "项目预算", "项目预算(元)", "资金需求", "资金需求(元)", "budget",
             "amount", "cost (yuan)", "cost_yuan"),
    "beneficiaries": ("预计受益人数", "受益人数", "预计受益职工数", "受益职工数", "受益人数(人)",
                      "benefit", "estimated beneficiaries"),
    "beneficiaries_low": ("受益人数下限", "最少受益人数", "受益人数(低)", "low"),
    "beneficiaries_high": ("受益人数上限", "最多受益人数", "受益人数(高)", "high"),
    "duration_months": ("实施周期(月)", "实施周期", "周期(月)", "工期(月)", "实施月数", "duration",
                        "months"),
    "earliest_start": ("最早开工月份", "最早开始月份", "开始月份", "启动月份", "start month",
                       "start_month", "start"),
    "target_groups": ("服务对象", "受益群体", "目标群体", "服务群体", "groups", "target", "targets"),
    "district": ("所属区县", "区县", "所在区", "辖区", "区域", "area"),
    "indicators": ("绩效指标", "考核指标", "指标", "indicator", "kpi", "kpis"),
    "expert_score": ("专家评分", "专家评审得分", "专家得分", "expert score"),
    "worker_score": ("职工评分", "职工评议得分", "职工得分", "worker score"),
    "worker_votes": ("职工投票数", "投票数", "票数", "得票数", "votes"),
    "completion_probability": ("完成概率", "预计完成概率", "完成可能性", "completion"),
    "pools": ("资金渠道", "资金来源", "可用资金池", "资金池", "funding pools", "funding"),
    "requires": ("依赖项目", "前置项目", "依赖"),
    "excludes": ("互斥项目", "互斥"),
    "variant_group": ("方案组", "变体组", "同类方案组", "variant", "variants"),
    "proposer": ("申报单位", "提出单位", "申报人", "提议人"),
    "channel": ("申报渠道", "提交渠道", "渠道"),
    "year": ("申报年度", "年度", "年份"),
    "currency": ("币种", "货币"),
}

_COST_UNITS = {
    "cost_wan": ("预算金额(万元)", "预算(万元)", "金额(万元)", "申请金额(万元)", "项目预算(万元)",
                 "资金需求(万元)", "cost (10k yuan)"),
    "cost_minor": ("预算金额(分)", "cost (fen)"),
}

#: Every field a header can mean, by name.
FIELDS: dict[str, Field] = {
    **{name: Field(name) for name in (*_ALIASES, "cost")},
    "cost_wan": Field("cost", 4),
    "cost_minor": Field("cost", -2),
}


def fold_header(text: object) -> str:
    """Fold a header for matching: :func:`~selector.text.normalise_key` (NFKC, invisible
    characters removed), brackets to ASCII, :func:`~selector.taxonomy.normalise_label`,
    then no spaces at all."""
    folded = normalise_key(str(text)).translate(str.maketrans("（）：【】", "():[]"))
    return normalise_label(folded).replace(" ", "")


def _build() -> dict[str, Field]:
    table: dict[str, Field] = {}
    for name, aliases in _ALIASES.items():
        for spelling in (name, HEADERS_ZH.get(name, name), *aliases):
            table.setdefault(fold_header(spelling), FIELDS[name])
    for name, aliases in _COST_UNITS.items():
        for spelling in (name, *aliases):
            table.setdefault(fold_header(spelling), FIELDS[name])
    return table


_TABLE = _build()


def lookup_header(header: str, mapping: Mapping[str, str] | None = None) -> Field | None:
    """The field a header means (a user ``mapping`` of header → field wins), or ``None``.

    Examples
    --------
    >>> lookup_header("预算金额（万元）")
    Field(name='cost', cost_exponent=4)
    >>> lookup_header("联系人") is None
    True
    """
    if mapping:
        for given, field in mapping.items():
            if fold_header(given) == fold_header(header) and field in FIELDS:
                return FIELDS[field]
    return _TABLE.get(fold_header(header))
