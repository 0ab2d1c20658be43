"""numpy's use of huge pages is switched off only while a load runs
(:func:`selector.io._memory.bulk`) and is as it was afterwards, whatever it was."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from selector import InvalidInputError, load_proposals, save_proposals
from selector.datasets import generate_call
from selector.io._memory import bulk

_switch = np._core.multiarray._set_madvise_hugepage


def _huge_pages() -> bool:
    before = _switch(True)
    _switch(before)
    return bool(before)


@pytest.mark.parametrize("setting", [True, False])
def test_huge_pages_are_off_inside_a_load_and_restored_after(setting: bool,
                                                             tmp_path: Path) -> None:
    good, bad = tmp_path / "call.csv", tmp_path / "bad.csv"
    save_proposals(generate_call(20, seed=5), good)
    bad.write_text("id,domain,cost,beneficiaries\nP1,helth,10,5\n", encoding="utf-8")
    before = _switch(setting)
    try:
        with bulk():
            inside = _huge_pages()
            with bulk():
                assert _huge_pages() is inside
            assert _huge_pages() is inside
        after_bulk = _huge_pages()
        assert len(load_proposals(good)) == 20
        with pytest.raises(InvalidInputError):
            load_proposals(bad)
        after_loads = _huge_pages()
    finally:
        _switch(before)
    user_chose = bool(os.environ.get("NUMPY_MADVISE_HUGEPAGE"))
    assert inside is (setting if user_chose else False)
    assert (after_bulk, after_loads) == (setting, setting)
