"""Spreadsheet-safe cell text for the CSV and Excel outputs.

Proposal text comes from the public: a title such as ``=HYPERLINK(...)`` must never become
a formula in the committee's spreadsheet. Every text cell goes through :func:`safe_text`,
which applies the loaders' own rule (:func:`selector.io._safety.neutralise_cell`), so a
report's CSV loads back to the same text.

Examples
--------
>>> safe_text("=1+1")
"'=1+1"
>>> safe_text("户外劳动者驿站")
'户外劳动者驿站'
"""

from __future__ import annotations

from selector.text import neutralise_cell

__all__ = ["safe_text"]


def safe_text(value: object) -> str:
    """``value`` as text, neutralised when a spreadsheet would read it as a formula."""
    return str(neutralise_cell("" if value is None else str(value)))
