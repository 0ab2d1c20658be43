"""Normalised titles: how a re-submitted proposal is recognised under a new id."""

from __future__ import annotations

import unicodedata

__all__ = ["normalise_title"]


def normalise_title(title: str) -> str:
    """A title reduced to what identifies it: NFKC, casefolded, no spaces or punctuation.

    Letters (with their marks), digits and ideographs are kept; every separator, punctuation mark and symbol
    (Unicode categories ``Z*``, ``P*``, ``S*``, ``C*``) is dropped, so full-width and
    half-width forms, case and spacing do not matter.

    Examples
    --------
    >>> normalise_title("户外劳动者 “驿站”（二期）")
    '户外劳动者驿站二期'
    >>> normalise_title("  Legal-Aid  Hotline! ") == normalise_title("legal aid hotline")
    True
    """
    text = unicodedata.normalize("NFKC", title).casefold()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] in "LMN")
