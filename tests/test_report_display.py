"""Results in a terminal and a notebook: short reprs, escaped HTML, numeric to_frame();
the public notice (issuer, publicity period, objection channel) and dates in Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import numpy as np
import pytest

from selector.datasets import generate_call
from selector.engine import Model
from selector.report import Notice, Provenance, build_report
from selector.report.html import public_html
from selector.result import Selection
from selector.rules import Pool, Rules
from selector.scenarios import Scenario, compare, frontier

HOSTILE = "<b onmouseover=alert(1)>驿站</b>"
RULES = Rules(budget=Decimal("900000"),
              pools=(Pool(name="fiscal", amount=Decimal("600000")),
                     Pool(name="charity", amount=Decimal("400000"))))


@pytest.fixture(scope="module")
def selection() -> Selection:
    proposals = generate_call(40, seed=12)
    first = Model.build(proposals, RULES).solve(solver="highs")
    frame = proposals.frame
    frame.loc[frame["id"] == first.selected[0], "title"] = HOSTILE
    return Model.build(proposals, RULES).solve(solver="highs")


def test_repr_is_one_short_line(selection: Selection) -> None:
    text = repr(selection)
    assert len(text) < 300 and "\n" not in text
    assert text.startswith("<Selection 已证明最优：") and f"{selection.count} 个项目" in text


def test_html_view_escapes_input(selection: Selection) -> None:
    page = selection._repr_html_()
    assert HOSTILE not in page and "&lt;b onmouseover=alert(1)&gt;" in page
    assert page.count("<tr>") <= 1 + 7 + 10 + 1        # facts, at most ten projects


def test_to_frame_is_numeric_and_flat(selection: Selection) -> None:
    frame = selection.to_frame()
    assert frame["cost"].dtype == np.float64
    assert sum(frame.loc[frame["status"] == "selected", "cost_exact"], Decimal(0)) == \
        selection.total_cost
    for column in frame.columns:
        assert not frame[column].map(lambda v: isinstance(v, tuple | list)).any(), column
    chosen = frame[frame["status"] == "selected"]
    paid = chosen["paid_fiscal"] + chosen["paid_charity"]
    assert np.allclose(paid.to_numpy(), chosen["cost"].to_numpy())
    assert (frame.loc[frame["status"] != "selected", ["paid_fiscal", "paid_charity"]] == 0).all().all()
    assert set(frame["status"]) <= {"selected", "not selected", "ineligible"}
    assert list(frame["id"]) == list(selection.proposals.ids)


def test_scenario_results_show_short() -> None:
    proposals = generate_call(20, seed=3)
    rules = Rules(budget=600_000)
    front = frontier(proposals, rules, low=300_000, high=600_000, solver="highs", workers=1,
                     progress=False)
    assert len(repr(front)) < 300 and repr(front).startswith("<Frontier 预算边界")
    assert "<table>" in front._repr_html_()
    comp = compare([Scenario("低", budget=300_000), Scenario("高", budget=600_000)],
                   proposals=proposals, rules=rules, solver="highs", workers=1, progress=False)
    assert repr(comp) == "<Comparison 2 个方案（低、高），基准为“低”>"
    assert comp._repr_html_().count("<tr>") == 3


def test_public_notice_is_published(selection: Selection) -> None:
    notice = Notice(issuer="某市总工会", start=dt.date(2026, 12, 4), end=dt.date(2026, 12, 10),
                    phone="010-12345678", email="gongshi@example.cn")
    prov = Provenance(generated_at="2026-12-02T17:30:00+00:00", selector_version="0.1.0")
    report = build_report(selection, lang="zh", notice=notice, provenance=prov)
    page = public_html(report)
    assert "发布单位" in page and "某市总工会" in page
    assert "公示期" in page and "2026年12月4日至2026年12月10日" in page
    assert "异议渠道" in page and "电话：010-12345678" in page and "gongshi@example.cn" in page
    assert "2026年12月3日 01:30" in page                  # Asia/Shanghai, not UTC ISO
    assert "CNY" not in page and "元" in page
    assert notice.complete and not Notice(issuer="x").complete
    english = public_html(build_report(selection, lang="en", notice=notice, provenance=prov))
    assert "4 Dec 2026 to 10 Dec 2026" in english and "Issued by" in english


def test_without_a_notice_the_list_has_no_empty_notice(selection: Selection) -> None:
    page = public_html(build_report(selection, lang="zh"))
    assert 'id="notice"' not in page and "拟资助项目公示名单" in page


def test_explanation_shows_its_reasons() -> None:
    from selector.explain import explain

    proposals = generate_call(20, seed=3)
    model = Model.build(proposals, Rules(budget=600_000))
    base = model.solve(solver="highs")
    runner = next(p for p in proposals.ids if p not in base.selected and p not in base.ineligible)
    ex = explain(model, [runner], solver="highs", lang="zh")
    page = ex._repr_html_()
    assert runner in page and "未入选原因" in page
    assert html.escape(ex.why_not(runner)) in page
