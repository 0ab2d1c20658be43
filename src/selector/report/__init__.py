"""Selection reports: HTML, Markdown, JSON, Excel, CSV and the public list.

One structure, :class:`Report` (built by :func:`build_report` from a
:class:`~selector.Selection`), feeds every writer, so all outputs show the same figures.
Reports never solve.

Examples
--------
>>> FORMATS
('html', 'md', 'json', 'xlsx', 'csv', 'public')
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from selector.report.charts import report_charts
from selector.report.content import Provenance, Report, build_report, file_sha256
from selector.report.csvout import table_csv
from selector.report.excel import report_workbook, workbook_bytes
from selector.report.html import public_html, report_html
from selector.report.jsonout import report_dict, report_json
from selector.report.markdown import report_markdown
from selector.report.tables import public_table, report_tables

__all__ = [
    "FORMATS",
    "Provenance",
    "Report",
    "build_report",
    "file_sha256",
    "public_html",
    "report_dict",
    "report_html",
    "report_json",
    "report_markdown",
    "report_workbook",
    "write_reports",
]

#: Output formats of :func:`write_reports`.
FORMATS = ("html", "md", "json", "xlsx", "csv", "public")


def write_reports(report: Report, out_dir: str | Path,
                  formats: Iterable[str] = FORMATS) -> dict[str, Path]:
    """Write the report into ``out_dir`` (created if needed; the path is taken literally).

    Files: ``report.html``, ``report.md`` (+ ``charts/*.png``), ``result.json``,
    ``report.xlsx``, one CSV per table (``selected.csv``, ``reserve.csv``, ...), and the
    public list ``public.html`` + ``public.csv``.

    Returns
    -------
    dict
        ``{name: path}`` of every file written.
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {', '.join(unknown)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}

    def put(name: str, data: str | bytes, encoding: str = "utf-8") -> None:
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding=encoding, newline="")
        written[name] = path

    charts = report_charts(report) if {"html", "md"} & set(wanted) else {}
    if "html" in wanted:
        put("report.html", report_html(report, charts))
    if "md" in wanted:
        paths = {}
        for key, png in charts.items():
            put(f"charts/{key}.png", png)
            paths[key] = f"charts/{key}.png"
        put("report.md", report_markdown(report, paths))
    if "json" in wanted:
        put("result.json", report_json(report))
    if "xlsx" in wanted:
        put("report.xlsx", workbook_bytes(report))
    if "csv" in wanted:
        for table in report_tables(report):
            put(f"{table.name.replace(' ', '_')}.csv", table_csv(table), "utf-8-sig")
    if "public" in wanted:
        put("public.html", public_html(report))
        put("public.csv", table_csv(public_table(report)), "utf-8-sig")
    return written
