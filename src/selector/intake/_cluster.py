"""Stage 2, over all sketches: repeated rows, near-duplicate clusters, supporters.

Clusters
    Every distinct normalised text is a node. Its MinHash signature (``num_perm``
    values) is cut into ``bands`` bands of ``r = num_perm / bands`` values; texts whose
    band values are all equal in some band are *candidates* (locality-sensitive hashing:
    a pair with Jaccard similarity ``s`` becomes a candidate with probability
    ``1 - (1 - s^r)^bands``). Within a band, each text of a bucket is paired with the
    bucket's first text (linear, not quadratic, in the bucket's size). A candidate pair
    is an *edge* when its estimated Jaccard similarity (the share of equal signature
    values) is at least ``threshold``. Clusters are the connected components of the
    edges (:func:`scipy.sparse.csgraph.connected_components`); rows with the same
    normalised text are in the same cluster. None of this depends on how the rows were
    chunked or where the chunks were sketched.
Numbering
    Clusters are numbered by their first row in the file (cluster 0 holds row 2 if row 2
    is clustered), so the numbers are stable under appended rows that join no cluster.
Representative
    The normalised text most rows of the cluster share; ties go to the text seen first.
    Its first row's original text is the candidate's title.
Supporters
    Distinct submitters (the ``submitter`` column; a row without one counts as its own
    supporter, under its id); without that column, distinct suggestion ids. Counted for
    the cluster, and per district and per target group (a supporter who wrote from two
    districts counts once in each, once in the total).
Routing
    The domain whose keywords the cluster's rows match most often (summed over rows);
    ties go to the earlier domain of the taxonomy; no match at all leaves it empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from selector.intake._sketch import FLAG, STATUS, Settings, Sketch

__all__ = ["Clustering", "cluster"]

_EDGE_BLOCK = 200_000  # candidate pairs compared at once (bounded memory)


@dataclass(frozen=True)
class Clustering:
    """Per row: its cluster (-1: none) and status; per cluster: the figures of the draft."""

    rows: np.ndarray             # spreadsheet row of each position
    ids: Any                     # pyarrow string array
    status: np.ndarray           # int8 STATUS (with ``repeated``)
    flags: np.ndarray            # uint8 FLAG (with ``duplicate_id``)
    label: np.ndarray            # int64 cluster of each row, -1 when not clustered
    first_row_of_id: np.ndarray  # spreadsheet row where each row's id was first used
    size: np.ndarray             # rows per cluster
    texts: np.ndarray            # distinct normalised texts per cluster
    supporters: np.ndarray       # distinct supporters per cluster
    by_district: list[dict[str, int]]
    by_group: list[dict[int, int]]
    hits: np.ndarray             # (clusters x domains) keyword matches
    representative: np.ndarray   # position of the representative row of each cluster
    first_day: np.ndarray        # datetime64[D]
    last_day: np.ndarray
    pairs_checked: int           # candidate pairs compared
    edges: int                   # pairs at or above the threshold


def _concat(arrays: Sequence[Any]) -> Any:
    return pa.concat_arrays(list(arrays)) if arrays else pa.array([], type=pa.string())


def _codes(array: Any) -> np.ndarray:
    """Exact integer codes of a pyarrow string array (-1 for nulls)."""
    encoded = array.dictionary_encode()
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return np.where(np.isnan(indices), -1, indices).astype(np.int64) \
        if indices.dtype.kind == "f" else indices.astype(np.int64)


def _band_keys(sig: np.ndarray, band: int, r: int) -> np.ndarray:
    block = pd.DataFrame(sig[:, band * r:(band + 1) * r])
    keys: np.ndarray = pd.util.hash_pandas_object(block, index=False).to_numpy()
    return keys


def _candidates(sig: np.ndarray, bands: int) -> np.ndarray:
    """Unique candidate pairs ``(i, j)``, ``j < i``, as ``i * n + j`` (sorted)."""
    n, k = sig.shape
    r = k // bands
    found: list[np.ndarray] = []
    for band in range(bands):
        keys = _band_keys(sig, band, r)
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        starts = np.ones(n, dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        leader = order[np.flatnonzero(starts)][np.cumsum(starts) - 1]
        member = order != leader
        found.append(order[member].astype(np.int64) * n + leader[member])
    return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


def _edges(sig: np.ndarray, pairs: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    n = len(sig)
    keep_i: list[np.ndarray] = []
    keep_j: list[np.ndarray] = []
    need = int(np.ceil(threshold * sig.shape[1] - 1e-9))
    for at in range(0, len(pairs), _EDGE_BLOCK):
        block = pairs[at:at + _EDGE_BLOCK]
        i, j = np.divmod(block, n)
        equal = np.count_nonzero(sig[i] == sig[j], axis=1)
        ok = equal >= need
        keep_i.append(i[ok])
        keep_j.append(j[ok])
    if not keep_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(keep_i), np.concatenate(keep_j)


def _breakdown(cluster: np.ndarray, part: np.ndarray, supporter: np.ndarray, n_clusters: int
               ) -> list[dict[int, int]]:
    """Distinct supporters per (cluster, part); parts < 0 are left out."""
    keep = part >= 0
    frame = pd.DataFrame({"c": cluster[keep], "p": part[keep], "s": supporter[keep]})
    counts = frame.drop_duplicates().groupby(["c", "p"], sort=True).size()
    out: list[dict[int, int]] = [{} for _ in range(n_clusters)]
    index = counts.index
    for c, p, count in zip(index.get_level_values(0).tolist(), index.get_level_values(1).tolist(),
                           counts.tolist(), strict=True):
        out[int(c)][int(p)] = int(count)
    return out


def cluster(sketches: Sequence[Sketch], settings: Settings) -> Clustering:
    """Stage 2 (see the module docstring); ``sketches`` in file order."""
    step = _Stage(sketches, settings)
    status, flags, first_row_of_id = step.repeated_rows()
    ok = status == STATUS["ok"]
    node_of_row, sigs = step.nodes(ok)
    component, pairs_checked, edges = _components(sigs, settings)
    n_nodes = len(sigs)  # one signature per node
    positions = np.flatnonzero(ok)
    label, n_clusters = step.numbered(positions, component[node_of_row])
    cl = label[positions]
    size = np.bincount(cl, minlength=n_clusters)
    node_cluster = np.full(n_nodes, -1, dtype=np.int64)
    node_cluster[node_of_row] = cl
    texts = np.bincount(node_cluster, minlength=n_clusters) if n_nodes else np.zeros(0, np.int64)
    supporter = step.supporter(positions)
    supporters, by_district, by_group = step.breakdowns(positions, cl, supporter, n_clusters)
    first_day, last_day = step.days(positions, cl, n_clusters)
    return Clustering(step.rows, step.ids, status, flags, label, first_row_of_id, size, texts,
                      supporters, by_district, by_group, step.hits(positions, cl, n_clusters),
                      _representative(node_of_row, node_cluster, positions, step.n), first_day,
                      last_day, pairs_checked, edges)


def _components(sigs: np.ndarray, settings: Settings) -> tuple[np.ndarray, int, int]:
    """The connected component of each node over the edges (candidate pairs at or above
    the threshold): ``(component, pairs checked, edges)``."""
    pairs = _candidates(sigs, settings.bands) if len(sigs) > 1 else np.zeros(0, np.int64)
    i, j = _edges(sigs, pairs, settings.threshold)
    n_nodes = len(sigs)
    graph = coo_matrix((np.ones(len(i), dtype=np.int8), (i, j)), shape=(n_nodes, n_nodes))
    _, component = connected_components(graph, directed=False) if n_nodes else (0, np.zeros(0, int))
    return np.asarray(component), len(pairs), len(i)


def _representative(node_of_row: np.ndarray, node_cluster: np.ndarray, positions: np.ndarray,
                    n: int) -> np.ndarray:
    """Position of each cluster's representative row: the first row of the node (distinct
    text) with most rows, ties to the node seen first."""
    n_nodes = len(node_cluster)
    node_rows = np.bincount(node_of_row, minlength=n_nodes)
    node_first = np.full(n_nodes, n, dtype=np.int64)
    np.minimum.at(node_first, node_of_row, positions)
    best = np.lexsort((node_first, -node_rows, node_cluster))
    lead = np.ones(len(best), dtype=bool)
    lead[1:] = node_cluster[best][1:] != node_cluster[best][:-1]
    representative: np.ndarray = node_first[best[lead]]
    return representative


class _Stage:
    """The steps of :func:`cluster` over the sketches joined in file order."""

    def __init__(self, sketches: Sequence[Sketch], settings: Settings) -> None:
        self.sketches, self.settings = sketches, settings
        self.rows = np.concatenate([s.rows for s in sketches]) if sketches else np.zeros(0, np.int64)
        self.n = len(self.rows)
        self.ids = _concat([s.ids for s in sketches])

    def joined(self, name: str, empty: np.ndarray) -> np.ndarray:
        """One per-row (or per-text) array of every sketch, in file order (``empty``: no rows)."""
        if not self.n:
            return empty
        return np.concatenate([getattr(s, name) for s in self.sketches])

    def repeated_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Ids used before: the same text again is a repeated row, another text is kept
        (flagged): ``(status, flags, first_row_of_id)``."""
        n, rows = self.n, self.rows
        status = self.joined("status", np.zeros(0, np.int8))
        flags = self.joined("flags", np.zeros(0, np.uint8))
        self.text_hash = self.joined("text_hash", np.zeros(0, np.uint64))
        id_code = _codes(self.ids)
        first_of_code = np.full(int(id_code.max()) + 1 if n else 0, -1, dtype=np.int64)
        uniq_codes, first_pos = np.unique(id_code, return_index=True)
        first_of_code[uniq_codes] = first_pos
        first_row_of_id = rows[first_of_code[id_code]] if n else np.zeros(0, np.int64)
        reused = np.arange(n) != first_of_code[id_code]
        same = pd.DataFrame({"id": id_code, "h": self.text_hash, "ok": status == STATUS["ok"]})
        repeated = reused & same.duplicated(keep="first").to_numpy() & (status == STATUS["ok"])
        status = status.copy()
        status[repeated] = STATUS["repeated"]
        flags = flags.copy()
        flags[reused & ~repeated] |= FLAG["duplicate_id"]
        return status, flags, first_row_of_id

    def nodes(self, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The nodes, the distinct normalised texts of the ok rows: each ok row's node and
        each node's signature, ``(node_of_row, signatures)``."""
        node_hash, node_of_row = np.unique(self.text_hash[ok], return_inverse=True)
        sig_hash = self.joined("text_hash_unique", np.zeros(0, np.uint64))
        sigs = self.joined("signatures", np.zeros((0, self.settings.num_perm), np.uint32))
        sig_hash, pick = np.unique(sig_hash, return_index=True)
        sigs = sigs[pick]
        keep = np.isin(sig_hash, node_hash, assume_unique=True)  # texts of repeated rows only
        sig_hash, sigs = sig_hash[keep], sigs[keep]
        if not np.array_equal(sig_hash, node_hash):
            raise AssertionError("every distinct text must have exactly one signature")
        return node_of_row, sigs

    def numbered(self, positions: np.ndarray, comp_of_row: np.ndarray) -> tuple[np.ndarray, int]:
        """Each row's cluster (-1: none), clusters numbered by their first row; and the
        number of clusters."""
        comps, first_at = np.unique(comp_of_row, return_index=True)
        order = np.argsort(positions[first_at], kind="stable")
        number = np.empty(len(comps), dtype=np.int64)
        number[order] = np.arange(len(comps))
        label = np.full(self.n, -1, dtype=np.int64)
        label[positions] = number[np.searchsorted(comps, comp_of_row)]
        return label, len(comps)

    def supporter(self, positions: np.ndarray) -> np.ndarray:
        """Each clustered row's supporter code: its submitter, else its id."""
        submitters = [s.submitters for s in self.sketches]
        if self.n and all(sub is not None for sub in submitters):
            sub = _concat(submitters)
            who = pc.if_else(pc.is_valid(sub), pc.binary_join_element_wise("s", sub, "\x1f"),
                             pc.binary_join_element_wise("i", self.ids, "\x1f"))
        else:
            who = self.ids
        return _codes(who)[positions] if self.n else np.zeros(0, np.int64)

    def breakdowns(self, positions: np.ndarray, cl: np.ndarray, supporter: np.ndarray,
                   n_clusters: int) -> tuple[np.ndarray, list[dict[str, int]], list[dict[int, int]]]:
        """Distinct supporters per cluster, and per district and group of each cluster."""
        n = self.n
        base = int(supporter.max()) + 1 if len(supporter) else 1
        pairs_cs = np.unique(cl * base + supporter)
        supporters = np.bincount(pairs_cs // base, minlength=n_clusters)
        districts = _concat([s.districts for s in self.sketches]) if n else pa.array([], pa.string())
        names = districts.dictionary_encode().dictionary.to_pylist()
        district_code = _codes(districts)[positions] if n else np.zeros(0, np.int64)
        by_code = _breakdown(cl, district_code, supporter, n_clusters)
        by_district = [{names[k]: v for k, v in d.items()} for d in by_code]
        group = self.joined("group", np.zeros(0, np.int16))
        group = group[positions] if n else group
        by_group = _breakdown(cl, group.astype(np.int64), supporter, n_clusters)
        return supporters, by_district, by_group

    def hits(self, positions: np.ndarray, cl: np.ndarray, n_clusters: int) -> np.ndarray:
        """Keyword matches per cluster and domain (summed over its rows)."""
        hits_rows = self.joined("hits", np.zeros((0, len(self.settings.domains)), np.int16))
        hits_rows = hits_rows[positions] if self.n else hits_rows
        hits = np.zeros((n_clusters, hits_rows.shape[1]), dtype=np.int64)
        np.add.at(hits, cl, hits_rows)
        return hits

    def days(self, positions: np.ndarray, cl: np.ndarray, n_clusters: int
             ) -> tuple[np.ndarray, np.ndarray]:
        """Each cluster's first and last day (NaT: no dated row)."""
        day = self.joined("day", np.zeros(0, "datetime64[D]"))
        day = day[positions] if self.n else day
        frame = pd.DataFrame({"c": cl, "d": day})
        span = frame.dropna().groupby("c")["d"].agg(["min", "max"])
        first_day = np.full(n_clusters, np.datetime64("NaT"), dtype="datetime64[D]")
        last_day = first_day.copy()
        first_day[span.index.to_numpy()] = span["min"].to_numpy().astype("datetime64[D]")
        last_day[span.index.to_numpy()] = span["max"].to_numpy().astype("datetime64[D]")
        return first_day, last_day
