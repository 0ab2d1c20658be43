"""HTML pages printed to A4 PDF by headless Chromium (through Playwright).

Chromium renders the page with its print stylesheet (``@page`` A4, repeated table headers),
exactly as a browser prints it. Needs the ``pdf`` extra (``pip install selector[pdf]``:
Playwright) and a Chromium on the machine (Debian ``chromium``, or ``SELECTOR_CHROMIUM``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from selector._errors import SelectorError
from selector.i18n import DEFAULT_LANG, Lang, t

__all__ = ["CHROMIUM_ARGS", "chromium_path", "print_pdf"]

#: Chromium flags for a headless, offline print (no sandbox: runs as root in CI containers).
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def chromium_path() -> str | None:
    """The Chromium executable (``SELECTOR_CHROMIUM``, else ``chromium`` on the PATH)."""
    given = os.environ.get("SELECTOR_CHROMIUM", "")
    if given:
        return given if Path(given).is_file() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def print_pdf(pages: dict[Path, Path], lang: Lang = DEFAULT_LANG) -> list[Path]:
    """Print each HTML page to its PDF (``{html: pdf}``); each PDF is written whole or not at
    all. Raises :class:`~selector.SelectorError` when Chromium or Playwright is missing."""
    executable = chromium_path()
    if executable is None:
        raise SelectorError(t("report.pdf_no_chromium", lang))
    try:
        from playwright.sync_api import sync_playwright  # deferred: optional, the pdf extra
    except ImportError:
        raise SelectorError(t("report.pdf_no_playwright", lang)) from None
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            for html, pdf in pages.items():
                page.goto(html.resolve().as_uri())
                part = pdf.with_name(pdf.name + ".part")
                page.pdf(path=str(part), format="A4", print_background=True,
                         prefer_css_page_size=True)
                part.replace(pdf)
                written.append(pdf)
        finally:
            browser.close()
    return written
