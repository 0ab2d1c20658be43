"""Formula-injection safety: moved to :mod:`selector.text` (public).

This thin re-export stays for one release so that code importing
``selector.io._safety`` keeps working; import from :mod:`selector.text` instead.
"""

from __future__ import annotations

from selector.text import DANGEROUS_START, neutralise_cell, restore_text
from selector.text_columns import neutralise_series, restore_series

__all__ = ["DANGEROUS_START", "neutralise_cell", "neutralise_series", "restore_series",
           "restore_text"]
