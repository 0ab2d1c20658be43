"""Reports of outcomes: planned against actual, and a calibrated selection against the raw one.

Two reports, each as one self-contained HTML page (charts embedded, no script, text from
the public escaped) and one Excel workbook (the same tables, the charts as images, every
text cell neutralised so nothing runs as a formula):

- :func:`build_outcomes_report` — per project, domain, district and applicant unit: the
  planned beneficiaries and cost against the person-times actually served and the money
  actually spent, satisfaction and completion on time (from
  :func:`selector.outcomes.review.review`); with the calibration factors learnt when given.
- :func:`build_calibration_report` — a selection on calibrated estimates: both figures of
  every proposal, which projects enter and leave the list against the raw estimates.

Every word comes from the ``outcomes.report.*`` messages; money from
:func:`selector.i18n.fmt_money`.
"""

from __future__ import annotations

import datetime as _dt
import functools
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from openpyxl.styles import Font

from selector._fonts import cjk_font
from selector.i18n import Lang, fmt_count, fmt_money, fmt_number, fmt_percent, t
from selector.model import ProposalSet
from selector.outcomes.calibration import RAW_COLUMN, Calibration
from selector.outcomes.review import DIMENSIONS, Review
from selector.report._cells import safe_text
from selector.report.html import png_data_uri

__all__ = ["CalibrationReport", "OutcomesReport", "build_calibration_report",
           "build_outcomes_report", "calibration_html", "outcomes_html", "report_workbook_bytes",
           "write_calibration_report", "write_outcomes_report"]

_PLANNED, _ACTUAL = "#9db4d3", "#2f6db5"


@dataclass(frozen=True)
class _Provenance:
    selector_version: str
    generated_at: str


def _provenance() -> _Provenance:
    from selector import __version__  # selector/__init__ imports the reports: a real cycle

    return _Provenance(__version__, _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat())


@dataclass(frozen=True)
class Sheet:
    """One table of a report: a name (sheet), a header, rows of display-ready cells."""

    key: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    numeric: frozenset[int] = frozenset()


@dataclass(frozen=True)
class OutcomesReport:
    """The planned-vs-actual report: headline figures, tables and charts' data."""

    lang: Lang
    title: str
    years: tuple[int, ...]
    headline: list[tuple[str, str]]
    sheets: list[Sheet]
    charts: dict[str, tuple[str, list[str], list[float], list[float]]]
    notes: list[str] = field(default_factory=list)
    provenance: _Provenance = field(default_factory=_provenance)
    kind: str = "outcomes"


@dataclass(frozen=True)
class CalibrationReport:
    """A calibrated selection against the raw one."""

    lang: Lang
    title: str
    headline: list[tuple[str, str]]
    sheets: list[Sheet]
    charts: dict[str, tuple[str, list[str], list[float], list[float]]]
    notes: list[str] = field(default_factory=list)
    provenance: _Provenance = field(default_factory=_provenance)
    kind: str = "calibration"
    entered: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


def _w(key: str, lang: Lang, **params: Any) -> str:
    return t(f"outcomes.report.{key}", lang, **params)


def _label(dim: str, code: str, lang: Lang, proposals: ProposalSet | None) -> str:
    if not code:
        return _w("none", lang)
    if dim == "domain" and proposals is not None and code in proposals.domains:
        return proposals.domains.label(code, lang)
    if dim == "domain":
        from selector.taxonomy import DEFAULT_DOMAINS

        return DEFAULT_DOMAINS.label(code, lang) if code in DEFAULT_DOMAINS else code
    return code


def _num(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def build_outcomes_report(result: Review, *, lang: Lang = "zh", title: str | None = None,
                          calibration: Calibration | None = None,
                          proposals: ProposalSet | None = None) -> OutcomesReport:
    """The planned-vs-actual report of ``result`` (see the module docstring)."""
    years = result.years
    span = "–".join(str(y) for y in (years[0], years[-1])) if len(years) > 1 else \
        (str(years[0]) if years else "")
    title = title or _w("report_title", lang, years=span)
    tot = result.totals

    def num(key: str) -> float | None:
        value = tot.get(key)
        return _num(float(value)) if isinstance(value, int | float) else None

    def amount(key: str) -> Decimal | None:
        value = tot.get(key)
        return value if isinstance(value, Decimal) else None

    headline = [
        (_w("projects", lang), fmt_number(int(num("count") or 0), lang)),
        (_w("planned_beneficiaries", lang), fmt_count(num("planned_beneficiaries"), lang)),
        (_w("actual_beneficiaries", lang), fmt_count(num("actual_beneficiaries"), lang)),
        (_w("ratio", lang), fmt_percent(num("ratio"), lang)),
        (_w("planned_cost", lang), fmt_money(amount("planned_cost"), lang)),
        (_w("actual_cost", lang), fmt_money(amount("actual_cost"), lang)),
        (_w("satisfaction", lang), fmt_percent(num("satisfaction"), lang)),
        (_w("on_time", lang), fmt_percent(num("on_time"), lang)),
    ]
    sheets = []
    head = [_w(k, lang) for k in ("year", "id", "title", "domain", "district", "proposer",
                                  "planned_beneficiaries", "actual_beneficiaries", "ratio",
                                  "planned_cost", "actual_cost", "satisfaction", "on_time")]
    rows = []
    for r in result.projects.to_dict("records"):
        on_time = r["on_time"]
        rows.append([r["year"], r["id"], r["title"], _label("domain", r["domain"], lang, proposals),
                     r["district"] or "", r["proposer"] or "", r["planned_beneficiaries"],
                     r["actual_beneficiaries"], _num(r["ratio"]), r["planned_cost"],
                     r["actual_cost"], _num(r["satisfaction"]),
                     "" if on_time is pd.NA or on_time is None else
                     _w("yes" if bool(on_time) else "no", lang)])
    sheets.append(Sheet("projects", _w("by_project", lang), head, rows,
                        frozenset({0, 6, 7, 8, 9, 10, 11})))
    group_head = ["count", "planned_beneficiaries", "actual_beneficiaries", "ratio",
                  "planned_cost", "actual_cost", "planned_per_person", "actual_per_person",
                  "satisfaction", "on_time"]
    charts = {}
    for dim in DIMENSIONS:
        frame = result.groups[dim]
        labels = [_label(dim, g, lang, proposals) for g in frame["group"]]
        rows = [[lab, *[_num(v) if isinstance(v, float) else v for v in rec[1:]]]
                for lab, rec in zip(labels, frame[["group", *group_head]].itertuples(
                    index=False, name=None), strict=True)]
        sheets.append(Sheet(dim, _w(f"by_{dim}", lang), [_w(dim, lang), *[_w(k, lang) for k in group_head]],
                            rows, frozenset(range(1, len(group_head) + 1))))
        if dim != "proposer" and len(frame):
            charts[f"chart_{dim}"] = (_w(f"chart_{dim}", lang), labels,
                                      frame["planned_beneficiaries"].tolist(),
                                      frame["actual_beneficiaries"].tolist())
    notes = [_w("ratio_note", lang), _w("per_person_note", lang)]
    if calibration is not None and not calibration.is_identity:
        factors = calibration.factors()
        rows = [[_w(f"level_{r['level']}", lang),
                 _label("domain", r["key"], lang, proposals) if r["level"] == "domain" else r["key"],
                 r["n"], r["factor"], r["weight"]] for r in factors.to_dict("records")]
        sheets.append(Sheet("calibration", _w("calibration", lang),
                            [_w(k, lang) for k in ("level", "group", "count", "factor", "weight")],
                            rows, frozenset({2, 3, 4})))
        notes.append(_w("calibration_note", lang, n=calibration.n,
                        sigma=fmt_number(calibration.sigma, lang, 3)))
    return OutcomesReport(lang=lang, title=title, years=years, headline=headline, sheets=sheets,
                          charts=charts, notes=notes)


def build_calibration_report(raw: ProposalSet | Any, calibrated: ProposalSet,
                             raw_selected: Sequence[str], selected: Sequence[str], *,
                             lang: Lang = "zh", title: str | None = None,
                             calibration: Calibration | None = None) -> CalibrationReport:
    """Both figures of every proposal and how the list changed with calibration."""
    frame = calibrated.frame
    before, after = set(raw_selected), set(selected)
    entered = tuple(i for i in calibrated.ids if i in after - before)
    left = tuple(i for i in calibrated.ids if i in before - after)
    benefit = frame["beneficiaries"].to_numpy(dtype=np.float64)
    rawb = frame[RAW_COLUMN].to_numpy(dtype=np.float64) if RAW_COLUMN in frame else benefit
    ids = calibrated.ids
    pos = {i: k for k, i in enumerate(ids)}
    raw_total = float(sum(rawb[pos[i]] for i in raw_selected))
    cal_total = float(sum(benefit[pos[i]] for i in selected))
    changed = int(np.count_nonzero(np.abs(benefit - rawb) > 1e-9 * np.maximum(1, rawb)))
    headline = [
        (_w("changed_estimates", lang), fmt_number(changed, lang)),
        (_w("entered", lang), fmt_number(len(entered), lang)),
        (_w("left", lang), fmt_number(len(left), lang)),
        (_w("raw_list_beneficiaries", lang), fmt_count(raw_total, lang)),
        (_w("calibrated_list_beneficiaries", lang), fmt_count(cal_total, lang)),
    ]
    head = [_w(k, lang) for k in ("id", "title", "domain", "proposer", "raw_estimate",
                                  "calibrated_estimate", "factor", "low", "high",
                                  "raw_list", "calibrated_list")]
    rows = []
    for k, i in enumerate(ids):
        domain = _label("domain", str(frame["domain"].iloc[k]), lang, calibrated)
        rows.append([i, frame["title"].iloc[k], domain,
                     frame["proposer"].iloc[k] or "", rawb[k], benefit[k],
                     benefit[k] / rawb[k] if rawb[k] > 0 else None,
                     _num(float(frame["beneficiaries_low"].iloc[k])),
                     _num(float(frame["beneficiaries_high"].iloc[k])),
                     _w("yes" if i in before else "no", lang),
                     _w("yes" if i in after else "no", lang)])
    order = sorted(range(len(rows)), key=lambda k: (ids[k] not in after | before, ids[k]))
    sheets = [Sheet("proposals", _w("both_figures", lang), head, [rows[k] for k in order],
                    frozenset({4, 5, 6, 7, 8}))]
    moved = [[i, frame["title"].iloc[pos[i]], _w("enters", lang), rawb[pos[i]], benefit[pos[i]]]
             for i in entered] + \
            [[i, frame["title"].iloc[pos[i]], _w("leaves", lang), rawb[pos[i]], benefit[pos[i]]]
             for i in left]
    sheets.append(Sheet("changes", _w("list_changes", lang),
                        [_w(k, lang) for k in ("id", "title", "change", "raw_estimate",
                                               "calibrated_estimate")], moved, frozenset({3, 4})))
    doms = list(dict.fromkeys(str(d) for d in frame["domain"]))
    dom_col = frame["domain"].astype(str).to_numpy()
    charts = {"chart_calibration": (
        _w("chart_calibration", lang), [_label("domain", d, lang, calibrated) for d in doms],
        [float(rawb[dom_col == d].sum()) for d in doms],
        [float(benefit[dom_col == d].sum()) for d in doms])}
    notes = [_w("calibrated_note", lang)]
    if calibration is not None:
        notes.append(_w("calibration_note", lang, n=calibration.n,
                        sigma=fmt_number(calibration.sigma, lang, 3)) if not calibration.is_identity
                     else _w("identity_note", lang))
    return CalibrationReport(lang=lang, title=title or _w("calibration_title", lang),
                             headline=headline, sheets=sheets, charts=charts, notes=notes,
                             entered=entered, left=left)


# -- charts -------------------------------------------------------------------------------------
def pair_chart(title: str, labels: Sequence[str], planned: Sequence[float],
               actual: Sequence[float], names: tuple[str, str]) -> bytes:
    """Planned and actual side by side per group, as PNG bytes (horizontal bars)."""
    font = cjk_font()
    if font is None:  # no CJK glyphs: ASCII labels only
        labels = [s if s.isascii() else "?" for s in labels]
        title = title if title.isascii() else ""
        names = tuple(n if n.isascii() else "" for n in names)  # type: ignore[assignment]
    families = ([font.family] if font else []) + ["DejaVu Sans"]
    with matplotlib.rc_context({"font.family": families}):
        fig = Figure(figsize=(6.6, 1.0 + 0.5 * max(1, len(labels))), dpi=110, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        y = np.arange(len(labels))[::-1]
        ax.barh(y + 0.2, planned, height=0.38, color=_PLANNED, label=names[0])
        ax.barh(y - 0.2, actual, height=0.38, color=_ACTUAL, label=names[1])
        ax.set_yticks(y, list(labels))
        ax.set_title(title, fontsize=11, loc="left")
        ax.spines[["top", "right"]].set_visible(False)
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}"))
        ax.legend(loc="lower right", fontsize=8, frameon=False)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _chart_pngs(report: OutcomesReport | CalibrationReport) -> dict[str, bytes]:
    names = ((_w("raw_estimate", report.lang), _w("calibrated_estimate", report.lang))
             if report.kind == "calibration" else
             (_w("planned", report.lang), _w("actual", report.lang)))
    return {key: pair_chart(title, labels, a, b, names)
            for key, (title, labels, a, b) in report.charts.items()}


# -- HTML ---------------------------------------------------------------------------------------
@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("selector.report", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def _cell_text(value: Any, col: int, sheet: Sheet, lang: Lang) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    header = sheet.header[col]
    if isinstance(value, Decimal):
        return fmt_money(value, lang)
    if isinstance(value, float) and header in _percent_headers(lang):
        return fmt_percent(value, lang)
    if isinstance(value, float) and header in _factor_headers(lang):
        return fmt_number(value, lang, 3)
    if isinstance(value, float) and header in _money_headers(lang):
        return fmt_money(Decimal(str(round(value, 2))), lang)
    if isinstance(value, float):
        return fmt_count(value, lang)
    return str(value)


@functools.cache
def _percent_headers(lang: Lang) -> frozenset[str]:
    return frozenset(_w(k, lang) for k in ("ratio", "satisfaction", "on_time", "weight"))


@functools.cache
def _factor_headers(lang: Lang) -> frozenset[str]:
    return frozenset(_w(k, lang) for k in ("factor",))


@functools.cache
def _money_headers(lang: Lang) -> frozenset[str]:
    return frozenset(_w(k, lang) for k in ("planned_per_person", "actual_per_person"))


def _html(report: OutcomesReport | CalibrationReport) -> str:
    charts = {key: png_data_uri(png) for key, png in _chart_pngs(report).items()}
    tables = [(s, [[_cell_text(v, j, s, report.lang) for j, v in enumerate(row)]
                   for row in s.rows]) for s in report.sheets]
    return _environment().get_template("outcomes.html.j2").render(
        r=report, tables=tables, charts=charts, w=functools.partial(_w, lang=report.lang))


def outcomes_html(report: OutcomesReport) -> str:
    """The planned-vs-actual report as one HTML page."""
    return _html(report)


def calibration_html(report: CalibrationReport) -> str:
    """The calibrated-selection report as one HTML page."""
    return _html(report)


# -- Excel --------------------------------------------------------------------------------------
def _xlsx_value(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return value.item() if isinstance(value, np.generic) else value
    return safe_text(value)


def report_workbook_bytes(report: OutcomesReport | CalibrationReport) -> bytes:
    """The report as .xlsx bytes: a summary sheet with the charts, then one sheet per table."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = safe_text(_w("summary", report.lang))[:31]
    summary.append([safe_text(report.title)])
    summary["A1"].font = Font(bold=True, size=13)
    for key, value in report.headline:
        summary.append([safe_text(key), safe_text(value)])
    for note in report.notes:
        summary.append([safe_text(note)])
    summary.column_dimensions["A"].width = 28
    summary.column_dimensions["B"].width = 22
    anchor_row = summary.max_row + 2
    for png in _chart_pngs(report).values():
        image = SheetImage(io.BytesIO(png))
        summary.add_image(image, f"D{max(2, anchor_row - summary.max_row + 1)}")
        anchor_row += int(image.height / 20) + 2
    for sheet in report.sheets:
        ws = wb.create_sheet(safe_text(sheet.title)[:31])
        ws.append([safe_text(h) for h in sheet.header])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            ws.append([_xlsx_value(v) for v in row])
        for j, head in enumerate(sheet.header):
            letter = ws.cell(row=1, column=j + 1).column_letter
            ws.column_dimensions[letter].width = min(40, max(10, len(str(head)) * 2 + 2))
            fmt = ("0.0%" if head in _percent_headers(report.lang) else
                   "#,##0.00" if any(isinstance(r[j], Decimal) for r in sheet.rows) else None)
            if fmt:
                for (cell,) in ws.iter_rows(min_row=2, min_col=j + 1, max_col=j + 1):
                    cell.number_format = fmt
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write(report: OutcomesReport | CalibrationReport, out_dir: str | Path, stem: str
           ) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, data in ((f"{stem}.html", _html(report).encode("utf-8")),
                       (f"{stem}.xlsx", report_workbook_bytes(report))):
        path = out / name
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)  # a reader never sees half a file
        written[name] = path
    return written


def write_outcomes_report(report: OutcomesReport, out_dir: str | Path) -> dict[str, Path]:
    """Write ``outcomes.html`` and ``outcomes.xlsx`` into ``out_dir``; ``{name: path}``."""
    return _write(report, out_dir, "outcomes")


def write_calibration_report(report: CalibrationReport, out_dir: str | Path) -> dict[str, Path]:
    """Write ``calibration.html`` and ``calibration.xlsx`` into ``out_dir``; ``{name: path}``."""
    return _write(report, out_dir, "calibration")

