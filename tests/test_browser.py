"""The HTML report in a real browser (headless Chromium): it renders offline without errors,
its headline numbers equal the JSON result, and a script title stays text."""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path

import pytest

from selector.cli import main
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import save_proposals
from selector.rules import load_rules

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
RULES = """\
budget = 2_500_000
[[groups]]
column = "domain"
max_share = 0.45
"""
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    rules_path = root / "rules.toml"
    rules_path.write_text(RULES, encoding="utf-8")
    first = Model.build(generate_call(60, seed=5), load_rules(rules_path)).solve(solver="highs")
    proposals = generate_call(60, seed=5)
    proposals.frame.loc[proposals.frame["id"] == first.selected[0], "title"] = SCRIPT
    save_proposals(proposals, root / "proposals.csv")
    out = root / "out"
    code = main(["select", str(root / "proposals.csv"), "--rules", str(rules_path), "--solver",
                 "highs", "--out", str(out), "--format", "html,json,public", "--reserve", "0"])
    assert code == 0
    return out


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "").strip())


def test_report_in_chromium(chromium: str, report_dir: Path, tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        if os.environ.get("SELECTOR_REQUIRE_SERVICES") == "1":
            pytest.fail("the playwright package is required in CI")
        pytest.skip("the playwright package is not installed")
    data = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    problems: list[str] = []
    dialogs: list[str] = []
    shot = tmp_path / "report.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            requests: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto((report_dir / "report.html").as_uri())
            page.screenshot(path=str(shot), full_page=True)

            assert _number(page.inner_text("#headline-beneficiaries")) == \
                Decimal(str(data["beneficiaries"]))
            assert int(page.inner_text("#headline-count")) == data["count"] == \
                len(data["selected"])
            assert _number(page.inner_text("#headline-spend")) == Decimal(data["total_cost"])
            assert _number(page.inner_text("#headline-budget")) == Decimal(data["budget"])
            assert page.get_attribute("#status", "data-value") == data["status"]

            titles = page.locator("td.project-title").all_inner_texts()
            assert any(t.startswith(SCRIPT) for t in titles)
            assert page.locator("script").count() == 0
            images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
            assert len(images) == 4 and all(w > 0 for w in images)
            assert all(u.startswith(("file:", "data:")) for u in requests), requests

            page.goto((report_dir / "public.html").as_uri())
            assert page.locator("table#public tbody tr").count() == data["count"]
            assert SCRIPT in page.inner_text("table#public")
        finally:
            browser.close()
    assert problems == []
    assert dialogs == []
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
