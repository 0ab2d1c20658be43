"""Invented workers' suggestions with planted near-duplicates and paraphrases.

:func:`generate_suggestions` draws ``n`` suggestions the way a city trade union's
suggestion drive (mobile app, WeChat, hotline, grassroots unions) receives them: many
workers ask for the same thing, copying a text forwarded in a chat group, retyping it
with small slips, or saying it in their own words. Every row carries its ground truth
(``idea`` and ``variant``), so the quality of :func:`selector.intake.intake` is measured
as the precision and recall of the pairs it puts in one cluster. Deterministic for a
given ``seed``; about 3 s per million rows.

How a suggestion is drawn
-------------------------
idea
    One (ask, target group, site type) triple, all different: 40 asks of the seven
    domains, each with three wordings (``设立户外劳动者驿站`` / ``建设户外劳动者驿站`` /
    ``增设户外歇脚驿站``), 12 target groups each with two names (``外卖骑手`` /
    ``外卖小哥``) and 15 site types (``物流园区``, ``建筑工地``, ...): at most 7,200 ideas.
    There are ``n // 10`` ideas (at least one, at most 7,200); their popularity is
    Zipf-like (weight ``1 / rank``), so a few ideas gather thousands of suggestions and
    most a handful. Each idea's *seed text* adds a home district, a reason (25) and a
    wish (25)::

        建议在朝阳区物流园区为快递员设立户外劳动者驿站，夏天太热没地方喝水，配上充电插座。

variant
    How a suggestion words its idea (the seed text is the idea's first suggestion):

    - ``copy`` (45 %): the seed text, character for character;
    - ``noise`` (20 %): another opening (``希望``, ``强烈建议``, none), other punctuation,
      full-width letters, spaces, an emoji or a thank-you at the end, now and then an
      English word (``WiFi``, ``APP``);
    - ``edit`` (15 %): noise plus one or two characters dropped, doubled or swapped;
    - ``paraphrase`` (20 %): noise plus one rewording: another wording of the ask,
      the group's other name, the reason moved to the front, the reason, the wish or
      the district left out;
    - ``bad:empty``, ``bad:short``, ``bad:emoji`` (a fraction ``bad`` of the rows, idea
      -1): an empty cell, one or two characters (``好``, ``同意``), only emoji or
      punctuation;
    - ``repeat`` (0.2 %): a row exported twice (same id, same text); ``clash``
      (0.1 %): a new text that reuses an earlier row's id.

district
    The idea's home district for 70 % of its suggestions, any district otherwise.
channel
    ``手机APP`` 50 %, ``微信公众号`` 25 %, ``基层工会`` 20 %, ``服务热线`` 5 %.
submitter_type
    The idea's group (by either name) for 80 %, another group for 15 %, a type no
    taxonomy knows (``保安``, ``其他``) or nothing for 5 %.
submitter
    A worker number ``W`` + 7 digits from a pool of ``0.8 n`` workers, so some workers
    send several suggestions (now and then twice the same idea).
date
    A day from 4 January to 31 March of ``year`` (``2026-01-04``; 5 % as ``2026/1/4``).
id
    ``J`` + zero-padded row number, rows in random order (suggestions arrive mixed).

Examples
--------
>>> corpus = generate_suggestions(200, seed=1)
>>> list(corpus.columns)
['id', 'text', 'district', 'channel', 'submitter_type', 'submitter', 'date', 'idea', 'domain', 'variant']
>>> generate_suggestions(200, seed=1).equals(corpus)
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from selector.datasets import DISTRICTS
from selector.taxonomy import DEFAULT_TARGET_GROUPS

__all__ = ["ASKS", "GROUP_NAMES", "SITES", "VARIANTS", "generate_suggestions"]

#: The asks of the suggestions, by domain, each in three wordings.
ASKS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "health": (
        ("设立户外劳动者驿站", "建设户外劳动者驿站", "增设户外歇脚驿站"),
        ("开展免费体检", "组织免费健康体检", "提供免费体检服务"),
        ("开设心理咨询服务", "提供心理疏导服务", "设立心理健康咨询点"),
        ("发放防暑降温用品", "送清凉防暑物资", "提供防暑降温物品"),
        ("配备急救药箱", "放置应急药品箱", "配置急救包"),
        ("开展职业病防治讲座", "举办职业病预防讲座", "宣传职业病防治知识"),
    ),
    "rights": (
        ("提供免费法律咨询", "开设法律援助窗口", "安排律师免费咨询"),
        ("帮助追讨拖欠工资", "协助解决欠薪问题", "帮忙讨要欠薪"),
        ("督促企业缴纳社保", "推动企业依法缴社保", "监督单位缴纳社会保险"),
        ("设立劳动争议调解室", "建立劳动纠纷调解站", "开设劳动争议调解窗口"),
        ("推动签订劳动合同", "督促企业签订书面劳动合同", "帮助职工签劳动合同"),
        ("推动工伤保险全覆盖", "提供工伤保险咨询", "建立工伤互助保障"),
    ),
    "skills": (
        ("开设电工技能培训班", "举办电工培训课程", "组织电工技能培训"),
        ("提供学历提升补贴", "补贴职工学历教育", "资助职工提升学历"),
        ("开展电商直播培训", "举办直播带货技能课", "组织电商直播技能培训"),
        ("组织职业技能竞赛", "举办岗位技能比赛", "开展技能大赛"),
        ("开设职工夜校课程", "办职工夜校", "开办工人夜校"),
        ("提供安全驾驶培训", "开展安全驾驶课程", "组织行车安全培训"),
    ),
    "culture": (
        ("建设职工书屋", "设立职工阅览室", "开设职工图书角"),
        ("举办职工运动会", "组织职工趣味运动会", "开展职工体育比赛"),
        ("开放职工健身房", "建设职工健身室", "提供免费健身场地"),
        ("组织文艺演出进基层", "开展送文艺下基层", "举办职工文艺汇演"),
        ("举办篮球联赛", "组织篮球比赛", "开展职工篮球赛"),
        ("组织观影活动", "提供免费电影票", "发放电影优惠券"),
    ),
    "hardship": (
        ("设立困难职工子女助学金", "资助困难职工子女上学", "给困难家庭孩子发助学金"),
        ("提供大病医疗救助", "对大病职工给予救助", "开展大病帮扶救助"),
        ("开展节日慰问", "节日走访慰问", "春节送温暖慰问"),
        ("提供临时生活救助", "发放临时困难补助", "给予临时救助金"),
        ("帮助困难职工再就业", "提供再就业帮扶", "开展就业援助"),
    ),
    "migrant": (
        ("提供返乡交通补贴", "补贴春节返乡车票", "发放返乡路费补助"),
        ("开办农民工子女暑期托管班", "组织暑期爱心托管", "设立暑期托管班"),
        ("建设农民工公寓", "提供低价务工人员宿舍", "改善务工人员住宿条件"),
        ("开展工资清欠专项行动", "集中清理拖欠农民工工资", "组织欠薪专项治理"),
        ("建立工地夜校", "开设建筑工地夜校", "在工地办夜校"),
    ),
    "life": (
        ("设立爱心早餐点", "提供平价早餐", "开设职工早餐站"),
        ("建设电动车换电柜", "增设换电站", "配置电动车充换电设施"),
        ("开设职工托育点", "提供托育服务", "建立职工子女托育中心"),
        ("提供免费理发服务", "开展便民理发", "组织义务理发"),
        ("增设午休场所", "提供午间休息室", "开放午休点"),
        ("开设平价职工食堂", "建设职工食堂", "提供平价工作餐"),
    ),
}

#: Two names of each target group, as workers write them (taxonomy order).
GROUP_NAMES: dict[str, tuple[str, str]] = {
    "couriers": ("快递员", "快递小哥"), "food_delivery": ("外卖骑手", "外卖小哥"),
    "ride_hailing": ("网约车司机", "网约车师傅"), "truck_drivers": ("货车司机", "卡车司机"),
    "migrant_workers": ("农民工", "进城务工人员"), "women_workers": ("女职工", "女工"),
    "frontline_workers": ("一线职工", "一线工人"), "hardship_workers": ("困难职工", "困难家庭职工"),
    "young_workers": ("青年职工", "年轻职工"), "retired_workers": ("退休职工", "退休工人"),
    "sanitation_workers": ("环卫工人", "环卫工"), "construction_workers": ("建筑工人", "工地工人"),
}

#: Site types a suggestion names.
SITES = ("商圈", "物流园区", "工业园区", "建筑工地", "地铁站", "老旧小区", "写字楼", "批发市场",
         "医院周边", "高速服务区", "汽车站", "城中村", "科技园", "大学城", "农贸市场")

#: Why the worker asks (first half of an idea's detail clause).
_REASONS = ("夏天太热没地方喝水", "午休没地方歇脚", "下班太晚赶不上活动", "工资不高负担不起",
            "附近一个都没有", "现在的太远了", "排队时间太长", "很多工友都有这个需求", "去年提过一次还没解决",
            "新来的工友不了解政策", "夜班的工友最需要", "冬天特别冷", "孩子放假没人照看",
            "家里老人身体不好", "单位不重视这件事", "平时工作太忙抽不出时间", "好多人不知道怎么申请",
            "手续太复杂", "工友们经常加班", "周边配套跟不上", "以前的活动名额太少", "大家反映了很多次",
            "路上来回要两个小时", "网上报名总是抢不到", "女工们有特别需要")
#: What the worker wishes for besides (second half of the detail clause).
_WISHES = ("费用最好全部免费", "每个月至少组织一次", "希望尽快落实", "周末也要开放", "最好能线上预约",
           "延长开放时间到晚上十点", "配备专人管理", "提供饮用水和微波炉", "多宣传让更多人知道",
           "结合我们的工作时间安排", "覆盖到每个街道", "名额多一些", "手续越简单越好", "最好有人上门服务",
           "能报销就更好了", "请工会出面协调", "希望长期坚持下去", "开通热线随时咨询", "设在交通方便的地方",
           "让家属也能参加", "配上充电插座", "安排在晚上或周末", "最好有女性工作人员", "定期回访听取意见",
           "提供一些补贴")

_OPENERS = ("建议", "希望", "强烈建议", "", "能不能", "我们希望", "恳请工会")
_ENDINGS = ("。", "！", "", "，谢谢！", "，谢谢工会", " 👍", "🙏🙏", "!!", "～", "。急！",
            "，thanks", "，APP上也能报名就好了")
_BAD_SHORT = ("好", "赞", "1", "无", "同意", "支持", "没有", "？")
_BAD_EMOJI = ("👍👍👍", "🙏", "？？？", "……", "💪💪", "!!!", "👌")
_CHANNELS = ("手机APP", "微信公众号", "基层工会", "服务热线")
_OTHER_TYPES = ("保安", "其他", "", "个体户")

#: The variant kinds, in the order of their codes.
VARIANTS = ("seed", "copy", "noise", "edit", "paraphrase", "bad:empty", "bad:short",
            "bad:emoji", "repeat", "clash")
_ASK_LIST = [(domain, wordings) for domain, asks in ASKS.items() for wordings in asks]
_WIDTH = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                       "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
                       "ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ")


@dataclass(frozen=True)
class _Words:
    """The parts of one suggestion's text, and how they are put together."""

    opener: str
    district: str
    site: str
    group: str
    ask: str
    reason: str
    wish: str
    ending: str = "。"
    reason_first: bool = False

    def text(self) -> str:
        """``{opener}在{district}{site}为{group}{ask}，{reason}，{wish}{ending}`` (the
        reason first with ``reason_first``; empty parts left out)."""
        place = f"在{self.district}{self.site}" if self.district else f"在{self.site}"
        if self.reason_first and self.reason:
            tail = f"，{self.wish}" if self.wish else ""
            return f"{self.reason}，{self.opener}{place}为{self.group}{self.ask}{tail}{self.ending}"
        tail = "".join(f"，{part}" for part in (self.reason, self.wish) if part)
        return f"{self.opener}{place}为{self.group}{self.ask}{tail}{self.ending}"


def _noise(text: str, rng: np.random.Generator) -> str:
    """Surface changes that leave the words alone."""
    roll = rng.random(4)
    if roll[0] < 0.4:
        text = text.replace("，", ", " if roll[1] < 0.5 else " ")
    if roll[1] < 0.3:
        text = text.translate(_WIDTH)
    if roll[2] < 0.3:
        cut = int(rng.integers(1, max(2, len(text))))
        text = text[:cut] + " " + text[cut:]
    if roll[3] < 0.15:
        text = text + ("（有WiFi更好）" if roll[0] < 0.5 else " plz")
    return text


def _edit(text: str, rng: np.random.Generator) -> str:
    """One or two slips of the keyboard: a character dropped, doubled or swapped."""
    for _ in range(int(rng.integers(1, 3))):
        if len(text) < 4:
            break
        k = int(rng.integers(1, len(text) - 1))
        kind = rng.integers(0, 3)
        if kind == 0:
            text = text[:k] + text[k + 1:]
        elif kind == 1:
            text = text[:k] + text[k] + text[k:]
        else:
            text = text[:k - 1] + text[k] + text[k - 1] + text[k + 1:]
    return text




def generate_suggestions(n: int = 2000, seed: int = 2026, *, year: int = 2026,
                         bad: float = 0.005) -> pd.DataFrame:
    """Draw ``n`` suggestions with their ground truth (see the module docstring).

    Parameters
    ----------
    n:
        Number of rows (1 or more; fewer is a ValueError).
    seed:
        Seed of the random generator; the same seed gives the same rows.
    year:
        The year of the dates.
    bad:
        Fraction of rows that are empty, too short or only emoji.

    Returns
    -------
    pandas.DataFrame
        Columns ``id, text, district, channel, submitter_type, submitter, date`` (text,
        as a suggestions file holds them) and the truth: ``idea`` (int, -1 for a bad
        row), the ``domain`` of its ask (``None`` for a bad row) and ``variant`` (one of
        :data:`VARIANTS`).
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if not 0 <= bad < 1:
        raise ValueError(f"bad must be in [0, 1), got {bad}")
    rng = np.random.default_rng(seed)
    # in this order: every step draws from the one generator
    corpus = _Corpus(n, rng)
    corpus.rows(bad)
    texts = corpus.texts()
    senders = corpus.senders(year)
    return _plant_id_problems(corpus.frame(texts, senders), rng)


class _Corpus:
    """The steps of :func:`generate_suggestions` (see the module docstring).

    The constructor draws the ideas: each one's (ask, target group, site) triple, home
    district, reason, wish, wording, group name and opener, and its seed text.
    """

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n, self.rng = n, rng
        self.groups = groups = DEFAULT_TARGET_GROUPS.codes
        n_ideas = max(1, min(n // 10, len(_ASK_LIST) * len(groups) * len(SITES)))
        triple = rng.choice(len(_ASK_LIST) * len(groups) * len(SITES), size=n_ideas,
                            replace=False)
        self.ask_of, rest = np.divmod(triple, len(groups) * len(SITES))
        self.group_of, site_of = np.divmod(rest, len(SITES))
        self.home = rng.integers(0, len(DISTRICTS), n_ideas)
        reason_of = rng.integers(0, len(_REASONS), n_ideas)
        wish_of = rng.integers(0, len(_WISHES), n_ideas)
        self.wording_of = rng.integers(0, 3, n_ideas)
        self.name_of = rng.integers(0, 2, n_ideas)
        opener_of = rng.integers(0, 3, n_ideas)
        self.words = [_Words(_OPENERS[opener_of[i]], DISTRICTS[self.home[i]], SITES[site_of[i]],
                             GROUP_NAMES[groups[self.group_of[i]]][self.name_of[i]],
                             _ASK_LIST[self.ask_of[i]][1][self.wording_of[i]],
                             _REASONS[reason_of[i]], _WISHES[wish_of[i]])
                      for i in range(n_ideas)]
        self.seeds = [w.text() for w in self.words]

    def rows(self, bad: float) -> None:
        """Which idea each row words, and how (``variant``); the first row of every idea
        is its seed, a fraction ``bad`` of the other rows are bad (idea -1)."""
        n, rng = self.n, self.rng
        n_ideas = len(self.words)
        weights = 1.0 / np.arange(1, n_ideas + 1)
        self.idea = rng.choice(n_ideas, size=n, p=weights / weights.sum()) if n else np.zeros(0, int)
        first = np.unique(self.idea, return_index=True)[1]
        self.variant = rng.choice(np.arange(1, 5), size=n, p=[0.45, 0.20, 0.15, 0.20])
        self.variant[first] = 0
        bad_rows = rng.random(n) < bad
        bad_rows[first] = False
        self.variant[bad_rows] = rng.choice([5, 6, 7], size=int(bad_rows.sum()))
        self.idea[bad_rows] = -1

    def texts(self) -> np.ndarray:
        """The text of every row, in row order."""
        rng = self.rng
        texts = np.empty(self.n, dtype=object)
        for k in range(self.n):
            v, i = int(self.variant[k]), int(self.idea[k])
            if v <= 1:
                texts[k] = self.seeds[i]
            elif v >= 5:
                texts[k] = ("" if v == 5 else str(rng.choice(_BAD_SHORT)) if v == 6
                            else str(rng.choice(_BAD_EMOJI)))
            else:
                texts[k] = self._reworded(i, v)
        return texts

    def _reworded(self, i: int, v: int) -> str:
        """Idea ``i`` with another opener and ending, noise, and a rewording (variant 4)
        or slips of the keyboard (variant 3)."""
        rng = self.rng
        opener = _OPENERS[int(rng.integers(0, len(_OPENERS)))]
        ending = _ENDINGS[int(rng.integers(0, len(_ENDINGS)))]
        words = replace(self.words[i], opener=opener, ending=ending)
        if v == 4:
            words = self._paraphrased(words, i)
        text = _noise(words.text(), rng)
        return _edit(text, rng) if v == 3 else text

    def _paraphrased(self, words: _Words, i: int) -> _Words:
        """One rewording: another wording of the ask, the group's other name, the reason
        first, or the wish, the reason or the district left out."""
        how = int(self.rng.integers(0, 6))
        if how == 0:
            wording = (self.wording_of[i] + 1 + int(self.rng.integers(0, 2))) % 3
            return replace(words, ask=_ASK_LIST[self.ask_of[i]][1][wording])
        if how == 1:
            return replace(words, group=GROUP_NAMES[self.groups[self.group_of[i]]][1 - self.name_of[i]])
        if how == 2:
            return replace(words, reason_first=True)
        if how == 3:
            return replace(words, wish="")
        if how == 4:
            return replace(words, reason="")
        return replace(words, district="")

    def senders(self, year: int) -> dict[str, np.ndarray]:
        """Who sent each row, from where and when: district, channel, submitter type,
        submitter and date."""
        n, rng, idea, groups = self.n, self.rng, self.idea, self.groups
        own = np.where(idea >= 0, self.home[np.maximum(idea, 0)],
                       rng.integers(0, len(DISTRICTS), n))
        district_row = np.where(rng.random(n) < 0.7, own, rng.integers(0, len(DISTRICTS), n))
        channel = rng.choice(len(_CHANNELS), size=n, p=[0.5, 0.25, 0.2, 0.05])
        group_row = np.where(idea >= 0, self.group_of[np.maximum(idea, 0)],
                             rng.integers(0, len(groups), n))
        kind = rng.random(n)
        group_row = np.where(kind < 0.8, group_row, rng.integers(0, len(groups), n))
        names = np.array([GROUP_NAMES[g] for g in groups], dtype=object)
        submitter_type = names[group_row, rng.integers(0, 2, n)]
        other = kind >= 0.95
        submitter_type[other] = np.asarray(_OTHER_TYPES, dtype=object)[
            rng.integers(0, len(_OTHER_TYPES), int(other.sum()))]
        workers = max(1, int(0.8 * n))
        submitter = np.char.add("W", np.char.zfill(rng.integers(0, workers, n).astype(str), 7))
        day = np.datetime64(f"{year}-01-04") + rng.integers(0, 87, n).astype("timedelta64[D]")
        date = pd.Series(day).dt.strftime("%Y-%m-%d").to_numpy(dtype=object)
        slash = rng.random(n) < 0.05
        stamp = pd.Series(day[slash])
        date[slash] = (stamp.dt.year.astype(str) + "/" + stamp.dt.month.astype(str) + "/"
                       + stamp.dt.day.astype(str)).to_numpy(dtype=object)
        return {"district": np.asarray(DISTRICTS, dtype=object)[district_row],
                "channel": np.asarray(_CHANNELS, dtype=object)[channel],
                "submitter_type": submitter_type, "submitter": submitter.astype(object),
                "date": date}

    def frame(self, texts: np.ndarray, senders: dict[str, np.ndarray]) -> pd.DataFrame:
        """The rows in random order (suggestions arrive mixed), ids ``J0000001``..."""
        n, idea = self.n, self.idea
        domain = np.asarray([d for d, _ in _ASK_LIST], dtype=object)[self.ask_of[np.maximum(idea, 0)]]
        domain[idea < 0] = None
        order = self.rng.permutation(n)
        width = max(7, len(str(n)))
        return pd.DataFrame({
            "id": pd.Series([f"J{k + 1:0{width}d}" for k in range(n)], dtype=object),
            "text": pd.Series(texts[order], dtype=object),
            **{name: pd.Series(senders[name][order], dtype=object)
               for name in ("district", "channel", "submitter_type", "submitter", "date")},
            "idea": idea[order].astype(np.int64),
            "domain": pd.Series(domain[order], dtype=object),
            "variant": pd.Series(np.asarray(VARIANTS, dtype=object)[self.variant[order]],
                                 dtype=object),
        })


def _plant_id_problems(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Rows exported twice (``repeat``) and new texts under a used id (``clash``)."""
    n = len(frame)
    n_repeat, n_clash = n // 500, n // 1000
    if n < 20 or not n_repeat:
        return frame
    good = np.flatnonzero(frame["idea"].to_numpy() >= 0)
    picked = rng.choice(good, size=n_repeat + n_clash, replace=False)
    repeats = frame.iloc[picked[:n_repeat]].assign(variant="repeat")
    clashes = frame.iloc[picked[n_repeat:]].copy()
    donors = frame.iloc[rng.choice(good, size=n_clash)]
    clashes["text"] = donors["text"].to_numpy()
    clashes["idea"] = donors["idea"].to_numpy()
    clashes["domain"] = donors["domain"].to_numpy()
    clashes["variant"] = "clash"
    extra = pd.concat([repeats, clashes])
    at = rng.integers(0, n, len(extra))  # inserted after a random row, ids kept
    keys = np.concatenate([np.arange(n, dtype=float), at + 0.5])
    out = pd.concat([frame, extra], ignore_index=True)
    return out.iloc[np.argsort(keys, kind="stable")].reset_index(drop=True)
