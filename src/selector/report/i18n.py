"""Report wording: the ``report.*`` messages of the catalogue (:mod:`selector.i18n`).

Examples
--------
>>> text("beneficiaries", "zh")
'受益职工'
>>> text("beneficiaries", "en")
'Beneficiaries'
"""

from __future__ import annotations

from selector.i18n import LANGS, Lang, has, t

__all__ = ["LANGS", "Lang", "text"]


def text(key: str, lang: Lang = "en") -> str:
    """The wording of ``report.<key>`` in ``lang`` (the key itself when unknown)."""
    full = f"report.{key}"
    return t(full, lang) if has(full) else key
