"""Selection reports: HTML, Markdown, JSON, Excel, CSV, PDF and the public notice.

One structure, :class:`Report` (built by :func:`build_report` from a
:class:`~selector.Selection`), feeds every writer, so all outputs show the same figures.
Reports never solve. Every word comes from the message catalogue (``report.*``) in the
report's language (``zh`` by default), money through :func:`selector.i18n.fmt_money`.

The names below are imported on first use (``__init__.pyi`` lists them), so
``from selector.report import FORMATS`` does not load matplotlib or pandas.

Examples
--------
>>> FORMATS
('html', 'md', 'json', 'xlsx', 'csv', 'public')
"""

from __future__ import annotations

import lazy_loader

#: Output formats of :func:`write_reports` (also :data:`selector.report.files.FORMATS`).
FORMATS = ("html", "md", "json", "xlsx", "csv", "public")

__getattr__, __dir__, _lazy_names = lazy_loader.attach_stub(__name__, __file__)
__all__ = [*_lazy_names, "FORMATS"]
