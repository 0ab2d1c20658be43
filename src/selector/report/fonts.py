"""A CJK font for charts.

Chinese labels in matplotlib charts need a font with CJK glyphs; the default DejaVu Sans
has none (matplotlib then warns "Glyph ... missing from font"). :func:`cjk_font` picks the
first available of:

1. Noto Sans SC shipped by the ``pylopdf-fonts-zh-cn`` package (a dependency of selector,
   SIL Open Font License), so a plain ``pip install`` renders Chinese;
2. a system CJK font known to matplotlib's font manager (Debian ``fonts-noto-cjk``,
   Source Han Sans, WenQuanYi, ...), in the order of :data:`SYSTEM_FAMILIES`.

Examples
--------
>>> font = cjk_font()
>>> font is None or bool(font.family)
True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from matplotlib import font_manager

__all__ = ["SYSTEM_FAMILIES", "CJKFont", "cjk_font"]

#: System font families tried, in order, when no packaged font is installed.
SYSTEM_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK JP",
    "Droid Sans Fallback",
)


@dataclass(frozen=True)
class CJKFont:
    """A font family registered with matplotlib, and where it came from."""

    family: str
    path: Path
    source: str  # "package" or "system"


def _packaged() -> CJKFont | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        return None
    font_manager.fontManager.addfont(str(path))
    family = font_manager.FontProperties(fname=str(path)).get_name()
    return CJKFont(family=family, path=path, source="package")


def _system() -> CJKFont | None:
    known = {f.name: Path(f.fname) for f in font_manager.fontManager.ttflist}
    for family in SYSTEM_FAMILIES:
        if family in known:
            return CJKFont(family=family, path=known[family], source="system")
    return None


@functools.cache
def cjk_font() -> CJKFont | None:
    """The first available CJK font (registered with matplotlib), or ``None``."""
    return _packaged() or _system()
