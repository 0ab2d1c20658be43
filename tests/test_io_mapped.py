"""A large CSV file is mapped into memory rather than read (``_read._file_bytes``): the
proposals, or the problems, are the same as when the file is read whole, on every path
the CSV reader can take (fast, careful after a quoted line break, another encoding, a
workbook or Parquet file misnamed ``.csv``, an empty file)."""

from __future__ import annotations

import mmap
from pathlib import Path

import pandas as pd
import pytest

import selector.io._read as reading
from selector import InvalidInputError, load_proposals, save_proposals
from selector.datasets import generate_call

HEADER = "id,title,domain,cost,beneficiaries,indicators\n"


def _outcome(path: Path, **options: object) -> object:
    try:
        return load_proposals(path, **options).frame  # type: ignore[arg-type]
    except InvalidInputError as exc:
        return [(p.row, p.column, p.value, p.message) for p in exc.problems]


def _same(a: object, b: object) -> None:
    if isinstance(a, pd.DataFrame):
        assert isinstance(b, pd.DataFrame)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    else:
        assert a == b


def _files(tmp: Path) -> dict[str, tuple[Path, dict[str, object]]]:
    call = generate_call(40, seed=11)
    out: dict[str, tuple[Path, dict[str, object]]] = {}
    save_proposals(call, tmp / "call.csv")
    out["plain"] = (tmp / "call.csv", {})
    rows = HEADER + 'P1,"two\nlines",health,1200,30,满意度=90%\nP2,"a, b",skills,"1,500.50",12,\n'
    (tmp / "quoted.csv").write_text(rows, encoding="utf-8")
    out["quoted line break"] = (tmp / "quoted.csv", {})
    (tmp / "quoted_ok.csv").write_text(HEADER + 'P1,"a, b",health,1200,30,\n', encoding="utf-8")
    out["quoted"] = (tmp / "quoted_ok.csv", {})
    (tmp / "gbk.csv").write_bytes((HEADER + "P1,职工书屋,文体服务,12万,30,\n").encode("gb18030"))
    out["gb18030"] = (tmp / "gbk.csv", {})
    out["gb18030 asked"] = (tmp / "gbk.csv", {"encoding": "gb18030"})
    (tmp / "bom.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + "P1,t,health,10,5,\n").encode())
    out["bom"] = (tmp / "bom.csv", {})
    (tmp / "bad.csv").write_text(HEADER + "P1,t,helth,1\nP1,t,health,-1,x,\n",
                                 encoding="utf-8")
    out["ragged and bad"] = (tmp / "bad.csv", {})
    (tmp / "semi.txt").write_text(HEADER.replace(",", ";") + "P1;t;health;10;5;\n",
                                  encoding="utf-8")
    out["semicolon .txt"] = (tmp / "semi.txt", {})
    (tmp / "blank.csv").write_bytes(b"\xef\xbb\xbf \n\n")
    out["empty"] = (tmp / "blank.csv", {})
    save_proposals(call, tmp / "book.xlsx")
    (tmp / "book.csv").write_bytes((tmp / "book.xlsx").read_bytes())
    out["workbook named .csv"] = (tmp / "book.csv", {})
    pd.DataFrame({"id": ["P1", "P2"], "domain": ["health", "skills"], "cost": ["10", "2万"],
                  "beneficiaries": [5, 7]}).to_parquet(tmp / "table.parquet")
    (tmp / "table.csv").write_bytes((tmp / "table.parquet").read_bytes())
    out["parquet named .csv"] = (tmp / "table.csv", {})
    out["json asked as csv"] = (tmp / "call.csv", {"format": "csv"})
    return out


def test_a_mapped_file_loads_as_a_read_one(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    files = _files(tmp_path)
    read = {name: _outcome(path, **opts) for name, (path, opts) in files.items()}
    mapped: list[str] = []
    real = reading._file_bytes

    def spy(file: Path, source: str, asked: object) -> object:
        raw = real(file, source, asked)  # type: ignore[arg-type]
        if isinstance(raw, mmap.mmap):
            mapped.append(file.name)
        return raw

    monkeypatch.setattr(reading, "_MAP_BYTES", 1)
    monkeypatch.setattr(reading, "_file_bytes", spy)
    for name, (path, opts) in files.items():
        _same(read[name], _outcome(path, **opts))
    assert isinstance(read["plain"], pd.DataFrame) and len(read["plain"]) == 40
    # read carefully: the line break stays in its cell (and is reported there)
    assert isinstance(read["quoted line break"], list)
    assert [(row, column) for row, column, *_ in read["quoted line break"]] == [(2, "title")]
    assert isinstance(read["parquet named .csv"], pd.DataFrame)
    assert isinstance(read["workbook named .csv"], pd.DataFrame)
    assert "book.csv" in mapped and "call.csv" in mapped and "semi.txt" in mapped
    assert "blank.csv" in mapped


def test_a_missing_or_too_large_file_is_reported_as_before(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setattr(reading, "_MAP_BYTES", 1)
    with pytest.raises(InvalidInputError, match="no such file|not found|does not exist"):
        load_proposals(tmp_path / "missing.csv")
    (tmp_path / "dir.csv").mkdir()
    with pytest.raises(InvalidInputError):
        load_proposals(tmp_path / "dir.csv")
