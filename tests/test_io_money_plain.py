"""Plain amounts (digits, at most the unit's decimals of whole fen) take a fast route in
``parse_money_column`` (Arrow reads them as floats, then rounds): every one must come out
as the exact Decimal value, up to the largest amount with the most decimals, in each unit
a cost column can have (yuan, 万元, fen)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from selector.money import KINDS, parse_money_column

UNITS = {0: 12, 4: 8, -2: 14}  # exponent -> most digits before the point


@st.composite
def plain_amounts(draw: st.DrawFn) -> tuple[int, str]:
    exponent = draw(st.sampled_from(sorted(UNITS)))
    digits = draw(st.integers(1, UNITS[exponent]))
    whole = draw(st.text("0123456789", min_size=digits, max_size=digits))
    places = exponent + 2
    decimals = draw(st.text("0123456789", max_size=places)) if places else ""
    return exponent, whole + ("." + decimals if decimals else "")


@settings(max_examples=500, deadline=None)
@given(st.lists(plain_amounts(), min_size=1, max_size=20))
@example([(0, "999999999999.99"), (0, "999999999999.9"), (0, "000000000001.01"),
          (4, "99999999.999999"), (4, "12.3456"), (-2, "99999999999999"), (0, "0.07")])
def test_plain_amounts_are_exact(cells: list[tuple[int, str]]) -> None:
    for exponent in UNITS:
        texts = [text for e, text in cells if e == exponent]
        if not texts:
            continue
        minor, bad = parse_money_column(pd.Series(texts, dtype="str"), exponent)
        assert not any(bad[kind].any() for kind in KINDS)
        assert minor.tolist() == [int(Decimal(t).scaleb(exponent + 2)) for t in texts]


def test_beside_the_plain_route_the_grammar_still_decides() -> None:
    cells = pd.Series(["12.345", "1e5", ".5", "5.", "+5", "1,200.50", "12万", None, "0012"],
                      dtype="str")
    minor, bad = parse_money_column(cells)
    assert minor.tolist() == [0, 0, 0, 0, 0, 120050, 12000000, 0, 1200]
    assert [next((k for k in KINDS if bad[k][i]), None) for i in range(len(cells))] == [
        "decimals", "format", "format", "format", "format", None, None, None, None]
