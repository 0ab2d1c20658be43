"""Hypothesis on the door's building blocks: one money grammar for a cell, a rules file,
``--budget`` and the Python API; the column text helpers equal their scalar rules; rules
files with hostile values are refused with the documented error or read exactly."""

from __future__ import annotations

import math
import tempfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from selector import InvalidInputError, Rules, load_rules
from selector.money import MAX_FEN, MAX_YUAN, from_fen, parse_money, parse_money_column, to_fen
from selector.text import INVISIBLE_CHARS, control_characters, normalise_key, strip_invisible
from selector.text_columns import clean_keys, clean_texts

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow])
WIDE = str.maketrans("0123456789,.", "０１２３４５６７８９，．")

fen = st.integers(0, MAX_FEN)


def _grouped(minor: int, sep: str = ",") -> str:
    whole = f"{minor // 100:,}".replace(",", sep)
    return whole + (f".{minor % 100:02d}" if minor % 100 else "")


@FUZZ
@given(minor=fen, sep=st.sampled_from([",", "_", " "]), wide=st.booleans(),
       sign=st.sampled_from(["", "¥", "￥", "RMB ", "CNY"]), unit=st.sampled_from(["", "元"]))
def test_every_spelling_of_an_amount_is_that_amount(minor: int, sep: str, wide: bool, sign: str,
                                                     unit: str) -> None:
    text = sign + _grouped(minor, sep) + unit
    if wide:
        text = text.translate(WIDE)
    assert to_fen(text) == minor
    assert parse_money(text) == from_fen(minor)
    column, bad = parse_money_column(pd.Series([text, None], dtype="str"))
    assert column.tolist() == [minor, 0] and not any(m.any() for m in bad.values())


@FUZZ
@given(minor=fen)
def test_wan_and_fen_units_agree(minor: int) -> None:
    wan = str((Decimal(minor) / 1_000_000).normalize())
    assert to_fen(wan + "万") == minor == to_fen(wan + "万元")
    assert parse_money_column(pd.Series([wan]), exponent=4)[0][0] == minor
    assert parse_money_column(pd.Series([str(minor)]), exponent=-2)[0][0] == minor


AMOUNTS = (st.text(max_size=30) | st.floats() | st.integers(-(10**40), 10**40)
           | st.decimals(allow_nan=True, allow_infinity=True)
           | st.sampled_from(["1,2,3", "١٢٠", "1e300", "NaN", "sNaN", "-Infinity", "-0", "12.345",
                              "¥", "万", "",
                              "9" * 400, "1" * 5000, "0.1" + "0" * 300]))


@FUZZ
@given(value=AMOUNTS)
def test_any_value_is_an_exact_amount_or_our_error(value: object) -> None:
    try:
        amount = parse_money(value)  # type: ignore[arg-type]
    except InvalidInputError as err:
        assert len(str(err)) < 400 and not control_characters(str(err))
        return
    assert amount.is_finite() and 0 <= amount <= MAX_YUAN
    assert amount == amount.quantize(Decimal("0.01"))
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        assert amount == Decimal(value)
    if isinstance(value, float):
        assert amount == Decimal(repr(value)) or math.isclose(float(amount), value)


@FUZZ
@given(value=AMOUNTS, rounding=st.sampled_from(["floor", "ceiling"]))
@example(value="NaN", rounding="floor").via("discovered: NaN compared to the ceiling")
@example(value="sNaN", rounding="ceiling")
@example(value=Decimal("-Infinity"), rounding="floor")
@example(value=1e40, rounding="floor")
def test_rounded_conversion_is_an_integer_or_our_error(value: object, rounding: str) -> None:
    try:
        minor = to_fen(value, rounding=rounding)  # type: ignore[arg-type]
    except InvalidInputError:
        return
    assert isinstance(minor, int) and abs(minor) <= MAX_FEN


TEXTS = st.lists(st.none() | st.lists(st.characters(codec="utf-8") | st.sampled_from(
    sorted(INVISIBLE_CHARS) + ["\n", "\x1b", "\x85", "１", "Ａ", "e\u0301", " ", "\u3000",
                               "\xa0", "\u2028", "\u1680", "\u205f", "\x1c"]), max_size=10)
    .map("".join), max_size=8)


@FUZZ
@given(cells=TEXTS)
def test_column_cleaning_equals_the_scalar_rules(cells: list[str | None]) -> None:
    keys, key_control = clean_keys(pd.Series(cells, dtype=object))
    texts, text_control = clean_texts(pd.Series(cells, dtype=object))
    for k, cell in enumerate(cells):
        want_key = None if cell is None else (normalise_key(cell) or None)
        want_text = None if cell is None else (strip_invisible(cell).strip() or None)
        got_key, got_text = keys.iloc[k], texts.iloc[k]
        assert (None if pd.isna(got_key) else got_key) == want_key
        assert (None if pd.isna(got_text) else got_text) == want_text
        assert key_control[k] == bool(want_key and control_characters(want_key))
        assert text_control[k] == bool(want_text and control_characters(want_text))
        if want_key is not None:
            assert normalise_key(want_key) == want_key  # idempotent


RULE_VALUES = (st.floats() | st.integers(-(10**40), 10**40) | st.text(max_size=20)
               | st.sampled_from(["1,200,000", "１２万", "1,2,3", "١٢٠", "12.345"]))


@FUZZ
@given(budget=RULE_VALUES, capacity=st.floats() | st.integers(-(10**30), 10**30),
       share=st.floats() | st.integers(-5, 5))
def test_a_rules_file_with_any_values_is_read_exactly_or_refused(budget: object, capacity: object,
                                                                 share: object) -> None:
    doc = {"budget": budget,
           "resources": [{"name": "staff", "column": "staff_months", "capacity": capacity}],
           "groups": [{"column": "domain", "max_share": share}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rules.toml"
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
        try:
            rules = load_rules(path)
        except InvalidInputError as err:
            assert {p.column for p in err.problems} <= {
                "budget", "resources.0.capacity", "groups.0.max_share"}, str(err)
            for lang in ("en", "zh"):
                assert all(len(line) < 400 for line in err.lines(lang))  # type: ignore[arg-type]
            return
    assert rules.budget == parse_money(budget if not isinstance(budget, float)  # type: ignore[arg-type]
                                       else Decimal(repr(budget)))
    assert math.isfinite(rules.resources[0].capacity) and 0 <= rules.resources[0].capacity
    assert rules.groups[0].max_share is not None and 0 <= rules.groups[0].max_share <= 1


@pytest.mark.parametrize("budget", ["1e40", 1e40, Decimal("1E+400"), 10**31, float("nan")])
def test_the_python_api_and_the_rules_agree_on_a_budget(budget: object) -> None:
    with pytest.raises(InvalidInputError):
        Rules(budget=budget)
    with pytest.raises(InvalidInputError):
        Rules().with_budget(budget)  # type: ignore[arg-type]


@FUZZ
@given(value=st.decimals(allow_nan=False, allow_infinity=False), rounding=st.sampled_from(
    ["floor", "ceiling"]))
@example(value=Decimal("-0.125"), rounding="floor")
@example(value=Decimal(MAX_YUAN) + Decimal("0.001"), rounding="floor")
def test_a_decimal_rounds_as_its_text_does(value: Decimal, rounding: str) -> None:
    """A Decimal is converted without its text (the common case of a computed amount);
    the answer is the one its plain text gives."""
    from decimal import ROUND_CEILING, ROUND_FLOOR

    fen = Decimal(format(value, "f")) * 100
    if abs(fen) > MAX_FEN:
        with pytest.raises(InvalidInputError):
            to_fen(value, rounding=rounding)  # type: ignore[arg-type]
        return
    direction = ROUND_FLOOR if rounding == "floor" else ROUND_CEILING
    assert to_fen(value, rounding=rounding) == int(  # type: ignore[arg-type]
        fen.to_integral_value(rounding=direction))
