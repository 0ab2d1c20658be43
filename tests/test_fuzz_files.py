"""Hostile proposals files, written by Hypothesis in every format: each is either refused
with the documented error (an :class:`InvalidInputError` whose problems name the row and
column of every bad cell, every line short) or loaded equal to the values it means —
never another exception, never an answer from garbage.

A drawn file starts from a small valid call (the *intended* values) and rewrites some
cells: *equivalent* spellings (full-width digits, grouping, ``¥``/``元``/``万``, invisible
characters, outer spaces) must load equal to the intended call; *hostile* spellings
(other digit scripts, misplaced separators, NaN, exponents, absurd magnitudes, control
characters, ids that differ only invisibly, cells over the length limit) must be refused
at exactly their row and column.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from selector import InvalidInputError, ProposalSet, load_proposals, proposals_from_frame
from selector.model import MAX_BENEFICIARIES
from selector.money import MAX_FEN
from selector.taxonomy import DEFAULT_DOMAINS
from selector.text import control_characters

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HEADERS = {"id": "项目编号", "title": "项目名称", "domain": "领域", "cost": "预算金额(元)",
           "beneficiaries": "预计受益人数"}
WIDE = str.maketrans("0123456789,.", "０１２３４５６７８９，．")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
INVISIBLE = ["\u200b", "\ufeff", "\u200d", "\u202e", "\u2066", "\u00ad"]
CONTROL = ["\n", "\x1b", "\x00", "\x07", "\r", "\x85", "\t"]


@dataclass(frozen=True)
class Call:
    """The intended values of a small call: ids, titles, domains, fen, beneficiaries."""

    ids: tuple[str, ...]
    titles: tuple[str, ...]
    domains: tuple[str, ...]
    fen: tuple[int, ...]
    beneficiaries: tuple[int, ...]

    def proposals(self) -> ProposalSet:
        return proposals_from_frame(pd.DataFrame({
            "id": self.ids, "title": self.titles, "domain": self.domains,
            "cost": [str(Decimal(c).scaleb(-2)) for c in self.fen],
            "beneficiaries": [float(b) for b in self.beneficiaries]}))


@st.composite
def calls(draw: st.DrawFn) -> Call:
    n = draw(st.integers(1, 5))
    return Call(
        ids=tuple(f"P{k}" for k in range(1, n + 1)),
        titles=tuple(draw(st.text("职工书屋驿站培训 abcXYZ", min_size=1, max_size=8)
                          .map(str.strip).filter(bool)) for _ in range(n)),
        domains=tuple(draw(st.sampled_from(DEFAULT_DOMAINS.codes)) for _ in range(n)),
        fen=tuple(draw(st.integers(0, MAX_FEN) | st.sampled_from([0, 1, 99, 10**8, MAX_FEN]))
                  for _ in range(n)),
        beneficiaries=tuple(draw(st.integers(0, MAX_BENEFICIARIES)) for _ in range(n)))


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}" if fen % 100 else str(fen // 100)


def _grouped(fen: int) -> str:
    whole = f"{fen // 100:,}"
    return f"{whole}.{fen % 100:02d}" if fen % 100 else whole


def _wan(fen: int) -> str:
    return str((Decimal(fen) / 1_000_000).normalize()) + "万"


#: Spellings of an amount that mean the same amount.
COST_SAME: list[Callable[[int], str]] = [
    _yuan, _grouped, _wan, lambda f: _yuan(f).translate(WIDE), lambda f: _grouped(f).translate(WIDE),
    lambda f: "¥" + _grouped(f), lambda f: "￥" + _yuan(f), lambda f: _yuan(f) + "元",
    lambda f: "RMB " + _yuan(f), lambda f: " \u200b" + _yuan(f) + "\ufeff ",
]
#: Spellings of an amount that must be refused.
COST_BAD: list[Callable[[int], str]] = [
    lambda f: _yuan(f).translate(ARABIC), lambda f: ",".join(_yuan(f)) if len(_yuan(f)) > 1 else "5,",
    lambda f: _yuan(f) + "e0", lambda f: "NaN", lambda f: "inf", lambda f: "-" + _yuan(f),
    lambda f: "9" * 20, lambda f: str(f // 100) + ".001", lambda f: str(MAX_FEN // 100 + 1),
    lambda f: "1e300", lambda f: "十二万",
]
BEN_SAME: list[Callable[[int], str]] = [
    str, lambda b: f"{b:,}", lambda b: str(b).translate(WIDE), lambda b: f"{b}人",
    lambda b: f"\u200b{b:,}人",
]
BEN_BAD: list[Callable[[int], str]] = [
    lambda b: "1e300", lambda b: str(10**10), lambda b: "NaN", lambda b: "-inf",
    lambda b: str(b).translate(ARABIC) if str(b).translate(ARABIC) != str(b) else "١",
    lambda b: ",".join(str(b)) if len(str(b)) > 1 else "1,2", lambda b: f"-{b + 1}",
]


@dataclass
class Drawn:
    """A file's cells (text) and the (row, column) pairs that must be refused."""

    cells: dict[str, list[str]]
    bad: set[tuple[int, str]]
    expected: ProposalSet
    long: set[tuple[int, str]]  # cells over the length limit: refused first, alone


@st.composite
def hostile(draw: st.DrawFn, control_ok: bool = True) -> Drawn:
    call = draw(calls())
    n = len(call.ids)
    cells = {"id": list(call.ids), "title": list(call.titles), "domain": list(call.domains),
             "cost": [_yuan(f) for f in call.fen],
             "beneficiaries": [str(b) for b in call.beneficiaries]}
    bad: set[tuple[int, str]] = set()
    bad_ids: set[int] = set()
    for k in range(n):
        row = k + 2
        kind = draw(st.sampled_from(["none", "same", "bad"]))
        field = draw(st.sampled_from(["id", "title", "cost", "beneficiaries"]))
        if kind == "none":
            continue
        if field == "title" and kind == "bad" and not control_ok:
            field = "cost"  # openpyxl can write no hostile title (controls, over-long cells)
        if field == "cost":
            make = draw(st.sampled_from(COST_SAME if kind == "same" else COST_BAD))
            cells["cost"][k] = make(call.fen[k])
        elif field == "beneficiaries":
            make = draw(st.sampled_from(BEN_SAME if kind == "same" else BEN_BAD))
            cells["beneficiaries"][k] = make(call.beneficiaries[k])
        elif field == "id":
            cells["id"][k] = _id(draw, call.ids, k, kind, control_ok, bad_ids)
            if kind == "bad":
                bad_ids.add(k)
        else:
            cells["title"][k] = _title(draw, call.titles[k], kind, control_ok)
        if kind == "bad":
            bad.add((row, HEADERS[field]))
    long = {(k + 2, HEADERS[f]) for f in ("id", "title") for k, v in enumerate(cells[f])
            if len(v) > 32_767}
    return Drawn(cells, bad, call.proposals(), long)


def _id(draw: st.DrawFn, ids: tuple[str, ...], k: int, kind: str, control_ok: bool,
        bad_ids: set[int]) -> str:
    pid = ids[k]
    if kind == "same":
        return draw(st.sampled_from([pid.translate(WIDE).replace("P", "Ｐ"),
                                     pid + draw(st.sampled_from(INVISIBLE)),
                                     draw(st.sampled_from(INVISIBLE)) + pid, f"  {pid} "]))
    # openpyxl can write neither control characters nor cells over 32,767 characters
    earlier = [j for j in range(k) if j not in bad_ids]  # still holding their own id
    choices = ["blank"] + (["twin"] if earlier else []) + (["control", "long"] if control_ok else [])
    how = draw(st.sampled_from(choices))
    if how == "blank":  # invisible characters only: a missing id once they are removed
        return "\u200b\ufeff\u2066"
    if how == "twin":  # an earlier id, differing only invisibly: the duplicate check sees it
        return ids[draw(st.sampled_from(earlier))] + draw(st.sampled_from(INVISIBLE))
    if how == "control":
        return pid[:1] + draw(st.sampled_from([c for c in CONTROL if c not in "\t\r\n\x85"]
                                              + ["\n"])) + pid[1:]
    return pid + "x" * 40_000


def _title(draw: st.DrawFn, title: str, kind: str, control_ok: bool) -> str:
    if kind == "same":
        mark = draw(st.sampled_from(INVISIBLE))
        cut = draw(st.integers(0, len(title)))
        return f" {title[:cut]}{mark}{title[cut:]} "
    if draw(st.booleans()):
        return title[:1] + draw(st.sampled_from(CONTROL)) + "x" + title[1:]
    return title + "长" * 33_000


# -- writing the cells in each format ------------------------------------------------------
def _write(drawn: Drawn, fmt: str, folder: Path) -> Path:
    frame = pd.DataFrame({HEADERS[f]: v for f, v in drawn.cells.items()})
    if fmt.startswith("csv"):
        encoding = fmt.split(":")[1]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(
            [list(frame.columns), *frame.values.tolist()])
        path = folder / "call.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
    elif fmt == "xlsx":
        path = folder / "call.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("proposals")
        for row in [list(frame.columns), *frame.values.tolist()]:
            sheet.append(row)
        book.save(path)
    elif fmt == "json":
        path = folder / "call.json"
        path.write_text(json.dumps(frame.to_dict("records"), ensure_ascii=False),
                        encoding="utf-8")
    else:
        path = folder / "call.parquet"
        frame.to_parquet(path)
    return path


FORMATS = ["csv:utf-8", "csv:utf-8-sig", "csv:gb18030", "csv:utf-16", "xlsx", "json", "parquet"]


def _check_refusal(err: InvalidInputError, bad: set[tuple[int, str]]) -> None:
    where = {(p.row, p.column) for p in err.problems}
    assert bad <= where, (bad, where, str(err))
    for lang in ("en", "zh"):
        for line in err.lines(lang):  # type: ignore[arg-type]
            assert len(line) < 800, line
            assert not control_characters(line), line


@pytest.mark.parametrize("fmt", FORMATS)
@FUZZ
@given(data=st.data())
def test_a_hostile_file_is_refused_where_it_is_bad_or_read_as_meant(fmt: str,
                                                                    data: st.DataObject) -> None:
    drawn = data.draw(hostile(control_ok=fmt != "xlsx"))  # openpyxl cannot write controls
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(drawn, fmt, Path(tmp))
        try:
            loaded = load_proposals(path)
        except InvalidInputError as err:
            assert drawn.bad, str(err)
            if fmt.startswith("csv") and any("\x00" in v for c in drawn.cells.values() for v in c):
                _check_refusal(err, set())  # a NUL byte: not a text file at all
            else:
                _check_refusal(err, drawn.long or drawn.bad)
        else:
            assert not drawn.bad, drawn.bad
            assert loaded == drawn.expected


# -- anything at all: refused, or loaded within the door's promises ------------------------
HOSTILE_TEXT = st.lists(st.sampled_from(list("0123456789,.-+eE¥元万 人%") + INVISIBLE + CONTROL
                                        + list("０１٣ＡA中\"';|、") + ["NaN", "inf", "1e308"]),
                        max_size=12).map("".join)


def _door_promises(proposals: ProposalSet) -> None:
    """What every loaded set holds, whatever the file was."""
    frame = proposals.frame
    ids = frame["id"].tolist()
    assert len(set(ids)) == len(ids)
    for text in [*ids, *frame["title"].tolist()]:
        assert text == text.strip() and not control_characters(text)
        assert not any(mark in text for mark in INVISIBLE)
    assert ((frame["cost_minor"] >= 0) & (frame["cost_minor"] <= MAX_FEN)).all()
    b = frame["beneficiaries"].to_numpy()
    assert all(math.isfinite(v) and 0 <= v <= MAX_BENEFICIARIES for v in b)
    assert set(frame["domain"]) <= set(DEFAULT_DOMAINS.codes)


@FUZZ
@given(rows=st.lists(st.tuples(HOSTILE_TEXT, HOSTILE_TEXT, st.sampled_from(
    ["health", "健康管理", "ｈｅａｌｔｈ", "helth", ""]), HOSTILE_TEXT, HOSTILE_TEXT),
    min_size=1, max_size=6), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]))
def test_any_cells_are_refused_or_keep_the_door_promises(
        rows: list[tuple[str, ...]], encoding: str) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([list(HEADERS.values()), *rows])
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "any.csv"
        path.write_bytes(buffer.getvalue().encode(encoding))
        try:
            loaded = load_proposals(path)
        except InvalidInputError as err:
            _check_refusal(err, set())
        else:
            _door_promises(loaded)


@FUZZ
@given(blob=st.binary(max_size=2000), suffix=st.sampled_from(
    [".csv", ".json", ".xlsx", ".parquet", ".pb", ".txt", ".tsv"]),
    prefix=st.sampled_from([b"", b"PK\x03\x04", b"PAR1", b"META\n", b"\xef\xbb\xbf[",
                            "项目编号,领域,预算金额,预计受益人数\n".encode()]))
def test_arbitrary_bytes_are_refused_or_keep_the_door_promises(blob: bytes, suffix: str,
                                                               prefix: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"blob{suffix}"
        path.write_bytes(prefix + blob)
        try:
            loaded = load_proposals(path)
        except InvalidInputError as err:
            _check_refusal(err, set())
        else:
            _door_promises(loaded)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=12)


@FUZZ
@given(records=st.lists(st.fixed_dictionaries(
    {"id": JSON_VALUES, "domain": st.sampled_from(["health", "skills"]) | JSON_VALUES,
     "cost": JSON_VALUES, "beneficiaries": JSON_VALUES},
    optional={"indicators": JSON_VALUES, "target_groups": JSON_VALUES, "extra": JSON_VALUES}),
    min_size=1, max_size=4))
def test_json_values_of_any_shape_are_refused_or_keep_the_door_promises(
        records: list[dict[str, object]]) -> None:
    text = json.dumps(records, ensure_ascii=False, allow_nan=True)
    assume(len(text) < 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "any.json"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_proposals(path)
        except InvalidInputError as err:
            _check_refusal(err, set())
        else:
            _door_promises(loaded)
