"""Text from the public, made safe at the door and on the way out.

At the door (loaders, rules, command-line arguments):

- :func:`normalise_key` — ids and other keys: Unicode NFKC (full-width digits and letters
  become ASCII, ``２０２６-０１`` is ``2026-01``), invisible characters removed (byte-order
  mark, zero-width spaces and joiners, bidirectional controls), outer spaces trimmed;
- :func:`strip_invisible` — free text such as titles keeps its own characters (a Chinese
  ``，`` stays ``，``) but loses the invisible ones;
- :func:`control_characters` — the control characters left in a text (a line break,
  an escape), which ids and titles refuse.

On the way out, :func:`terminal_safe` shows such characters as visible escapes so that a
title cannot move the cursor, recolour or rewrite a terminal.

Examples
--------
>>> normalise_key("\\ufeff２０２６-００４２\\u200b")
'2026-0042'
>>> strip_invisible("职工\\u202e书屋")
'职工书屋'
>>> control_characters("a\\nb\\x1b[31m")
['\\n', '\\x1b']
>>> terminal_safe("ok\\x1b[2Jgone")
'ok\\\\x1b[2Jgone'
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "INVISIBLE",
    "control_characters",
    "normalise_key",
    "strip_invisible",
    "terminal_safe",
]

#: Characters that change nothing visible but make two texts differ: the byte-order mark,
#: zero-width space / non-joiner / joiner, word joiner, soft hyphen, and the bidirectional
#: marks, embeddings, overrides and isolates.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069"
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
#: C0 and C1 control characters and DEL (tab, line breaks and escape included).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def strip_invisible(text: str) -> str:
    """``text`` without the :data:`INVISIBLE` characters."""
    return _INVISIBLE.sub("", text)


def normalise_key(text: str) -> str:
    """An id or key as compared: NFKC, invisible characters removed, trimmed."""
    return strip_invisible(unicodedata.normalize("NFKC", text)).strip()


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
