"""Writing every report of a selection into a folder (:func:`write_reports`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from selector.report import FORMATS
from selector.report.content import Report
from selector.report.csvout import table_csv
from selector.report.excel import workbook_bytes
from selector.report.html import public_html, report_html
from selector.report.jsonout import report_json
from selector.report.markdown import report_markdown
from selector.report.tables import public_table, report_tables

__all__ = ["FORMATS", "write_reports"]


def write_reports(report: Report, out_dir: str | Path, formats: Iterable[str] = FORMATS, *,
                  pdf: bool = False, progress: Callable[[], None] | None = None
                  ) -> dict[str, Path]:
    """Write the report into ``out_dir`` (created if needed; the path is taken literally).

    Parameters
    ----------
    report:
        The report content (:func:`~selector.report.build_report`).
    out_dir:
        The folder.
    formats:
        Any of :data:`FORMATS`: ``report.html``, ``report.md`` (+ ``charts/*.png``),
        ``result.json``, ``report.xlsx``, one CSV per table (``selected.csv``, ...), and the
        public list ``public.html`` + ``public.csv``.
    pdf:
        Also print ``report.html`` and ``public.html`` to ``report.pdf`` / ``public.pdf``
        (A4, headless Chromium; see :mod:`selector.report.pdf`).
    progress:
        Called once per format written (and once for the PDFs).

    Returns
    -------
    dict
        ``{name: path}`` of every file written. Each file is written whole or not at all
        (a temporary file renamed into place), so a run stopped half-way leaves the files
        of the last complete run or none, and running again completes the folder.

    Examples
    --------
    >>> import tempfile
    >>> from selector.datasets import generate_call
    >>> from selector.engine import Model
    >>> from selector.report import build_report
    >>> from selector.rules import Rules
    >>> report = build_report(Model.build(generate_call(30, seed=1), Rules(budget=900_000)).solve())
    >>> sorted(write_reports(report, tempfile.mkdtemp(), ["json", "public"]))
    ['public.csv', 'public.html', 'result.json']
    """
    wanted = list(dict.fromkeys(formats))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {', '.join(unknown)}")
    folder = _Folder(Path(out_dir))
    charts = {}
    if {"html", "md", "xlsx"} & set(wanted):
        from selector.report.charts import report_charts  # deferred: matplotlib

        charts = report_charts(report)
    for fmt, write in _WRITERS.items():  # in this order, whatever the order asked
        if fmt in wanted:
            write(folder, report, charts)
            if progress is not None:
                progress()
    if pdf:
        _pdfs(folder, report)
        if progress is not None:
            progress()
    return folder.written


class _Folder:
    """The output folder (created now) and the files written into it, in order."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.mkdir(parents=True, exist_ok=True)
        self.written: dict[str, Path] = {}

    def put(self, name: str, data: str | bytes, encoding: str = "utf-8") -> None:
        """Write ``name`` whole or not at all (a temporary ``.part`` renamed into place)."""
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        if isinstance(data, bytes):
            part.write_bytes(data)
        else:
            part.write_text(data, encoding=encoding, newline="")
        part.replace(path)
        self.written[name] = path


def _html(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """``report.html``, charts inlined."""
    folder.put("report.html", report_html(report, charts))


def _markdown(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """``report.md`` and its ``charts/*.png``."""
    paths = {}
    for key, png in charts.items():
        folder.put(f"charts/{key}.png", png)
        paths[key] = f"charts/{key}.png"
    folder.put("report.md", report_markdown(report, paths))


def _json(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """``result.json``."""
    folder.put("result.json", report_json(report))


def _xlsx(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """``report.xlsx``, with the charts sheet."""
    folder.put("report.xlsx", workbook_bytes(report, charts))


def _csv(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """One CSV per report table (UTF-8 with BOM, for Excel)."""
    for table in report_tables(report):
        folder.put(f"{table.name.replace(' ', '_')}.csv", table_csv(table), "utf-8-sig")


def _public(folder: _Folder, report: Report, charts: Mapping[str, bytes]) -> None:
    """The public list: ``public.html`` and ``public.csv``."""
    folder.put("public.html", public_html(report))
    folder.put("public.csv", table_csv(public_table(report)), "utf-8-sig")


#: The writer of each format, in the order the files are written.
_WRITERS: dict[str, Callable[[_Folder, Report, Mapping[str, bytes]], None]] = {
    "html": _html, "md": _markdown, "json": _json, "xlsx": _xlsx, "csv": _csv,
    "public": _public,
}


def _pdfs(folder: _Folder, report: Report) -> None:
    """``report.pdf`` / ``public.pdf`` of the HTML pages written."""
    from selector.report.pdf import print_pdf  # deferred: Playwright (optional)

    written = folder.written
    pages = {written[n]: folder.out / n.replace(".html", ".pdf")
             for n in ("report.html", "public.html") if n in written}
    for path in print_pdf(pages, report.lang):
        written[path.name] = path
