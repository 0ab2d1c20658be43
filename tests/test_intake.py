"""Intake: clusters against an exact-Jaccard oracle and the planted truth, supporters
recounted independently, every row accounted for, bad input reported, formats, chunking."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import selector
from selector import InvalidInputError
from selector.intake import (
    IntakeOptions,
    fill_estimates,
    generate_suggestions,
    intake,
    key_text,
    shingles,
)

TRUTH = ["idea", "domain", "variant"]


def _pairs(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int((counts * (counts - 1) // 2).sum())


def pair_scores(found: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """Precision and recall of the pairs put in one cluster (contingency counts)."""
    joint = found.astype(np.int64) * (int(truth.max()) + 1) + truth
    together = _pairs(joint)
    return together / max(_pairs(found), 1), together / max(_pairs(truth), 1)


@pytest.fixture(scope="module")
def corpus() -> pd.DataFrame:
    return generate_suggestions(4000, seed=11)


@pytest.fixture(scope="module")
def result(corpus: pd.DataFrame) -> selector.IntakeResult:
    return intake(corpus.drop(columns=TRUTH))


def test_planted_duplicates_and_paraphrases_are_found(corpus: pd.DataFrame,
                                                      result: selector.IntakeResult) -> None:
    label = result.members["cluster"].to_numpy()
    idea = corpus["idea"].to_numpy()
    both = (label >= 0) & (idea >= 0)
    precision, recall = pair_scores(label[both], idea[both])
    assert precision >= 0.9 and recall >= 0.9
    # each kind of rewording lands with its idea's main cluster most of the time
    frame = pd.DataFrame({"label": label, "idea": idea, "variant": corpus["variant"]})[both]
    main = frame.groupby("idea")["label"].agg(lambda s: s.value_counts().index[0])
    frame["home"] = frame["label"].to_numpy() == main.reindex(frame["idea"]).to_numpy()
    by_kind = frame.groupby("variant")["home"].mean()
    assert by_kind["copy"] == 1.0
    assert by_kind["paraphrase"] >= 0.85


def test_clusters_follow_the_exact_jaccard_graph() -> None:
    """Oracle: all pairs of distinct normalised texts, exact Jaccard of their bigram sets.

    LSH only joins pairs whose estimated similarity reaches the threshold, so (almost)
    every cluster lies within one component of the exact graph at a slightly lower
    threshold, and almost every exact pair well above it is found."""
    corpus = generate_suggestions(600, seed=5)
    found = intake(corpus.drop(columns=TRUTH), options=IntakeOptions(threshold=0.6))
    members = found.members
    ok = members["cluster"].to_numpy() >= 0
    keys = [key_text(s) for s in corpus["text"].to_numpy()[ok]]
    distinct = sorted(set(keys))
    sets = [set(shingles(k, 2)) for k in distinct]
    index = {k: j for j, k in enumerate(distinct)}

    def components(threshold: float) -> np.ndarray:
        i, j = [], []
        for a, b in itertools.combinations(range(len(sets)), 2):
            if len(sets[a] & sets[b]) >= threshold * len(sets[a] | sets[b]):
                i.append(a)
                j.append(b)
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(sets), len(sets)))
        return connected_components(graph, directed=False)[1]

    node = np.array([index[k] for k in keys])
    label = members["cluster"].to_numpy()[ok]
    loose = components(0.45)[node]    # MinHash estimates err by about 0.04 at 128 values
    strict = components(0.75)[node]
    inside, _ = pair_scores(label, loose)
    _, found_strict = pair_scores(label, strict)
    assert inside >= 0.99 and found_strict >= 0.99


def test_every_row_is_accounted_for(corpus: pd.DataFrame, result: selector.IntakeResult) -> None:
    counts = result.counts
    members = result.members
    assert counts["rows"] == len(corpus) == len(members)
    set_aside = sum(counts[k] for k in ("blank", "empty", "no_words", "too_short", "repeated"))
    assert counts["clustered"] + set_aside == counts["rows"]
    assert members["row"].tolist() == list(range(2, len(corpus) + 2))
    by_status = members["status"].value_counts()
    for kind in ("empty", "no_words", "too_short", "repeated"):
        assert by_status.get(kind, 0) == counts[kind]
    planted = corpus["variant"].to_numpy()
    status = members["status"].to_numpy()
    assert set(status[planted == "bad:empty"]) == {"empty"}
    assert set(status[planted == "bad:emoji"]) <= {"no_words", "too_short"}
    assert counts["clusters"] == len(result.clusters) == counts["candidates"] + counts["below_min"]


def test_supporters_recounted_from_the_members(corpus: pd.DataFrame,
                                               result: selector.IntakeResult) -> None:
    members = result.members
    frame = corpus.assign(cluster=members["cluster"].to_numpy())
    frame = frame[frame["cluster"] >= 0]
    expected = frame.groupby("cluster")["submitter"].nunique()
    got = result.clusters.set_index("cluster")["supporters"]
    assert (got.reindex(expected.index) == expected).all()
    draft = result.to_frame()
    assert draft["worker_votes"].tolist() == sorted(draft["worker_votes"], reverse=True)
    # per district: distinct submitters writing from that district
    top = result.clusters.sort_values("supporters").iloc[-1]
    sub = frame[frame["cluster"] == top["cluster"]]
    assert top["by_district"] == sub.groupby("district")["submitter"].nunique().to_dict()
    assert top["district"] in (None, *top["by_district"])


def test_without_submitters_distinct_ids_are_counted() -> None:
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"],
                          "text": ["建议设立户外劳动者驿站"] * 3 + ["开展免费体检服务吧"],
                          "提交人类型": ["快递员", "外卖小哥", "外卖骑手", "保安"]})
    found = intake(frame)
    assert sorted(found.clusters["supporters"].tolist()) == [1, 3]
    big = found.clusters.sort_values("supporters").iloc[-1]
    assert big["by_group"] == {"food_delivery": 2, "couriers": 1}
    assert big["target_groups"] == ("food_delivery", "couriers")
    assert found.counts["unknown_type"] == 1
    assert any("提交人" in note or "submitter" in note for note in found.notes)


def test_blank_submitter_and_district_cells_are_read_as_blank(tmp_path: Path) -> None:
    """A blank submitter or district cell (None in a frame, an empty CSV cell) is a row
    without that value: counted by its id alone, never an Arrow type error."""
    frame = pd.DataFrame({"id": ["a", "b", "c"],
                          "text": ["建议设立户外劳动者驿站"] * 3,
                          "submitter": ["w1", None, "w1"],
                          "district": [None, "东城区", None]})
    csv = tmp_path / "s.csv"
    frame.to_csv(csv, index=False)
    for source in (frame, csv):
        found = intake(source)
        assert found.clusters["supporters"].tolist() == [2]   # w1 twice, b by its id


def test_bad_input_is_reported_with_rows() -> None:
    frame = pd.DataFrame({
        "建议编号": ["1", "2", "3", "4", "5", "5", "5", "8", None],
        "建议内容": ["", "好", "👍👍", "建议增加WiFi覆盖到每个宿舍", "设立职工书屋吧",
                 "设立职工书屋吧！", "开展篮球比赛", "Please build a rest stop", "开展篮球比赛活动"],
        "提交日期": ["2026-01-04", "2026/1/5", "2026年1月6日", "昨天", None, "2026-02-30",
                 "2026-01-07", "2026-01-08", "2026-01-09"],
    })
    found = intake(frame, lang="en")
    status = found.members["status"].tolist()
    assert status == ["empty", "too_short", "no_words", "ok", "ok", "repeated", "ok", "ok", "ok"]
    counts = found.counts
    assert (counts["empty"], counts["too_short"], counts["no_words"], counts["repeated"]) == (1, 1, 1, 1)
    assert counts["duplicate_id"] == 1 and counts["missing_id"] == 1
    assert counts["mixed_scripts"] == 1 and counts["no_chinese"] == 1
    assert counts["bad_date"] == 2
    rows = {(p.row, p.column) for p in found.problems}
    assert {(2, "建议内容"), (3, "建议内容"), (4, "建议内容"), (7, "建议编号"), (8, "建议编号"),
            (10, "建议编号"), (5, "提交日期"), (7, "提交日期")} <= rows
    assert found.members["id"].iloc[-1] == "#10"


def test_results_do_not_depend_on_chunking(corpus: pd.DataFrame,
                                           result: selector.IntakeResult) -> None:
    small = intake(corpus.drop(columns=TRUTH).iloc[:1500], options=IntakeOptions(chunk_size=97))
    whole = intake(corpus.drop(columns=TRUTH).iloc[:1500],
                   options=IntakeOptions(chunk_size=10_000))
    pd.testing.assert_frame_equal(small.clusters, whole.clusters)
    pd.testing.assert_frame_equal(small.members, whole.members)


@settings(max_examples=15, deadline=None)
@given(st.lists(st.sampled_from(["设立户外劳动者驿站", "设立户外劳动者驿站！", "开展 免费体检", "好", "",
                                 "👍", "开展免费体检吧", "组织篮球比赛活动"]), min_size=1, max_size=30),
       st.integers(1, 7))
def test_identical_normalised_texts_share_a_cluster(texts: list[str], chunk: int) -> None:
    found = intake(pd.DataFrame({"text": texts}), options=IntakeOptions(chunk_size=chunk))
    members = found.members
    keys = [key_text(s) for s in texts]
    for a, b in itertools.combinations(range(len(texts)), 2):
        if keys[a] == keys[b] and members["cluster"][a] >= 0:
            assert members["cluster"][a] == members["cluster"][b]
    assert found.counts["clustered"] == int((members["cluster"] >= 0).sum())
    assert int(found.clusters["rows"].sum()) == found.counts["clustered"]


def test_formats_read_alike(tmp_path: Path, corpus: pd.DataFrame) -> None:
    frame = corpus.drop(columns=TRUTH).iloc[:300]
    base = intake(frame)
    zh = frame.rename(columns={"id": "建议编号", "text": "建议内容", "district": "所属区县",
                               "submitter": "提交人编号", "submitter_type": "提交人类型",
                               "date": "提交日期", "channel": "提交渠道"})
    paths = []
    path = tmp_path / "s.csv"
    zh.to_csv(path, index=False, encoding="gb18030")
    paths.append(path)
    path = tmp_path / "s.xlsx"
    zh.to_excel(path, index=False)
    paths.append(path)
    path = tmp_path / "s.parquet"
    frame.to_parquet(path)
    paths.append(path)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(frame.to_dict("records"), ensure_ascii=False), encoding="utf-8")
    paths.append(path)
    path = tmp_path / "s.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in frame.to_dict("records")),
                    encoding="utf-8")
    paths.append(path)
    for path in paths:
        other = intake(path, options=IntakeOptions(chunk_size=64))
        pd.testing.assert_frame_equal(other.clusters, base.clusters, obj=path.suffix)


def test_a_ragged_csv_row_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,text\n1,设立职工书屋\n2,设立职工书屋,extra\n3,设立职工书屋吧\n", encoding="utf-8")
    found = intake(path, lang="en")
    assert found.counts["unreadable"] == 1 and found.counts["rows"] == 2
    assert found.members["row"].tolist() == [2, 4]
    assert any(p.row == 3 and "cells" in p.message for p in found.problems)


def test_unreadable_inputs_raise_one_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="text"):
        intake(pd.DataFrame({"id": [1], "remark": ["x"]}), lang="en")
    with pytest.raises(InvalidInputError, match="no such file"):
        intake(tmp_path / "missing.csv", lang="en")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InvalidInputError, match="empty"):
        intake(tmp_path / "empty.csv", lang="en")
    with pytest.raises(InvalidInputError, match="bands"):
        intake(pd.DataFrame({"text": ["abc"]}), options=IntakeOptions(bands=7), lang="en")


def test_options_are_used_and_recorded() -> None:
    """One IntakeOptions value carries the settings; the result records them."""
    texts = ["建议设立户外劳动者驿站", "建议设立户外劳动者驿站！", "开展免费体检服务", "好"]
    options = IntakeOptions(threshold=0.9, ngram=3, num_perm=64, bands=16, min_chars=2,
                            seed=7, id_prefix="C", chunk_size=2)
    found = intake(pd.DataFrame({"text": texts}), min_supporters=1, options=options)
    assert found.settings == {"threshold": 0.9, "ngram": 3, "num_perm": 64, "bands": 16,
                              "min_chars": 2, "seed": 7, "min_supporters": 1, "chunk_size": 2,
                              "group_share": 0.2, "district_share": 0.5}
    assert list(found.to_frame()["id"]) == ["C0000", "C0001"]  # min_chars=2 sets "好" aside
    assert found.counts["too_short"] == 1
    with pytest.raises(InvalidInputError) as bad:
        intake(pd.DataFrame({"text": texts}), options=IntakeOptions(ngram=0, threshold=2.0),
               lang="en")
    assert [p.message.split(" ")[0] for p in bad.value.problems] == ["ngram", "threshold"]


def test_draft_round_trips_through_the_loader(tmp_path: Path, corpus: pd.DataFrame) -> None:
    out = tmp_path / "candidates.csv"
    found = intake(corpus.drop(columns=TRUTH).iloc[:800], out=out, min_supporters=3)
    members = pd.read_csv(tmp_path / "candidates.members.csv", dtype=str)
    assert len(members) == found.counts["rows"]
    with pytest.raises(InvalidInputError) as missing:
        selector.load_proposals(out)
    assert any(p.column == "预算金额(元)" for p in missing.value.problems)
    draft = found.to_frame("zh")
    estimates = pd.DataFrame({"项目编号": draft["项目编号"], "预算金额(元)": "120000",
                              "预计受益人数": "300", "绩效指标": "服务人次=300人次"})
    filled = fill_estimates(draft.assign(领域=draft["领域"].fillna("生活服务")), estimates)
    filled.to_csv(out, index=False)
    proposals = selector.load_proposals(out)
    assert proposals.ids == draft["项目编号"].tolist()
    votes = found.clusters.dropna(subset=["candidate"]).set_index("candidate")["supporters"]
    assert proposals.frame["worker_votes"].tolist() == votes.reindex(proposals.ids).tolist()
    assert min(votes.reindex(proposals.ids)) >= 3


def test_estimates_naming_unknown_or_repeated_ids_are_errors() -> None:
    draft = pd.DataFrame({"id": ["S0001", "S0002"], "cost": [None, None]})
    with pytest.raises(InvalidInputError) as err:
        fill_estimates(draft, pd.DataFrame({"id": ["S0001", "S9999", "S0001"], "cost": ["1", "2", "3"]}),
                       lang="en")
    assert [p.row for p in err.value.problems] == [3, 4]
    filled = fill_estimates(draft, pd.DataFrame({"id": ["S0002"], "cost": ["5"], "duration_months": ["6"]}))
    assert filled["cost"].tolist() == [None, "5"] and filled["duration_months"].tolist() == [None, "6"]


def test_formula_text_is_neutralised_and_restored(tmp_path: Path) -> None:
    texts = ["=HYPERLINK(\"http://x\",\"设立职工书屋\")"] * 2
    out = tmp_path / "c.csv"
    intake(pd.DataFrame({"text": texts}), out=out)
    raw = (tmp_path / "c.members.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and "\n=" not in raw and ",=" not in raw
    again = intake(tmp_path / "c.members.csv")
    assert again.clusters["text"].iloc[0] == texts[0]


def test_routing_follows_the_keywords(corpus: pd.DataFrame, result: selector.IntakeResult) -> None:
    frame = corpus.assign(cluster=result.members["cluster"].to_numpy())
    truth = frame[frame["cluster"] >= 0].groupby("cluster")["domain"].agg(
        lambda s: s.value_counts().index[0] if s.notna().any() else None)
    routed = result.clusters.set_index("cluster")["domain"].reindex(truth.index)
    assert (routed == truth).mean() >= 0.8
