"""Trimming a column at the door skips the pass when no value can start or end with
whitespace (``text_columns.trim_strings``): the skip must never change a value, for every
whitespace character there is, next to multi-byte characters that share its bytes."""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from selector.text_columns import trim_strings

SPACES = [chr(c) for c in range(sys.maxunicode + 1)
          if not 0xD800 <= c <= 0xDFFF and chr(c).isspace()]
# characters sharing lead, second or last bytes with the non-ASCII spaces
NEIGHBOURS = ["a", "7", "%", "人", "月", "、", "。", "é", "€", "\u1690", "\u2060", "\u205e",
              "\u00a1", "\u3001", "\u2011", "\u20ac", "\u00bf", "\u1680x"]
CELLS = st.lists(st.sampled_from(SPACES + NEIGHBOURS), max_size=4).map("".join)


def _always_trimmed(chunks: list[list[str | None]]) -> list[str | None]:
    out = pc.utf8_trim_whitespace(pa.chunked_array(chunks, type=pa.large_string()))
    return [None if v == "" else v for v in out.to_pylist()]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), CELLS), max_size=5), min_size=1, max_size=3))
def test_a_skipped_trim_never_changes_a_value(chunks: list[list[str | None]]) -> None:
    array = pa.chunked_array(chunks, type=pa.large_string())
    assert trim_strings(array).to_pylist() == _always_trimmed(chunks)


def test_every_space_is_trimmed_at_either_end_beside_any_neighbour() -> None:
    for space in SPACES:
        for other in NEIGHBOURS:
            chunks: list[list[str | None]] = [[other, None, ""],
                                              [space + other, other + space, space]]
            assert trim_strings(pa.chunked_array(chunks, type=pa.large_string())
                                ).to_pylist() == _always_trimmed(chunks), repr(space)
