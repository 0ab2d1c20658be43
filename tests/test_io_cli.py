"""Hostile input through the command line: refused with one line and exit 1 (a bad option
value: exit 2), never a traceback and never an answer; or, where the input means
something exact (full-width digits, a Pabulib file counting its own votes), answered
exactly."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from selector.cli import main

HEADER = "项目编号,项目名称,领域,预算金额(元),预计受益人数\n"
ROWS = ("A1,职工书屋,文体服务,80000,600\n"
        "A2,户外驿站,健康管理,120000,1200\n"
        "A3,技能培训,技能提升,50000,300\n")


def _csv(tmp_path: Path, body: str, name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert 'File "' not in captured.err + captured.out
    return code, captured.out, captured.err


def _refused(args: list[str], capsys: pytest.CaptureFixture[str], *words: str) -> str:
    """Refused with exit 1 and exactly one error line (English here), the last line on
    stderr (plain progress lines may come before it when stderr is not a terminal)."""
    code, out, err = _run([*args, "--lang", "en"], capsys)
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith(("error: ", "错误："))]
    assert code == 1, (code, out, err)
    assert len(errors) == 1 and lines[-1] == errors[0] and errors[0].startswith("error: "), err
    assert len(errors[0]) < 700, len(errors[0])
    assert "optimal" not in out and "最优" not in out
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


def _select(path: Path, *extra: str) -> list[str]:
    return ["select", str(path), "--reserve", "0", "--solver", "highs", *extra]


@pytest.mark.parametrize("cost,words", [
    ("١٢٠٠٠٠", "digits 0-9"),                     # Arabic-Indic digits
    ("1,2,3", "misplaced thousands separators"),
    ("1e300", "must be an amount"),
    ("NaN", "must be an amount"),
    ("-1", "must not be negative"),
    ("10000000000000", "above the ceiling of 1,000,000,000,000 yuan"),
])
def test_a_bad_cost_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], cost: str,
                                words: str) -> None:
    path = _csv(tmp_path, ROWS + f"A4,坏金额,健康管理,\"{cost}\",10\n")
    _refused(_select(path, "--budget", "1000000"), capsys, "row 5", "预算金额(元)", words)


def test_the_error_line_speaks_the_default_language(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Without --lang the one error line is Chinese throughout: where, what, the value."""
    path = _csv(tmp_path, ROWS + "A4,坏金额,健康管理,\"1,2,3\",10\n")
    code, _, err = _run(_select(path, "--budget", "1000000"), capsys)
    last = err.strip().splitlines()[-1]
    assert code == 1 and last.startswith("错误：")
    assert "第 5 行" in last and "1,2,3" in last
    assert not re.search(r"\b(row|column|got|must)\b", last), last


def test_full_width_digits_are_read_exactly(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, ROWS.replace("A1,职工书屋,文体服务,80000", "Ａ１,职工书屋,文体服务,８０，０００"))
    rules = tmp_path / "rules.toml"
    rules.write_text("[eligibility]\nrequire_indicator = false\n", encoding="utf-8")
    out_json = tmp_path / "r.json"
    code, _, err = _run(_select(path, "--budget", "１，０００，０００", "--rules", str(rules),
                                "--json", str(out_json)), capsys)
    assert code == 0, err
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert sorted(data["selected"]) == ["A1", "A2", "A3"]
    assert Decimal(data["total_cost"]) == Decimal(250_000)


@pytest.mark.parametrize("beneficiaries", ["1e300", "2000000000", "inf"])
def test_absurd_beneficiaries_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           beneficiaries: str) -> None:
    path = _csv(tmp_path, ROWS + f"A4,夸大,健康管理,1000,{beneficiaries}\n")
    _refused(_select(path, "--budget", "1000000"), capsys, "row 5", "预计受益人数")


@pytest.mark.parametrize("twin,words", [
    ("A1\u200b", "duplicate id (first used in row 2)"),     # trailing zero-width space
    ("\ufeffA1", "duplicate id"),                           # byte-order mark
    ("Ａ１", "duplicate id"),                                # full-width
    ("\u202eA1", "duplicate id"),                           # right-to-left override
    ('"A\n1"', "control characters"),                       # a line break inside the id
])
def test_ids_that_only_look_alike_are_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             twin: str, words: str) -> None:
    path = _csv(tmp_path, ROWS + f"{twin},重复,健康管理,1000,10\n")
    line = _refused(_select(path, "--budget", "1000000"), capsys, "row 5", "项目编号", words)
    assert "\u200b" not in line and "\u202e" not in line and "\ufeff" not in line


@pytest.mark.parametrize("budget", ["1e40", "12345678901234567890123456789012", "NaN", "1,2,3",
                                    "١٠٠"])
def test_a_bad_budget_option_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              budget: str) -> None:
    code, out, err = _run(_select(_csv(tmp_path, ROWS), "--budget", budget), capsys)
    assert code == 2 and "--budget" in err and "optimal" not in out


@pytest.mark.parametrize("text,words", [
    ("budget = 1e400\n", "larger than the largest amount accepted"),
    ("budget = 12345678901234567890123456789012\n", "larger than the largest amount accepted"),
    ("budget = inf\n", "must be an amount of money"),
])
def test_a_bad_budget_in_the_rules_is_one_line(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str], text: str,
                                               words: str) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text(text, encoding="utf-8")
    _refused(_select(_csv(tmp_path, ROWS), "--rules", str(rules)), capsys, "budget", words)


def test_a_deep_json_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    _refused(_select(path, "--budget", "100"), capsys, "nested more than 16 levels")
    path.write_text(json.dumps([{"id": "A", "domain": "health", "cost": "1", "beneficiaries": 1,
                                 "extra": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}]),
                    encoding="utf-8")
    _refused(_select(path, "--budget", "100"), capsys, "row 2", "nested more than 16 levels")


def _workbook_with_cell(size: int) -> bytes:
    """A valid .xlsx whose one shared string is ``size`` characters (packed tiny)."""
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.'
             'openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" '
             't="s"><v>0</v></c></row></sheetData></worksheet>')
    strings = ('<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats'
               '.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
               + "a" * size + "</t></si></sst>")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"/>')
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", strings)
    return buffer.getvalue()


def test_a_workbook_bomb_is_refused_before_it_is_opened(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(_workbook_with_cell(64 << 20))   # 64 MiB of 'a' in about 64 KB
    assert path.stat().st_size < 200_000
    _refused(_select(path, "--budget", "100"), capsys, "xl/sharedStrings.xml", "zip bomb")


def test_a_long_cell_and_a_long_header_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _csv(tmp_path, ROWS + "A4," + "长" * 40_000 + ",健康管理,1000,10\n")
    _refused(_select(path, "--budget", "100"), capsys, "row 5", "longer than 32767 characters")
    path = tmp_path / "wide.csv"
    path.write_text("id,domain,cost,beneficiaries," + "x" * 70_000 + "\nA,health,1,1,2\n",
                    encoding="utf-8")
    _refused(_select(path, "--budget", "100"), capsys, "header line is longer than 65,536 bytes")


PB = ("META\nkey;value\nbudget;100\nnum_projects;3\nvote_type;approval\n"
      "PROJECTS\nproject_id;cost;votes;name\n1;50;2;Park\n2;30;;Bench\n3;80;1;Lamp\n"
      "VOTES\nvoter_id;vote\n1;1,2\n2;2,3\n3;1,2\n")


def test_a_pabulib_file_with_blank_votes_is_solved_from_its_votes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "election.pb"
    path.write_text(PB, encoding="utf-8")
    out_json = tmp_path / "r.json"
    code, _, err = _run(_select(path, "--json", str(out_json)), capsys)
    assert code == 0, err
    data = json.loads(out_json.read_text(encoding="utf-8"))
    assert sorted(data["selected"]) == ["1", "2"] and data["objective"] == 5


def test_a_pabulib_file_contradicting_itself_names_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "election.pb"
    path.write_text(PB.replace("num_projects;3", "num_projects;4"), encoding="utf-8")
    _refused(_select(path), capsys, str(path), "row 4", "num_projects is 4")
