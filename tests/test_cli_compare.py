"""``selector compare`` through ``main([...])``: the tables equal the library's, errors are one line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from selector.cli import main
from selector.cli._views import comparison_dict
from selector.datasets import generate_call
from selector.engine import select
from selector.io import load_proposals, save_proposals
from selector.rules import load_rules
from selector.scenarios import Scenario, compare

LOOSE = """\
budget = 1_500_000

[[groups]]
column = "domain"
max_share = 0.5
"""

STRICT = """\
budget = 1_500_000

[[groups]]
column = "domain"
max_share = 0.25
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("cli_compare")
    proposals = root / "proposals.csv"
    save_proposals(generate_call(40, seed=8), proposals)
    paths = {"proposals": proposals, "root": root}
    for name, text in (("loose", LOOSE), ("strict", STRICT),
                       ("impossible", "budget = 1_500_000\n[count]\nmin = 39\n"),
                       ("bad", "budget = 'lots'\n")):
        paths[name] = root / f"{name}.toml"
        paths[name].write_text(text, encoding="utf-8")
    other = root / "other"
    other.mkdir()
    paths["loose_twin"] = other / "loose.toml"
    paths["loose_twin"].write_text(STRICT, encoding="utf-8")
    return paths


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English output (SELECTOR_LANG sets --lang of every command)."""
    monkeypatch.setenv("SELECTOR_LANG", "en")


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    errors = [line for line in lines if line.startswith(("error: ", "错误："))]  # after progress
    assert len(errors) == 1 and lines[-1] == errors[0], out.err
    assert "Traceback" not in out.err + out.out
    return "error: " + errors[0].removeprefix("错误：").removeprefix("error: ")


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--help"]) == 0
    out = capsys.readouterr().out
    assert "示例：" in out and "selector compare " in out


def test_two_rule_sets_equal_the_library(files: dict[str, Path], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out_json, out_png = tmp_path / "c.json", tmp_path / "c.png"
    code = main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-r",
                 str(files["strict"]), "--solver", "highs", "--json", str(out_json),
                 "--plot", str(out_png)])
    assert code == 0
    printed = capsys.readouterr().out
    data = json.loads(out_json.read_text(encoding="utf-8"))
    proposals = load_proposals(files["proposals"])
    loose, strict = load_rules(files["loose"]), load_rules(files["strict"])
    direct = compare([Scenario("loose", rules=loose), Scenario("strict", rules=strict)],
                     proposals=proposals, solver="highs", progress=False)
    expected = json.loads(json.dumps(comparison_dict(direct)))
    for row in data["totals"] + expected["totals"]:
        row.pop("seconds", None)
    assert data == expected
    assert data["scenarios"] == ["loose", "strict"] and data["baseline"] == "loose"
    # each scenario equals an independent solve, and the changes are the set differences
    alone = {name: select(proposals, rules, solver="highs")
             for name, rules in (("loose", loose), ("strict", strict))}
    totals = {row["scenario"]: row for row in data["totals"]}
    for name, selection in alone.items():
        assert totals[name]["objective"] == pytest.approx(selection.objective)
        assert Decimal(totals[name]["cost_used"]) == selection.total_cost
    enters = {c["id"] for c in data["changes"] if c["change"] == "enters"}
    leaves = {c["id"] for c in data["changes"] if c["change"] == "leaves"}
    assert enters == set(alone["strict"].selected) - set(alone["loose"].selected)
    assert leaves == set(alone["loose"].selected) - set(alone["strict"].selected)
    # the per-domain rows re-add to each scenario's totals
    for name in ("loose", "strict"):
        rows = [r for r in data["by_domain"] if r["scenario"] == name]
        assert sum(Decimal(r["cost"]) for r in rows) == Decimal(totals[name]["cost_used"])
        assert sum(r["count"] for r in rows) == totals[name]["count"]
    assert "cost by domain" in printed and "cost by target group" in printed
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_budgets_and_names(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-b", "800000",
                 "-b", "1500000", "--name", "small", "--name", "large", "--baseline", "large",
                 "--solver", "highs", "--value", "count", "--json", "-"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["scenarios"] == ["small", "large"] and data["baseline"] == "large"
    budgets = {row["scenario"]: row["budget"] for row in data["totals"]}
    assert budgets == {"small": "800000", "large": "1500000"}
    small = {row["scenario"]: row for row in data["totals"]}["small"]
    assert Decimal(small["cost_used"]) <= Decimal("800000")
    assert not any(c["scenario"] == "large" for c in data["changes"])


def test_default_names_from_file_and_budget(files: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-b", "900000",
                 "--solver", "highs", "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["scenarios"] == ["loose @ 900000"]


def test_an_infeasible_scenario_is_shown_not_fatal(files: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-r",
                 str(files["impossible"]), "--solver", "highs"]) == 0
    out = capsys.readouterr().out
    assert "infeasible" in out and "impossible:" in out


@pytest.mark.parametrize("extra", [
    ["--name", "only-one"],                                      # two scenarios, one name
    ["--name", "same", "--name", "same"],                        # duplicate names
    ["--baseline", "nope"],
    ["--plot", "c.bmp"],
    ["-b", "-5"],
    ["--value", "votes"],
])
def test_usage_errors_exit_2(extra: list[str], files: dict[str, Path],
                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-r",
                 str(files["strict"]), *extra])
    assert code == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_same_file_names_need_names(files: dict[str, Path],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", str(files["proposals"]), "-r", str(files["loose"]), "-r",
                 str(files["loose_twin"])]) == 2
    assert "--name" in capsys.readouterr().err


@pytest.mark.parametrize("case", ["missing", "bad_rules"])
def test_user_errors_are_one_line(case: str, files: dict[str, Path],
                                  capsys: pytest.CaptureFixture[str]) -> None:
    args = {"missing": [str(files["root"] / "nope.csv"), "-r", str(files["loose"])],
            "bad_rules": [str(files["proposals"]), "-r", str(files["bad"])]}[case]
    assert main(["compare", *args, "--solver", "highs"]) == 1
    line = _one_error_line(capsys)
    assert ("nope.csv" if case == "missing" else "bad.toml") in line
