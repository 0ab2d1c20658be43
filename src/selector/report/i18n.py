"""Report wording in Chinese and English.

Examples
--------
>>> text("beneficiaries", "zh")
'受益职工'
>>> text("beneficiaries", "en")
'Beneficiaries'
"""

from __future__ import annotations

from typing import Literal

__all__ = ["LANGS", "Lang", "text"]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")

_TEXT: dict[str, tuple[str, str]] = {  # key: (zh, en)
    "report_title": ("项目遴选报告", "Selection report"),
    "public_title": ("拟资助项目公示名单", "Projects to be funded: public list"),
    "headline": ("主要数据", "Headline figures"),
    "beneficiaries": ("受益职工", "Beneficiaries"),
    "projects": ("项目数", "Projects"),
    "spend": ("支出", "Spend"),
    "budget": ("预算", "Budget"),
    "total": ("合计", "Total"),
    "status": ("求解状态", "Status"),
    "objective": ("目标值", "Objective"),
    "bound": ("最优上界", "Best bound"),
    "gap": ("相对差距", "Gap"),
    "pool": ("资金池", "Funding pool"),
    "pools": ("资金池支出", "Spend by funding pool"),
    "paid": ("支付", "Paid"),
    "amount": ("额度", "Amount"),
    "selected_by_domain": ("入选项目（按领域）", "Selected projects by domain"),
    "id": ("编号", "ID"),
    "title": ("项目名称", "Title"),
    "domain": ("领域", "Domain"),
    "cost": ("金额", "Cost"),
    "target_groups": ("服务对象", "Target groups"),
    "district": ("区", "District"),
    "start_month": ("开始月份", "Start month"),
    "funded_by": ("资金来源", "Funded by"),
    "forced": ("指定入选", "Forced in"),
    "by_domain": ("按领域", "By domain"),
    "by_target_group": ("按服务对象", "By target group"),
    "share_of_spend": ("支出占比", "Share of spend"),
    "group_note": ("一个项目可服务多个对象，故各行之和可能大于合计。",
                   "A project may serve several groups, so rows can add up to more than the total."),
    "charts": ("图表", "Charts"),
    "chart_spend_domain": ("各领域支出（元）", "Spend by domain (yuan)"),
    "chart_benefit_domain": ("各领域受益职工", "Beneficiaries by domain"),
    "chart_spend_group": ("各服务对象支出（元）", "Spend by target group (yuan)"),
    "chart_benefit_group": ("各服务对象受益职工", "Beneficiaries by target group"),
    "rules": ("规则执行情况", "Rules and how they were met"),
    "rule": ("规则", "Rule"),
    "limit": ("要求", "Limit"),
    "achieved": ("实际", "Achieved"),
    "met": ("满足", "Met"),
    "binding": ("起约束作用", "Binding"),
    "binding_note": ("“起约束作用”的规则在最优解处恰好用尽：放宽它可能让更多职工受益。",
                     "A binding rule is tight at the optimum: relaxing it may serve more workers."),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "reserve": ("备选项目", "Reserve"),
    "rank": ("排序", "Rank"),
    "score": ("得分", "Score"),
    "why_missed": ("未入选原因", "Why it missed"),
    "ineligible": ("不符合条件的项目", "Ineligible proposals"),
    "reasons": ("原因", "Reasons"),
    "none": ("无", "none"),
    "reproducibility": ("可复现信息", "Reproducibility"),
    "input_file": ("申报文件", "Input file"),
    "rules_file": ("规则文件", "Rules file"),
    "sha256": ("SHA-256", "SHA-256"),
    "solver": ("求解器", "Solver"),
    "selector_version": ("selector 版本", "selector version"),
    "generated_at": ("生成时间", "Generated at"),
    "seconds": ("求解用时（秒）", "Solve time (s)"),
    "default_rules": ("（无规则文件：仅预算约束）", "(no rules file: budget only)"),
    "status_optimal": ("已证明最优", "proven optimal"),
    "status_feasible": ("可行（未证明最优）", "feasible (optimality not proven)"),
    "status_infeasible": ("不可行", "infeasible"),
    "status_error": ("出错", "error"),
    "public_note": ("以下项目经评审拟予资助，现予公示。",
                    "The following projects are proposed for funding and are published for comment."),
    "uncategorised": ("未分类", "uncategorised"),
}


def text(key: str, lang: Lang = "en") -> str:
    """The wording of ``key`` in ``lang`` (the key itself when unknown)."""
    pair = _TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]
