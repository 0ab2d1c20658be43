"""The selection reports: every output re-adds to the result, text from the public is inert."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from selector.datasets import generate_call
from selector.engine import Model
from selector.report import FORMATS, Provenance, build_report, report_dict, write_reports
from selector.report.html import public_html, report_html
from selector.report.markdown import md_cell, report_markdown
from selector.report.rulecheck import evaluate_rules
from selector.result import Selection
from selector.rules import Count, Distinct, GroupRule, Pool, Rules

SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'


RULES = Rules(
    budget=Decimal("5000000"),
    pools=(Pool(name="fiscal", amount=Decimal("3500000")),
           Pool(name="charity", amount=Decimal("2000000"))),
    groups=(GroupRule(column="domain", max_share=0.35),
            GroupRule(column="domain", min_total=Decimal(1), measure="count")),
    distinct=(Distinct(column="district", min=4),),
    count=Count(max=18),
)


@pytest.fixture(scope="module")
def selection() -> Selection:
    """The optimum of a generated call whose selected titles carry injected text."""
    first = Model.build(generate_call(90, seed=7), RULES).solve(solver="highs")
    proposals = generate_call(90, seed=7)
    frame = proposals.frame
    for pid, title in zip(first.selected, (SCRIPT, FORMULA, "+SUM(A1:A9)"), strict=False):
        frame.loc[frame["id"] == pid, "title"] = title
    sel = Model.build(proposals, RULES).solve(solver="highs")
    assert sel.selected == first.selected  # titles do not change the optimum
    return sel


@pytest.fixture(scope="module")
def reserve(selection: Selection) -> list[tuple[str, float | None]]:
    chosen = set(selection.selected)
    rest = [i for i in selection.proposals.ids if i not in chosen and i not in selection.ineligible]
    return [(pid, float(k)) for k, pid in enumerate(rest[:5])]


def test_injected_titles_are_in_the_list(selection: Selection) -> None:
    titles = set(selection.selected_frame()["title"])
    assert {SCRIPT, FORMULA} <= titles, "the escaping tests need the injected titles selected"


def test_tables_re_add_to_the_result(selection: Selection) -> None:
    report = build_report(selection, lang="en")
    assert report.count == len(selection.selected) == len(report.selected)
    assert sum((r.cost for r in report.selected), Decimal(0)) == selection.total_cost
    assert sum((g.cost for g in report.by_domain), Decimal(0)) == selection.total_cost
    assert sum(g.count for g in report.by_domain) == selection.count
    assert sum(g.beneficiaries for g in report.by_domain) == pytest.approx(selection.beneficiaries)
    assert sum((p.paid for p in report.pools), Decimal(0)) == selection.total_cost
    for pool in report.pools:
        assert pool.paid <= pool.amount
    # a project counts once in each of its target groups
    frame = selection.selected_frame()
    for row in report.by_target_group:
        members = frame[[row.code in groups for groups in frame["target_groups"]]]
        assert row.count == len(members)
        assert row.cost == sum(members["cost"], Decimal(0))


def test_rule_rows_recomputed_independently(selection: Selection) -> None:
    rows = {r.key: r for r in evaluate_rules(selection, "en")}
    assert all(r.met for r in rows.values())
    frame = selection.selected_frame()
    total = sum(frame["cost"], Decimal(0))
    by_domain = {d: sum(g["cost"], Decimal(0)) for d, g in frame.groupby("domain")}
    label = selection.rules.groups[0].key
    for domain, cost in by_domain.items():
        assert rows[f"{label}[{domain}]"].achieved.endswith(f"({100 * cost / total:.1f}%)")
    assert rows["distinct[district]"].achieved == str(frame["district"].dropna().nunique())
    assert rows["count"].achieved == str(len(frame))
    assert rows["budget"].binding == ("budget" in selection.binding)
    assert rows["count"].binding == ("count_max" in selection.binding)


def test_html_escapes_public_text(selection: Selection) -> None:
    report = build_report(selection, lang="en")
    for page in (report_html(report), public_html(report)):
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script" not in page.lower()
        assert "http://" not in page.replace('http://evil.example', '')  # nothing loaded from outside


def test_markdown_escapes_public_text(selection: Selection) -> None:
    text = report_markdown(build_report(selection, lang="en"))
    assert SCRIPT not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert md_cell("a|b\nc") == "a\\|b c"


def test_json_is_the_full_result(selection: Selection, reserve: list[tuple[str, float | None]]) -> None:
    report = build_report(selection, lang="zh", reserve=reserve,
                          why_not={reserve[0][0]: "forcing it in costs 12 beneficiaries"})
    data = json.loads(json.dumps(report_dict(report), allow_nan=False))
    for key, value in selection.to_dict().items():
        if isinstance(value, float) and np.isnan(value):
            assert data[key] is None
        else:
            assert data[key] == value, key
    assert sum(Decimal(p["cost"]) for p in data["selected_projects"]) == Decimal(data["total_cost"])
    assert [r["id"] for r in data["reserve"]] == [pid for pid, _ in reserve]
    assert data["why_not"] == {reserve[0][0]: "forcing it in costs 12 beneficiaries"}
    assert set(data["binding"]) == set(selection.binding)
    assert {r["key"] for r in data["rules"] if r["binding"]}  # the demo rules bind somewhere


def test_csv_outputs_neutralise_formulas(selection: Selection, tmp_path: Path) -> None:
    report = build_report(selection, lang="en")
    written = write_reports(report, tmp_path, ["csv", "public"])
    for name in ("selected.csv", "public.csv"):
        text = written[name].read_text(encoding="utf-8-sig")
        cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "@")], name
        assert "'" + FORMULA in cells
        rows = list(csv.DictReader(io.StringIO(text)))
        assert sum(Decimal(r["Cost"]) for r in rows) == selection.total_cost


def test_public_list_has_no_internal_scores(selection: Selection,
                                            reserve: list[tuple[str, float | None]],
                                            tmp_path: Path) -> None:
    report = build_report(selection, lang="en", reserve=reserve)
    written = write_reports(report, tmp_path, ["public"])
    header = written["public.csv"].read_text(encoding="utf-8-sig").splitlines()[0]
    assert "Score" not in header and "Rank" not in header
    page = written["public.html"].read_text(encoding="utf-8")
    assert "Score" not in page and "Reserve" not in page
    for pid, _ in reserve:
        assert f">{pid}<" not in page
    for pid in selection.selected:
        assert f">{pid}<" in page


def test_write_reports_all_formats(selection: Selection, tmp_path: Path) -> None:
    src = tmp_path / "proposals.csv"
    src.write_text("id\n1\n", encoding="utf-8")
    prov = Provenance.of(selection, src, None)
    assert prov.input_sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    report = build_report(selection, lang="zh", provenance=prov)
    out = tmp_path / "a folder with spaces" / "$HOME"  # taken literally
    written = write_reports(report, out, FORMATS)
    assert out.is_dir() and all(p.parent.is_relative_to(out) for p in written.values())
    for name in ("report.html", "report.md", "result.json", "report.xlsx", "selected.csv",
                 "public.html", "public.csv", "charts/chart_spend_domain.png"):
        assert written[name].stat().st_size > 0, name
    html = written["report.html"].read_text(encoding="utf-8")
    assert "受益职工" in html and prov.input_sha256 in html
    assert html.count("data:image/png;base64,") == 4
    md = written["report.md"].read_text(encoding="utf-8")
    assert "](charts/chart_spend_domain.png)" in md
    with pytest.raises(ValueError, match="format must be one of"):
        write_reports(report, out, ["pdf"])


def test_english_labels(selection: Selection) -> None:
    page = report_html(build_report(selection, lang="en"))
    assert "Beneficiaries" in page and "受益职工" not in page
