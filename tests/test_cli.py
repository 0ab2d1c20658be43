"""The command line through ``main([...])``: exit codes, one-line errors, machine output."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from selector.cli import main
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import load_proposals, save_proposals
from selector.rules import Eligibility, Rules, load_rules

RULES = """\
budget = 3_000_000

[[pools]]
name = "fiscal"
amount = 2_000_000

[[pools]]
name = "charity"
amount = 1_200_000

[[groups]]
column = "domain"
max_share = 0.4

[count]
max = 14
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli")
    proposals = root / "proposals.csv"
    save_proposals(generate_call(70, seed=11), proposals)
    rules = root / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    bad_rules = root / "bad_rules.toml"
    bad_rules.write_text("budgett = 100\n[[groups]]\ncolumn = 'domain'\nmax_share = 1.5\n",
                         encoding="utf-8")
    unknown_column = root / "unknown_column.toml"
    unknown_column.write_text("budget = 100\n[[groups]]\ncolumn = 'colour'\nmax_share = 0.5\n",
                              encoding="utf-8")
    infeasible = root / "infeasible.toml"
    infeasible.write_text("budget = 1_000_000\n[count]\nmin = 60\n", encoding="utf-8")
    bad_csv = root / "bad.csv"
    bad_csv.write_text("id,title,domain,cost,beneficiaries\n"
                       "A,ok,health,1000,10\n"
                       "B,negative,health,-5,10\n"
                       "C,unknown domain,helth,100,10\n", encoding="utf-8")
    return {"proposals": proposals, "rules": rules, "bad_rules": bad_rules,
            "unknown_column": unknown_column, "infeasible": infeasible, "bad_csv": bad_csv,
            "root": root}


def _no_traceback(text: str) -> None:
    assert "Traceback" not in text and 'File "' not in text


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("selector ")
    for command in ([], ["validate"], ["select"], ["explain"]):
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Usage: selector" in out
        if command:
            assert "Examples:" in out and "selector " + command[0] in out


def test_usage_errors_exit_2(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select"]) == 2
    assert "Missing argument" in capsys.readouterr().err
    assert main(["select", str(files["proposals"]), "--budget", "lots"]) == 2
    assert "--budget must be an amount" in capsys.readouterr().err
    assert main(["select", str(files["proposals"]), "--solver", "gurobi"]) == 2
    assert main(["select", str(files["proposals"]), "--format", "pdf"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["validate"]) == 2
    _no_traceback(capsys.readouterr().err)


def test_validate_ok(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["proposals"]), "--rules", str(files["rules"])]) == 0
    assert capsys.readouterr().out.strip() == (
        f"ok: {files['proposals']} and {files['rules']} (70 proposals)")


def test_validate_lists_every_problem(files: dict[str, Path],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["bad_csv"])]) == 1
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert any("row 3" in line and "cost" in line for line in lines)
    assert any("row 4" in line and "domain" in line and "health" in line for line in lines)
    _no_traceback(out)
    assert main(["validate", "--rules", str(files["bad_rules"]), "--json", "-"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    messages = " ".join(p["message"] for p in data["problems"])
    assert "unknown key 'budgett'; did you mean 'budget'?" in messages
    assert any(p["column"] == "groups.0.max_share" for p in data["problems"])


def test_validate_rules_against_proposals(files: dict[str, Path],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", str(files["proposals"]), "--rules", str(files["unknown_column"])])
    assert code == 1
    assert "colour" in capsys.readouterr().out


def test_select_json_equals_the_library(files: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out_json = tmp_path / "result.json"
    code = main(["select", str(files["proposals"]), "--rules", str(files["rules"]),
                 "--solver", "highs", "--json", str(out_json), "--reserve", "0", "--lang", "en"])
    assert code == 0
    printed = capsys.readouterr().out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    direct = Model.build(load_proposals(files["proposals"]), load_rules(files["rules"])).solve(
        solver="highs")
    assert data["status"] == "optimal"
    assert data["selected"] == list(direct.selected)
    assert all(isinstance(i, str) for i in data["selected"])
    assert Decimal(data["total_cost"]) == direct.total_cost
    assert data["objective"] == direct.objective
    assert data["bound"] >= data["objective"] and data["gap"] <= 1e-6
    assert data["provenance"]["solver"] == str(direct.solver)   # the route by model shape
    assert f"{int(direct.beneficiaries):,}" in printed


def test_select_writes_every_report(files: dict[str, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "reports"
    code = main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver",
                 "highs", "--out", str(out), "--reserve", "0"])
    assert code == 0
    printed = capsys.readouterr().out
    for name in ("report.html", "report.md", "result.json", "report.xlsx", "selected.csv",
                 "public.html", "public.csv"):
        assert (out / name).is_file(), name
        assert f"wrote {out / name}" in printed
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert data["reserve"] == [] and len(data["selected"]) == data["count"] > 0


def test_select_json_to_stdout(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", str(files["proposals"]), "--budget", "2000000", "--solver", "highs",
                 "--reserve", "0", "--json", "-"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert Decimal(data["total_cost"]) <= Decimal("2000000") and data["budget"] == "2000000"


@pytest.mark.parametrize("case", ["missing", "bad_csv", "bad_rules", "infeasible", "directory"])
def test_select_user_errors_are_one_line(case: str, files: dict[str, Path],
                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = {
        "missing": [str(files["root"] / "nope.csv")],
        "bad_csv": [str(files["bad_csv"])],
        "bad_rules": [str(files["proposals"]), "--rules", str(files["bad_rules"])],
        "infeasible": [str(files["proposals"]), "--rules", str(files["infeasible"])],
        "directory": [str(files["root"])],
    }[case]
    assert main(["select", *args, "--solver", "highs", "--reserve", "0"]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    _no_traceback(captured.err + captured.out)
    if case == "infeasible":
        assert "60" in lines[0]
    if case == "bad_csv":
        assert "2 problems" in lines[0] and "selector validate" in lines[0]


def test_select_pabulib_uses_meta_budget(pabulib_dir: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    path = sorted(pabulib_dir.glob("*.pb"), key=lambda p: p.stat().st_size)[0]
    out_json = tmp_path / "pb.json"
    assert main(["select", str(path), "--solver", "highs", "--reserve", "0",
                 "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text(encoding="utf-8"))
    proposals = load_proposals(path)
    assert Decimal(data["budget"]) == proposals.meta["budget"]
    budget_only = Rules(eligibility=Eligibility(require_indicator=False), completion=None)
    direct = Model.build(proposals, budget_only, budget=proposals.meta["budget"]).solve(
        solver="highs")
    assert data["selected"] == list(direct.selected)
    assert data["ineligible"] == {}


def test_explain_agrees_with_the_report(files: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver",
                 "highs", "--out", str(out), "--format", "json", "--reserve", "1",
                 "--lang", "en"]) == 0
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    capsys.readouterr()
    if not data["why_not"]:
        pytest.skip("the explanation step reported a problem (see the warning)")
    assert len(data["reserve"]) == 1
    assert data["reserve"][0]["id"] not in data["selected"]
    pid, sentence = next(iter(data["why_not"].items()))
    assert main(["explain", str(files["proposals"]), pid, "-r", str(files["rules"]),
                 "--solver", "highs", "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip() == f"{pid}: {sentence}"


def test_explain_unknown_id(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", str(files["proposals"]), "no-such-id", "-r", str(files["rules"]),
                 "--solver", "highs"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "error: no proposal with id 'no-such-id'"
