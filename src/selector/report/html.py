"""Self-contained HTML reports (jinja2, autoescaped; charts embedded as base64 PNG).

The pages load nothing from outside (a Content-Security-Policy forbids it and allows no
script at all), so they open offline and can be mailed as one file; a print stylesheet
lays them out on A4 (repeated table headers, no row or chart cut across pages). All text
from the proposals is escaped: a title ``<script>alert(1)</script>`` shows as text.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from typing import Any

import jinja2

from selector.i18n import fmt_count, fmt_money, fmt_number, fmt_percent
from selector.report.content import Report
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


def _render(name: str, report: Report, **context: object) -> str:
    lang = report.lang

    def money(value: Any) -> str:
        return fmt_money(value, lang, currency=report.currency)

    def number(value: Any, digits: int = 0) -> str:
        return fmt_number(value, lang, digits)

    def count(value: Any) -> str:
        return fmt_count(value, lang)

    def percent(value: Any, digits: int = 1) -> str:
        return fmt_percent(value, lang, digits)

    template = _environment().get_template(name)
    return template.render(r=report, t=report.t, money=money, number=number, count=count,
                           percent=percent, **context)


def report_html(report: Report, charts: Mapping[str, bytes] | None = None) -> str:
    """The committee's report as one HTML page (``charts``: PNG bytes by chart key)."""
    uris = {key: png_data_uri(png) for key, png in (charts or {}).items()}
    return _render("report.html.j2", report, charts=uris)


def public_html(report: Report) -> str:
    """The public list as one HTML page, a notice ready to publish: no scores, no internal
    notes; the issuer, publicity period and objection channels when the rules give them."""
    return _render("public.html.j2", report, table=public_table(report))
