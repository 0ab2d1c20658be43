"""Benchmark: intake of 10k / 100k / 1M generated suggestions (time, peak memory, quality).

For each size, :func:`selector.intake.generate_suggestions` (seed 2026) writes a CSV of
suggestions (in a child process), then ``selector.intake(csv, out=...)`` runs in a fresh
child process of its own: wall time of the whole intake (read twice, sketch, cluster,
write the draft and the members file) and the child's own peak resident memory
(VmHWM). The parent then scores the members file against the planted truth: precision
and recall of the pairs put in one cluster (over rows that are clustered and belong to
an idea), the share of each kind of rewording that lands in its idea's main cluster, and
the share of clusters routed to the domain of their ask. At 100k (``dask_at``) the same
intake also runs with a Dask ``LocalCluster`` of 2 workers, and its draft and members
file are compared byte for byte with the local ones.

Run: ``python benchmarks/bench_intake.py [n ...]`` (default 10000 100000 1000000);
``run(quick=True)`` is the 2,000-row smoke run used by ``benchmarks/run.py --quick``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SEED = 2026


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _child(args: list[str]) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _make(n: int, folder: Path) -> None:
    from selector.intake import generate_suggestions

    corpus = generate_suggestions(n, seed=SEED)
    corpus[["idea", "domain", "variant"]].to_parquet(folder / f"truth_{n}.parquet")
    corpus.drop(columns=["idea", "domain", "variant"]).to_csv(folder / f"suggestions_{n}.csv",
                                                              index=False)


def _intake(n: int, folder: Path, workers: int) -> dict[str, Any]:
    from selector.intake import intake

    tag = "dask" if workers else "local"
    start = time.perf_counter()
    if workers:
        import distributed

        with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                      dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            result = intake(folder / f"suggestions_{n}.csv", out=folder / f"{tag}_{n}.csv",
                            executor=client)
    else:
        result = intake(folder / f"suggestions_{n}.csv", out=folder / f"{tag}_{n}.csv")
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "peak_mb": _peak_mb(), **result.counts}


def _pairs(labels: np.ndarray) -> int:
    _, counts = np.unique(labels, return_counts=True)
    return int((counts.astype(np.int64) * (counts - 1) // 2).sum())


def _quality(n: int, folder: Path) -> dict[str, Any]:
    truth = pd.read_parquet(folder / f"truth_{n}.parquet")
    members = pd.read_csv(folder / f"local_{n}.members.csv", dtype=str,
                          usecols=["候选项目编号"])["候选项目编号"]
    label = members.str.slice(1).astype(float).fillna(-1).to_numpy().astype(np.int64)
    idea = truth["idea"].to_numpy()
    both = (label >= 0) & (idea >= 0)
    joint = label[both] * (int(idea.max()) + 1) + idea[both]
    together = _pairs(joint)
    frame = pd.DataFrame({"label": label, "idea": idea, "variant": truth["variant"],
                          "domain": truth["domain"]})[both]
    main = frame.groupby("idea")["label"].agg(lambda s: s.value_counts().index[0])
    frame["home"] = frame["label"].to_numpy() == main.reindex(frame["idea"]).to_numpy()
    by_kind = frame.groupby("variant")["home"].mean()
    draft = pd.read_csv(folder / f"local_{n}.csv", dtype=str, usecols=["项目编号", "领域"])
    from selector import DEFAULT_DOMAINS

    routed = draft.set_index("项目编号")["领域"].map(
        lambda v: None if pd.isna(v) else DEFAULT_DOMAINS.code_of(v))
    asked = frame.groupby("label")["domain"].agg(lambda s: s.value_counts().index[0])
    asked.index = [f"S{k:0{len(draft['项目编号'].iloc[0]) - 1}d}" for k in asked.index]
    return {
        "ideas": int(len(np.unique(idea[idea >= 0]))),
        "pair_precision": round(together / max(_pairs(label[both]), 1), 4),
        "pair_recall": round(together / max(_pairs(idea[both]), 1), 4),
        **{f"recall_{k}": round(float(by_kind.get(k, np.nan)), 4)
           for k in ("copy", "noise", "edit", "paraphrase")},
        "routing_accuracy": round(float((routed.reindex(asked.index) == asked).mean()), 4),
    }


def run(sizes: Sequence[int] = (10_000, 100_000, 1_000_000), quick: bool = False,
        dask_at: int | None = 100_000) -> list[dict[str, Any]]:
    """One row per size: time, peak memory, counts and quality; Dask equality at ``dask_at``."""
    if quick:
        sizes, dask_at = (2_000,), 2_000
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for n in sizes:
            _child(["make", str(n), str(folder)])
            local = _child(["intake", str(n), str(folder), "0"])
            row: dict[str, Any] = {
                "n": n, "seconds": round(local["seconds"], 1),
                "peak_mb": round(local["peak_mb"]), "rows": local["rows"],
                "clustered": local["clustered"], "set_aside": local["rows"] - local["clustered"],
                "clusters": local["clusters"], **_quality(n, folder)}
            if n == dask_at:
                remote = _child(["intake", str(n), str(folder), "2"])
                same = all((folder / f"local_{n}{s}").read_bytes()
                           == (folder / f"dask_{n}{s}").read_bytes()
                           for s in (".csv", ".members.csv"))
                row |= {"dask_seconds": round(remote["seconds"], 1),
                        "dask_peak_mb": round(remote["peak_mb"]), "dask_equal": same}
            rows.append(row)
            for path in folder.iterdir():
                if path.name.startswith(("local_", "dask_")):
                    os.remove(path)
    return rows


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "make":
        _make(int(sys.argv[2]), Path(sys.argv[3]))
        print("{}")
    elif len(sys.argv) > 1 and sys.argv[1] == "intake":
        print(json.dumps(_intake(int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        chosen = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
        for result_row in run(chosen):
            print(json.dumps(result_row, ensure_ascii=False))
