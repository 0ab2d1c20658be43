"""The reports in a real browser (headless Chromium): they render offline without errors,
their headline numbers equal the JSON result, a script title stays text, the Chinese pages
hold no Latin word but the input's own values, and --pdf prints A4 pages.

The DOM walk reads every text node and every shown attribute (title, alt, aria-label) and
flags Latin words that the input did not give. Words that still come from sources being
translated elsewhere are checked in their own strict xfail tests (named after the source),
which start passing, and so must be removed, once that source speaks Chinese.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from selector.cli import main
from selector.datasets import generate_call
from selector.engine import Model
from selector.io import save_proposals
from selector.rules import load_rules

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
RULES = """\
budget = 2_500_000

[[pools]]
name = "fiscal"
label = "财政专项资金"
amount = 1_800_000
column = "pools"

[[pools]]
name = "charity"
label = "社会公益资金"
amount = 1_000_000
column = "pools"

[[groups]]
name = "单一领域支出不超过 45%"
column = "domain"
max_share = 0.45

[[distinct]]
name = "至少覆盖四个区"
column = "district"
min = 4

[count]
max = 30
"""
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
#: Product names and fixed tokens a Chinese page may show.
FIXED = {"CBC", "HiGHS", "PuLP", "CP", "SAT", "OR", "Tools", "SHA", "selector", "Noto"}  # products
#: Where words still come from sources translated by other engineers (CSS selectors).
FAMILIES = "#rules, .reasons, #ineligible-by-reason, .why-missed"
LATIN = re.compile(r"[A-Za-z][A-Za-z'’]*")

WALK = """(pendingSections) => {
  const out = [];
  const pending = (el) => !!(el && el.closest && el.closest(pendingSections));
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || ['STYLE', 'SCRIPT'].includes(el.tagName)) continue;
    out.push([node.textContent, pending(el)]);
  }
  for (const el of document.querySelectorAll('[title], [alt], [aria-label]')) {
    for (const name of ['title', 'alt', 'aria-label']) {
      if (el.hasAttribute(name)) out.push([el.getAttribute(name), pending(el)]);
    }
  }
  out.push([document.title, false]);
  return out;
}"""


def _playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        if os.environ.get("SELECTOR_REQUIRE_SERVICES") == "1":
            pytest.fail("the playwright package is required in CI")
        pytest.skip("the playwright package is not installed")
    return sync_playwright


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    rules_path = root / "rules.toml"
    rules_path.write_text(RULES, encoding="utf-8")
    first = Model.build(generate_call(60, seed=5), load_rules(rules_path)).solve(solver="highs")
    proposals = generate_call(60, seed=5)
    proposals.frame.loc[proposals.frame["id"] == first.selected[0], "title"] = SCRIPT
    save_proposals(proposals, root / "proposals.csv", headers="zh")
    out = root / "out"
    code = main(["select", str(root / "proposals.csv"), "--rules", str(rules_path), "--solver",
                 "highs", "--out", str(out), "--reserve", "1", "--pdf", "--quiet"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def allowed(report_dir: Path) -> set[str]:
    """Latin words the input gave: every cell of the proposals file, the rules' names and
    reasons, the paths of the files, and the fixed tokens."""
    root = report_dir.parent
    words = set(FIXED)
    words |= set(LATIN.findall((root / "proposals.csv").read_text(encoding="utf-8")))
    rules = load_rules(root / "rules.toml")
    names = [g.name or "" for g in rules.groups] + [d.name or "" for d in rules.distinct]
    data = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    prov = data["provenance"]
    shown = [prov["input_path"], prov["rules_path"], prov["input_sha256"], prov["rules_sha256"],
             prov["selector_version"], str(report_dir)]
    words |= set(LATIN.findall(" ".join(names + shown)))
    return words


def _number(text: str) -> Decimal:
    return Decimal(re.sub(r"[^\d.\-]", "", text))


@pytest.fixture(scope="module")
def pages(chromium: str, report_dir: Path) -> Iterator[dict[str, Any]]:
    """Each page rendered once: problems seen, requests made, and the text the DOM walk read."""
    seen: dict[str, Any] = {}
    with _playwright()() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=ARGS)
        try:
            for name in ("report.html", "public.html"):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                problems: list[str] = []
                requests: list[str] = []
                page.on("console", lambda m, p=problems: p.append(m.text) if m.type == "error"
                        else None)
                page.on("pageerror", lambda e, p=problems: p.append(str(e)))
                page.on("requestfailed", lambda r, p=problems: p.append(f"failed: {r.url}"))
                page.on("dialog", lambda d, p=problems: (p.append(d.message), d.dismiss()))
                page.on("request", lambda r, q=requests: q.append(r.url))
                page.goto((report_dir / name).as_uri())
                seen[name] = {"page": page, "problems": problems, "requests": requests,
                              "texts": page.evaluate(WALK, FAMILIES)}
            yield seen
        finally:
            browser.close()


def test_report_in_chromium(pages: dict[str, Any], report_dir: Path, tmp_path: Path) -> None:
    data = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    page = pages["report.html"]["page"]
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert _number(page.inner_text("#headline-beneficiaries")) == \
        Decimal(str(data["beneficiaries"]))
    assert int(page.inner_text("#headline-count")) == data["count"] == len(data["selected"])
    assert _number(page.inner_text("#headline-spend")) == Decimal(data["total_cost"])
    assert _number(page.inner_text("#headline-budget")) == Decimal(data["budget"])
    assert page.inner_text("#headline-spend").endswith("元")
    assert page.get_attribute("#status", "data-value") == data["status"]
    titles = page.locator("td.project-title").all_inner_texts()
    assert any(t.startswith(SCRIPT) for t in titles)
    assert page.locator("script").count() == 0
    images = page.eval_on_selector_all("img", "els => els.map(e => e.naturalWidth)")
    assert len(images) == 5 and all(w > 0 for w in images)
    for name in ("report.html", "public.html"):
        assert pages[name]["problems"] == []
        assert all(u.startswith(("file:", "data:")) for u in pages[name]["requests"])
    public = pages["public.html"]["page"]
    assert public.locator("table#public tbody tr").count() == data["count"]
    assert SCRIPT in public.inner_text("table#public")
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000


def _latin(texts: list[list[Any]], allowed: set[str], pending: bool | None) -> set[str]:
    found = set()
    for text, in_pending in texts:
        if pending is not None and in_pending != pending:
            continue
        found |= {w for w in LATIN.findall(text) if w not in allowed}
    return found


POOL_NAMES = {"fiscal", "charity"}


@pytest.mark.parametrize("name", ["report.html", "public.html"])
def test_chinese_pages_have_no_latin_words(name: str, pages: dict[str, Any],
                                           allowed: set[str]) -> None:
    """Outside the sections still translated elsewhere: no Latin word the input did not give
    (pool names are waiting for their `label` in the rules file: checked below)."""
    assert _latin(pages[name]["texts"], allowed, pending=False) == set()


def test_pools_show_their_labels(pages: dict[str, Any], allowed: set[str]) -> None:
    words = _latin(pages["report.html"]["texts"] + pages["public.html"]["texts"], allowed, None)
    assert not words & POOL_NAMES


def test_rule_rows_reasons_and_explanations_in_chinese(pages: dict[str, Any],
                                                        allowed: set[str]) -> None:
    assert _latin(pages["report.html"]["texts"], allowed, pending=True) == set()


def test_xlsx_cells_have_no_latin_words(report_dir: Path, allowed: set[str]) -> None:
    """The same check over every cell and sheet name of the workbook."""
    wb = load_workbook(report_dir / "report.xlsx")
    found = set()
    for ws in wb.worksheets:
        found |= {w for w in LATIN.findall(ws.title) if w not in allowed}
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    found |= {w for w in LATIN.findall(value)
                              if w not in allowed}
    assert found == set()


def test_pdf_pages_are_a4(report_dir: Path) -> None:
    for name in ("report.pdf", "public.pdf"):
        data = (report_dir / name).read_bytes()
        assert data.startswith(b"%PDF-")
        boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", data)
        assert boxes, name
        for width, height in boxes:                            # A4: 595 x 842 points
            assert abs(float(width) - 595.3) < 2 and abs(float(height) - 841.9) < 2
