"""Charts draw Chinese with a real CJK font: no missing glyph, no warning."""

from __future__ import annotations

import warnings

import pytest
from matplotlib.ft2font import FT2Font

from selector._fonts import cjk_font
from selector.report.charts import bar_chart
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_cjk_font_is_installed() -> None:
    font = cjk_font()
    assert font is not None, "no CJK font: install selector's dependencies or fonts-noto-cjk"
    face = FT2Font(str(font.path))
    labels = [c.zh for c in (*DEFAULT_DOMAINS, *DEFAULT_TARGET_GROUPS)] + ["各领域支出（元）"]
    missing = sorted({ch for text in labels for ch in text if face.get_char_index(ord(ch)) == 0})
    assert missing == []


def test_chinese_chart_has_no_missing_glyph() -> None:
    labels = [c.zh for c in DEFAULT_DOMAINS]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = bar_chart(labels, [float(10_000 * (i + 1)) for i in range(len(labels))],
                        "各领域支出（元）")
    assert png.startswith(PNG)
    assert [str(w.message) for w in caught] == []


def test_empty_or_single_bar() -> None:
    assert bar_chart(["技能提升"], [1.0], "标题").startswith(PNG)
    with pytest.raises(ValueError):
        bar_chart(["a"], [1.0, 2.0], "mismatch")
