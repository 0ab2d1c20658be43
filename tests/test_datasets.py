"""The invented call: deterministic, realistic, internally consistent."""

from __future__ import annotations

import numpy as np
import pytest

from selector.datasets import DISTRICTS, generate_call
from selector.model import CANONICAL_COLUMNS
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, NEW_EMPLOYMENT_FORMS


def test_same_seed_same_call_other_seed_other_call() -> None:
    assert generate_call(80, seed=5) == generate_call(80, seed=5)
    assert generate_call(80, seed=5) != generate_call(80, seed=6)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 150, 2000])
def test_columns_and_ranges(n: int) -> None:
    call = generate_call(n)
    f = call.frame
    assert len(call) == n
    assert list(f.columns) == [*CANONICAL_COLUMNS, "staff_months"]
    assert f["id"].is_unique
    assert f["cost_minor"].dtype == np.int64 and f["staff_months"].dtype == np.float64
    assert f["cost_minor"].between(5_000_000, 300_000_000 * 2).all()
    assert f["domain"].isin(DEFAULT_DOMAINS.codes).all()
    assert f["duration_months"].between(2, 14).all()
    assert f["earliest_start"].between(1, 12).all()
    assert f["expert_score"].between(50, 98).all()
    assert f["completion_probability"].between(0, 1).all()
    assert (f["beneficiaries"] > 0).all()
    low, high = f["beneficiaries_low"], f["beneficiaries_high"]
    assert (low.isna() | (low <= f["beneficiaries"])).all()
    assert (high.isna() | (high >= f["beneficiaries"])).all()
    for groups in f["target_groups"]:
        assert 1 <= len(groups) <= 3 and set(groups) <= set(DEFAULT_TARGET_GROUPS.codes)
    for pools in f["pools"]:
        assert pools in (("fiscal",), ("charity",), ("fiscal", "charity"))
    assert f["district"].dropna().isin(DISTRICTS).all()
    assert f["channel"].isin(["union", "online"]).all()
    assert (f["year"] == 2026).all()
    ids = set(f["id"])
    for column in ("requires", "excludes"):
        for own, refs in zip(f["id"], f[column], strict=True):
            assert own not in refs and set(refs) <= ids
    for _ in call:  # every row is a valid Proposal
        pass


def test_a_realistic_call_has_every_feature() -> None:
    f = generate_call(150).frame
    assert set(f["domain"]) == set(DEFAULT_DOMAINS.codes)
    assert (f["earliest_start"] + f["duration_months"] - 1 > 12).any()  # cannot finish in year
    assert any(set(g) & set(NEW_EMPLOYMENT_FORMS) for g in f["target_groups"])
    assert any("migrant_workers" in g for g in f["target_groups"])
    assert any(len(g) > 1 for g in f["target_groups"])
    assert (f["indicators"].map(len) == 0).any()
    assert any(t is None for ind in f["indicators"] for _, t, _ in ind)
    assert f["requires"].map(len).sum() > 0 and f["excludes"].map(len).sum() > 0
    assert f["worker_score"].isna().any() and f["district"].isna().any()
    assert {("fiscal",), ("charity",), ("fiscal", "charity")} == set(f["pools"])
    assert all("区" in t or t.startswith("全市") for t in f["title"])


def test_variants_are_small_medium_large_versions_of_one_idea() -> None:
    f = generate_call(500).frame
    groups = f.dropna(subset=["variant_group"]).groupby("variant_group", sort=False)
    assert len(groups) == 10
    for _, g in groups:
        assert len(g) == 3 and g.index.tolist() == list(range(g.index[0], g.index[0] + 3))
        assert g["domain"].nunique() == 1 and g["district"].nunique(dropna=False) == 1
        assert g["cost_minor"].is_monotonic_increasing
        assert [t[-4:] for t in g["title"]] == ["（小型）", "（中型）", "（大型）"]
        base = {t[:-4] for t in g["title"]}
        assert len(base) == 1


def test_beneficiaries_grow_with_cost() -> None:
    f = generate_call(3000, seed=11).frame
    corr = np.corrcoef(np.log(f["cost_minor"]), np.log(f["beneficiaries"]))[0, 1]
    assert corr > 0.3
