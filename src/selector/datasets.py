"""Realistic invented data: a city trade union's annual call for practical projects.

:func:`generate_call` draws ``n`` proposals the way a city federation of trade unions
receives them for its yearly "practical projects for workers" (职工实事项目) call. It is
fully vectorised with numpy (one million proposals take a few seconds) and deterministic
for a given ``seed``, so the bundled example can be regenerated at any size for
benchmarks.

How each column is drawn
------------------------
id
    ``"{year}-{k:04d}"`` (wider when ``n`` needs it), in submission order.
domain
    One of the seven :data:`~selector.taxonomy.DEFAULT_DOMAINS` codes, skills and
    health most often.
title
    A district or the city, then a Chinese activity template of the domain, e.g.
    ``"朝阳区户外劳动者驿站建设"``; variants carry ``（小型）/（中型）/（大型）``.
cost_minor
    Log-normal around a per-domain median (80k–600k yuan), clipped to 50k–3M yuan;
    about 70 % round yuan (often whole thousands), the rest with fen.
beneficiaries
    Correlated with cost (elasticity 0.8) times log-normal noise, per-domain reach;
    ``beneficiaries_low/high`` bracket it (absent for about 10 %).
duration_months, earliest_start
    2–14 months and month 1–12, so some proposals cannot finish within the year.
target_groups
    One to three :data:`~selector.taxonomy.DEFAULT_TARGET_GROUPS` codes, weighted by
    domain (migrant services mostly target migrant and construction workers, ...).
district
    Ten district names; about 5 % city-wide (``None``).
indicators
    One or two ``(name, target, unit)`` tuples from the domain's indicator list; about
    5 % have none and 3 % name an indicator without a target value.
expert_score, worker_score, worker_votes, completion_probability
    50–98; 60–100 (absent for about 10 %); Poisson votes growing with beneficiaries;
    0.55–0.99, lower for long projects.
pools
    ``("fiscal",)``, ``("charity",)`` or both.
variant_group
    About one idea in 50 is submitted as small / medium / large versions (three
    consecutive rows, costs ×0.5 / ×1 / ×2) sharing a group ``"V0001"``, ...
requires, excludes
    About 1.5 % of the other proposals require one earlier proposal, and as many
    exclude another one (a competing proposal for the same site).
proposer, channel
    A district federation or an industry union via ``"union"`` (70 %); an individual
    worker's online submission via ``"online"``.
year
    ``year`` for every proposal.
staff_months
    Extra numeric column: person-months of union staff the project needs.

Examples
--------
>>> call = generate_call(20, seed=1)
>>> len(call), call.frame["domain"].isin(DEFAULT_DOMAINS.codes).all()
(20, np.True_)
>>> generate_call(20, seed=1) == call
True
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from selector.model import ProposalSet
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS

__all__ = ["DISTRICTS", "generate_call"]

#: The districts of the invented city.
DISTRICTS = ("东城区", "西城区", "朝阳区", "海淀区", "丰台区",
             "滨江区", "高新区", "开发区", "南湖区", "北山区")

_DOMAIN_P = {"rights": 0.13, "skills": 0.20, "health": 0.18, "culture": 0.14,
             "hardship": 0.12, "migrant": 0.12, "life": 0.11}

#: Median cost (yuan) and reach (beneficiaries per 1,000 yuan^0.8) per domain.
_DOMAIN_COST = {"rights": 150_000, "skills": 260_000, "health": 320_000, "culture": 180_000,
                "hardship": 400_000, "migrant": 300_000, "life": 220_000}
_DOMAIN_REACH = {"rights": 9.0, "skills": 4.0, "health": 6.0, "culture": 10.0,
                 "hardship": 1.5, "migrant": 5.0, "life": 3.0}

_TEMPLATES = {
    "rights": ("新就业形态劳动者法律援助服务", "职工劳动争议调解工作室建设", "工资支付保障专项维权行动",
               "快递员劳动权益宣讲进站点", "职工法律服务热线运营", "集体协商指导员培养"),
    "skills": ("新就业形态劳动者职业技能培训", "农民工技能提升补贴培训", "青年职工数字技能训练营",
               "一线职工技能竞赛", "网约车司机安全驾驶培训", "女职工电商直播技能培训"),
    "health": ("户外劳动者驿站建设", "职工心理健康服务站", "一线职工免费体检", "女职工两癌筛查",
               "货车司机职业病防治宣传", "环卫工人防暑降温关爱行动"),
    "culture": ("职工书屋建设", "职工文化艺术节", "新就业形态劳动者运动会", "职工健身房改造",
                "外卖骑手读书分享会", "职工篮球联赛"),
    "hardship": ("困难职工家庭子女助学", "大病职工医疗救助", "困难职工节日慰问", "困难职工就业帮扶",
                 "单亲女职工帮扶计划", "因灾困难职工应急救助"),
    "migrant": ("农民工返乡交通补贴", "农民工子女暑期托管", "建筑工地农民工夜校", "农民工工资清欠法律服务",
                "农民工公寓配套服务", "进城务工人员技能认证补贴"),
    "life": ("职工子女托育服务点", "青年职工联谊交友活动", "职工爱心早餐站", "快递员午间休息点",
             "职工便民理发维修服务", "骑手电动车换电驿站"),
}

_INDICATORS = {
    "rights": (("服务人次", "人次"), ("挽回经济损失", "万元"), ("满意度", "%")),
    "skills": (("培训人数", "人"), ("取证率", "%"), ("满意度", "%")),
    "health": (("服务人次", "人次"), ("建成站点", "个"), ("满意度", "%")),
    "culture": (("参与人数", "人"), ("活动场次", "场"), ("满意度", "%")),
    "hardship": (("帮扶户数", "户"), ("救助金发放", "万元"), ("满意度", "%")),
    "migrant": (("服务人数", "人"), ("覆盖工地", "个"), ("满意度", "%")),
    "life": (("服务人次", "人次"), ("建成服务点", "个"), ("满意度", "%")),
}

#: Weight of each target group per domain (rows follow DEFAULT_TARGET_GROUPS order:
#: couriers, food_delivery, ride_hailing, truck_drivers, migrant_workers, women_workers,
#: frontline_workers, hardship_workers, young_workers, retired_workers, sanitation_workers,
#: construction_workers).
_GROUP_WEIGHTS = {
    "rights": (3, 3, 3, 2, 3, 2, 2, 1, 1, 0.5, 1, 2),
    "skills": (2, 2, 2, 1, 3, 2, 3, 1, 3, 0.2, 0.5, 2),
    "health": (3, 3, 2, 2, 2, 3, 3, 1, 1, 1, 3, 2),
    "culture": (2, 2, 1, 1, 1, 2, 3, 0.5, 3, 2, 1, 1),
    "hardship": (0.5, 0.5, 0.5, 0.5, 2, 2, 1, 6, 0.5, 1, 1, 1),
    "migrant": (0.5, 0.5, 0.2, 0.5, 8, 1, 1, 1, 0.5, 0.2, 1, 5),
    "life": (3, 3, 2, 1, 1, 3, 2, 1, 3, 0.5, 1, 1),
}

_INDUSTRY_UNIONS = ("市快递行业工会联合会", "市网约车行业工会", "市建筑业工会", "市交通运输工会",
                    "市妇女职工委员会", "市环卫系统工会", "市职工服务中心")


def _pick(options: tuple[str, ...], idx: np.ndarray) -> np.ndarray:
    picked: np.ndarray = np.asarray(options, dtype=object)[idx]
    return picked


#: The columns of the call, in order.
_COLUMNS = ("id", "title", "domain", "cost_minor", "beneficiaries", "beneficiaries_low",
            "beneficiaries_high", "duration_months", "earliest_start", "target_groups",
            "district", "indicators", "expert_score", "worker_score", "worker_votes",
            "completion_probability", "pools", "requires", "excludes", "variant_group",
            "proposer", "channel", "year", "staff_months")


def generate_call(n: int = 150, seed: int = 2026, year: int = 2026) -> ProposalSet:
    """Draw a realistic call of ``n`` proposals (see the module docstring).

    Parameters
    ----------
    n:
        Number of proposals (0 or more).
    seed:
        Seed of the random generator; the same seed gives the same call.
    year:
        The plan year (ids and the ``year`` column).

    Returns
    -------
    ProposalSet
        With the default taxonomies, currency ``"CNY"``, an extra column
        ``staff_months`` and ``meta = {"source": "generate_call", "seed": ..., "year": ...}``.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    draw = _Draw(n, np.random.default_rng(seed), year)
    columns: dict[str, np.ndarray] = {}
    # in this order: every step draws from the one generator, so the order is the call
    for step in (draw.variants, draw.costs, draw.beneficiaries, draw.timing,
                 draw.target_groups, draw.indicators, draw.scores, draw.relations, draw.titles,
                 draw.proposers):
        columns.update(step())
    # object Series keep pandas 3 from inferring (and copying into) a string dtype
    frame = pd.DataFrame({k: pd.Series(columns[k], dtype=columns[k].dtype) for k in _COLUMNS})
    return ProposalSet(frame, domains=DEFAULT_DOMAINS, target_groups=DEFAULT_TARGET_GROUPS,
                       meta={"source": "generate_call", "seed": seed, "year": year})


class _Draw:
    """The steps of :func:`generate_call`, one per family of columns (see the module
    docstring); each returns its finished columns and keeps what later steps need.

    The constructor draws what every row starts from: its domain, district (or city-wide)
    and activity template.
    """

    def __init__(self, n: int, rng: np.random.Generator, year: int) -> None:
        self.n, self.rng, self.year = n, rng, year
        self.codes = tuple(_DOMAIN_P)
        self.dom_idx = rng.choice(len(self.codes), size=n,
                                  p=np.fromiter(_DOMAIN_P.values(), float))
        self.dist_idx = rng.integers(0, len(DISTRICTS), size=n)
        self.city_wide = rng.random(n) < 0.05
        self.tmpl_idx = rng.integers(0, 6, size=n)
        self.ids = np.array([f"{year}-{k + 1:0{max(4, len(str(n)))}d}" for k in range(n)],
                            dtype=object)

    def variants(self) -> dict[str, np.ndarray]:
        """Disjoint blocks of three consecutive rows sharing one idea (domain, district,
        template); ``starts`` holds the first row of each block."""
        n, rng = self.n, self.rng
        n_groups = n // 50 if n >= 3 else 0
        self.starts = starts = (np.sort(rng.choice(n // 3, size=n_groups, replace=False)) * 3
                                if n_groups else np.zeros(0, np.int64))
        variant_group = np.full(n, None, dtype=object)
        self.in_variant = np.zeros(n, bool)
        labels = np.array([f"V{g + 1:0{max(4, len(str(n_groups)))}d}" for g in range(n_groups)],
                          dtype=object)
        for offset in range(3):
            rows = starts + offset
            self.in_variant[rows] = True
            variant_group[rows] = labels
            for arr in (self.dom_idx, self.dist_idx, self.tmpl_idx, self.city_wide):
                arr[rows] = arr[starts]
        return {"variant_group": variant_group}

    def costs(self) -> dict[str, np.ndarray]:
        """Log-normal cost around the domain's median (variants ×0.5 / ×1 / ×2), in fen:
        whole thousands, whole yuan or with fen."""
        n, rng, starts = self.n, self.rng, self.starts
        median = np.array([_DOMAIN_COST[c] for c in self.codes], float)[self.dom_idx]
        cost_yuan = np.clip(median * rng.lognormal(0.0, 0.6, size=n), 50_000, 3_000_000)
        cost_yuan[starts + 1] = np.clip(cost_yuan[starts + 1], 100_000, 1_500_000)
        cost_yuan[starts] = cost_yuan[starts + 1] * 0.5
        cost_yuan[starts + 2] = cost_yuan[starts + 1] * 2.0
        kind = rng.random(n)
        self.cost_minor = np.where(
            kind < 0.45, np.rint(cost_yuan / 1000) * 100_000,                  # whole thousands
            np.where(kind < 0.7, np.rint(cost_yuan) * 100,                     # whole yuan
                     np.rint(cost_yuan * 100))).astype(np.int64)
        return {"cost_minor": self.cost_minor}

    def beneficiaries(self) -> dict[str, np.ndarray]:
        """Beneficiaries from cost (elasticity 0.8) and the domain's reach, with a range."""
        n, rng = self.n, self.rng
        reach = np.array([_DOMAIN_REACH[c] for c in self.codes], float)[self.dom_idx]
        self.benefit = np.rint(reach * (self.cost_minor / 100_000) ** 0.8
                               * rng.lognormal(0, 0.35, n)) + 20
        low = np.rint(self.benefit * rng.uniform(0.6, 0.9, n))
        high = np.rint(self.benefit * rng.uniform(1.1, 1.6, n))
        no_range = rng.random(n) < 0.10
        low[no_range] = np.nan
        high[no_range] = np.nan
        return {"beneficiaries": self.benefit, "beneficiaries_low": low,
                "beneficiaries_high": high}

    def timing(self) -> dict[str, np.ndarray]:
        """Duration (2–14 months) and earliest start month."""
        n, rng = self.n, self.rng
        self.duration = rng.integers(2, 15, size=n).astype(float)
        start = rng.choice(np.arange(1, 13), size=n,
                           p=np.array([10, 10, 12, 12, 10, 9, 8, 8, 7, 6, 4, 4]) / 100
                           ).astype(float)
        return {"duration_months": self.duration, "earliest_start": start}

    def target_groups(self) -> dict[str, np.ndarray]:
        """Bernoulli per group with the domain's weights: at least one, at most three."""
        n, rng, dom_idx = self.n, self.rng, self.dom_idx
        weights = np.array([_GROUP_WEIGHTS[c] for c in self.codes], float)
        prob = weights / weights.sum(axis=1, keepdims=True) * 1.6
        draws = rng.random((n, weights.shape[1])) < prob[dom_idx]
        first = rng.random((n, weights.shape[1])) * prob[dom_idx]
        draws[np.arange(n), first.argmax(axis=1)] = True
        ranks = np.cumsum(draws, axis=1)
        draws &= ranks <= 3
        group_codes = DEFAULT_TARGET_GROUPS.codes
        masks = draws @ (1 << np.arange(len(group_codes)))
        uniq, inverse = np.unique(masks, return_inverse=True)
        tuples = np.empty(len(uniq), dtype=object)
        for k, m in enumerate(uniq):
            tuples[k] = tuple(g for b, g in enumerate(group_codes) if int(m) >> b & 1)
        return {"target_groups": tuples[inverse] if n else np.empty(0, dtype=object)}

    def _target(self, unit: np.ndarray) -> np.ndarray:
        """A target value that suits the unit."""
        n, rng, benefit = self.n, self.rng, self.benefit
        count = np.maximum(1.0, np.rint(benefit / rng.uniform(20, 200, n)))
        return np.where(unit == "%", np.rint(rng.uniform(80, 98, n)),
                        np.where(unit == "万元",
                                 np.round(self.cost_minor / 1e6 * rng.uniform(0.3, 1, n), 1),
                                 np.where(np.isin(unit, ("个", "场", "户")), count,
                                          np.rint(benefit * rng.uniform(0.8, 1.0, n)))))

    def indicators(self) -> dict[str, np.ndarray]:
        """None, one or two ``(name, target, unit)`` of the domain's indicators."""
        n, rng, dom_idx = self.n, self.rng, self.dom_idx
        n_ind = rng.choice(3, size=n, p=[0.05, 0.55, 0.40])
        ind_a = rng.integers(0, 3, size=n)
        ind_b = (ind_a + rng.integers(1, 3, size=n)) % 3
        no_target = rng.random(n) < 0.03
        names = np.array([[i[0] for i in _INDICATORS[c]] for c in self.codes], dtype=object)
        units = np.array([[i[1] for i in _INDICATORS[c]] for c in self.codes], dtype=object)
        unit_a, unit_b = units[dom_idx, ind_a], units[dom_idx, ind_b]
        first_target = self._target(unit_a).astype(object)
        first_target[no_target] = None
        first_ind = list(zip(names[dom_idx, ind_a].tolist(), first_target.tolist(),
                             unit_a.tolist(), strict=True))
        second_ind = zip(names[dom_idx, ind_b].tolist(), self._target(unit_b).tolist(),
                         unit_b.tolist(), strict=True)
        indicators = np.empty(n, dtype=object)
        indicators[:] = [() if k == 0 else (a,) if k == 1 else (a, b)
                         for k, a, b in zip(n_ind.tolist(), first_ind, second_ind, strict=True)]
        return {"indicators": indicators}

    def scores(self) -> dict[str, np.ndarray]:
        """Expert and worker scores, votes, completion probability and funding pools."""
        n, rng = self.n, self.rng
        expert = np.round(np.clip(rng.normal(78, 9, n), 50, 98), 1)
        worker = np.round(np.clip(rng.normal(82, 8, n), 60, 100), 1)
        worker[rng.random(n) < 0.10] = np.nan
        votes = rng.poisson(np.sqrt(self.benefit) * 3).astype(float)
        completion = np.round(np.clip(rng.beta(9, 1.5, n) - (self.duration - 2) * 0.01,
                                      0.55, 0.99), 2)
        pool_kind = rng.choice(3, size=n, p=[0.5, 0.2, 0.3])
        pools = np.array([("fiscal",), ("charity",), ("fiscal", "charity")],
                         dtype=object)[pool_kind] if n else np.empty(0, dtype=object)
        return {"expert_score": expert, "worker_score": worker, "worker_votes": votes,
                "completion_probability": completion, "pools": pools}

    def relations(self) -> dict[str, np.ndarray]:
        """Rows outside the variants that require an earlier proposal or exclude one."""
        n, rng, ids = self.n, self.rng, self.ids
        empty = np.empty(n, dtype=object)
        empty[:] = [()] * n
        requires, excludes = empty.copy(), empty.copy()
        free = np.flatnonzero(~self.in_variant & (np.arange(n) > 0))
        n_rel = min(len(free) // 2, max(1, n * 3 // 200)) if len(free) >= 2 else 0
        if n_rel:
            chosen = rng.choice(free, size=2 * n_rel, replace=False)
            req_rows, exc_rows = chosen[:n_rel], chosen[n_rel:]
            req_targets = (rng.random(n_rel) * req_rows).astype(np.int64)  # an earlier proposal
            exc_targets = (rng.random(n_rel) * exc_rows).astype(np.int64)
            requires[req_rows] = [(t,) for t in ids[req_targets]]
            excludes[exc_rows] = [(t,) for t in ids[exc_targets]]
        return {"id": ids, "requires": requires, "excludes": excludes}

    def titles(self) -> dict[str, np.ndarray]:
        """District (or the city), the domain's template and the variant's size."""
        n, city_wide = self.n, self.city_wide
        district = _pick(DISTRICTS, self.dist_idx)
        district[city_wide] = None
        self.prefix = np.where(city_wide, "全市", district)
        templates = np.array([_TEMPLATES[c] for c in self.codes],
                             dtype=object)[self.dom_idx, self.tmpl_idx]
        title = self.prefix.astype(object) + templates
        suffix = np.full(n, "", dtype=object)
        for offset, label in enumerate(("（小型）", "（中型）", "（大型）")):
            suffix[self.starts + offset] = label
        return {"title": title + suffix, "district": district,
                "domain": np.asarray(self.codes, dtype=object)[self.dom_idx]}

    def proposers(self) -> dict[str, np.ndarray]:
        """Channel and proposer (a district federation, an industry union or a worker
        online), the year and the staff months."""
        n, rng, city_wide = self.n, self.rng, self.city_wide
        channel = np.where(rng.random(n) < 0.7, "union", "online").astype(object)
        industry = _pick(_INDUSTRY_UNIONS, rng.integers(0, len(_INDUSTRY_UNIONS), n))
        proposer = np.where(rng.random(n) < 0.6,
                            np.where(city_wide, "市总工会", self.prefix + "总工会"),
                            industry).astype(object)
        proposer[channel == "online"] = "职工网上提议"
        staff = np.round(self.duration * rng.uniform(0.3, 2.5, n), 1)
        return {"proposer": proposer, "channel": channel, "year": np.full(n, float(self.year)),
                "staff_months": staff}
