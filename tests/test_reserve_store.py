"""The reserve store on SQLite (always) and PostgreSQL (SELECTOR_PG_URL): transactions,
migrations, hostile text, a writer killed mid-transaction and two concurrent writers."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from selector import ReserveError
from selector.reserve import Candidate, ReserveStore, Resubmission, RunRecord, normalise_title
from selector.reserve.schema import CURRENT_VERSION, MIGRATIONS

HOSTILE = [
    "Robert'); DROP TABLE reserve_entries; --",
    'say "hello"; DELETE FROM reserve_history WHERE 1=1;',
    "back\\slash \\' and %s %(x)s ? :name $1",
    "户外劳动者“暖心驿站”（二期）；新就业形态劳动者",
    "emoji 👷‍♀️ and tabs\tand\nnewlines",
    "   leading and trailing spaces   ",
    "=SUM(A1:A9) +cmd -1 @x",
]


@pytest.fixture
def db_url(reserve_db_url: str) -> str:
    return reserve_db_url


def _state(store: ReserveStore) -> tuple[object, ...]:
    return (store.entries(), store.history(), [r.id for r in store.runs()])


def _run(year: int = 2025) -> RunRecord:
    return RunRecord(year=year, kind="selection", input_hash=RunRecord.digest("x"),
                     rules={"budget": "100"}, solver="cbc", result={"selected": ["S1"]})


def test_create_reserve_and_read_back(db_url: str) -> None:
    with ReserveStore(db_url, lang="en") as store:
        assert store.schema_version == CURRENT_VERSION
        got = store.reserve(2025, [Candidate("P2", "B", 0.4, {"id": "P2", "cost": "12.50"}),
                                   Candidate("P1", "A", 0.9, {"id": "P1"})], run=_run())
        assert [(e.proposal_id, e.rank, e.status) for e in got] == [
            ("P1", 1, "reserved"), ("P2", 2, "reserved")]
        snaps = store.snapshots([e.snapshot_id for e in got if e.snapshot_id is not None])
        assert sorted(s["id"] for s in snaps.values()) == ["P1", "P2"]
        assert store.runs()[0].result == {"selected": ["S1"]}
    # re-opening an existing store keeps everything
    with ReserveStore(db_url, lang="en") as again:
        assert [e.proposal_id for e in again.entries(2025)] == ["P1", "P2"]


def test_hostile_text_round_trips(db_url: str) -> None:
    cands = [Candidate(f"ID {text}", text, 0.5, {"title": text, "nested": [text]})
             for text in HOSTILE]
    with ReserveStore(db_url, lang="en") as store:
        store.reserve(2025, cands, run=_run(), reason=HOSTILE[0], actor=HOSTILE[1])
        entries = {e.proposal_id: e for e in store.entries(2025)}
        for text in HOSTILE:
            e = entries[f"ID {text}"]
            assert e.title == text
            assert e.normalised_title == normalise_title(text)
            assert store.snapshots([e.snapshot_id or -1])[e.snapshot_id or -1] == {
                "title": text, "nested": [text]}
            done = store.withdraw(2025, f"ID {text}", reason=text, actor=text)
            assert (done.reason, done.status) == (text, "withdrawn")
            last = store.history(entry_id=e.id)[-1]
            assert (last.reason, last.actor, last.proposal_id) == (text, text, f"ID {text}")
        first = store.history(entry_id=entries[f"ID {HOSTILE[2]}"].id)[0]
        assert (first.reason, first.actor) == (HOSTILE[0], HOSTILE[1])
        assert len(store.entries()) == len(HOSTILE)


def test_refused_operations_write_nothing(db_url: str) -> None:
    with ReserveStore(db_url, lang="en") as store:
        store.reserve(2025, [Candidate("P1", "a", 0.5), Candidate("P2", "b", 0.6)])
        store.withdraw(2025, "P2", reason="duplicate")
        before = _state(store)
        with pytest.raises(ReserveError, match="already withdrawn"):
            store.set_status(2025, ["P1", "P2"], "promoted", reason="x")
        with pytest.raises(ReserveError, match="not in the 2025 reserve"):
            store.reserve(2025, [Candidate("P3", "c", 0.1)], run=_run(),
                          promote={"P9": "won"})
        with pytest.raises(ReserveError, match="reason is required"):
            store.withdraw(2025, "P1", reason="  ")
        with pytest.raises(ReserveError, match=r"score of 'P4' must be in \[0, 1\]"):
            store.reserve(2025, [Candidate("P4", "d", 1.5)])
        with pytest.raises(ReserveError, match="distinct ids"):
            store.reserve(2025, [Candidate("P5", "d", 0.1), Candidate("P5", "d", 0.2)])
        with pytest.raises(ReserveError, match="decay"):
            store.carry(2026, decay=0.0, expire_after=2)
        assert _state(store) == before


def test_carry_that_would_duplicate_an_entry_writes_nothing(db_url: str) -> None:
    with ReserveStore(db_url, lang="en") as store:
        (old,) = store.reserve(2025, [Candidate("P1", "old", 0.5)])
        store.reserve(2026, [Candidate("X", "taken", 0.7)])
        before = _state(store)
        with pytest.raises(ReserveError, match="the key 'X' is already in the 2026 reserve"):
            store.carry(2026, decay=0.9, expire_after=3,
                        resubmitted={old.id: Resubmission("X", "taken")})
        assert _state(store) == before
        carried, expired = store.carry(2026, decay=0.9, expire_after=3)
        assert [(e.proposal_id, e.year, e.score) for e in carried] == [("P1", 2026, 0.45)]
        assert expired == []


def test_withdrawn_entry_is_not_re_added_and_prune_expires(db_url: str) -> None:
    with ReserveStore(db_url, lang="en") as store:
        store.reserve(2025, [Candidate("P1", "a", 0.5), Candidate("P2", "b", 0.6),
                             Candidate("P3", "c", 0.7)])
        store.withdraw(2025, "P1", reason="proposer withdrew")
        after = store.reserve(2025, [Candidate("P1", "a", 0.9), Candidate("P3", "c", 0.2)],
                              prune=True)
        status = {e.proposal_id: (e.status, e.score) for e in after}
        assert status == {"P1": ("withdrawn", 0.5), "P2": ("expired", 0.6),
                          "P3": ("reserved", 0.2)}
        actions = [(c.proposal_id, c.action) for c in store.history(year=2025)]
        assert actions[-2:] == [("P3", "rescored"), ("P2", "expired")]


def test_unknown_database_and_bad_url_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ReserveError, match="sqlite:///"):
        ReserveStore("mysql://nobody@nowhere/db", lang="en")
    path = tmp_path / "other.sqlite"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE reserve_entries (x INTEGER)"))
    engine.dispose()
    with pytest.raises(ReserveError, match="no schema_version"):
        ReserveStore(f"sqlite:///{path}", lang="en")


# -- migration -------------------------------------------------------------------------------
def _v1_ddl(dialect: str) -> list[str]:
    pk = "SERIAL PRIMARY KEY" if dialect == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    ts = "TIMESTAMP WITH TIME ZONE" if dialect == "postgresql" else "DATETIME"
    js = "JSON" if dialect == "postgresql" else "JSON"
    return [
        f"CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at {ts} NOT NULL, "
        "description TEXT NOT NULL)",
        f"CREATE TABLE selection_runs (id {pk}, year INTEGER NOT NULL, kind VARCHAR(32) NOT NULL,"
        f" input_hash VARCHAR(64) NOT NULL, rules {js} NOT NULL, solver VARCHAR(64) NOT NULL, "
        f"result {js} NOT NULL, created_at {ts} NOT NULL)",
        f"CREATE TABLE proposal_snapshots (id {pk}, run_id INTEGER NOT NULL REFERENCES "
        f"selection_runs(id), proposal_id TEXT NOT NULL, title TEXT NOT NULL, data {js} NOT NULL,"
        " CONSTRAINT uq_snapshot_run_proposal UNIQUE (run_id, proposal_id))",
        f"CREATE TABLE reserve_entries (id {pk}, year INTEGER NOT NULL, proposal_id TEXT NOT NULL,"
        " title TEXT NOT NULL, score FLOAT NOT NULL, rank INTEGER NOT NULL, status VARCHAR(16) "
        "NOT NULL, reason TEXT NOT NULL, origin_year INTEGER NOT NULL, run_id INTEGER REFERENCES"
        " selection_runs(id), snapshot_id INTEGER REFERENCES proposal_snapshots(id), "
        f"created_at {ts} NOT NULL, updated_at {ts} NOT NULL, "
        "CONSTRAINT uq_entry_year_proposal UNIQUE (year, proposal_id), CONSTRAINT "
        "ck_entry_status CHECK (status IN ('reserved', 'promoted', 'expired', 'withdrawn')))",
        f"CREATE TABLE reserve_history (id {pk}, entry_id INTEGER NOT NULL REFERENCES "
        "reserve_entries(id), year INTEGER NOT NULL, proposal_id TEXT NOT NULL, "
        f"at {ts} NOT NULL, action VARCHAR(32) NOT NULL, old_status VARCHAR(16), "
        "new_status VARCHAR(16) NOT NULL, reason TEXT NOT NULL)",
    ]


def test_old_v1_store_is_migrated_on_open(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    at = "2024-03-01 10:00:00+00:00"
    with engine.begin() as conn:
        for ddl in _v1_ddl(engine.dialect.name):
            conn.execute(sa.text(ddl))
        conn.execute(sa.text("INSERT INTO schema_version VALUES (1, :at, 'created')"), {"at": at})
        conn.execute(sa.text(
            "INSERT INTO reserve_entries (year, proposal_id, title, score, rank, status, reason,"
            " origin_year, created_at, updated_at) VALUES (2024, 'P1', :title, 0.75, 1, "
            "'reserved', '', 2024, :at, :at)"), {"title": HOSTILE[3], "at": at})
        conn.execute(sa.text(
            "INSERT INTO reserve_history (entry_id, year, proposal_id, at, action, old_status,"
            " new_status, reason) VALUES (1, 2024, 'P1', :at, 'reserved', NULL, 'reserved', "
            ":why)"), {"at": at, "why": HOSTILE[0]})
    engine.dispose()
    with ReserveStore(db_url, lang="en") as store:
        assert store.schema_version == CURRENT_VERSION
        (e,) = store.entries()
        assert (e.title, e.normalised_title, e.base_score, e.score) == (
            HOSTILE[3], normalise_title(HOSTILE[3]), 0.75, 0.75)
        (c,) = store.history()
        assert (c.actor, c.reason, c.at.year) == ("unknown", HOSTILE[0], 2024)
        # the migrated store works like a new one
        store.reserve(2024, [Candidate("P2", "x", 0.9)])
        assert [x.proposal_id for x in store.entries(2024)] == ["P2", "P1"]
    with ReserveStore(db_url, lang="en") as again:  # opening again does not migrate twice
        assert again.schema_version == CURRENT_VERSION
    engine = sa.create_engine(db_url)
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version FROM schema_version ORDER BY 1")).all()
    engine.dispose()
    assert [v[0] for v in versions] == [1, *(m.version for m in MIGRATIONS)]


def test_newer_store_is_refused(db_url: str) -> None:
    ReserveStore(db_url, lang="en").close()
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO schema_version VALUES (99, :at, 'future')"),
                     {"at": "2030-01-01 00:00:00+00:00"})
    engine.dispose()
    with pytest.raises(ReserveError, match="schema version 99"):
        ReserveStore(db_url, lang="en")


# -- a writer killed mid-transaction -------------------------------------------------------------
KILLED_WRITER = """
import sys, time, pathlib
from sqlalchemy import event
from selector.reserve import Candidate, ReserveStore, RunRecord
url, flag = sys.argv[1], pathlib.Path(sys.argv[2])
store = ReserveStore(url, lang="en")

@event.listens_for(store.engine, "after_cursor_execute")
def _half_written(conn, cursor, statement, params, context, executemany):
    if statement.lstrip().upper().startswith("INSERT INTO RESERVE_ENTRIES"):
        n = conn.exec_driver_sql("SELECT count(*) FROM reserve_entries").scalar()
        flag.write_text(str(n))
        time.sleep(600)   # killed here: entries written, audit history not yet

run = RunRecord(year=2025, kind="selection", input_hash="h", rules={}, solver="cbc",
                result={"selected": []})
store.reserve(2025, [Candidate(f"K{i}", f"killed {i}", 0.3, {"i": i}) for i in range(3000)],
              run=run, promote={"P1": "won"}, prune=True)
"""


def test_killed_writer_leaves_store_as_before(db_url: str, tmp_path: Path) -> None:
    with ReserveStore(db_url, lang="en") as store:
        store.reserve(2025, [Candidate(f"P{i}", f"p {i}", i / 10) for i in range(1, 6)],
                      run=_run())
        store.withdraw(2025, "P5", reason="by hand")
        before = _state(store)
    script = tmp_path / "writer.py"
    script.write_text(KILLED_WRITER)
    flag = tmp_path / "flag"
    proc = subprocess.Popen([sys.executable, str(script), db_url, str(flag)])
    try:
        deadline = time.monotonic() + 120
        while not flag.exists() or not flag.read_text():
            assert proc.poll() is None, "writer ended before reaching the middle"
            assert time.monotonic() < deadline, "writer never reached the middle"
            time.sleep(0.05)
        assert int(flag.read_text()) == 5 + 3000  # inside its transaction, half the work done
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL
    with ReserveStore(db_url, lang="en") as store:
        assert _state(store) == before
        store.promote(2025, ["P1"], reason="the store still takes writes")
        assert store.entry(2025, "P1").status == "promoted"


# -- four writers at once ---------------------------------------------------------------------
WRITERS = """
import json, sys, time, pathlib
from selector import ReserveError
from selector.reserve import Candidate, ReserveStore
url, me, go, out = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3]), pathlib.Path(sys.argv[4])
calls = int(sys.argv[5])
store = ReserveStore(url, lang="en")
while not go.exists():
    time.sleep(0.01)
promoted, refused, failed, withdrawn = [], [], [], []
for i in range(calls):
    try:   # every writer offers the shared S{i} and its own entries; some prune the year
        store.reserve(2025, [Candidate(f"S{i}", f"shared {i}", 0.5),
                             *(Candidate(f"{me}{i}-{k}", me, 0.1 + k / 100) for k in range(5))],
                      actor=me, prune=(i % 7 == 6), competed=[f"S{i}"])
    except ReserveError as exc:
        failed.append(str(exc))
    if i >= 2:
        pid = f"S{i - 2}"
        try:
            store.promote(2025, [pid], reason=f"promoted by {me}", actor=me)
            promoted.append(pid)
        except ReserveError as exc:
            (refused if "already promoted" in str(exc) else failed).append(str(exc))
        try:
            store.withdraw(2025, f"{me}{i - 1}-0", reason="by hand", actor=me)
            withdrawn.append(f"{me}{i - 1}-0")
        except ReserveError as exc:
            failed.append(str(exc))
out.write_text(json.dumps({"promoted": promoted, "refused": refused, "failed": failed,
                           "withdrawn": withdrawn}))
"""


def test_four_writers_never_fail_lose_or_duplicate(db_url: str, tmp_path: Path) -> None:
    """Four processes write the same year at once: every call succeeds (no serialization
    failure survives), and nothing is lost or written twice."""
    calls, names = 30, "ABCD"
    ReserveStore(db_url).close()
    script = tmp_path / "writer.py"
    script.write_text(WRITERS)
    go = tmp_path / "go"
    outs = [tmp_path / f"{me}.json" for me in names]
    procs = [subprocess.Popen([sys.executable, str(script), db_url, me, str(go), str(out),
                               str(calls)]) for me, out in zip(names, outs, strict=True)]
    time.sleep(0.5)
    go.write_text("go")
    for p in procs:
        assert p.wait(timeout=900) == 0
    results = [json.loads(o.read_text()) for o in outs]
    assert [r["failed"] for r in results] == [[]] * len(names)        # 0 failures
    with ReserveStore(db_url, lang="en") as store:
        entries = store.entries(2025)
        history = store.history(year=2025)
    expected = {f"S{i}" for i in range(calls)} | {
        f"{me}{i}-{k}" for me in names for i in range(calls) for k in range(5)}
    ids = [e.proposal_id for e in entries]
    assert sorted(ids) == sorted(expected)                            # none lost, none twice
    promoted = [p for r in results for p in r["promoted"]]
    assert sorted(promoted) == sorted(f"S{i}" for i in range(calls - 2))   # each once
    status = {e.proposal_id: e.status for e in entries}
    assert {p for p, s in status.items() if s == "promoted"} == set(promoted)
    withdrawn = [p for r in results for p in r["withdrawn"]]
    assert {p for p, s in status.items() if s == "withdrawn"} == set(withdrawn)
    assert Counter(c.proposal_id for c in history if c.action == "reserved") == Counter(expected)
    assert Counter(c.proposal_id for c in history if c.action == "promoted") == Counter(promoted)
    for e in entries:                       # the history explains every entry's status
        changes = [c for c in history if c.entry_id == e.id]
        assert changes[-1].new_status == e.status
        assert all(a.new_status == b.old_status for a, b in zip(changes[:-1], changes[1:], strict=True))
    ranks = sorted(e.rank for e in entries if e.status == "reserved")
    assert ranks == list(range(1, len(ranks) + 1))


# -- CLI-ready functions: list, show, export ------------------------------------------------------
def test_list_show_and_export_keep_hostile_text_safe(db_url: str, tmp_path: Path) -> None:
    import openpyxl
    import pandas as pd

    from selector.reserve import entries_frame, export_reserve, format_history, history_frame
    from selector.text import restore_text

    with ReserveStore(db_url, lang="en") as store:
        store.reserve(2025, [Candidate(f"ID{k}", text, 1 - k / 10)
                             for k, text in enumerate(HOSTILE)], reason="runner-up")
        store.withdraw(2025, "ID6", reason="=cmd|' /C calc'!A0", actor="@admin")
        listed = entries_frame(store, 2025)
        assert list(listed["proposal_id"]) == [f"ID{k}" for k in range(6)] + ["ID6"]
        assert list(listed["title"]) == HOSTILE
        hist = history_frame(store, proposal_id="ID6")
        assert list(hist["action"]) == ["reserved", "withdrawn"]
        e = store.entry(2025, "ID6")
        text = format_history(e, store.history(entry_id=e.id), "en")
        assert "withdrawn: reserved -> withdrawn by @admin: =cmd|' /C calc'!A0" in text

        csv = export_reserve(store, tmp_path / "reserve.csv", year=2025)
        back = pd.read_csv(csv, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        assert back.loc[back["proposal_id"] == "ID6", "title"].item() == "'" + HOSTILE[6]
        assert [restore_text(t) for t in back["title"]] == HOSTILE

        xlsx = export_reserve(store, tmp_path / "reserve.xlsx")
        book = openpyxl.load_workbook(xlsx)
        assert book.sheetnames == ["reserve", "history"]
        cells = [c.value for row in book["history"].iter_rows() for c in row]
        assert "'=cmd|' /C calc'!A0" in cells and "'@admin" in cells
        assert not any(isinstance(v, str) and v[:1] in "=+-@" for v in cells)
        with pytest.raises(ReserveError, match=r"\.csv or \.xlsx"):
            export_reserve(store, tmp_path / "reserve.json")


# -- the Python API raises only ReserveError ------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda s: s.reserve(10**30, [Candidate("P", "t", 0.5)]),          # beyond the integers
    lambda s: s.reserve(2025, [Candidate("P", "t", float("nan"))]),
    lambda s: s.reserve(2025, [Candidate("P", "t", "0.5")]),          # type: ignore[arg-type]
    lambda s: s.reserve(2025, [Candidate("P", "t", 0.5, {"x": {1, 2}})], run=_run()),  # not JSON
    lambda s: s.reserve(2025, [Candidate("P", "t", 0.5)], decay=float("nan")),
    lambda s: s.carry(2026, decay=0.5, expire_after=0),
    lambda s: s.carry(2026, decay=1.5, expire_after=2),
    lambda s: s.entries(status="lost"),
    lambda s: s.set_status(2025, ["P"], "reserved", reason="x"),
    lambda s: s.entry(2025, "\x1b[2J"),
], ids=["huge-year", "nan-score", "text-score", "not-json", "nan-decay", "expire-0",
        "decay-1.5", "bad-status", "to-reserved", "absent"])
def test_refusals_are_reserve_errors_and_write_nothing(db_url: str, call: Any) -> None:
    with ReserveStore(db_url, lang="en") as store:
        before = _state(store)
        with pytest.raises(ReserveError) as err:
            call(store)
        assert "\x1b" not in str(err.value)           # input shown with visible escapes
        assert _state(store) == before


def test_bad_store_arguments_are_reserve_errors(tmp_path: Path) -> None:
    for url in ("", "not a url", "sqlite:///" + str(tmp_path / "no" / "such" / "dir" / "r.db")):
        with pytest.raises(ReserveError):
            ReserveStore(url)
    with pytest.raises(ReserveError, match="retries"):
        ReserveStore("sqlite://", retries=0, lang="en")


def test_messages_and_reasons_follow_the_store_language(db_url: str) -> None:
    with ReserveStore(db_url) as store:                       # Chinese by default
        assert store.lang == "zh"
        store.reserve(2025, [Candidate("P1", "驿站", 0.5)])
        with pytest.raises(ReserveError, match="“P9”不在 2025 年储备中"):
            store.withdraw(2025, "P9", reason="原因")
        with pytest.raises(ReserveError, match="衰减系数"):
            store.carry(2026, decay=0.0, expire_after=2)
        (created,) = store.history()
        assert created.reason == "2025 年落选项目，得分 0.5000"
    with ReserveStore(db_url, lang="en") as store:
        with pytest.raises(ReserveError, match="'P9' is not in the 2025 reserve"):
            store.withdraw(2025, "P9", reason="why")
