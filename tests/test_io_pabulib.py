"""Every real Pabulib election loads; counts, budgets and limits equal their META."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from selector import InvalidInputError, load_pabulib, load_proposals

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "pabulib"


def _manifest() -> list[dict[str, str]]:
    path = DATA / "manifest.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


MANIFEST = _manifest()


@pytest.mark.parametrize("entry", MANIFEST, ids=[m["file"] for m in MANIFEST])
def test_every_pabulib_file_matches_its_meta(pabulib_dir: Path, entry: dict[str, str]) -> None:
    proposals = load_pabulib(pabulib_dir / entry["file"])
    assert len(proposals) == int(entry["meta_num_projects"]) == int(entry["num_projects"])
    assert proposals.meta["budget"] == Decimal(entry["budget"])
    total = Decimal(int(proposals.frame["cost_minor"].sum())) / 100
    assert total == Decimal(entry["total_cost_all_projects"])
    assert Decimal(int(proposals.frame["cost_minor"].max())) / 100 == Decimal(entry["max_cost"])
    if entry["currency"]:
        assert proposals.currency == entry["currency"]
    if entry["has_selected"] == "True":
        chosen = proposals.frame["selected"].isin([1, 2, 3])
        assert int(chosen.sum()) == int(entry["n_selected"]) + int(
            entry["n_selected_extra_funds"] or 0)
    assert proposals.frame["id"].is_unique
    assert (proposals.frame["domain"] == [c[0] if c else "uncategorised"
                                          for c in proposals.frame["categories"]]).all()


def test_per_category_limits_are_parsed(pabulib_dir: Path) -> None:
    proposals = load_pabulib(pabulib_dir / "Netherlands_Amsterdam_605.pb")
    limits = proposals.meta["budget_per_category"]
    assert limits == {"Meer groen in de buurt": Decimal(91354),
                      "Plekken voor jongeren": Decimal(71896),
                      "Kinder- en jongerenactiviteiten": Decimal(56916),
                      "Minder zwerfvuil/grof afval": Decimal(79834)}
    assert proposals.meta["min_length_per_category"] == dict.fromkeys(limits, 0)
    assert set(proposals.frame["domain"]) <= set(limits)
    assert list(proposals.domains.codes) == list(limits)


def test_votes_are_counted_when_there_is_no_votes_column(tmp_path: Path) -> None:
    path = tmp_path / "tiny.pb"
    path.write_text(
        "META\nkey;value\nbudget;100.50\nnum_projects;3\ncurrency;PLN\n"
        "PROJECTS\nproject_id;cost;name;category;target\n"
        '1;50;"Park; with a semicolon";green,sport;children\n'
        "I.5;30.25;Bench;;seniors,children\n2;80;Lamp;light;\n"
        "VOTES\nvoter_id;vote\n1;1,I.5\n2;I.5\n3;2,1\n4;I.5\n", encoding="utf-8")
    proposals = load_pabulib(path)
    assert proposals == load_proposals(path)
    frame = proposals.frame
    assert frame["id"].tolist() == ["1", "I.5", "2"]
    assert frame["beneficiaries"].tolist() == [2.0, 3.0, 1.0]
    assert frame["title"].tolist()[0] == "Park; with a semicolon"
    assert frame["cost_minor"].tolist() == [5000, 3025, 8000]
    assert frame["domain"].tolist() == ["green", "uncategorised", "light"]
    assert frame["categories"].tolist() == [("green", "sport"), (), ("light",)]
    assert frame["target_groups"].tolist() == [("children",), ("seniors", "children"), ()]
    assert proposals.meta["budget"] == Decimal("100.50")
    assert proposals.currency == "PLN"


def test_broken_pabulib_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.pb"
    path.write_text("META\nkey;value\nbudget;ten\nPROJECTS\nproject_id;cost\n1;5\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError, match="META budget must be a number"):
        load_pabulib(path)
    path.write_text("PROJECTS\nproject_id;cost\n1;5\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a Pabulib file"):
        load_pabulib(path)
    path.write_text("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost\n1;-5\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError, match="must not be negative"):
        load_pabulib(path)
