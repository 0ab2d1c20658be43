"""Bad input: every problem is reported at once, with the row and column a planner sees."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from selector import InvalidInputError, SelectorError, load_proposals, save_proposals
from selector.datasets import generate_call

HEADER = ("项目编号,项目名称,领域,预算金额(元),预计受益人数,最早开工月份,完成概率,申报年度,"
          "绩效指标,依赖项目,互斥项目")
GOOD = "A1,职工书屋,文体服务,80000,600,3,0.9,2026,参与人数=600人,,"
GOOD2 = "A2,户外驿站,健康管理,120000,1200,4,0.8,2026,建成站点=3个,A1,"


def csv_file(*rows: str) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / "bad.csv"
        path.write_text("\n".join([HEADER, GOOD, *rows]) + "\n", encoding="utf-8")
        return path
    return make


def raw_file(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(data)
        return path
    return make


def xlsx_with_sheet(tmp: Path) -> Path:
    return save_proposals(generate_call(5), tmp / "call.xlsx")


# (name, file maker, load kwargs, expected (row, column) pairs, words in the message)
CASES: list[tuple[str, Callable[[Path], Path], dict[str, object],
                  list[tuple[int | None, str | None]], str]] = [
    ("duplicate id", csv_file("A1,重复,健康管理,1000,10,1,0.5,2026,,,"), {},
     [(3, "项目编号")], "duplicate id (first used in row 2)"),
    ("missing cost", csv_file("A3,缺预算,健康管理,,10,1,0.5,2026,,,"), {},
     [(3, "预算金额(元)")], "missing cost"),
    ("non-numeric cost", csv_file("A3,文字预算,健康管理,十二万,10,1,0.5,2026,,,"), {},
     [(3, "预算金额(元)")], "amount in yuan"),
    ("negative cost", csv_file("A3,负预算,健康管理,-5,10,1,0.5,2026,,,"), {},
     [(3, "预算金额(元)")], "must not be negative"),
    ("three decimals", csv_file("A3,分以下,健康管理,1.005,10,1,0.5,2026,,,"), {},
     [(3, "预算金额(元)")], "exact to the fen"),
    ("NaN beneficiaries", csv_file("A3,NaN,健康管理,100,NaN,1,0.5,2026,,,"), {},
     [(3, "预计受益人数")], "not a number"),
    ("inf beneficiaries", csv_file("A3,inf,健康管理,100,inf,1,0.5,2026,,,"), {},
     [(3, "预计受益人数")], "not a number"),
    ("negative beneficiaries", csv_file("A3,负,健康管理,100,-3,1,0.5,2026,,,"), {},
     [(3, "预计受益人数")], "from 0 to 1,000,000,000"),
    ("unknown domain", csv_file("A3,错领域,健康管里,100,3,1,0.5,2026,,,"), {},
     [(3, "领域")], "did you mean 'health'"),
    ("missing domain", csv_file("A3,无领域,,100,3,1,0.5,2026,,,"), {},
     [(3, "领域")], "missing domain"),
    ("malformed indicator", csv_file("A3,指标,健康管理,100,3,1,0.5,2026,满意度=很高,,"), {},
     [(3, "绩效指标")], "malformed indicator"),
    ("dangling requires", csv_file("A3,依赖,健康管理,100,3,1,0.5,2026,,A9,"), {},
     [(3, "依赖项目")], "unknown proposal id(s): A9"),
    ("dangling excludes", csv_file("A3,互斥,健康管理,100,3,1,0.5,2026,,,Z1"), {},
     [(3, "互斥项目")], "unknown proposal id(s): Z1"),
    ("self reference", csv_file("A3,自指,健康管理,100,3,1,0.5,2026,,A3,"), {},
     [(3, "依赖项目")], "cannot refer to itself"),
    ("probability above 1", csv_file("A3,概率,健康管理,100,3,1,1.5,2026,,,"), {},
     [(3, "完成概率")], "probability from 0 to 1"),
    ("start month 13", csv_file("A3,月份,健康管理,100,3,13,0.5,2026,,,"), {},
     [(3, "最早开工月份")], "month from 1 to 12"),
    ("non-integer year", csv_file("A3,年度,健康管理,100,3,1,0.5,2026.5,,,"), {},
     [(3, "申报年度")], "whole year"),
    ("several problems in one file",
     csv_file("A1,重复,健康管理,-1,10,1,0.5,2026,,,", "A4,好,文体服务,1,1,1,0.5,2026,,,",
              "A5,坏,wrong,1,1,0,0.5,2026,,,"), {},
     [(3, "项目编号"), (3, "预算金额(元)"), (5, "领域"), (5, "最早开工月份")], "4 problems"),
    ("empty file", raw_file("empty.csv", b""), {}, [(None, None)], "empty"),
    ("header only", raw_file("header.csv", (HEADER + "\n").encode()), {}, [(None, None)],
     "no data rows"),
    ("binary garbage", raw_file("garbage.csv", os.urandom(3000) + b"\x00\x01"), {},
     [(None, None)], "not a text file"),
    ("garbage with .xlsx name", raw_file("fake.xlsx", b"PK\x03\x04" + os.urandom(500)), {},
     [(None, None)], "not a valid .xlsx"),
    ("garbage with .parquet name", raw_file("fake.parquet", b"PAR1" + os.urandom(500)), {},
     [(None, None)], "not a valid Parquet"),
    ("wrong sheet name", xlsx_with_sheet, {"sheet": "Sheet1"}, [(None, None)],
     "no sheet named 'Sheet1'; the sheets are: proposals"),
    ("wrong delimiter given", csv_file(), {"delimiter": ";"}, [(1, None)],
     "seems to be separated by ','"),
    ("row separated differently",
     csv_file("A3;行;健康管理;100;3;1;0.5;2026;;;"), {},
     [(3, "项目编号")], "seems separated by ';'"),
    ("too many cells in a row", csv_file("A3,多,健康管理,100,3,1,0.5,2026,,,,extra"), {},
     [(3, None)], "12 cells but the header has 11"),
    ("duplicate header",
     raw_file("dup.csv", b"id,domain,cost,cost,beneficiaries\nA,health,1,2,3\n"), {},
     [(1, "cost")], "duplicate header"),
    ("two headers meaning one field",
     raw_file("two.csv", "id,领域,domain,cost,beneficiaries\nA,健康管理,health,1,3\n".encode()),
     {}, [(1, "domain")], "both mean 'domain'"),
    ("missing required column",
     raw_file("req.csv", b"id,title,cost\nA,x,1\n"), {}, [(1, None)],
     "missing required column(s): domain, beneficiaries"),
    ("unknown target group",
     raw_file("tg.csv", "id,domain,cost,beneficiaries,服务对象\nA,health,1,3,快递原\n".encode()),
     {}, [(2, "服务对象")], "did you mean 'couriers'"),
    ("unknown channel",
     raw_file("ch.csv", "id,domain,cost,beneficiaries,渠道\nA,health,1,3,微信\n".encode()),
     {}, [(2, "渠道")], "unknown channel"),
    ("low above estimate",
     raw_file("lo.csv", "id,domain,cost,beneficiaries,受益人数下限\nA,health,1,3,5\n".encode()),
     {}, [(2, "受益人数下限")], "low estimate"),
    ("mixed currencies",
     raw_file("cur.csv", "id,domain,cost,beneficiaries,币种\nA,health,1,3,CNY\nB,health,1,3,EUR\n"
              .encode()), {}, [(None, "币种")], "one currency"),
    ("data under a blank header",
     raw_file("blank.csv", b"id,domain,cost,beneficiaries,\nA,health,1,3,oops\n"), {},
     [(1, None)], "has data but no header"),
    ("mapping to an unknown field",
     raw_file("map.csv", "编码,domain,cost,beneficiaries\nA,health,1,3\n".encode()),
     {"mapping": {"编码": "identifier"}}, [(None, "编码"), (1, None)],
     "unknown field 'identifier'"),
    ("not JSON", raw_file("bad.json", b"[{\"id\": 1,}]"), {}, [(None, None)], "not valid JSON"),
    ("JSON not records", raw_file("bad2.json", b"{\"a\": 1}"), {}, [(None, None)],
     "list of records"),
    ("row longer than the header",   # pandas alone would drop its last cells, warning
     csv_file("A3,多列,健康管理,100,3,1,0.5,2026,,,,多出,一格"), {}, [(3, None)],
     "this row has 13 cells but the header has 11"),
    ("first row longer than the header", raw_file("long.csv", (
        b"id,title,domain,cost,beneficiaries,indicators\nP1,t,health,1,2,3,10,5\n"
        b"P2,u,health,1,2,x\n")), {}, [(2, None)],
     "this row has 8 cells but the header has 6"),
    ("no such file", lambda tmp: tmp / "missing.csv", {}, [(None, None)], "no such file"),
    ("old xls", raw_file("old.xls", b"\xd0\xcf\x11\xe0" + b"0" * 100), {}, [(None, None)],
     "save it as .xlsx"),
]


@pytest.mark.parametrize("name,make,kwargs,where,words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_with_row_and_column(
        tmp_path: Path, name: str, make: Callable[[Path], Path], kwargs: dict[str, object],
        where: list[tuple[int | None, str | None]], words: str) -> None:
    path = make(tmp_path)
    with pytest.raises(InvalidInputError) as caught:
        load_proposals(path, **kwargs)  # type: ignore[arg-type]
    err = caught.value
    assert isinstance(err, ValueError) and isinstance(err, SelectorError)
    assert [(p.row, p.column) for p in err.problems] == where
    message = str(err)
    assert words in message
    assert "Traceback" not in message and "pandas" not in message.lower()
    for row, column in where:
        if row is not None:
            assert f"row {row}" in message
        if column is not None:
            assert repr(column) in message


def test_at_least_twenty_kinds_of_bad_input() -> None:
    assert len(CASES) >= 20


def test_frame_input_is_validated_the_same_way() -> None:
    from selector import proposals_from_frame

    frame = pd.DataFrame({"id": ["A", "A"], "domain": ["health", "helth"], "cost": [1, -1],
                          "beneficiaries": [1.0, float("nan")]})
    with pytest.raises(InvalidInputError) as caught:
        proposals_from_frame(frame)
    assert [(p.row, p.column) for p in caught.value.problems] == [
        (3, "id"), (3, "domain"), (3, "cost"), (3, "beneficiaries")]


def test_many_bad_rows_are_summarised(tmp_path: Path) -> None:
    rows = [f"B{k},坏,健康管理,-1,1,1,0.5,2026,,," for k in range(100)]
    with pytest.raises(InvalidInputError) as caught:
        load_proposals(csv_file(*rows)(tmp_path))
    problems = caught.value.problems
    assert len(problems) == 21
    assert problems[-1].message.startswith("80 more rows with the same problem")


def test_a_file_with_thousands_of_problems_gives_a_short_error(tmp_path: Path) -> None:
    headers = ["id", "domain", "cost", "beneficiaries"] + [f"备注{k}" for k in range(40)]
    rows = [",".join([f"B{k}", "health", "-1", "1e300", *["x" * 40_000] * 40])
            for k in range(30)]
    path = tmp_path / "many.csv"
    path.write_text("\n".join([",".join(headers), *rows]) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_proposals(path)
    err = caught.value
    assert len(err.problems) > 50  # every kind kept (each summarised after 20 rows) ...
    lines = str(err).splitlines()
    assert len(lines) == 52 and "more problems" in lines[-1]  # ... the text stays short
    assert max(map(len, lines)) < 300
