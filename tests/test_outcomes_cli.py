"""End to end: the worked example's files through the command line (import, report,
calibrate, select --calibrated) and the reports they write (HTML in a page a browser
opens offline, XLSX with the charts as images)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from selector import load_proposals
from selector.cli import main
from selector.outcomes import OutcomeStore

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "outcomes"
CALL_2026 = ROOT / "examples" / "proposals.csv"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "reserve.sqlite")


def _import(db: str, capsys: pytest.CaptureFixture[str]) -> str:
    code = main(["outcomes", "import", str(EXAMPLE / "outcomes-2026.xlsx"), "--year", "2026",
                 "--proposals", str(CALL_2026), "--db", db])
    assert code == 0
    return capsys.readouterr().out


def test_import_report_and_calibrate(db: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert "已导入 2026 年绩效 36 项（新增 36 项，替换 0 项）" in _import(db, capsys)
    assert "替换 36 项" in _import(db, capsys)            # the same file again: replaced
    with OutcomeStore(f"sqlite:///{db}") as store:
        assert len(store.outcomes(2026)) == 36 and len(store.imports()) == 2
    out = tmp_path / "report"
    assert main(["outcomes", "report", "--year", "2026", "--out", str(out), "--db", db,
                 "--lang", "en", "--json", str(tmp_path / "r.json")]) == 0
    printed = capsys.readouterr().out
    figures = json.loads((tmp_path / "r.json").read_text())
    assert figures["totals"]["count"] == 36
    assert "Projects  36" in printed and "wrote" in printed
    html = (out / "outcomes.html").read_text(encoding="utf-8")
    assert "Planned and actual beneficiaries by domain" in html
    assert html.count('src="data:image/png;base64,') == 2        # domain and district charts
    assert "2026-0001" in html and "Calibration factors" in html
    book = load_workbook(out / "outcomes.xlsx")
    assert book.sheetnames[:5] == ["Summary", "Project by project", "By domain", "By district",
                                   "By applicant unit"]
    with zipfile.ZipFile(out / "outcomes.xlsx") as archive:     # the charts as images
        assert sum(n.startswith("xl/media/") for n in archive.namelist()) == 2
    assert book["Project by project"].max_row == 37
    # the calibration learnt the planted bias: online submissions over-estimated
    assert main(["outcomes", "calibrate", "--db", db, "--json", "-"]) == 0
    fit = json.loads(capsys.readouterr().out)
    factors = {(f["level"], f["key"]): f["factor"] for f in fit["factors"]}
    assert factors[("unit", "职工网上提议")] < 0.8 and factors[("domain", "health")] < 0.85
    assert factors[("domain", "skills")] > 1.1


def test_select_calibrated_shows_both_figures_and_the_change(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "2027"
    args = ["select", str(EXAMPLE / "proposals-2027.csv"), "--rules",
            str(EXAMPLE / "rules-2027.toml"), "--reserve", "0", "--db", db, "--calibrated",
            "--lang", "en", "--format", "json"]
    assert main([*args, "--out", str(tmp_path / "none")]) == 0   # no outcomes yet: no change
    text = capsys.readouterr()
    assert "No outcomes stored yet" in text.err
    assert "the list changed: 0 entered, 0 left" in text.out
    _import(db, capsys)
    assert main([*args, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    changed = next(line for line in text.splitlines() if "the list changed" in line)
    entered = int(changed.split(": ")[1].split(" entered")[0])
    assert entered > 0                                   # the bias moves the list
    html = (out / "calibration.html").read_text(encoding="utf-8")
    assert "Raw estimate" in html and "Calibrated estimate" in html
    result = json.loads((out / "result.json").read_text(encoding="utf-8"))
    plain = load_proposals(EXAMPLE / "proposals-2027.csv")
    raw = dict(zip(plain.ids, plain.frame["beneficiaries"], strict=True))
    # the selection's beneficiaries are the calibrated ones, not the raw estimates
    assert result["beneficiaries"] != pytest.approx(sum(raw[i] for i in result["selected"]))
    book = load_workbook(out / "calibration.xlsx")
    sheet = book["Raw and calibrated estimates"]
    header = [c.value for c in sheet[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    for pid in result["selected"]:
        assert rows[pid]["In the calibrated list"] == "yes"
        assert rows[pid]["Raw estimate"] == pytest.approx(raw[pid])


def test_import_of_a_bad_file_is_one_line_and_stores_nothing(
        db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("项目编号,实际服务人次\n2026-0001,很多\nNOPE,5\n", encoding="utf-8")
    code = main(["outcomes", "import", str(bad), "--year", "2026", "--proposals", str(CALL_2026),
                 "--db", db, "--lang", "en"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1 and "2 problems" in err
    with OutcomeStore(f"sqlite:///{db}") as store:
        assert len(store.outcomes()) == 0
    assert main(["outcomes", "report", "--out", str(tmp_path / "r"), "--db", db]) == 2
