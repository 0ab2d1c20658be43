"""A smoke run of the benchmark suite at the smallest size, so that it cannot rot.

No timing is asserted: only that every section runs, writes its table and that the
numbers it reports are consistent (bounds above objectives, peers never above the optimum).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str) -> ModuleType:
    path = ROOT / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"_smoke_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, object]]:
    if not (ROOT.parent / "shared" / "data" / "orlib").is_dir():
        pytest.skip("shared data not available")
    run = _load("run")
    out = tmp_path_factory.mktemp("bench") / "RESULTS.md"
    code = run.main(["--quick", "--sizes", "300", "--time-limit", "10",
                     "--sections", "scaling", "seeds", "time_limits", "peers", "limits",
                     "pabulib", "orlib", "--seeds", "2", "--seed-sizes", "300",
                     "--time-cases", "300:full:5",
                     "--peers", "greedy", "--pabulib-files", "1", "--schedule-max", "0",
                     "--orlib-files", "mknap1.txt", "--orlib-per-file", "1",
                     "--workdir", str(out.parent), "--out", str(out)])
    assert code == 0
    data = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    return out.read_text(encoding="utf-8"), data


def test_every_section_is_written(results: tuple[str, dict[str, object]]) -> None:
    text, _ = results
    for title in ("## Headline", "## Targets (issue 18)", "## Scaling", "## Seeds",
                  "## Time limits", "## Peers", "## Limits", "## Pabulib elections",
                  "## OR-Library", "- Machine:"):
        assert title in text


def test_solves_are_proven_and_verified(results: tuple[str, dict[str, object]]) -> None:
    _, data = results
    ours = data["ours"]
    assert isinstance(ours, dict)
    assert set(ours) == {f"300|{r}|{s}" for r in ("budget", "full") for s in ("cbc", "highs")}
    for key, row in ours.items():
        assert "error" not in row, (key, row)
        assert row["status"] == "optimal"
        assert row["violations"] == 0
        assert row["bound"] >= row["objective"] - 1e-6
        assert row["rss_mb"] > 0
    # both solvers agree on the optimum of the same model
    for rules in ("budget", "full"):
        cbc, highs = ours[f"300|{rules}|cbc"], ours[f"300|{rules}|highs"]
        assert cbc["objective"] == pytest.approx(highs["objective"], rel=1e-6)


def test_seeds_and_time_limits_are_reported(results: tuple[str, dict[str, object]]) -> None:
    text, data = results
    extra = data["extra"]
    assert isinstance(extra, dict)
    seeds = extra["seeds|300"]
    assert len(seeds["seeds"]) == 2 and len(seeds["totals"]) == 2
    assert seeds["median"] <= seeds["worst"]
    timed = extra["time|300|full|5"]
    assert timed["status"] in ("optimal", "feasible")
    assert "10k every rule: proven, median < 3 s" in text   # every target is stated


def test_greedy_never_beats_the_optimum(results: tuple[str, dict[str, object]]) -> None:
    _, data = results
    extra = data["extra"]
    assert isinstance(extra, dict)
    greedy_rows = [v for k, v in extra.items() if k.startswith("greedy")]
    assert len(greedy_rows) == 2
    for row in greedy_rows:
        assert row["objective ratio (peer/ours)"] <= 1 + 1e-9
        assert row["beneficiaries left unserved"] >= -1e-6


def test_orlib_small_instances_reach_the_published_optimum(
        results: tuple[str, dict[str, object]]) -> None:
    _, data = results
    orlib = data["extra"]["orlib"]  # type: ignore[index]
    assert orlib["instances"] == 1 and orlib["within_limit"] == 1


def test_discovers_bench_modules(tmp_path: Path) -> None:
    (tmp_path / "bench_fake.py").write_text(
        '"""A fake section."""\n\n\ndef run(quick: bool = False) -> list[dict[str, object]]:\n'
        '    return [{"quick": quick, "value": 3}]\n', encoding="utf-8")
    (tmp_path / "bench_norun.py").write_text("X = 1\n", encoding="utf-8")
    run = _load("run")
    args = run.main.__globals__["argparse"].Namespace(
        quick=True, sizes=None, time_limit=10.0, workdir=str(tmp_path), module_limit=120.0,
        quick_modules=False)
    suite = run.Suite(args)
    suite.discovered(tmp_path)
    assert [title for title, _ in suite.sections] == ["bench_fake"]
    body = suite.sections[0][1]
    assert "A fake section." in body and "| yes | 3 |" in body
