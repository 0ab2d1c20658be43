"""``selector intake`` end to end: the three commands of the example publish a list."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from selector.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "intake"


def test_three_commands_from_suggestions_to_a_published_list(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    proposals = tmp_path / "proposals.csv"
    code = main(["intake", str(EXAMPLE / "suggestions.csv"), "--min-supporters", "10",
                 "--costs", str(EXAMPLE / "costs.csv"), "--out", str(proposals)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "读取的建议" in printed and f"已写入 {proposals}" in printed
    members = pd.read_csv(tmp_path / "proposals.members.csv", dtype=str)
    assert len(members) == 3009 and set(members.columns) >= {"行号", "建议编号", "状态"}
    assert main(["validate", str(proposals), "--rules", str(EXAMPLE / "rules.toml")]) == 0
    capsys.readouterr()
    out = tmp_path / "list"
    assert main(["select", str(proposals), "--rules", str(EXAMPLE / "rules.toml"),
                 "--out", str(out), "--reserve", "0"]) == 0
    public = (out / "public.html").read_text(encoding="utf-8")
    chosen = pd.read_csv(out / "public.csv", dtype=str)
    assert len(chosen) > 0
    assert all(title.split("，")[0][:8] in public for title in chosen.iloc[:, 1].head(3))


def test_draft_without_costs_names_the_next_step(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "candidates.xlsx"
    assert main(["intake", str(EXAMPLE / "suggestions.csv"), "--out", str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "suggestions read" in printed and "Next: fill in the cost" in printed
    draft = pd.read_excel(out, dtype=str)
    assert list(draft.columns[:4]) == ["id", "title", "domain", "cost"]
    assert draft["cost"].isna().all()
    assert main(["validate", str(out)]) == 1
    assert "cost" in capsys.readouterr().out


def test_json_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["intake", str(EXAMPLE / "suggestions.csv"), "--json", "-",
                 "--min-supporters", "50"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["rows"] == 3009
    assert len(data["candidates"]) == data["counts"]["candidates"]
    assert all(c["worker_votes"] >= 50 for c in data["candidates"])


def test_user_errors_exit_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "no_text.csv"
    bad.write_text("编号,备注\n1,x\n", encoding="utf-8")
    assert main(["intake", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(("error:", "错误：")) and len(err.strip().splitlines()) == 1
    costs = tmp_path / "costs.csv"
    costs.write_text("项目编号,预算金额(元)\nS9999,100\n", encoding="utf-8")
    assert main(["intake", str(EXAMPLE / "suggestions.csv"), "--costs", str(costs),
                 "--out", str(tmp_path / "p.csv")]) == 1
    assert "S9999" in capsys.readouterr().err
    assert not (tmp_path / "p.csv").exists() and not (tmp_path / "p.members.csv").exists()
    assert main(["intake", str(EXAMPLE / "suggestions.csv"), "--threshold", "2"]) == 2
