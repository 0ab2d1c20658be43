"""``selector reserve ...`` through ``main([...])`` against a SQLite store.

One year is recorded once per module (``reserve add``); every test that writes works on a
copy of that store. Each command's output is checked against the store read directly.
"""

from __future__ import annotations

import csv
import json
import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from selector.cli import main as cli_main
from selector.cli._tables import records
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import load_proposals, save_proposals
from selector.reserve import (
    DEFAULT_RESERVE_SIZE,
    Candidate,
    ReserveStore,
    backfill,
    entries_frame,
    plan_reserve,
)
from selector.rules import load_rules

from .conftest import EXAMPLES

# The engine's CBC call may warn under PuLP 3.3 (a PuLP 4 deprecation); not this suite's concern.
pytestmark = pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")

RULES = """\
budget = 1_200_000

[[groups]]
column = "domain"
max_share = 0.5
"""
HOSTILE = "'; DROP TABLE entries; -- \"quoted\" 驿站"


def _url(db: Path) -> str:
    return f"sqlite:///{db}"


def main(argv: list[str]) -> int:
    """``selector ...`` with ``--lang en`` on reserve commands unless ``--lang`` is given."""
    if argv[:1] == ["reserve"] and len(argv) > 2 and "--lang" not in argv \
            and "--help" not in argv:
        argv = [*argv, "--lang", "en"]
    return cli_main(argv)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    errors = [line for line in lines if line.startswith(("error: ", "错误："))]  # after progress
    assert len(errors) == 1 and lines[-1] == errors[0], out.err
    assert "Traceback" not in out.err + out.out
    return "error: " + errors[0].removeprefix("错误：").removeprefix("error: ")


@pytest.fixture(scope="module")
def year1(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """2026 selected and its reserve recorded by ``selector reserve add`` (CBC)."""
    root = tmp_path_factory.mktemp("cli_reserve")
    proposals, rules, db = root / "p2026.csv", root / "rules.toml", root / "store" / "r.sqlite"
    save_proposals(generate_call(30, seed=3), proposals)
    rules.write_text(RULES, encoding="utf-8")
    out_json = root / "add.json"
    code = main(["reserve", "add", str(proposals), "-r", str(rules), "--year", "2026",
                 "--top", "4", "--db", str(db), "--json", str(out_json)])
    assert code == 0
    return {"root": root, "proposals": proposals, "rules": rules, "db": db,
            "add": json.loads(out_json.read_text(encoding="utf-8"))}


@pytest.fixture()
def db(year1: dict[str, Any], tmp_path: Path) -> Path:
    """A private copy of the recorded store."""
    copy = tmp_path / "copy.sqlite"
    shutil.copy(year1["db"], copy)
    return copy


def test_help_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["reserve", "--help"]) == 0
    assert "carry-over" in capsys.readouterr().out
    for command in ("add", "carry-over", "backfill", "list", "show", "withdraw", "export"):
        assert main(["reserve", command, "--help"]) == 0
        out = capsys.readouterr().out
        assert "Examples:" in out and f"selector reserve {command}" in out and "--db" in out


def test_add_records_what_the_library_computes(year1: dict[str, Any]) -> None:
    data = year1["add"]
    proposals, rules = load_proposals(year1["proposals"]), load_rules(year1["rules"])
    model = Model.build(proposals, rules)
    base = model.solve()
    ranked = plan_reserve(model, base, 4)
    assert data["selection"]["selected"] == list(base.selected)
    with ReserveStore(_url(year1["db"])) as store:
        stored = store.entries(2026)
        assert data["reserve"] == records(entries_frame(store, 2026))
        runs = store.runs(2026)
    assert [e.proposal_id for e in stored] == list(ranked.reserve)
    assert [e.rank for e in stored] == [1, 2, 3, 4]
    assert {e.status for e in stored} == {"reserved"}
    assert not set(ranked.reserve) & set(base.selected)          # never overlaps the list
    for e in stored:
        assert e.score == pytest.approx(ranked.scores[e.proposal_id])
    assert [r.kind for r in runs] == ["selection"]
    assert runs[0].result["selected"] == list(base.selected)


def test_list_equals_the_store(year1: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    db = str(year1["db"])
    assert main(["reserve", "list", "--db", db, "--json", "-"]) == 0
    listed = json.loads(capsys.readouterr().out)["entries"]
    with ReserveStore(_url(year1["db"])) as store:
        entries = store.entries()
    assert [(e["proposal_id"], e["year"], e["rank"], e["status"]) for e in listed] == [
        (e.proposal_id, e.year, e.rank, e.status) for e in entries]
    assert [e["score"] for e in listed] == [e.score for e in entries]
    assert main(["reserve", "list", "--db", db]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"{len(entries)} entries: {len(entries)} reserved")
    assert all(e.proposal_id in printed for e in entries)
    assert main(["reserve", "list", "--db", db, "--year", "2025", "--status", "reserved"]) == 0
    assert capsys.readouterr().out.strip() == "no entries match"
    assert main(["reserve", "list", "--db", db, "--status", "lost"]) == 2


def test_show_prints_the_history(year1: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    pid = year1["add"]["reserve"][0]["proposal_id"]
    assert main(["reserve", "show", pid, "--db", str(year1["db"]), "--json", "-"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["entries"]
    with ReserveStore(_url(year1["db"])) as store:
        stored = store.entry(2026, pid)
        history = store.history(entry_id=stored.id)
    assert entry["proposal_id"] == pid and entry["rank"] == 1
    assert [h["action"] for h in entry["history"]] == [c.action for c in history] == ["reserved"]
    assert main(["reserve", "show", pid, "--db", str(year1["db"])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith(f"{pid} ") and "rank 1" in lines[0] and len(lines) == 2
    assert main(["reserve", "show", "nope", "--db", str(year1["db"])]) == 1
    assert _one_error_line(capsys) == "error: 'nope' is not in the reserve"


def test_withdraw_keeps_the_reason_verbatim(year1: dict[str, Any], db: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    pid = year1["add"]["reserve"][1]["proposal_id"]
    assert main(["reserve", "withdraw", pid, "--reason", HOSTILE, "--by", "Li Hua",
                 "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"withdrew {pid} from the 2026 reserve: {HOSTILE}"
    with ReserveStore(_url(db)) as store:
        entry = store.entry(2026, pid)
        last = store.history(entry_id=entry.id)[-1]
        ranks = [e.rank for e in store.entries(2026, "reserved")]
    assert entry.status == "withdrawn" and entry.reason == HOSTILE
    assert (last.action, last.actor, last.reason) == ("withdrawn", "Li Hua", HOSTILE)
    assert ranks == [1, 2, 3]                                     # re-ranked without it
    with ReserveStore(_url(db)) as store:
        before = (store.entries(), store.history())
    assert main(["reserve", "withdraw", pid, "--reason", HOSTILE, "--by", "Li Hua",
                 "--db", str(db)]) == 0                         # the same command again
    assert capsys.readouterr().out.strip() == f"withdrew {pid} from the 2026 reserve: {HOSTILE}"
    with ReserveStore(_url(db)) as store:
        assert (store.entries(), store.history()) == before    # changed nothing
    assert main(["reserve", "withdraw", pid, "--reason", "again", "--db", str(db)]) == 1
    assert "not reserved in any year" in _one_error_line(capsys)
    assert main(["reserve", "withdraw", pid, "--year", "2026", "--reason", "x",
                 "--db", str(db)]) == 1
    assert "already withdrawn" in _one_error_line(capsys)
    other = year1["add"]["reserve"][2]["proposal_id"]
    assert main(["reserve", "withdraw", other, "--reason", "  ", "--db", str(db)]) == 1
    assert "reason is required" in _one_error_line(capsys)
    assert main(["reserve", "withdraw", other, "--db", str(db)]) == 2   # --reason missing


def test_export_neutralises_formulas(db: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    hostile = {"X-1": '=HYPERLINK("http://evil.example","open")', "X-2": "@SUM(A1:A9)",
               "X-3": "+1+2", "X-4": "-3-4"}
    with ReserveStore(_url(db)) as store:
        store.reserve(2030, [Candidate(pid, title, 0.5) for pid, title in hostile.items()])
        expected = store.entries()
    out_csv, out_xlsx = tmp_path / "out" / "reserve.csv", tmp_path / "reserve.xlsx"
    assert main(["reserve", "export", str(out_csv), "--db", str(db)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out_csv} ({len(expected)} entries)"
    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["proposal_id"] for r in rows] == [e.proposal_id for e in expected]
    titles = {r["proposal_id"]: r["title"] for r in rows}
    for pid, title in hostile.items():
        assert titles[pid] == "'" + title
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert main(["reserve", "export", str(out_xlsx), "--db", str(db), "--year", "2030"]) == 0
    book = openpyxl.load_workbook(out_xlsx)
    assert book.sheetnames == ["reserve", "history"]
    sheet = book["reserve"]
    header = [c.value for c in sheet[1]]
    cells = {row[header.index("proposal_id")].value: row[header.index("title")]
             for row in sheet.iter_rows(min_row=2)}
    assert set(cells) == set(hostile)
    for pid, cell in cells.items():
        assert cell.data_type == "s" and cell.value == "'" + hostile[pid]
    assert main(["reserve", "export", str(tmp_path / "r.pdf"), "--db", str(db)]) == 1
    assert ".csv or .xlsx" in _one_error_line(capsys)


def test_carry_over_then_add_promotes_the_winners(year1: dict[str, Any], db: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    with ReserveStore(_url(db)) as store:
        before = {e.proposal_id: e for e in store.entries(2026, "reserved")}
    new = tmp_path / "p2027.csv"
    save_proposals(generate_call(20, seed=14, year=2027), new)
    pool = tmp_path / "pool.csv"
    assert main(["reserve", "carry-over", str(new), "--year", "2027", "--out", str(pool),
                 "--decay", "0.5", "--db", str(db)]) == 0
    assert f"carried {len(before)} entries into 2027" in capsys.readouterr().out
    merged = load_proposals(pool)
    assert set(before) <= set(merged.ids) and len(merged) == 20 + len(before)
    with ReserveStore(_url(db)) as store:
        carried = {e.proposal_id: e for e in store.entries(2027, "reserved")}
    assert set(carried) == set(before)
    for pid, e in carried.items():
        assert e.score == pytest.approx(0.5 * before[pid].base_score)
    out_json = tmp_path / "add.json"
    assert main(["reserve", "add", str(pool), "-r", str(year1["rules"]), "--year", "2027",
                 "--top", "3", "--db", str(db), "--json", str(out_json)]) == 0
    data = json.loads(out_json.read_text(encoding="utf-8"))
    selected = set(data["selection"]["selected"])
    status = {e["proposal_id"]: e["status"] for e in data["reserve"]}
    for pid in before:   # every carried entry either won a place or is still ranked
        assert status[pid] == ("promoted" if pid in selected else status[pid])
        assert (status[pid] == "promoted") == (pid in selected)
    assert sum(s == "reserved" for s in status.values()) <= 3
    # carrying again after `add`: the entries carried before and still reserved are in
    # the pool again (a carry-over run again writes the whole pool)
    still = {e["proposal_id"] for e in data["reserve"]
             if e["status"] == "reserved" and e["origin_year"] < 2027}
    assert main(["reserve", "carry-over", str(new), "--year", "2027", "--out",
                 str(tmp_path / "again.csv"), "--db", str(db)]) == 0
    out = capsys.readouterr()
    assert "carried 0 entries into 2027" in out.out
    assert f"{len(still)} entries carried into 2027 earlier are in the pool again" in out.err
    assert set(load_proposals(tmp_path / "again.csv").ids) == set(merged.ids) - (
        set(before) - still)


def test_backfill_equals_the_library_and_promotes(year1: dict[str, Any], db: Path,
                                                  tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    proposals, rules = load_proposals(year1["proposals"]), load_rules(year1["rules"])
    base = Model.build(proposals, rules).solve()
    costs = {pid: proposals[pid].cost for pid in base.selected}
    dearest = max(costs, key=lambda pid: (costs[pid], pid))
    args = ["reserve", "backfill", str(year1["proposals"]), "-r", str(year1["rules"]),
            "--year", "2026", "--cancel", dearest, "--db", str(db)]
    assert main([*args, "--dry-run", "--json", "-"]) == 0
    dry = json.loads(capsys.readouterr().out)
    with ReserveStore(_url(db)) as store:
        direct = backfill(store, 2026, base, cancelled=[dearest], record=False)
        assert {e.status for e in store.entries(2026)} == {"reserved"}   # dry run wrote nothing
    assert dry["recorded"] is False and dry["replacements"] == list(direct.replacements)
    assert dry["selection"]["selected"] == list(direct.selection.selected)
    assert Decimal(dry["freed"]) == costs[dearest] == direct.freed
    assert Decimal(dry["selection"]["total_cost"]) <= Decimal(dry["budget"])
    assert dry["replacements"], "cancelling the dearest project should free room for one"
    assert main([*args, "--reason", HOSTILE]) == 0
    assert f"promoted {len(direct.replacements)} entries" in capsys.readouterr().out
    with ReserveStore(_url(db)) as store:
        promoted = store.entries(2026, "promoted")
        kinds = [r.kind for r in store.runs(2026)]
    assert {e.proposal_id for e in promoted} == set(direct.replacements)
    assert all(e.reason == HOSTILE for e in promoted) and kinds == ["selection", "backfill"]


def test_backfill_refuses_other_inputs(year1: dict[str, Any], db: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    base = ["reserve", "backfill", str(year1["proposals"]), "-r", str(year1["rules"]),
            "--year", "2026", "--db", str(db)]
    selected = year1["add"]["selection"]["selected"]
    assert main([*base, "--cancel", selected[0], "--budget", "900000"]) == 1
    assert "does not reproduce the 2026 selection" in _one_error_line(capsys)
    assert main([*base, "--cancel", "nope"]) == 1
    assert "nope" in _one_error_line(capsys)
    assert main(base) == 2                                  # nothing freed
    assert main([*base, "--spent", "no-equals-sign"]) == 2
    assert main([*base, "--cancel", selected[0], "--month", "13"]) == 2


@pytest.mark.parametrize("case", ["missing", "directory", "bad_url", "bad_input"])
def test_store_and_input_errors_are_one_line(case: str, year1: dict[str, Any], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    if case == "bad_input":
        target = tmp_path / "new.sqlite"
        assert main(["reserve", "add", str(tmp_path / "nope.csv"), "--year", "2026",
                     "--db", str(target)]) == 1
        assert "nope.csv" in _one_error_line(capsys)
        assert not target.exists()                          # nothing created for bad input
        return
    where = {"missing": str(tmp_path / "none.sqlite"), "directory": str(tmp_path),
             "bad_url": "mysql://user@host/db"}[case]
    assert main(["reserve", "list", "--db", where]) == 1
    line = _one_error_line(capsys)
    assert {"missing": "no reserve store", "directory": "directory",
            "bad_url": "mysql"}[case] in line
    assert not (tmp_path / "none.sqlite").exists()


def test_usage_errors_exit_2(year1: dict[str, Any], tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    carry = ["reserve", "carry-over", str(year1["proposals"]), "--year", "2027",
             "--db", str(year1["db"])]
    for bad in ("0", "nan", "1.5", "-0.2"):       # the library's rule, as a usage error
        assert main([*carry, "--out", str(tmp_path / "p.csv"), "--decay", bad]) == 2
        err = capsys.readouterr().err
        assert "--decay" in err and "decay must be in (0, 1]" in err
    assert not (tmp_path / "p.csv").exists()
    assert main([*carry, "--out", str(tmp_path / "p.txt")]) == 2
    assert "--out must end in" in capsys.readouterr().err
    assert main(["reserve", "list", "--db", ""]) == 2
    assert "--db" in capsys.readouterr().err
    assert main(["reserve", "add", str(year1["proposals"])]) == 2      # --year missing
    assert "Traceback" not in capsys.readouterr().err


def test_a_second_backfill_starts_from_the_first(year1: dict[str, Any], db: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    proposals = load_proposals(year1["proposals"])
    selected = year1["add"]["selection"]["selected"]
    by_cost = sorted(selected, key=lambda pid: (-proposals[pid].cost, pid))
    args = ["reserve", "backfill", str(year1["proposals"]), "-r", str(year1["rules"]),
            "--year", "2026", "--db", str(db), "--json", "-"]
    assert main([*args, "--cancel", by_cost[0]]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main([*args, "--cancel", by_cost[1]]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["earlier_backfills"] == 1 and first["earlier_backfills"] == 0
    assert set(first["replacements"]) <= set(second["selection"]["selected"])
    assert by_cost[0] not in second["selection"]["selected"]
    assert second["ongoing"] == [i for i in first["selection"]["selected"] if i != by_cost[1]]
    assert main([*args[:-2], "--cancel", by_cost[0]]) == 1
    assert "already cancelled in an earlier 2026 backfill" in _one_error_line(capsys)


def test_one_default_reserve_size() -> None:
    """`select --reserve` and `reserve add --top` default to the library's one size."""

    from selector.cli import command
    from selector.cli._select import reserve_size

    root = command()
    ctx = root.make_context("selector", ["reserve", "add", "x", "--year", "1"],
                            resilient_parsing=True)
    select = root.get_command(ctx, "select")          # type: ignore[attr-defined]
    reserve = root.get_command(ctx, "reserve")        # type: ignore[attr-defined]
    add = reserve.real().get_command(ctx, "add")   # the group is loaded on first use
    defaults = {p.name: p.default for p in select.params} | {
        f"add_{p.name}": p.default for p in add.params}
    assert defaults["add_top"] == DEFAULT_RESERVE_SIZE
    # select resolves its default at run time (the reserve package is not loaded for --help)
    assert defaults["reserve_given"] is None and reserve_size(None) == DEFAULT_RESERVE_SIZE


ESCAPES = "\x1b[2J\x1b]0;pwned\x07"


def test_terminal_escapes_from_input_are_never_printed_raw(
        db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pid, title = f"E-1{ESCAPES}", f"职工书屋{ESCAPES}"
    with ReserveStore(_url(db)) as store:
        store.reserve(2031, [Candidate(pid, title, 0.5)], reason=f"why{ESCAPES}",
                      actor=f"who{ESCAPES}")
    outputs = []
    for argv in (["reserve", "list", "--db", str(db)],
                 ["reserve", "list", "--db", str(db), "--lang", "zh"],
                 ["reserve", "show", pid, "--db", str(db)],
                 ["reserve", "withdraw", pid, "--reason", f"gone{ESCAPES}", "--db", str(db)],
                 ["reserve", "show", f"nope{ESCAPES}", "--db", str(db)]):
        main(argv)
        out = capsys.readouterr()
        outputs.append(out.out + out.err)
    for printed in outputs:
        assert "\x1b" not in printed and "\x07" not in printed
    for printed in outputs:                   # shown as visible escapes instead
        assert "\\x1b" in printed
    assert "by who\\x1b[2J" in outputs[2] and "gone\\x1b[2J" in outputs[3]
    assert "nope\\x1b[2J" in outputs[4]


def test_chinese_is_the_default(year1: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    db = str(year1["db"])
    n = len(year1["add"]["reserve"])
    assert cli_main(["reserve", "list", "--db", db]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"共 {n} 个条目：储备中 {n} 个")
    assert "项目名称" in out and "reserved" not in out
    pid = year1["add"]["reserve"][0]["proposal_id"]
    assert cli_main(["reserve", "show", pid, "--db", db]) == 0
    first, second = capsys.readouterr().out.strip().splitlines()
    assert "2026 年储备，第 1 名" in first and first.endswith("储备中")
    assert "列入储备：新建 → 储备中" in second
    assert cli_main(["reserve", "show", "nope", "--db", db]) == 1
    assert _one_error_line(capsys) == "error: “nope”不在储备中"
    assert cli_main(["reserve", "list", "--db", str(year1["root"] / "none.sqlite")]) == 1
    assert "此处没有储备库" in _one_error_line(capsys)


def test_carry_over_reports_id_collisions(year1: dict[str, Any], db: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with ReserveStore(_url(db)) as store:
        reserved = {e.proposal_id: e for e in store.entries(2026, "reserved")}
    taken = tmp_path / "p2027.csv"       # a 2027 call whose ids are 2026's, other proposals
    save_proposals(generate_call(30, seed=77, year=2026), taken)
    pool = tmp_path / "pool.csv"
    assert main(["reserve", "carry-over", str(taken), "--year", "2027", "--out", str(pool),
                 "--db", str(db)]) == 0
    out = capsys.readouterr().out
    with ReserveStore(_url(db)) as store:
        keys = {e.proposal_id for e in store.entries(2027, "reserved")}
    collided = sorted(k.split("@")[0] for k in keys if "@" in k)
    assert collided and f"{len(collided)} id collisions" in out
    for pid in collided:
        assert f"  {pid}: a different 2027 proposal has this id; the carried entry is " \
               f"{pid}@2026" in out
        loaded = load_proposals(pool)
        assert loaded[f"{pid}@2026"].title == reserved[pid].title


# -- one reserve: the committee report lists what the store keeps ---------------------------------
def _report_reserve(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[tuple[str, float]]:
    capsys.readouterr()
    assert cli_main([*argv, "--json", "-"]) == 0
    rows = json.loads(capsys.readouterr().out)["reserve"]
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    return [(r["id"], r["score"]) for r in rows]


def _stored_reserve(db: Path, year: int) -> list[tuple[str, float]]:
    with ReserveStore(_url(db)) as store:
        return [(e.proposal_id, e.score) for e in store.entries(year, "reserved")]


def test_report_reserve_is_the_stored_reserve_on_the_example(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`select --reserve 3` (the committee report, explanations included) lists exactly what
    `reserve add --top 3` stores, same order and scores; and the report's 3 are the head of
    the default reserve the store keeps."""
    inputs = [str(EXAMPLES / "proposals.csv"), "-r", str(EXAMPLES / "rules.toml")]
    report = _report_reserve(["select", *inputs, "--reserve", "3"], capsys)
    assert len(report) == 3
    for top, db in ((3, tmp_path / "three.sqlite"), (None, tmp_path / "default.sqlite")):
        size = ["--top", str(top)] if top else []
        assert main(["reserve", "add", *inputs, "--year", "2026", *size, "--db", str(db)]) == 0
        stored = _stored_reserve(db, 2026)
        assert len(stored) == (top or DEFAULT_RESERVE_SIZE)
        assert [pid for pid, _ in stored[:3]] == [pid for pid, _ in report]
        assert [s for _, s in stored[:3]] == pytest.approx([s for _, s in report], abs=1e-12)
