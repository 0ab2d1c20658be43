"""A CJK font and one chart style for every figure (reports and scenario plots).

Chinese labels in matplotlib charts need a font with CJK glyphs; the default DejaVu Sans
has none (matplotlib then warns "Glyph ... missing from font"). :func:`cjk_font` picks the
first available of:

1. Noto Sans SC shipped by the ``pylopdf-fonts-zh-cn`` package (a dependency of selector,
   SIL Open Font License), so a plain ``pip install`` renders Chinese;
2. a system CJK font known to matplotlib's font manager (Debian ``fonts-noto-cjk``,
   Source Han Sans, WenQuanYi, ...), in the order of :data:`SYSTEM_FAMILIES`.

:func:`chart_style` is the matplotlib style every chart of ``selector`` is drawn in: the CJK
font first, plain tick labels (no ``1e7`` or ``+2.299e4`` offsets), a light grid.

Examples
--------
>>> font = cjk_font()
>>> font is None or bool(font.family)
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import matplotlib
from matplotlib import font_manager

__all__ = ["SYSTEM_FAMILIES", "CJKFont", "chart_style", "cjk_font", "font_families"]

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


def font_families() -> list[str]:
    """The font families charts use: the CJK font (when one is installed), then DejaVu Sans."""
    font = cjk_font()
    return ([font.family] if font else []) + ["DejaVu Sans"]


@contextmanager
def chart_style(size: float = 9) -> Iterator[None]:
    """The style of every chart: CJK font, no offset or scientific tick labels, text as paths."""
    with matplotlib.rc_context({
        "font.family": font_families(),
        "font.size": size,
        "axes.formatter.useoffset": False,
        "axes.formatter.limits": (-12, 15),
        "axes.unicode_minus": False,
        "svg.fonttype": "path",
        "axes.spines.top": False,
        "axes.spines.right": False,
    }):
        yield
