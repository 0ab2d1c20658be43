"""Every reserve command that writes, killed (SIGKILL) at chosen and random points, then run
again: the store and the files end exactly as after one clean run, on SQLite and PostgreSQL.

The points: inside the database transaction with everything written but not committed;
after the commit, before any file is written; with the file written under its temporary
name, before the rename; and at a random moment of the run (seeded). A clean run of the
same command on a SQLite copy of the same starting state is the reference. Compared:
entries (key, year, status, rank, scores, origin, title, reason), the audit history as a
multiset (so nothing is recorded twice or lost), the runs, and the files the command
writes (read back; times and database ids left out). No temporary file may be left.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa

from selector.cli import main
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import load_proposals, save_proposals
from selector.reserve import (
    ReserveStore,
    RollingPolicy,
    RunnerUps,
    carry_over,
    plan_reserve,
    reserve_year,
    save_pool,
)
from selector.result import Selection
from selector.rules import load_rules

pytestmark = pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")

RULES = """\
budget = 1_200_000

[[groups]]
column = "domain"
max_share = 0.5
"""

DRIVER = """
import json, os, pathlib, sys, time
point, flag, argv = sys.argv[1], pathlib.Path(sys.argv[2]), json.loads(sys.argv[3])

def pause():
    flag.write_text(point)
    time.sleep(600)                      # killed here

from selector.reserve.store import ReserveStore
original = ReserveStore.transaction

def hooked(self, what, work, *, write):
    if not write or getattr(work, "__name__", "") == "_open":
        return original(self, what, work, write=write)
    if point == "before_commit":         # everything written, nothing committed
        def paused(conn):
            out = work(conn)
            pause()
            return out
        return original(self, what, paused, write=write)
    out = original(self, what, work, write=write)
    if point == "after_commit":          # committed, no file written yet
        pause()
    return out

ReserveStore.transaction = hooked
if point == "before_rename":             # the file complete under its temporary name
    real = os.replace
    def replace(src, dst):
        if ".partial" in str(src):
            pause()
        return real(src, dst)
    os.replace = replace

from selector.cli import main
sys.exit(main(argv))
"""


@dataclass(frozen=True)
class Year2025:
    """The first year, selected and scored once for the whole module (pure results)."""

    root: Path
    proposals: Path
    rules: Path
    base: Selection
    ranked: RunnerUps


@pytest.fixture(scope="module")
def year2025(tmp_path_factory: pytest.TempPathFactory) -> Year2025:
    root = tmp_path_factory.mktemp("kills")
    proposals, rules = root / "p2025.csv", root / "rules.toml"
    save_proposals(generate_call(30, seed=3, year=2025), proposals)
    rules.write_text(RULES, encoding="utf-8")
    model = Model.build(load_proposals(proposals), load_rules(rules))
    base = model.solve()
    return Year2025(root, proposals, rules, base, plan_reserve(model, base, 4))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgresql":
        request.getfixturevalue("pg_url")
    return str(request.param)


@pytest.fixture
def fresh(backend: str, tmp_path: Path, request: pytest.FixtureRequest
          ) -> Iterator[Callable[[str], str]]:
    """``fresh(backend)`` -> the URL of a new empty store (PostgreSQL: a schema of its own,
    dropped afterwards). The reference runs always ask for ``"sqlite"``."""
    schemas: list[str] = []
    admin: sa.Engine | None = None
    pg = request.getfixturevalue("pg_url") if backend == "postgresql" else ""

    def make(kind: str) -> str:
        nonlocal admin
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / f'{uuid.uuid4().hex[:8]}.sqlite'}"
        admin = admin or sa.create_engine(pg)
        schema = f"reserve_kill_{uuid.uuid4().hex[:12]}"
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = sa.make_url(pg).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.begin() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# -- starting states (library calls: the same on every backend) ----------------------------------
def _recorded(url: str, y: Year2025) -> None:
    with ReserveStore(url, lang="en") as store:
        reserve_year(store, 2025, y.base, y.ranked, decay=0.8)


def _carried(url: str, y: Year2025, folder: Path) -> Path:
    """2025 recorded, then carried into 2026 (its pool written): ready for `reserve add`."""
    _recorded(url, y)
    new = folder / "p2026.csv"
    if not new.exists():
        save_proposals(generate_call(10, seed=14, year=2026), new)
    with ReserveStore(url, lang="en") as store:
        result = carry_over(store, 2026, load_proposals(new), RollingPolicy(decay=0.8))
    return save_pool(result, folder / "pool2026.csv")


# -- what is compared ----------------------------------------------------------------------------
def _state(url: str) -> dict[str, Any]:
    with ReserveStore(url, lang="en") as store:
        entries = sorted((e.year, e.proposal_id, e.status, e.rank, round(e.base_score, 9),
                          round(e.score, 9), e.origin_year, e.title, e.reason)
                         for e in store.entries())
        history = Counter((c.year, c.proposal_id, c.action, c.old_status, c.new_status, c.actor,
                           c.reason) for c in store.history())
        runs = [(r.year, r.kind, r.input_hash, r.request_key, r.result.get("selected"))
                for r in store.runs()]
    return {"entries": entries, "history": history, "runs": runs}


def _file(path: Path) -> Any:
    """A written file read back, without times and database ids."""
    if path.suffix == ".json":
        data = json.loads(path.read_text(encoding="utf-8"))
        for row in data.get("reserve", []):
            for key in ("created_at", "updated_at", "id"):
                row.pop(key, None)
        data.get("selection", {}).pop("seconds", None)
        return data
    if path.suffix == ".xlsx":
        book = openpyxl.load_workbook(path)
        out = {}
        for sheet in book.worksheets:
            rows = [[c.value for c in row] for row in sheet.iter_rows()]
            keep = [k for k, h in enumerate(rows[0])
                    if h not in ("created_at", "updated_at", "at", "id", "entry_id")]
            out[sheet.title] = sorted(json.dumps([r[k] for k in keep], default=str)
                                      for r in rows)
        return out
    return load_proposals(path).frame.to_json(orient="split", default_handler=str)


@dataclass(frozen=True)
class Command:
    """A reserve command, its starting state, and the files it writes."""

    name: str
    setup: Callable[[str, Year2025, Path], None]
    argv: Callable[[Year2025, Path], list[str]]
    outputs: tuple[str, ...]
    points: tuple[str, ...]


def _dearest(y: Year2025) -> str:
    costs = {pid: y.base.proposals[pid].cost for pid in y.base.selected}
    return max(costs, key=lambda pid: (costs[pid], pid))


def _export_setup(url: str, y: Year2025, folder: Path) -> None:
    _recorded(url, y)
    (folder / "reserve.xlsx").write_text("the previous export")   # replaced, never truncated


COMMANDS = [
    Command("add", lambda url, y, f: _carried_only(url, y, f),
            lambda y, f: ["reserve", "add", str(f / "pool2026.csv"), "-r", str(y.rules),
                          "--year", "2026", "--top", "3", "--json", str(f / "add.json")],
            ("add.json",), ("before_commit", "after_commit")),
    Command("carry-over", lambda url, y, f: _recorded_with_input(url, y, f),
            lambda y, f: ["reserve", "carry-over", str(f / "collide2026.csv"), "--year", "2026",
                          "--out", str(f / "pool.csv")],
            ("pool.csv",), ("before_commit", "after_commit", "before_rename")),
    Command("backfill", lambda url, y, f: _recorded(url, y),
            lambda y, f: ["reserve", "backfill", str(y.proposals), "-r", str(y.rules),
                          "--year", "2025", "--cancel", _dearest(y), "--json",
                          str(f / "backfill.json")],
            ("backfill.json",), ("before_commit", "after_commit")),
    Command("withdraw", lambda url, y, f: _recorded(url, y),
            lambda y, f: ["reserve", "withdraw", y.ranked.reserve[1], "--reason", "by hand",
                          "--by", "Li Hua"],
            (), ("before_commit", "after_commit")),
    Command("export", _export_setup,
            lambda y, f: ["reserve", "export", str(f / "reserve.xlsx")],
            ("reserve.xlsx",), ("before_rename",)),
]


def _carried_only(url: str, y: Year2025, folder: Path) -> None:
    _carried(url, y, folder)


def _recorded_with_input(url: str, y: Year2025, folder: Path) -> None:
    """2025 recorded; a 2026 call whose ids reuse 2025's (id collisions to carry through)."""
    _recorded(url, y)
    new = folder / "collide2026.csv"
    if not new.exists():
        save_proposals(generate_call(16, seed=15, year=2025), new)


def _run(y: Year2025, cmd: Command, url: str, folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    cmd.setup(url, y, folder)
    return [*cmd.argv(y, folder), "--db", url, "--lang", "en"]


def _kill_at(point: str, argv: list[str], folder: Path, delay: float) -> None:
    flag = folder / f"flag-{point}"
    script = folder / "driver.py"
    script.write_text(DRIVER)
    proc = subprocess.Popen([sys.executable, str(script), point, str(flag), json.dumps(argv)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if point == "random":
            time.sleep(delay)
        else:
            deadline = time.monotonic() + 300
            while not flag.exists():
                assert proc.poll() is None, f"the command ended before reaching {point}"
                assert time.monotonic() < deadline, f"the command never reached {point}"
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()


def _outcome(url: str, cmd: Command, folder: Path) -> dict[str, Any]:
    return {**_state(url), "files": {name: _file(folder / name) for name in cmd.outputs}}


@pytest.mark.parametrize("cmd", COMMANDS, ids=[c.name for c in COMMANDS])
def test_killed_then_run_again_equals_one_clean_run(cmd: Command, backend: str,
                                                    fresh: Callable[[str], str],
                                                    year2025: Year2025, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # the reference: one clean run (a process of its own, timed for the random kill)
    ref_dir = tmp_path / "reference"
    ref_url = fresh("sqlite")
    argv = _run(year2025, cmd, ref_url, ref_dir)
    started = time.monotonic()
    clean = subprocess.run([sys.executable, "-c", "import sys; from selector.cli import main; "
                            "sys.exit(main(sys.argv[1:]))", *argv],
                           capture_output=True, text=True, check=False)
    took = time.monotonic() - started
    assert clean.returncode == 0, clean.stderr
    expected = _outcome(ref_url, cmd, ref_dir)
    seed = random.Random(f"{cmd.name}-{backend}")
    for k, point in enumerate([*cmd.points, "random"]):
        folder = tmp_path / f"{point}-{k}"
        url = fresh(backend)
        argv = _run(year2025, cmd, url, folder)
        _kill_at(point, argv, folder, seed.uniform(0.3, 1.0) * took)
        assert main(argv) == 0, capsys.readouterr().err     # run again: completes
        capsys.readouterr()
        assert _outcome(url, cmd, folder) == expected, point
        left = [p.name for p in folder.iterdir() if ".partial" in p.name]
        assert not left, (point, left)
