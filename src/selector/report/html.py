"""Self-contained HTML reports (jinja2, autoescaped; charts embedded as base64 PNG).

The pages load nothing from outside (a Content-Security-Policy forbids it and allows no
script at all), so they open offline and can be mailed as one file. All text from the
proposals is escaped: a title ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from decimal import Decimal

import jinja2

from selector.report.content import Report
from selector.report.fmt import money, number, percent
from selector.report.tables import public_table

__all__ = ["png_data_uri", "public_html", "report_html"]


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("selector.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def png_data_uri(png: bytes) -> str:
    """A PNG as a ``data:`` URI."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _share(part: Decimal, whole: Decimal) -> float:
    return float(part / whole) if whole else 0.0


def _render(name: str, report: Report, **context: object) -> str:
    template = _environment().get_template(name)
    return template.render(r=report, t=report.t, money=money, number=number, percent=percent,
                           share=_share, **context)


def report_html(report: Report, charts: Mapping[str, bytes] | None = None) -> str:
    """The committee's report as one HTML page (``charts``: PNG bytes by chart key)."""
    uris = {key: png_data_uri(png) for key, png in (charts or {}).items()}
    return _render("report.html.j2", report, charts=uris)


def public_html(report: Report) -> str:
    """The public list as one HTML page: no scores, no internal notes."""
    return _render("public.html.j2", report, table=public_table(report))
