"""``selector frontier`` through ``main([...])``: the output equals the library's, errors are one line."""

from __future__ import annotations

import csv
import json
import tomllib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from selector.cli import main
from selector.cli._views import frontier_dict, sweep_dict
from selector.datasets import generate_call
from selector.engine import select
from selector.io import load_proposals, save_proposals
from selector.rules import Rules, load_rules
from selector.scenarios import budget_grid, frontier, sweep

RULES = """\
budget = 900_000

[[groups]]
column = "domain"
max_share = 0.5
"""


def load_rules_text(text: str) -> Rules:
    return Rules.model_validate(tomllib.loads(text))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli_frontier")
    call = generate_call(20, seed=4)
    frame = call.frame.copy()
    # a hostile id, first in the file and in the optimal list: must stay text in the CSV
    referred = {r for col in ("requires", "excludes") for refs in frame[col] for r in refs}
    chosen = select(call, load_rules_text(RULES), solver="cbc").selected
    free = next(k for k, pid in enumerate(frame["id"]) if pid in chosen and pid not in referred)
    frame.loc[free, "id"] = "=1+1"
    frame = pd.concat([frame.iloc[[free]], frame.drop(index=free)], ignore_index=True)
    proposals = root / "proposals.csv"
    save_proposals(call.replace_frame(frame), proposals)
    rules = root / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    no_budget = root / "no_budget.toml"
    no_budget.write_text("[[groups]]\ncolumn = 'domain'\nmax_share = 0.5\n", encoding="utf-8")
    bad_rules = root / "bad.toml"
    bad_rules.write_text("budget = -3\n", encoding="utf-8")
    return {"proposals": proposals, "rules": rules, "no_budget": no_budget,
            "bad_rules": bad_rules, "root": root}


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English output (SELECTOR_LANG sets --lang of every command)."""
    monkeypatch.setenv("SELECTOR_LANG", "en")


def _one_error_line(captured: pytest.CaptureFixture[str]) -> str:
    out = captured.readouterr()
    lines = out.err.strip().splitlines()
    errors = [line for line in lines if line.startswith(("error: ", "错误："))]  # after progress
    assert len(errors) == 1 and lines[-1] == errors[0], out.err
    assert "Traceback" not in out.err + out.out
    return "error: " + errors[0].removeprefix("错误：").removeprefix("error: ")


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", "--help"]) == 0
    out = capsys.readouterr().out
    assert "示例：" in out and "selector frontier " in out and "--points" in out


def test_exact_frontier_equals_the_library(files: dict[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    out_json, out_csv, out_png = tmp_path / "f.json", tmp_path / "f.csv", tmp_path / "p" / "f.png"
    # the default solver (CBC): the search probes budgets one fen apart
    code = main(["frontier", str(files["proposals"]), "-r", str(files["rules"]), "--from",
                 "300000", "--json", str(out_json), "--csv", str(out_csv),
                 "--plot", str(out_png)])
    assert code == 0
    printed = capsys.readouterr().out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    direct = frontier(load_proposals(files["proposals"]), load_rules(files["rules"]),
                      300_000, 900_000, solver="cbc", progress=False)
    assert data == json.loads(json.dumps(frontier_dict(direct)))
    assert data["high"] == "900000" and data["proven"] is True and len(data["points"]) > 3
    objectives = [p["objective"] for p in data["points"]]
    assert objectives == sorted(objectives) and len(objectives) == len(direct.points)
    # the steps tile the range: each starts one fen after the previous ends
    for prev, nxt in zip(data["points"], data["points"][1:], strict=False):
        assert Decimal(nxt["budget"]) - Decimal(prev["budget_to"]) == Decimal("0.01")
    assert f"{len(direct.points)} step" in printed and f"wrote {out_png}" in printed
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [Decimal(r["budget"]) for r in rows] == list(direct.points["budget"])
    hostile = [k for k, ids in enumerate(direct.points["ids"]) if ids and ids[0] == "=1+1"]
    assert hostile, "the hostile id should lead some list"
    assert all(rows[k]["ids"].startswith("'=1+1 | ") for k in hostile)
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())


def test_sweep_points_equal_the_library(files: dict[str, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["frontier", str(files["proposals"]), "-r", str(files["rules"]), "--from",
                 "300000", "--to", "900000", "--points", "4", "--solver", "highs",
                 "--json", "-"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    direct = sweep(load_proposals(files["proposals"]), load_rules(files["rules"]),
                   budget_grid(300_000, 900_000, 4), solver="highs", workers=1, progress=False)
    expected = json.loads(json.dumps(sweep_dict(direct)))
    for got, want in zip(data["points"], expected["points"], strict=True):
        got.pop("seconds"), want.pop("seconds")
        assert got == want
    assert [p["budget"] for p in data["points"]] == ["300000", "500000", "700000", "900000"]


def test_infeasible_budgets_are_reported_not_raised(files: dict[str, Path],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rules = files["root"] / "count.toml"
    rules.write_text("budget = 900_000\n[count]\nmin = 3\n", encoding="utf-8")
    assert main(["frontier", str(files["proposals"]), "-r", str(rules), "--from", "0", "--to",
                 "900000", "--points", "2", "--solver", "highs", "--json", "-"]) == 0
    points = json.loads(capsys.readouterr().out)["points"]
    assert points[0]["status"] == "infeasible" and points[0]["objective"] is None
    assert points[1]["status"] == "optimal"


@pytest.mark.parametrize("args", [
    ["--from", "lots"],
    ["--from", "500000", "--to", "100000"],
    ["--points", "0"],
    ["--plot", "f.gif"],
    ["--solver", "gurobi"],
])
def test_usage_errors_exit_2(args: list[str], files: dict[str, Path],
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frontier", str(files["proposals"]), "-r", str(files["rules"]), *args]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip()


@pytest.mark.parametrize("case", ["missing", "bad_rules", "no_budget", "from_above_budget"])
def test_user_errors_are_one_line(case: str, files: dict[str, Path],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    args = {
        "missing": [str(files["root"] / "nope.csv")],
        "bad_rules": [str(files["proposals"]), "-r", str(files["bad_rules"])],
        "no_budget": [str(files["proposals"]), "-r", str(files["no_budget"])],
        "from_above_budget": [str(files["proposals"]), "-r", str(files["rules"]),
                              "--from", "1000000"],
    }[case]
    assert main(["frontier", *args, "--solver", "highs"]) == 1
    line = _one_error_line(capsys)
    if case == "no_budget":
        assert "--to" in line
    if case == "from_above_budget":
        assert "--from" in line and "900000" in line
