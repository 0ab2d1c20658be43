"""Text from the public, made safe at the door and on the way out.

At the door (loaders, rules, command-line arguments):

- :func:`normalise_key` — ids and other keys: Unicode NFKC (full-width digits and letters
  become ASCII, ``２０２６-０１`` is ``2026-01``), invisible characters removed (byte-order
  mark, zero-width spaces and joiners, bidirectional controls), outer spaces trimmed;
- :func:`strip_invisible` — free text such as titles keeps its own characters (a Chinese
  ``，`` stays ``，``) but loses the invisible ones;
- :func:`control_characters` — the control characters left in a text (a line break,
  an escape), which ids and titles refuse.

A whole column at once: :mod:`selector.text_columns` (the same rules over a
:class:`pandas.Series`, vectorised). This module itself needs only the standard library,
so the command line can use it without loading pandas.

On the way out, :func:`terminal_safe` shows such characters as visible escapes so that a
title cannot move the cursor, recolour or rewrite a terminal, and
:func:`neutralise_cell` keeps a spreadsheet from running a cell as a formula (see
:data:`DANGEROUS_START`).

Examples
--------
>>> all(strip_invisible(ch) == "" for ch in INVISIBLE_CHARS), len(INVISIBLE_CHARS)
(True, 18)
>>> normalise_key("\\ufeff２０２６-００４２\\u200b")
'2026-0042'
>>> strip_invisible("职工\\u202e书屋")
'职工书屋'
>>> control_characters("a\\nb\\x1b[31m")
['\\n', '\\x1b']
>>> terminal_safe("ok\\x1b[2Jgone")
'ok\\\\x1b[2Jgone'
>>> neutralise_cell("=HYPERLINK(\\"http://x\\")")
'\\'=HYPERLINK("http://x")'
"""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar

__all__ = [
    "DANGEROUS_START",
    "INVISIBLE",
    "INVISIBLE_CHARS",
    "CONTROL_RE2",
    "NEEDS_QUOTE",
    "QUOTED",
    "control_characters",
    "neutralise_cell",
    "normalise_key",
    "restore_text",
    "strip_invisible",
    "terminal_safe",
]

#: Characters that change nothing visible but make two texts differ: the byte-order mark,
#: zero-width space / non-joiner / joiner, word joiner, soft hyphen, and the bidirectional
#: marks, embeddings, overrides and isolates.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
#: The :data:`INVISIBLE` characters as a set.
INVISIBLE_CHARS = frozenset("\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c"
                            + "".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])))
#: C0 and C1 control characters and DEL (tab, line breaks and escape included).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: :data:`_CONTROL` as an RE2 pattern (pyarrow.compute).
CONTROL_RE2 = r"[\x00-\x1f\x7f-\x{9f}]"


def strip_invisible(text: str) -> str:
    """``text`` without the :data:`INVISIBLE` characters."""
    return _INVISIBLE.sub("", text)


def normalise_key(text: str) -> str:
    """An id or key as compared: invisible characters removed, NFKC, trimmed.

    Idempotent: the invisible characters go first, so that NFKC sees the text as it is
    compared (``e``, a zero-width space, then a combining accent is ``é``).
    """
    return unicodedata.normalize("NFKC", strip_invisible(text)).strip()


def control_characters(text: str) -> list[str]:
    """The control characters in ``text``, in order (empty when there are none)."""
    return _CONTROL.findall(text)


def terminal_safe(text: str) -> str:
    """``text`` with control and invisible characters shown as escapes (``\\x1b``),
    keeping line breaks, so that printing it cannot drive the terminal."""
    def shown(match: re.Match[str]) -> str:
        char = match.group(0)
        return char if char == "\n" else char.encode("unicode_escape").decode("ascii")

    return re.sub(f"[\x00-\x1f\x7f-\x9f{INVISIBLE}]", shown, text)


# -- on the way out: spreadsheets --------------------------------------------------------
#: Characters that make a spreadsheet treat a cell as a formula when they come first
#: (``=``, ``+``, ``-``, ``@``, and in some programs a leading tab or carriage return).
#:
#: Every text cell the writers of ``selector`` produce goes through :func:`neutralise_cell`,
#: which puts one apostrophe in front of such text; the loaders undo it with
#: :func:`restore_text`, so load → save → load gives the same proposals. The rule is a
#: bijection on text: a value matching ``'*[=+\-@\t\r]...`` (any number of apostrophes,
#: then a dangerous character) gains one apostrophe on writing and loses one on reading;
#: every other value is left alone. A planner's own cell written as ``'=SUM(A1)`` loads as
#: ``=SUM(A1)`` (as Excel itself shows it), and text that starts with apostrophes is kept.
DANGEROUS_START = "=+-@\t\r"

NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
QUOTED = r"^'+[=+\-@\t\r]"

T = TypeVar("T")


def neutralise_cell(value: T) -> T | str:
    """Make a text cell safe to open in a spreadsheet (non-text values pass through).

    >>> neutralise_cell("-5 人"), restore_text(neutralise_cell("-5 人")), neutralise_cell(12.5)
    ("'-5 人", '-5 人', 12.5)
    """
    if isinstance(value, str) and NEEDS_QUOTE.match(value):
        return "'" + value
    return value


def restore_text(text: str) -> str:
    """Undo :func:`neutralise_cell` on one loaded text cell."""
    if re.match(QUOTED, text):
        return text[1:]
    return text
