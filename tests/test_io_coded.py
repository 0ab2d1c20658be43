"""The CSV fast reader reads repetitive text fields dictionary-encoded and checks each
distinct text once (:data:`selector.io._read._CODED_FIELDS`): it must accept, clean and
refuse exactly as the cell-by-cell door does.

The oracle is :func:`selector.proposals_from_frame` on the same cells as plain text (a
DataFrame of ``str`` columns, which takes the door's ordinary path): a drawn file loads
to the same canonical frame, or is refused with the same problems (row, column, message
and value), whichever path reads it.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selector import InvalidInputError, load_proposals, proposals_from_frame

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
HEADERS = ["项目编号", "项目名称", "领域", "预算金额(元)", "预计受益人数", "服务对象", "所属区县",
           "资金渠道", "依赖项目", "互斥项目", "方案组", "申报单位", "申报渠道", "币种"]
# spellings of one cell per coded column: equal after the door (spaces, width, invisible
# characters, labels for codes, a formula's apostrophe), then some refused (unknown codes,
# dangling or self references)
CELLS = {
    "项目名称": ["职工书屋", " 职工书屋 ", "职工\u200b书屋", "'=SUM(A1)", "=SUM(A1)", "ＡＢ", "",
             "\u3000驿站", "x" * 40],
    "领域": ["health", " health", "文体服务", "ｈｅａｌｔｈ", "\ufeffhealth", "生活服务"],
    "服务对象": ["女职工", "女职工 | 快递员", "快递员、女职工", " 女职工 ", "", "女职工,女职工"],
    "所属区县": ["东城区", "东城区 ", "东城\u200d区", "", "Ｄ1", "D1"],
    "资金渠道": ["财政资金", "财政", "公益资金 | 财政资金", "", "own pool"],
    "依赖项目": ["", "P5 | P6", "Ｐ6", " P5"],
    "互斥项目": ["", "P6", "P5;P6"],
    "方案组": ["", "G1", " G1", "Ｇ1"],
    "申报单位": ["总工会", " 总工会", "", "总\u202e工会"],
    "申报渠道": ["基层工会", "online", "网上", ""],
    "币种": ["CNY", "cny", ""],
}
REFUSED = {"领域": ["helth", ""], "服务对象": ["外星人"], "依赖项目": ["P9", "p6"],
           "互斥项目": ["nope"], "申报渠道": ["信鸽"], "币种": ["USD"]}
REFERENCES = ("依赖项目", "互斥项目")  # filled in the first four rows: never to themselves
CONTROL = ["a\x1bb", "c\x07", "\x85d"]


@st.composite
def tables(draw: st.DrawFn) -> list[list[str]]:
    """A small call: plain ids, costs and beneficiaries, drawn coded cells (now and then
    a refused one), and at most one cell holding a control character (more would make
    the file look binary)."""
    n = draw(st.integers(6, 8))
    rows = []
    for k in range(n):
        coded = {h: draw(st.sampled_from(REFUSED[h] if h in REFUSED
                                         and draw(st.integers(0, 39)) == 0 else v))
                 if k < 4 or h not in REFERENCES else "" for h, v in CELLS.items()}
        rows.append([f"P{k + 1}", coded["项目名称"], coded["领域"], str(1000 * (k + 1)),
                     str(10 * (k + 1)), *(coded[h] for h in HEADERS[5:])])
    if draw(st.integers(0, 3)) == 0:
        row, col = draw(st.integers(0, n - 1)), draw(st.integers(1, len(HEADERS) - 1))
        if col not in (3, 4):
            rows[row][col] = draw(st.sampled_from(CONTROL))
    return rows


def _outcome(load: object) -> tuple[str, object]:
    try:
        frame = load()  # type: ignore[operator]
    except InvalidInputError as exc:
        return "refused", sorted((p.row or 0, p.column or "", p.key or "", p.value or "")
                                 for p in exc.problems)
    return "loaded", frame


@FUZZ
@given(rows=tables())
def test_coded_columns_load_as_the_cell_by_cell_door_reads_them(rows: list[list[str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "call.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows([HEADERS, *rows])
        fast = _outcome(lambda: load_proposals(path).frame)
    plain = pd.DataFrame(rows, columns=HEADERS, dtype="str").replace("", None)
    oracle = _outcome(lambda: proposals_from_frame(plain).frame)
    assert fast[0] == oracle[0], (fast, oracle)
    if fast[0] == "refused":
        assert fast[1] == oracle[1]
    else:
        pd.testing.assert_frame_equal(fast[1], oracle[1])  # type: ignore[arg-type]


def test_a_file_read_through_the_dictionary_reports_rows_and_columns(tmp_path: Path) -> None:
    """A bad value that repeats is reported at each of its rows, with its column."""
    path = tmp_path / "call.csv"
    lines = ["项目编号,项目名称,领域,预算金额(元),预计受益人数,申报渠道"]
    lines += [f"P{k},书屋,health,1000,10,{'信鸽' if k % 2 else '网上'}" for k in range(1, 7)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError) as caught:
        load_proposals(path)
    assert [(p.row, p.column, p.value) for p in caught.value.problems] == [
        (k + 1, "申报渠道", "信鸽") for k in (1, 3, 5)]
