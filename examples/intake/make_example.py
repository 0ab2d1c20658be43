"""Regenerate the intake example: suggestions → candidates → estimates.

Writes, next to this script:

- ``suggestions.csv``: 3,000 workers' suggestions drawn by
  :func:`selector.intake.generate_suggestions` (seed 2026), with Chinese headers as a
  suggestion platform exports them (the ground-truth columns left out);
- ``costs.csv``: the planner's estimates for the candidates that
  ``selector intake suggestions.csv --min-supporters 10`` finds: cost, beneficiaries,
  duration, earliest start month and one indicator each (drawn with seed 2026; a
  planner types them after reading the draft), and the domain of any candidate the
  keyword routing left without one.

Then, from suggestions to a published list (``README`` of the intake docs)::

    selector intake examples/intake/suggestions.csv --min-supporters 10 \\
        --costs examples/intake/costs.csv --out out/intake/proposals.csv
    selector validate out/intake/proposals.csv --rules examples/intake/rules.toml
    selector select out/intake/proposals.csv --rules examples/intake/rules.toml --out out/intake/list

Usage: ``python examples/intake/make_example.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from selector.intake import generate_suggestions, intake

HERE = Path(__file__).resolve().parent
SEED = 2026
MIN_SUPPORTERS = 10
HEADERS = {"id": "建议编号", "text": "建议内容", "district": "所属区县", "channel": "提交渠道",
           "submitter_type": "提交人类型", "submitter": "提交人编号", "date": "提交日期"}
#: Median cost (yuan) per domain, and the indicator a planner sets for it.
COST = {"rights": 120_000, "skills": 200_000, "health": 260_000, "culture": 150_000,
        "hardship": 300_000, "migrant": 240_000, "life": 180_000}


def main() -> None:
    corpus = generate_suggestions(3000, seed=SEED)
    suggestions = corpus[list(HEADERS)].rename(columns=HEADERS)
    suggestions.to_csv(HERE / "suggestions.csv", index=False, encoding="utf-8")
    found = intake(suggestions, min_supporters=MIN_SUPPORTERS)
    draft = found.to_frame()
    truth = corpus.assign(cluster=found.members["cluster"].to_numpy())
    domain_of = truth[truth["cluster"] >= 0].groupby("cluster")["domain"].agg(
        lambda s: s.value_counts().index[0])
    cluster_of = found.clusters.dropna(subset=["candidate"]).set_index("candidate")["cluster"]
    rng = np.random.default_rng(SEED)
    n = len(draft)
    domain = [d or domain_of[cluster_of[c]] for c, d in zip(draft["id"], draft["domain"], strict=True)]
    median = np.array([COST[d] for d in domain], dtype=float)
    cost = np.rint(median * rng.lognormal(0, 0.4, n) / 1000) * 1000
    beneficiaries = np.rint(draft["worker_votes"].to_numpy() * rng.uniform(3, 12, n) + 50)
    costs = pd.DataFrame({
        "项目编号": draft["id"],
        "领域": [None if d else filled for d, filled in zip(draft["domain"], domain, strict=True)],
        "预算金额(元)": cost.astype(np.int64),
        "预计受益人数": beneficiaries.astype(np.int64),
        "实施周期(月)": rng.integers(3, 9, n),
        "最早开工月份": rng.integers(2, 5, n),
        "绩效指标": [f"服务人次={int(b)}人次; 满意度=90%" for b in beneficiaries],
    })
    costs.to_csv(HERE / "costs.csv", index=False, encoding="utf-8")
    print(f"wrote {HERE / 'suggestions.csv'} ({len(suggestions)} suggestions) and "
          f"{HERE / 'costs.csv'} ({n} candidates)")


if __name__ == "__main__":
    main()
