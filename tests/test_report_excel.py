"""The Excel workbook: built for use (typed numbers with formats, one column per pool,
autofilter, frozen header, counts by reason), re-adds to the JSON result, holds no formula."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from selector.datasets import generate_call
from selector.engine import Model, screen_reasons
from selector.i18n import t
from selector.report import build_report, write_reports
from selector.rules import Count, GroupRule, Pool, Rules

INJECTED = ("=1+2", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=evil()")
RULES = Rules(budget=Decimal("4000000"),
              pools=(Pool(name="fiscal", amount=Decimal("3000000")),
                     Pool(name="charity", amount=Decimal("1500000"))),
              groups=(GroupRule(column="domain", max_share=0.4),),
              count=Count(max=15))
SHEETS = {"zh": ["汇总", "入选项目", "备选项目", "不符合条件的项目", "不符合条件的原因", "按领域",
                 "按服务对象", "规则执行情况", "图表"],
          "en": ["Summary", "Selected", "Reserve", "Ineligible proposals", "Ineligible by reason",
                 "By domain", "By target group", "Rules", "Charts"]}


@pytest.fixture(scope="module", params=["zh", "en"])
def outputs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    first = Model.build(generate_call(70, seed=3), RULES).solve(solver="highs")
    proposals = generate_call(70, seed=3)
    frame = proposals.frame
    for pid, title in zip(first.selected, INJECTED, strict=False):
        frame.loc[frame["id"] == pid, "title"] = title
    selection = Model.build(proposals, RULES).solve(solver="highs")
    chosen = set(selection.selected)
    reserve = [(p, 0.5 + k / 10) for k, p in enumerate(
        [p for p in proposals.ids if p not in chosen and p not in selection.ineligible][:4])]
    report = build_report(selection, lang=request.param, reserve=reserve)
    out = tmp_path_factory.mktemp(f"xlsx-{request.param}")
    write_reports(report, out, ["xlsx", "json"])
    (out / "lang").write_text(request.param)
    return out


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _lang(out: Path) -> str:
    return (out / "lang").read_text()


def _data(out: Path) -> dict:  # type: ignore[type-arg]
    return json.loads((out / "result.json").read_text(encoding="utf-8"))


def test_sheets_in_the_reports_language(outputs: Path) -> None:
    wb = load_workbook(outputs / "report.xlsx")
    assert wb.sheetnames == SHEETS[_lang(outputs)]
    assert len(wb.worksheets[-1]._images) == 5          # the report's charts, as pictures


def test_selected_sheet_is_typed_and_re_adds(outputs: Path) -> None:
    data = _data(outputs)
    ws = load_workbook(outputs / "report.xlsx").worksheets[1]
    header = [c.value for c in ws[1]]
    rows = list(ws.iter_rows(min_row=2))
    body, total = rows[:-1], rows[-1]
    assert [r[0].value for r in body] == data["selected"]
    money_format = '#,##0.00"元"' if _lang(outputs) == "zh" else '"¥"#,##0.00'
    cost = [r[3] for r in body]
    assert all(_number(c.value) and c.number_format == money_format for c in cost)
    assert sum(Decimal(str(c.value)).quantize(Decimal("0.01")) for c in cost) == \
        Decimal(data["total_cost"])
    assert Decimal(str(total[3].value)).quantize(Decimal("0.01")) == Decimal(data["total_cost"])
    assert sum(r[4].value for r in body) == pytest.approx(data["beneficiaries"])
    # one numeric column per pool, which re-adds to what each project costs
    pools = [p["label"] for p in data["pools"]]
    cols = [header.index(p) for p in pools]
    for r in body:
        paid = [r[c].value for c in cols if r[c].value is not None]
        assert all(_number(v) for v in paid)
        assert sum(Decimal(str(v)) for v in paid).quantize(Decimal("0.01")) == \
            Decimal(str(r[3].value)).quantize(Decimal("0.01"))
    for p, c in zip(data["pools"], cols, strict=True):
        assert Decimal(str(total[c].value)).quantize(Decimal("0.01")) == Decimal(p["paid"])
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{len(body) + 1}"
    assert ws.freeze_panes == "A2"


def test_shares_scores_and_the_summary_are_numbers(outputs: Path) -> None:
    data = _data(outputs)
    wb = load_workbook(outputs / "report.xlsx")
    by_domain = list(wb.worksheets[5].iter_rows(min_row=2, values_only=False))
    assert sum(r[1].value for r in by_domain) == data["count"]
    assert all(r[4].number_format == "0.0%" and 0 <= r[4].value <= 1 for r in by_domain)
    assert sum(r[4].value for r in by_domain) == pytest.approx(1.0)
    reserve = list(wb.worksheets[2].iter_rows(min_row=2))
    assert [r[1].value for r in reserve] == [r["id"] for r in data["reserve"]]
    assert all(_number(r[6].value) and r[6].number_format == "0.00" for r in reserve)
    summary = wb.worksheets[0]
    values = [c.value for row in summary.iter_rows() for c in row if c.value is not None]
    assert values.count(data["title"]) == 1                # the title once, not twice
    numbers = {row[0].value: row[1] for row in summary.iter_rows(min_row=4) if row[0].value}
    label = {"zh": ("受益职工", "项目数", "相对差距"), "en": ("Beneficiaries", "Projects", "Gap")}
    benefit, count, gap = label[_lang(outputs)]
    assert numbers[benefit].value == data["beneficiaries"]
    assert numbers[count].value == data["count"]
    assert _number(numbers[gap].value) and numbers[gap].number_format.endswith("%")


def test_ineligible_counted_by_reason(outputs: Path) -> None:
    """Counted by the screening's own reason codes (re-screened here, independently of
    the report), each proposal once under each kind of its reasons."""
    data = _data(outputs)
    ws = load_workbook(outputs / "report.xlsx").worksheets[4]
    counted = {r[0]: r[1] for r in ws.iter_rows(min_row=2, values_only=True) if r[1] is not None}
    expected: dict[str, int] = {}
    for reasons in screen_reasons(generate_call(70, seed=3), RULES).values():
        for code in {r.code for r in reasons}:
            kind = t(f"report.reason_kind.{code}", _lang(outputs))  # type: ignore[arg-type]
            expected[kind] = expected.get(kind, 0) + 1
    assert counted == expected and sum(counted.values()) >= len(data["ineligible"])


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
