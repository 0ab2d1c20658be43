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
    path.write_text("META\nkey;value\nbudget;ten\nPROJECTS\nproject_id;cost;votes\n1;5;3\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError) as err:
        load_pabulib(path)
    assert [(p.row, p.column) for p in err.value.problems] == [(3, "budget")]
    assert "must be an amount of money" in str(err.value)
    path.write_text("PROJECTS\nproject_id;cost\n1;5\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="not a Pabulib file"):
        load_pabulib(path)
    path.write_text("META\nkey;value\nbudget;10\nPROJECTS\nproject_id;cost;votes\n1;-5;1\n",
                    encoding="utf-8")
    with pytest.raises(InvalidInputError, match="must not be negative"):
        load_pabulib(path)


HEAD = "META\nkey;value\nbudget;100\nnum_projects;3\nvote_type;approval\n"
PROJECTS = "PROJECTS\nproject_id;cost;votes;name\n1;50;2;Park\n2;30;;Bench\n3;80;1;Lamp\n"
VOTES = "VOTES\nvoter_id;vote\n1;1,2\n2;2,3\n3;1,2\n"


def _pb(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "election.pb"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_blank_votes_cell_is_counted_from_the_votes_section(tmp_path: Path) -> None:
    proposals = load_pabulib(_pb(tmp_path, HEAD + PROJECTS + VOTES))
    assert proposals.frame["beneficiaries"].tolist() == [2.0, 3.0, 1.0]
    assert load_proposals(tmp_path / "election.pb") == proposals


def test_pabulib_solves_with_the_counted_votes(tmp_path: Path) -> None:
    from selector import Rules, select
    from selector.rules import Eligibility

    proposals = load_pabulib(_pb(tmp_path, HEAD + PROJECTS + VOTES))
    rules = Rules(eligibility=Eligibility(require_indicator=False), completion=None)
    result = select(proposals, rules, budget=proposals.meta["budget"])
    # budget 100: {1, 2} (cost 80, 5 votes) beats {3} alone or {2, 3} (cost 110)
    assert sorted(result.selected) == ["1", "2"] and result.objective == 5


# lines: 1 META .. 5 vote_type; 6 PROJECTS, 7 header, 8-10 projects 1-3; 11 VOTES, 12 header,
# 13-15 votes (one more META line shifts everything below it by one)
@pytest.mark.parametrize("text,where,words", [
    (HEAD + PROJECTS.replace("2;30;;", "2;30;7;") + VOTES, [(9, "votes")],
     "disagrees with the VOTES section, which counts 3"),
    (HEAD + PROJECTS, [(9, "votes")], "no VOTES section"),
    (HEAD.replace("num_projects;3", "num_projects;4") + PROJECTS + VOTES, [(4, "num_projects")],
     "num_projects is 4 but the PROJECTS section lists 3"),
    (HEAD + "num_votes;5\n" + PROJECTS + VOTES, [(6, "num_votes")],
     "num_votes is 5 but the VOTES section holds 3"),
    (HEAD + "max_project_cost;60\n" + PROJECTS + VOTES, [(11, "cost")],
     "above META max_project_cost (60)"),
    (HEAD + "min_length;2\n" + PROJECTS.replace("3;80;1;", "3;80;0;") + VOTES.replace("2;2,3", "2;2"),
     [(15, "vote")], "fewer than META min_length (2)"),
    (HEAD + "max_length;1\n" + PROJECTS.replace("1;50;2;", "1;50;1;")
     + "VOTES\nvoter_id;vote\n1;1\n2;2,3\n3;2\n", [(15, "vote")], "more than META max_length (1)"),
    (HEAD + PROJECTS + VOTES.replace("2;2,3", "2;2,3,9"), [(14, "vote")],
     "vote for unknown project(s): 9"),
    (HEAD + PROJECTS + VOTES.replace("2;2,3", "2;2;3;x"), [(10, "votes"), (14, None)],
     "this line has 4 fields but the VOTES header has 2"),
    (HEAD + PROJECTS + VOTES.replace("2;2,3", "2;"), [(10, "votes"), (14, None)],
     "names no project"),
    (HEAD + PROJECTS + "VOTES\nvoter_id;vote;points\n1;1,2;3,1\n2;2,3;4\n3;1,2;2,2\n",
     [(14, "points")], "names 2 project(s) but gives 1 point value(s)"),
    (HEAD + "budget;200\n" + PROJECTS + VOTES, [(6, "budget")], "given twice (also line 3)"),
])
def test_an_inconsistent_pabulib_file_is_refused_with_its_line(
        tmp_path: Path, text: str, where: list[tuple[int, str | None]], words: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_pabulib(_pb(tmp_path, text))
    assert [(p.row, p.column) for p in err.value.problems] == where
    assert words in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "election.pb"))
