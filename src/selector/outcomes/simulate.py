"""Invented evaluations with a known (planted) bias, for tests, examples and benchmarks.

:func:`generate_outcomes` plays the third-party evaluator of a year's funded projects:
the actual person-times of project ``i`` are ``e_i · f[domain] · f[unit] · exp(σ·z_i)``
(``z_i`` standard normal, seeded), rounded to whole people; satisfaction, actual cost and
completion on time are drawn around plausible values. Because the factors are known, a
calibration fitted on these outcomes can be checked against them.

Examples
--------
>>> from selector.datasets import generate_call
>>> call = generate_call(30, seed=3)
>>> table = generate_outcomes(call, call.ids[:5], seed=1, domain_bias={"health": 0.5})
>>> list(table.columns)
['项目编号', '实际服务人次', '满意度', '实际支出(元)', '按期完成']
>>> len(table)
5
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from selector.model import ProposalSet

__all__ = ["generate_outcomes"]


def generate_outcomes(proposals: ProposalSet, funded: Iterable[str], *, seed: int = 0,
                      domain_bias: Mapping[str, float] | None = None,
                      unit_bias: Mapping[str, float] | None = None, noise: float = 0.15,
                      headers: str = "zh") -> pd.DataFrame:
    """An outcomes table for the ``funded`` projects (see the module docstring).

    Parameters
    ----------
    domain_bias, unit_bias:
        ``actual / estimate`` factor of each domain and applicant unit (``proposer``);
        absent ones are 1.
    noise:
        Standard deviation of the project-level noise on the log scale.
    headers:
        ``"zh"`` (项目编号, 实际服务人次, 满意度, 实际支出(元), 按期完成) or ``"en"``.
    """
    rng = np.random.default_rng(seed)
    wanted = {str(i) for i in funded}
    frame = proposals.frame[proposals.frame["id"].astype(str).isin(wanted)].reset_index(drop=True)
    n = len(frame)
    dom = frame["domain"].map(lambda d: float((domain_bias or {}).get(str(d), 1.0)))
    unit = frame["proposer"].map(lambda u: float((unit_bias or {}).get(str(u), 1.0)))
    factor = dom.to_numpy(dtype=np.float64) * unit.to_numpy(dtype=np.float64)
    est = frame["beneficiaries"].to_numpy(dtype=np.float64)
    actual = np.rint(est * factor * np.exp(noise * rng.standard_normal(n))).astype(np.int64)
    satisfaction = np.clip(rng.normal(0.88, 0.05, n), 0.5, 1.0).round(3)
    cost_fen = frame["cost_minor"].to_numpy(dtype=np.int64)
    spent = np.minimum(cost_fen, np.rint(cost_fen * rng.uniform(0.85, 1.0, n))).astype(np.int64)
    on_time = rng.random(n) < 0.85
    yes, no = ("是", "否") if headers == "zh" else ("yes", "no")
    names = (("项目编号", "实际服务人次", "满意度", "实际支出(元)", "按期完成") if headers == "zh"
             else ("id", "actual_beneficiaries", "satisfaction", "actual_cost", "on_time"))
    return pd.DataFrame({
        names[0]: frame["id"].astype(str).to_numpy(dtype=object),
        names[1]: actual,
        names[2]: [f"{100 * s:.1f}%" for s in satisfaction],
        names[3]: [f"{f // 100}.{f % 100:02d}" for f in spent],
        names[4]: [yes if v else no for v in on_time],
    })
