"""Regenerate the bundled example data.

Writes, next to this script:

- ``proposals.csv``: a city trade union's annual call for practical projects
  (职工实事项目), 150 proposals drawn by :func:`selector.datasets.generate_call` with
  seed 2026, saved with Chinese headers and labels as a planner's spreadsheet export
  would have them (UTF-8);
- ``proposals_with_mistakes.csv``: a dozen proposals with the mistakes planners
  typically make (duplicate id, an id repeated with an invisible character, cost written
  in words or with misplaced separators, a misspelt domain, month 13, ...), to show that
  one load reports every problem with its row and column (full-width digits are not a
  mistake: they are read exactly).

Usage::

    python examples/generate.py              # the bundled 150 proposals
    python examples/generate.py -n 100000 -o big.csv   # a larger call for benchmarks
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from selector.datasets import generate_call
from selector.io import save_proposals

HERE = Path(__file__).resolve().parent
SEED = 2026

#: Header then rows: each data row carries one or more typical mistakes (see comments).
MISTAKES = [
    ["项目编号", "项目名称", "领域", "预算金额(元)", "预计受益人数", "实施周期(月)", "最早开工月份",
     "服务对象", "绩效指标", "完成概率", "资金渠道", "依赖项目", "申报渠道", "申报年度"],
    ["2026-0001", "户外劳动者驿站建设", "健康管理", "180,000", "2400", "6", "3",
     "快递员、外卖送餐员", "建成站点=12个; 满意度=90%", "0.9", "财政资金", "", "基层工会", "2026"],
    # duplicate id
    ["2026-0001", "职工书屋建设", "文体服务", "80000", "600", "4", "2",
     "一线职工", "参与人数=600人", "0.95", "财政资金", "", "基层工会", "2026"],
    # cost written in words; domain misspelt
    ["2026-0003", "农民工夜校", "农民工专项服努", "十二万", "800", "10", "3",
     "农民工", "培训人数=800人", "0.85", "公益资金", "", "基层工会", "2026"],
    # negative cost; start month 13
    ["2026-0004", "困难职工子女助学", "困难帮扶", "-50000", "120", "12", "13",
     "困难职工", "帮扶户数=120户", "0.98", "公益资金", "", "网上平台", "2026"],
    # cost with three decimals; probability above 100 %
    ["2026-0005", "女职工两癌筛查", "健康管理", "260000.555", "3000", "8", "4",
     "女职工", "服务人次=3000人次", "120%", "财政资金", "", "基层工会", "2026"],
    # beneficiaries not a number; indicator without a number
    ["2026-0006", "快递员午间休息点", "生活服务", "150000", "约300", "5", "5",
     "快递员", "满意度=很高", "0.9", "财政资金", "", "基层工会", "2026"],
    # misspelt target group; requires an id that does not exist
    ["2026-0007", "骑手电动车换电驿站", "生活服务", "420000", "1500", "9", "2",
     "外卖骑手、快递原", "建成站点=20个", "0.8", "财政资金", "2026-0999", "基层工会", "2026"],
    # missing cost; year with a fraction; unknown channel
    ["2026-0008", "职工心理健康服务站", "健康管理", "", "900", "12", "1",
     "一线职工", "服务人次=900人次", "0.9", "财政资金", "", "微信群", "2026.5"],
    # a correct proposal
    ["2026-0009", "新就业形态劳动者职业技能培训", "技能提升", "¥360,000", "1200", "6", "3",
     "网约车司机、外卖送餐员", "培训人数=1200人; 取证率=80%", "0.9", "财政资金、公益资金",
     "2026-0001", "网上平台", "2026"],
    # NaN written out; missing domain
    ["2026-0010", "职工篮球联赛", "", "95000", "NaN", "3", "6",
     "青年职工", "参与人数=500人", "0.95", "公益资金", "", "基层工会", "2026"],
    # the id of row 10 again with an invisible zero-width space (pasted from a chat app);
    # thousands separators in the wrong places (1,20,000 is not 120,000)
    ["2026-0009\u200b", "职工法律援助站", "维权保障", "1,20,000", "500", "12", "1",
     "一线职工", "咨询人次=500人次", "0.9", "财政资金", "", "基层工会", "2026"],
    # full-width digits, as Chinese input methods type them: read exactly (not a mistake)
    ["２０２６-００１２", "环卫工人爱心驿站", "生活服务", "８５，０００", "１２００", "６", "３",
     "环卫工人", "建成站点=５个", "0.9", "财政资金", "", "基层工会", "2026"],
]


def main(argv: list[str] | None = None) -> None:
    """Write the example files (or a larger call with ``-n``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=150, help="number of proposals")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("-o", "--output", type=Path, default=HERE / "proposals.csv")
    args = parser.parse_args(argv)
    call = generate_call(args.n, seed=args.seed)
    save_proposals(call, args.output, headers="zh")
    print(f"wrote {len(call)} proposals to {args.output}")
    if args.output == HERE / "proposals.csv":
        mistakes = HERE / "proposals_with_mistakes.csv"
        with mistakes.open("w", encoding="utf-8", newline="") as f:
            csv.writer(f, lineterminator="\n").writerows(MISTAKES)
        print(f"wrote {len(MISTAKES) - 1} proposals with typical mistakes to {mistakes}")


if __name__ == "__main__":
    main()
