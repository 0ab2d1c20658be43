"""The intake on a Dask cluster (LocalCluster, 2 workers) equals the local run."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from selector.intake import IntakeOptions, generate_suggestions, intake

distributed = pytest.importorskip("distributed")


def test_dask_result_equals_the_local_one(tmp_path: Path) -> None:
    corpus = generate_suggestions(3000, seed=21).drop(columns=["idea", "domain", "variant"])
    path = tmp_path / "s.csv"
    corpus.to_csv(path, index=False)
    local = intake(path, options=IntakeOptions(chunk_size=400), out=tmp_path / "local.csv")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = intake(path, options=IntakeOptions(chunk_size=400), executor=client,
                            out=tmp_path / "dask.csv")
    pd.testing.assert_frame_equal(local.clusters, remote.clusters)
    pd.testing.assert_frame_equal(local.members, remote.members)
    assert local.counts == remote.counts and local.problems == remote.problems
    assert (tmp_path / "local.csv").read_bytes() == (tmp_path / "dask.csv").read_bytes()
    assert (tmp_path / "local.members.csv").read_bytes() == \
        (tmp_path / "dask.members.csv").read_bytes()
