"""The Excel workbook opens with openpyxl, re-adds to the JSON result, and holds no formula."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from selector.datasets import generate_call
from selector.engine import Model
from selector.report import build_report, write_reports
from selector.rules import Count, GroupRule, Pool, Rules

INJECTED = ("=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=evil()")


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rules = Rules(budget=Decimal("4000000"),
                  pools=(Pool(name="fiscal", amount=Decimal("3000000")),
                         Pool(name="charity", amount=Decimal("1500000"))),
                  groups=(GroupRule(column="domain", max_share=0.4),),
                  count=Count(max=15))
    first = Model.build(generate_call(70, seed=3), rules).solve(solver="highs")
    proposals = generate_call(70, seed=3)
    frame = proposals.frame
    for pid, title in zip(first.selected, INJECTED, strict=False):
        frame.loc[frame["id"] == pid, "title"] = title
    selection = Model.build(proposals, rules).solve(solver="highs")
    chosen = set(selection.selected)
    reserve = [(p, 1.0) for p in proposals.ids if p not in chosen
               and p not in selection.ineligible][:4]
    report = build_report(selection, lang="zh", reserve=reserve)
    out = tmp_path_factory.mktemp("xlsx")
    write_reports(report, out, ["xlsx", "json"])
    return out


def test_sheets(outputs: Path) -> None:
    wb = load_workbook(outputs / "report.xlsx")
    assert wb.sheetnames == ["summary", "selected", "reserve", "ineligible", "by domain",
                             "by target group", "rules"]


def test_totals_equal_json(outputs: Path) -> None:
    data = json.loads((outputs / "result.json").read_text(encoding="utf-8"))
    wb = load_workbook(outputs / "report.xlsx")
    sel = wb["selected"]
    rows = list(sel.iter_rows(min_row=2, values_only=True))
    body, total = rows[:-1], rows[-1]
    assert [r[0] for r in body] == data["selected"]
    costs = [Decimal(str(r[3])).quantize(Decimal("0.01")) for r in body]
    assert sum(costs) == Decimal(data["total_cost"])
    assert Decimal(str(total[3])).quantize(Decimal("0.01")) == Decimal(data["total_cost"])
    assert sum(r[4] for r in body) == pytest.approx(data["beneficiaries"])
    by_domain = list(wb["by domain"].iter_rows(min_row=2, values_only=True))
    assert sum(r[1] for r in by_domain) == data["count"]
    assert sum(Decimal(str(r[2])) for r in by_domain).quantize(Decimal("0.01")) == \
        Decimal(data["total_cost"])
    summary = {r[0]: r[1] for r in wb["summary"].iter_rows(values_only=True)}
    assert summary["受益职工"] == data["beneficiaries"]
    assert summary["项目数"] == data["count"]
    assert [r[1] for r in wb["reserve"].iter_rows(min_row=2, values_only=True)] == \
        [r["id"] for r in data["reserve"]]


def test_injected_formulas_neutralised(outputs: Path) -> None:
    wb = load_workbook(outputs / "report.xlsx")
    titles = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str):
                    assert cell.value[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell.value
                    titles.append(cell.value)
    for text in INJECTED:
        assert "'" + text in titles
