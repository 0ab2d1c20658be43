"""One reserve at scale: on a generated call of 2,000 proposals, the committee report's
reserve (``selector select --reserve``) is exactly what ``selector reserve add`` stores.

Both commands run end to end, each on its own: nothing is shared but the inputs. At this
size the scoring's two search limits (:data:`selector.reserve.RESOLVE_AT_LEAST` forced-in
re-solves, :data:`selector.reserve.DEFAULT_RESERVE_SIZE` entry-budget searches) cut the
work, so this is where a report computed differently from the store would show.

The call is drawn by ``examples/generate.py`` as the README does. Its rules are the budget,
the one-project share, eligibility and the completion deadline: every re-solve is a full
model of about 1,200 candidates in the CP-SAT route, and scoring the reserve takes minutes
(the README's ``rules-alt.toml`` takes tens of minutes on this machine: see docs/reserve.md).
Hence this test's own time limit, longer than the suite's.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from selector.cli import main as cli_main
from selector.reserve import DEFAULT_RESERVE_SIZE, ReserveStore

from .conftest import EXAMPLES

pytestmark = [pytest.mark.timeout(3600),
              pytest.mark.filterwarnings("ignore:PULP_CBC_CMD is deprecated:DeprecationWarning")]

RULES = """\
budget = 12_000_000
max_project_share = 0.10

[eligibility]
require_indicator = true
min_expert_score = 60
min_completion_probability = 0.6

[completion]
deadline_month = 12
"""


def test_report_reserve_is_the_stored_reserve_on_a_2000_proposal_call(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call = tmp_path / "big.csv"
    made = subprocess.run([sys.executable, str(EXAMPLES / "generate.py"), "-n", "2000",
                           "-o", str(call)], capture_output=True, text=True, timeout=600,
                          check=False)
    assert made.returncode == 0, made.stderr
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    inputs = [str(call), "-r", str(rules)]

    capsys.readouterr()
    assert cli_main(["select", *inputs, "--out", str(tmp_path / "report"),
                     "--json", "-", "--quiet"]) == 0
    shown = json.loads(capsys.readouterr().out)
    report = [(r["id"], r["score"]) for r in shown["reserve"]]
    assert [r["rank"] for r in shown["reserve"]] == list(range(1, len(report) + 1))
    assert len(report) == DEFAULT_RESERVE_SIZE
    assert len(shown["selected"]) > 0            # a real selection, with runner-ups to rank

    db = tmp_path / "reserve.sqlite"
    assert cli_main(["reserve", "add", *inputs, "--year", "2026", "--db", str(db)]) == 0
    with ReserveStore(f"sqlite:///{db}") as store:
        stored = [(e.proposal_id, e.score) for e in store.entries(2026, "reserved")]
    assert [pid for pid, _ in stored] == [pid for pid, _ in report]
    assert [s for _, s in stored] == pytest.approx([s for _, s in report], abs=1e-12)
    # the report's reserve table lists the same reserve, in the same order, same scores
    with (tmp_path / "report" / "reserve.csv").open(encoding="utf-8-sig", newline="") as f:
        table = list(csv.DictReader(f))
    assert [(int(r["排序"]), r["编号"]) for r in table] == [
        (k, pid) for k, (pid, _) in enumerate(stored, start=1)]
    assert [float(r["得分"]) for r in table] == pytest.approx([s for _, s in stored], abs=5e-5)
