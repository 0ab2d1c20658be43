"""Load → save → load gives equal proposals, in every format; encodings load identically."""

from __future__ import annotations

import codecs
import re
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import ProposalSet, load_proposals, proposals_from_frame, save_proposals
from selector.datasets import generate_call
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ID_CHARS = "abcXYZ0123456789职工-_=+@'."
NAME_CHARS = "培训人数满意度站点abc XYZ()"
UNIT_CHARS = "人次个%场户元"

texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12)
optional_text = st.none() | texts
finite = st.floats(-1e9, 1e9, allow_nan=False, allow_infinity=False)
score = st.none() | st.floats(0, 100)


@st.composite
def indicator(draw: st.DrawFn) -> tuple[str, float | None, str | None]:
    name = draw(st.text(NAME_CHARS, min_size=1, max_size=6)).strip() or "指标"
    target = draw(st.none() | finite)
    unit = draw(st.none() | st.text(UNIT_CHARS, min_size=1, max_size=2))
    return (name, target, unit)


@st.composite
def proposal_sets(draw: st.DrawFn) -> ProposalSet:
    # an id cell written as '=x shows as =x in a spreadsheet (the apostrophe is Excel's text
    # marker), so such ids are not drawn: their references in list cells would differ
    ids = draw(st.lists(st.text(ID_CHARS, min_size=1, max_size=8).map(str.strip)
                        .filter(lambda s: bool(s) and not re.match(r"'+[=+\-@]", s)),
                        min_size=1, max_size=6, unique=True))
    rows: list[dict[str, Any]] = []
    for k, pid in enumerate(ids):
        others = [i for i in ids if i != pid]
        b = draw(st.floats(0, 1e9, allow_nan=False))
        low = draw(st.none() | st.floats(0, 1e9, allow_nan=False))
        high = draw(st.none() | st.floats(0, 1e9, allow_nan=False))
        minor = draw(st.integers(0, 10**14) | st.sampled_from([0, 1, 99, 10**14 - 1, 10**14]))
        rows.append({
            "id": pid,
            "title": draw(texts),
            "domain": draw(st.sampled_from(DEFAULT_DOMAINS.codes)),
            "cost": str(Decimal(minor).scaleb(-2)),
            "beneficiaries": b,
            "beneficiaries_low": None if low is None else min(low, b),
            "beneficiaries_high": None if high is None else max(high, b),
            "duration_months": draw(st.none() | st.floats(0.5, 120)),
            "earliest_start": draw(st.none() | st.integers(1, 12)),
            "target_groups": tuple(draw(st.lists(st.sampled_from(DEFAULT_TARGET_GROUPS.codes),
                                                 unique=True, max_size=3))),
            "district": draw(optional_text),
            "indicators": tuple(draw(st.lists(indicator(), max_size=3))),
            "expert_score": draw(score),
            "worker_score": draw(score),
            "worker_votes": draw(st.none() | st.integers(0, 10**9)),
            "completion_probability": draw(st.none() | st.floats(0, 1)),
            "pools": tuple(draw(st.lists(st.sampled_from(["fiscal", "charity", "lottery"]),
                                         unique=True, max_size=3))),
            "requires": tuple(draw(st.lists(st.sampled_from(others), unique=True, max_size=2))
                              if others else ()),
            "excludes": tuple(draw(st.lists(st.sampled_from(others), unique=True, max_size=2))
                              if others else ()),
            "variant_group": draw(st.none() | st.sampled_from(["V1", "=V2", "方案A"])),
            "proposer": draw(optional_text),
            "channel": draw(st.none() | st.sampled_from(["union", "online"])),
            "year": draw(st.none() | st.integers(1990, 2100)),
            "staff_months": draw(st.none() | st.floats(0, 1e6, allow_nan=False)),
            "备注": draw(optional_text) if k % 2 else None,
        })
    currency = draw(st.sampled_from(["CNY", "EUR"]))
    return proposals_from_frame(pd.DataFrame(rows), currency=currency)


def _roundtrip(proposals: ProposalSet, suffix: str, **kwargs: Any) -> ProposalSet:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"p{suffix}"
        save_proposals(proposals, path, **kwargs)
        return load_proposals(path)


SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.mark.parametrize("suffix,kwargs", [
    (".csv", {}), (".csv", {"headers": "zh"}), (".xlsx", {}), (".xlsx", {"headers": "zh"}),
    (".json", {}), (".parquet", {}),
])
@SETTINGS
@given(proposals=proposal_sets())
def test_save_then_load_gives_equal_proposals(proposals: ProposalSet, suffix: str,
                                              kwargs: dict[str, Any]) -> None:
    assert _roundtrip(proposals, suffix, **kwargs) == proposals


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".json", ".parquet"])
def test_generated_call_roundtrips_with_extra_column(suffix: str) -> None:
    call = generate_call(60, seed=3)
    back = _roundtrip(call, suffix)
    assert back == call
    assert back.extra_columns == ["staff_months"]
    assert back.frame["cost_minor"].dtype == "int64"
    assert back.frame["cost_minor"].sum() == call.frame["cost_minor"].sum()


def test_bundled_example_is_the_seeded_call() -> None:
    assert load_proposals(EXAMPLES / "proposals.csv") == generate_call(150, seed=2026)


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-8-sig", "utf-16"])
def test_chinese_excel_encodings_load_identically(tmp_path: Path, encoding: str) -> None:
    text = (EXAMPLES / "proposals.csv").read_text(encoding="utf-8")
    reference = load_proposals(EXAMPLES / "proposals.csv")
    path = tmp_path / f"proposals_{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)
    assert load_proposals(path) == reference
    assert load_proposals(path, encoding=encoding) == reference


def test_semicolon_and_tab_separated_files_are_detected(tmp_path: Path) -> None:
    reference = load_proposals(EXAMPLES / "proposals.csv")
    frame = pd.read_csv(EXAMPLES / "proposals.csv", dtype=str, keep_default_na=False)
    for sep in (";", "\t"):
        path = tmp_path / "p.csv"
        frame.to_csv(path, sep=sep, index=False)
        assert load_proposals(path) == reference


def test_formula_cells_are_neutralised_and_restored(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    frame = pd.DataFrame({"id": ["=1+1", "-2", "@x"], "title": ["=HYPERLINK(\"http://x\")",
                                                                 "+cmd", "'=quoted"],
                          "domain": ["health"] * 3, "cost": ["1", "2", "3"],
                          "beneficiaries": [1, 2, 3]})
    proposals = proposals_from_frame(frame)
    assert proposals.frame["title"].tolist() == ["=HYPERLINK(\"http://x\")", "+cmd", "=quoted"]
    csv_path = save_proposals(proposals, tmp_path / "p.csv")
    for line in csv_path.read_text(encoding="utf-8").splitlines()[1:]:
        assert line[0] not in "=+-@"
    xlsx_path = save_proposals(proposals, tmp_path / "p.xlsx")
    sheet = load_workbook(xlsx_path).active
    assert sheet is not None
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    assert load_proposals(csv_path) == proposals
    assert load_proposals(xlsx_path) == proposals


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path: Path) -> None:
    from selector import InvalidInputError

    path = tmp_path / "p.csv"
    path.write_text("id,domain,cost,beneficiaries\nA,health,1,1\n\n\nB,health,-1,1\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_proposals(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(5, "cost")]


def test_money_cells_are_exact(tmp_path: Path) -> None:
    frame = pd.DataFrame({"项目编号": list("ABCDEF"), "领域": ["技能提升"] * 6,
                          "预算金额": ["1,200,000.50", "¥120000", "12万", "12.345678万",
                                   "0.01", "1,000,000,000,000"],
                          "预计受益人数": ["3,000人"] * 6})
    cost = proposals_from_frame(frame).frame["cost_minor"].tolist()
    assert cost == [120000050, 12000000, 12000000, 12345678, 1, 10**14]
    wan = proposals_from_frame(frame.rename(columns={"预算金额": "预算金额(万元)"}).assign(
        预算金额=None).drop(columns="预算金额").assign(**{"预算金额(万元)": ["1.5", "2", "0.000001",
                                                                       "3", "4", "5"]}))
    assert wan.frame["cost_minor"].tolist()[:3] == [1500000, 2000000, 1]


def test_excel_sheet_by_name_or_number(tmp_path: Path) -> None:
    from openpyxl import Workbook

    call = generate_call(8, seed=9)
    first = save_proposals(call, tmp_path / "p.xlsx", headers="zh")
    frame = pd.read_excel(first, dtype=object)
    path = tmp_path / "two.xlsx"
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "说明"
    cover.append(["本表为职工实事项目申报汇总"])
    sheet = book.create_sheet("第二批")
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else v for v in row])
    book.save(path)
    assert load_proposals(path, sheet="第二批") == call
    assert load_proposals(path, sheet=1) == call


def test_line_breaks_inside_cells_keep_row_numbers(tmp_path: Path) -> None:
    from selector import InvalidInputError

    path = tmp_path / "p.csv"
    path.write_text('id,title,domain,cost,beneficiaries,服务对象\nA,x,health,1,1,"快递员\n女职工"\n'
                    "B,x,health,-1,1,\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_proposals(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "cost")]
    path.write_text('id,title,domain,cost,beneficiaries,服务对象\nA,x,health,1,1,"快递员\n女职工"\n',
                    encoding="utf-8")
    assert load_proposals(path).frame["target_groups"].tolist() == [("couriers", "women_workers")]


def test_a_line_break_in_a_title_is_refused_with_its_row(tmp_path: Path) -> None:
    from selector import InvalidInputError

    path = tmp_path / "p.csv"
    path.write_text('id,title,domain,cost,beneficiaries\nA,"two\nlines",health,1,1\n'
                    "B,x,health,-1,1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_proposals(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(2, "title"), (3, "cost")]
    assert "control characters" in str(err.value) and "two\\nlines" in str(err.value)


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path) -> None:
    from selector import InvalidInputError

    call = generate_call(5, seed=3)
    target = save_proposals(call, tmp_path / "p.csv")
    before = target.read_bytes()
    bad = proposals_from_frame(pd.DataFrame({"id": ["A"], "domain": ["health"], "cost": ["1"],
                                             "beneficiaries": [1], "pools": [["a|b"]]}))
    with pytest.raises(InvalidInputError, match="separator"):
        save_proposals(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]  # no temporary file left


@pytest.mark.parametrize(("cells", "expected"), [
    (["10", "0.5", "-0.5", ""], [10.0, 0.5, -0.5, None]),   # numbers: a numeric column
    (["007", "12", "", "3"], ["007", "12", None, "3"]),       # a leading zero: kept as text
    (["1", "-07", "2", "4"], ["1", "-07", "2", "4"]),
    (["+01", "5", "6", "7"], ["+01", "5", "6", "7"]),
])
def test_an_extra_column_is_numeric_unless_a_cell_has_a_leading_zero(
        tmp_path: Path, cells: list[str], expected: list[object]) -> None:
    path = tmp_path / "p.csv"
    rows = [f"P{k},health,100,5,{cell}" for k, cell in enumerate(cells)]
    path.write_text("\n".join(["id,domain,cost,beneficiaries,内部编号", *rows]) + "\n",
                    encoding="utf-8")
    got = load_proposals(path).frame["内部编号"].tolist()
    assert [None if isinstance(v, float) and v != v else v for v in got] == expected
