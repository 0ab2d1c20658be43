"""Bad rules files get clear errors that name the key."""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from selector import InvalidInputError, Proposal, ProposalSet, Rules, load_rules, select
from selector.rules import Distinct, Force, GroupRule, Notice, Pool, Resource

from .conftest import EXAMPLES


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(err: pytest.ExceptionInfo[InvalidInputError]) -> list[tuple[str | None, str]]:
    return [(p.column, p.message) for p in err.value.problems]


def test_unknown_key_named_with_nearest(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_rules(write(tmp_path, "budjet = 100\n[count]\nmaxx = 3\n"))
    found = problems(err)
    assert ("budjet", "unknown key 'budjet'; did you mean 'budget'?") in found
    assert ("count.maxx", "unknown key 'maxx'; did you mean 'max'?") in found


def test_share_above_one_and_negative_budget(tmp_path: Path) -> None:
    text = "budget = -5\n[[groups]]\ncolumn = 'domain'\nmax_share = 1.5\n"
    with pytest.raises(InvalidInputError) as err:
        load_rules(write(tmp_path, text))
    keys = [k for k, _ in problems(err)]
    assert "budget" in keys and "groups.0.max_share" in keys
    assert "must not be negative" in str(err.value)
    assert "less than or equal to 1" in str(err.value)


def test_top_level_key_after_a_table_is_explained(tmp_path: Path) -> None:
    text = "[[distinct]]\ncolumn = 'district'\nmin = 2\nmax_project_share = 0.1\n"
    with pytest.raises(InvalidInputError, match="distinct.0.max_project_share"):
        load_rules(write(tmp_path, text))


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="rules file not found"):
        load_rules(tmp_path / "none.toml")
    with pytest.raises(InvalidInputError, match="not valid TOML"):
        load_rules(write(tmp_path, "budget = = 3"))


def _ps() -> ProposalSet:
    return ProposalSet.from_proposals([
        Proposal(id="P1", domain="health", cost=10, beneficiaries=5, district="东城区",
                 indicators=[{"name": "served", "target": 1}])])


def test_rules_that_name_missing_data() -> None:
    rules = Rules(
        budget=100,
        groups=(GroupRule(column="domain", values=("helth",), min_total=1),),
        resources=(Resource(name="staff", column="staff_month", capacity=3),),
        distinct=(Distinct(column="distrct", min=1),),
        pools=(Pool(name="fiscal", amount=10, column="pool"),),
        force_in=(Force(id="P9"),),
    )
    with pytest.raises(InvalidInputError) as err:
        select(_ps(), rules)
    found = problems(err)
    keys = [k for k, _ in found]
    assert keys == ["pools.0.column", "resources.0.column", "groups.0.values",
                    "distinct.0.column", "force_in.0.id"]
    messages = " | ".join(m for _, m in found)
    assert "no proposal has domain = 'helth' (group does not exist)" in messages
    assert "did you mean 'district'?" in messages and "did you mean 'pools'?" in messages
    assert "no proposal with id 'P9'" in messages


def test_negative_budget_override() -> None:
    with pytest.raises(InvalidInputError, match="'budget': must not be negative"):
        select(_ps(), Rules(), budget=-1)


def test_example_rules_file_round_trips(tmp_path: Path) -> None:
    rules = load_rules(EXAMPLES / "rules.toml")
    assert load_rules(write(tmp_path, rules.to_toml())) == rules


def _docstring_rules_file() -> str:
    import selector.rules

    doc = selector.rules.__doc__ or ""
    block = doc[doc.index("    budget = 30_000_000"):doc.index("What the rules mean")]
    return textwrap.dedent(block)


def test_the_documented_rules_file_is_valid_and_round_trips(tmp_path: Path) -> None:
    rules = load_rules(write(tmp_path, _docstring_rules_file()))
    assert rules.pools[0].label == "财政专项资金" and rules.pools[1].label is None
    assert rules.resources[0].label == "工会工作人员（人·月）"
    assert rules.groups[0].label == "单一领域资金占比不超过30%"
    assert rules.groups[0].key == "domain[each].cost"
    assert rules.distinct[0].label == "覆盖至少8个区县"
    notice = rules.notice
    assert notice is not None and notice.issuer == "某市总工会"
    assert (notice.start, notice.last_day, notice.length) == (date(2026, 3, 2), date(2026, 3, 8), 7)
    assert notice.objections is not None and notice.objections.phone == "010-12345678"
    assert load_rules(write(tmp_path, rules.to_toml())) == rules


def test_labels_are_plain_text() -> None:
    assert Pool(name="fiscal", amount=1, label="\u200b财政\ufeff专项 ").label == "财政专项"
    for bad in ("财政\n专项", "x\x1b[31m", "\u200b", "长" * 201):
        with pytest.raises(InvalidInputError):
            Pool(name="fiscal", amount=1, label=bad)


@pytest.mark.parametrize("notice,words", [
    ("start = 2026-03-08\nend = 2026-03-02", "end must not be before start"),
    ("end = 2026-03-08", "end needs a start date"),
    ("start = 2026-03-02\nend = 2026-03-08\ndays = 5", "disagrees with start and end (7 days)"),
    ("days = 0", "greater than or equal to 1"),
    ("[notice.objections]", "at least one of phone, email, address"),
    ("issuer = \"市总\\n工会\"", "control characters"),
    ("[notice.objections]\nfax = \"1\"", "unknown key 'fax'"),
])
def test_bad_notice_is_refused_with_the_key(tmp_path: Path, notice: str, words: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_rules(write(tmp_path, "[notice]\n" + notice + "\n"))
    assert words in str(err.value)
    assert all(p.column is not None and p.column.startswith("notice") for p in err.value.problems)


def test_days_alone_and_days_with_start() -> None:
    assert Notice(days=7).last_day is None and Notice(days=7).length == 7
    assert Notice(start=date(2026, 12, 28), days=7).last_day == date(2027, 1, 3)
    assert Rules().notice is None


@pytest.mark.parametrize("text,key,words", [
    ("budget = 1e400", "budget", "larger than the largest amount accepted"),
    ("budget = 12345678901234567890123456789012", "budget", "larger than the largest amount"),
    ("budget = inf", "budget", "must be an amount of money"),
    ("budget = nan", "budget", "must be an amount of money"),
    ("budget = 0.001", "budget", "more than two decimals"),
    ("budget = \"1,2,3\"", "budget", "misplaced thousands separators"),
    ("budget = \"١٢٠٠\"", "budget", "digits 0-9"),
    ("[[pools]]\nname = 'a'\namount = 1e20", "pools.0.amount", "larger than the largest"),
    ("[[resources]]\nname = 'r'\ncolumn = 'c'\ncapacity = 1e400", "resources.0.capacity",
     "finite number"),
    ("[count]\nmax = 100000000000000000000000000000000", "count.max", "less than or equal to"),
    ("[objective]\nkind = 'weighted'\nweights = { beneficiaries = inf }",
     "objective.weights.beneficiaries", "finite number"),
    ("[[groups]]\ncolumn = 'domain'\nmax_share = nan", "groups.0.max_share", "finite number"),
])
def test_absurd_rules_values_are_one_clear_problem(tmp_path: Path, text: str, key: str,
                                                   words: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_rules(write(tmp_path, text + "\n"))
    assert [p.column for p in err.value.problems] == [key]
    assert words in str(err.value)
    assert len(str(err.value).splitlines()) == 1 and len(str(err.value)) < 400


def test_budget_in_words_full_width_and_wan_is_exact(tmp_path: Path) -> None:
    assert load_rules(write(tmp_path, "budget = \"１,２００万\"\n")).budget == Decimal(12_000_000)
    assert load_rules(write(tmp_path, "budget = \"¥1,200,000.50\"\n")).budget == \
        Decimal("1200000.50")
    assert Rules(budget="12万").budget == Decimal(120_000)


@pytest.mark.parametrize("budget", [1e40, float("inf"), float("nan"), "1e40", -1, 10**40,
                                    Decimal("1e400"), Decimal("NaN"), "abc", True])
def test_with_budget_refuses_with_our_error_only(budget: object) -> None:
    with pytest.raises(InvalidInputError) as err:
        Rules().with_budget(budget)  # type: ignore[arg-type]
    assert err.value.problems[0].column == "budget"


def test_deep_or_huge_rules_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="nested more than 16 levels"):
        load_rules(write(tmp_path, "x = " + "[" * 200_000 + "]" * 200_000 + "\n"))
    with pytest.raises(InvalidInputError, match="nested more than 16 levels"):
        load_rules(write(tmp_path, "x = " + "[" * 20 + "]" * 20 + "\n"))
    path = write(tmp_path, "# " + "x" * (1 << 20) + "\n")
    with pytest.raises(InvalidInputError, match="more than the 1,048,576 bytes"):
        load_rules(path)


def test_rules_problems_speak_chinese(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError) as err:
        load_rules(write(tmp_path, "budjet = 100\nbudget = -5\n"))
    zh = err.value.text("zh")
    assert "未知的键“budjet”；是否应为“budget”？" in zh and "不能为负数" in zh


def test_forced_ids_and_group_values_are_keys() -> None:
    rules = Rules(force_in=(Force(id="\ufeff２０２６-０００１\u200b"),),
                  groups=(GroupRule(values=("ｈｅａｌｔｈ",), max_share=0.5),))
    assert rules.force_in[0].id == "2026-0001" and rules.groups[0].values == ("health",)
