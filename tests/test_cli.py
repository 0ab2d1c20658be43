"""The command line through ``main([...])``: exit codes, one-line errors, machine output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pytest

import selector.engine.solve as solve_module
from selector.cli import main
from selector.cli._common import MAX_LINE
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import load_proposals, save_proposals
from selector.rules import Eligibility, Rules, load_rules

from .conftest import EXAMPLES

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


def _one_error_line(capsys: pytest.CaptureFixture[str], prefix: str = "错误：") -> str:
    """The error: ONE line, the last on stderr (progress lines may come before it)."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    errors = [line for line in lines if line.startswith(prefix)]
    assert len(errors) == 1 and lines[-1] == errors[0], captured.err
    assert len(errors[0]) <= MAX_LINE
    _no_traceback(captured.err + captured.out)
    return errors[0]


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("selector ")
    for command in ([], ["validate"], ["select"], ["explain"]):
        assert main([*command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Usage: selector" in out
        if command:
            assert "示例：" in out and "selector " + command[0] in out
            assert "--lang" in out and "--quiet" in out or command[0] == "validate"
    assert main(["select", "--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--sheet", "--encoding", "--delimiter", "--mapping", "--pdf", "--verbose"):
        assert option in out


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=120, check=False)


def test_help_imports_no_heavy_library() -> None:
    """`selector --help` (and a sub-command's help) starts without the solver, pandas,
    SQLAlchemy or matplotlib: they are imported by the command bodies only."""
    code = ("import sys; from selector.cli import main\n"
            "for argv in (['--help'], ['select', '--help'], ['frontier', '--help']):\n"
            "    assert main(argv) == 0\n"
            "heavy = {'matplotlib', 'sqlalchemy', 'pulp', 'pandas', 'highspy', 'scipy'}\n"
            "print('LOADED', sorted(heavy & {m.split('.')[0] for m in sys.modules}))")
    run = _run(code)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "LOADED []"


def test_help_in_english_with_selector_lang() -> None:
    run = _run("from selector.cli import main; main(['select', '--help'])", SELECTOR_LANG="en")
    assert "Examples:" in run.stdout and "Total budget (yuan)" in run.stdout
    assert "示例" not in run.stdout


def test_python_dash_m_runs_the_command_line(tmp_path: Path) -> None:
    """`python -m selector` is the `selector` script: same exit codes, same words."""
    ok = subprocess.run([sys.executable, "-m", "selector", "validate",
                         str(EXAMPLES / "proposals.csv"), "--lang", "en"],
                        capture_output=True, text=True, timeout=120, check=False)
    assert ok.returncode == 0, ok.stderr
    assert "150" in ok.stdout
    missing = subprocess.run([sys.executable, "-m", "selector", "select",
                              str(tmp_path / "nothing.csv")],
                             capture_output=True, text=True, timeout=120, check=False)
    assert missing.returncode == 1
    assert "nothing.csv" in missing.stderr and "Traceback" not in missing.stderr


def test_shell_completion_is_offered() -> None:
    run = _run("from selector.cli import main; main(['--help'])")
    assert "--install-completion" in run.stdout
    complete = subprocess.run([sys.executable, "-c", "from selector.cli import run; run()"],
                              capture_output=True, text=True, timeout=120, check=False,
                              env={**os.environ, "_SELECTOR_COMPLETE": "complete_bash",
                                   "COMP_WORDS": "selector fr", "COMP_CWORD": "1"})
    assert "frontier" in complete.stdout


def test_usage_errors_exit_2(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select"]) == 2
    assert "Missing argument" in capsys.readouterr().err
    assert main(["select", str(files["proposals"]), "--budget", "lots"]) == 2
    err = capsys.readouterr().err
    assert "--budget 须为金额" in err and "lots" in err
    assert main(["select", str(files["proposals"]), "--budget", "lots", "--lang", "en"]) == 2
    assert "--budget must be an amount" in capsys.readouterr().err
    assert main(["select", str(files["proposals"]), "--budget", "1e40"]) == 2
    assert main(["select", str(files["proposals"]), "--solver", "gurobi"]) == 2
    assert main(["select", str(files["proposals"]), "--format", "pdf"]) == 2
    assert main(["select", str(files["proposals"]), "--mapping", "no-equals"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["validate"]) == 2
    _no_traceback(capsys.readouterr().err)


def test_budget_grammar_of_the_money_module(files: dict[str, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """--budget is read by selector.money: 200万 is 2,000,000 yuan."""
    assert main(["select", str(files["proposals"]), "--budget", "200万", "--solver", "highs",
                 "--json", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["budget"] == "2000000"


def test_validate_ok(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(files["proposals"]), "--rules", str(files["rules"])]) == 0
    assert capsys.readouterr().out.strip() == (
        f"检查通过：{files['proposals']}和{files['rules']}（70 个申报项目）")
    assert main(["validate", str(files["proposals"]), "--rules", str(files["rules"]),
                 "--lang", "en"]) == 0
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
        assert f"已写入 {out / name}" in printed
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
    line = _one_error_line(capsys)
    if case == "infeasible":
        assert "60" in line
    if case == "bad_csv":
        assert "共 2 处问题" in line and "selector validate" in line
    if case == "missing":
        assert line.startswith(f"错误：{files['root'] / 'nope.csv'}")
    if case == "directory":
        assert str(files["root"]) in line


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
                 "--solver", "highs", "--lang", "en"]) == 1
    assert _one_error_line(capsys, "error: ") == "error: no proposal with id 'no-such-id'"


def test_a_bug_is_one_line_too(files: dict[str, Path], monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    """Anything that is not a user error is a bug: still one line (no traceback), exit 1."""
    import selector.engine

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("x" * 5000)

    monkeypatch.setattr(selector.engine.Model, "build", broken)
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"])]) == 1
    line = _one_error_line(capsys, "内部错误：")
    assert "KeyError" in line and "xxx…" in line and line.endswith("请连同所用命令一并报告）")


def test_terminal_escapes_from_input_are_shown_not_run(files: dict[str, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A file name (or any value from the input) carrying an escape sequence is printed
    with the escape made visible: it cannot clear or recolour the terminal."""
    hostile = tmp_path / "p\x1b[2J\x1b[31mred.csv"
    hostile.write_bytes(files["proposals"].read_bytes())
    assert main(["validate", str(hostile)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\\x1b[2J" in out
    assert main(["select", str(tmp_path / "gone\x1b]0;owned\x07.csv")]) == 1
    line = _one_error_line(capsys)
    assert "\x1b" not in line and "\x07" not in line and "\\x1b]0;owned" in line


def test_input_options_reach_the_loader(files: dict[str, Path], tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """--encoding, --delimiter, --mapping and --sheet: the same list as the plain file."""
    frame = pd.read_csv(files["proposals"], dtype=str, keep_default_na=False,
                        encoding="utf-8-sig")
    odd = tmp_path / "odd.csv"
    frame.rename(columns={"cost": "资金(元)"}).to_csv(odd, sep=";", index=False, encoding="gb18030")
    book = tmp_path / "book.xlsx"
    with pd.ExcelWriter(book) as writer:
        frame.head(3).to_excel(writer, sheet_name="草稿", index=False)
        frame.to_excel(writer, sheet_name="申报汇总", index=False)
    base = ["-r", str(files["rules"]), "--solver", "highs", "--json", "-"]
    assert main(["select", str(files["proposals"]), *base]) == 0
    expected = json.loads(capsys.readouterr().out)["selected"]
    assert main(["select", str(odd), "--encoding", "gb18030", "--delimiter", ";",
                 "--mapping", "资金(元)=cost", *base]) == 0
    assert json.loads(capsys.readouterr().out)["selected"] == expected
    for sheet in ("申报汇总", "1"):
        assert main(["select", str(book), "--sheet", sheet, *base]) == 0
        assert json.loads(capsys.readouterr().out)["selected"] == expected
    assert main(["validate", str(book), "--sheet", "nope"]) == 1
    assert "申报汇总" in capsys.readouterr().out      # a wrong sheet name lists the sheets


def test_progress_plain_when_piped_and_silenced_by_quiet(files: dict[str, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    args = ["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver", "highs"]
    assert main(args) == 0
    captured = capsys.readouterr()
    err = captured.err.splitlines()
    assert any(line.startswith("正在求解（70 个申报项目）……") for line in err)
    assert any(line.startswith("正在求解（70 个申报项目）：完成，用时 ") for line in err)
    assert "\r" not in captured.err and "\x1b" not in captured.err   # no spinner when piped
    assert main([*args, "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert main([*args, "--verbose", "--lang", "en"]) == 0
    # the solver that answered (the model's shape may route it away from the one asked for)
    # and the route, in words
    sel = Model.build(load_proposals(files["proposals"]), load_rules(files["rules"])).solve(
        solver="highs")
    said = f"solver {sel.solver} ({sel.solver.label('en')})"
    assert any(line.startswith(said) for line in capsys.readouterr().err.splitlines())


def test_summary_reads_in_chinese(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver",
                 "highs", "--quiet"]) == 0
    out = capsys.readouterr().out
    rows = {line.split(maxsplit=1)[0]: line.split(maxsplit=1)[1].strip()
            for line in out.strip().splitlines() if line.strip() and not line.startswith(" ")}
    assert rows["求解状态"] == "已证明最优"
    assert rows["支出"].endswith("元 / 3,000,000.00元")
    assert rows["求解器"].endswith(" 秒")


@pytest.mark.parametrize(("lang", "head", "route"), [("zh", "求解器", "，整数规划 · "),
                                                     ("en", "Solver", ", integer programme · ")])
def test_summary_names_the_solver_and_the_route(files: dict[str, Path], lang: str, head: str,
                                                route: str, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """HiGHS answering (the CP-SAT route off) is named with its version, and the route in
    the summary's language (it once printed the bare version `1.16.0`)."""
    monkeypatch.setattr(solve_module, "CPSAT_MAX", 0)
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver",
                 "highs", "--reserve", "0", "--quiet", "--lang", lang]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(head))
    assert f" HiGHS {version('highspy')}{route}" in line


def test_select_reports_what_the_reserve_cost(files: dict[str, Path],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--solver",
                 "highs", "--reserve", "2", "--lang", "en", "--quiet"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("Reserve: 2 of the 2 asked, scored and explained in ")
    assert line.endswith(" s")


def test_reporter_on_a_terminal_draws_a_bar_with_counts() -> None:
    import io

    from rich.console import Console

    from selector.cli._common import Reporter

    buf = io.StringIO()
    reporter = Reporter("zh", console=Console(file=buf, force_terminal=True, width=100))
    with reporter.counted("cli.progress.file", 3) as advance:
        for _ in range(3):
            advance()
    shown = buf.getvalue()
    assert "3/3" in shown and "已用" not in shown            # rich's bar, not plain lines
    plain = io.StringIO()
    reporter = Reporter("en", console=Console(file=plain, force_terminal=False))
    with reporter.counted("cli.progress.file", 2) as advance:
        advance()
        advance()
    assert plain.getvalue().splitlines() == [
        line for line in plain.getvalue().splitlines() if line.startswith("writing the report files: ")]
    assert "2/2" in plain.getvalue() and "about 0 s left" in plain.getvalue()


def test_time_limit_counts_from_the_start_of_the_command(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`select --time-limit T` hands the solve one deadline taken when the command started
    (loading and building already spent some of it), never a fresh T."""
    seen: list[object] = []
    real = Model.solve

    def spy(self: Model, **kwargs: object) -> object:
        seen.append(kwargs.get("time_limit"))
        return real(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Model, "solve", spy)
    before = solve_module.Deadline.after(30.0)
    assert main(["select", str(EXAMPLES / "proposals.csv"), "-r", str(EXAMPLES / "rules.toml"),
                 "--time-limit", "30", "--reserve", "0", "--quiet",
                 "--json", str(tmp_path / "r.json")]) == 0
    after = solve_module.Deadline.after(30.0)
    deadline = seen[0]
    assert isinstance(deadline, solve_module.Deadline) and deadline.at is not None
    assert before.at is not None and after.at is not None
    assert before.at <= deadline.at < after.at


def test_scoring_the_reserve_counts_its_re_solves(files: dict[str, Path],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Piped (not a terminal), `select` and `reserve add` say how far the scoring is: one
    line per re-solved runner-up, counting up to the same total."""
    def counts(err: str) -> list[str]:
        return [line.split(": ")[1].split(",")[0] for line in err.splitlines()
                if line.startswith("scoring the runner-ups (the best 2): ")]

    inputs = [str(files["proposals"]), "-r", str(files["rules"]), "--lang", "en"]
    assert main(["select", *inputs, "--reserve", "2"]) == 0
    shown = counts(capsys.readouterr().err)
    total = int(shown[-1].split("/")[1])
    assert total > 0 and shown == [f"{k}/{total}" for k in range(1, total + 1)]
    db = files["proposals"].parent / "progress.sqlite"
    assert main(["reserve", "add", *inputs, "--year", "2026", "--top", "2", "--db",
                 str(db)]) == 0
    assert counts(capsys.readouterr().err) == shown


def test_json_on_stdout_still_writes_the_reports_asked_for(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--json -` with `--out DIR`: stdout is the JSON alone, and the reports are written
    (they were silently skipped)."""
    out = tmp_path / "reports"
    assert main(["select", str(files["proposals"]), "-r", str(files["rules"]), "--reserve",
                 "1", "--json", "-", "--out", str(out), "--format", "csv,html"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert len(shown["reserve"]) == 1
    reserve = (out / "reserve.csv").read_text(encoding="utf-8-sig")
    assert shown["reserve"][0]["id"] in reserve
    assert (out / "report.html").is_file()
