"""The one conversion from validated proposals to numbers.

Everything downstream — formulation, verification, the brute-force oracle, reports —
reads a :class:`Problem`, so the numbers cannot drift apart.
"""

from __future__ import annotations

from functools import cached_property
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp

from selector.model import TUPLE_COLUMNS, ProposalSet

__all__ = ["Membership", "Problem"]


class Membership:
    """Which proposals belong to which value of a column.

    Attributes
    ----------
    column:
        The column.
    labels:
        The distinct values, in first-seen order (or the order given).
    matrix:
        ``len(labels) × n`` 0/1 CSR matrix; row g marks the members of ``labels[g]``.
    """

    def __init__(self, column: str, labels: list[str], matrix: sp.csr_matrix) -> None:
        self.column = column
        self.labels = labels
        self.matrix = matrix
        self._unions: dict[tuple[str, ...], np.ndarray] = {}

    def members(self, label: str) -> np.ndarray:
        """Positions of the proposals that belong to ``label``."""
        g = self.labels.index(label)
        row = self.matrix.getrow(g)
        return np.sort(row.indices)

    def union(self, labels: list[str]) -> np.ndarray:
        """0/1 vector of proposals belonging to any of ``labels`` (cached; read-only)."""
        key = tuple(labels)
        found = self._unions.get(key)
        if found is not None:
            return found
        idx = [self.labels.index(lab) for lab in labels if lab in self.labels]
        if not idx:
            out = np.zeros(self.matrix.shape[1], dtype=bool)
        else:
            out = np.asarray(self.matrix[idx].sum(axis=0)).ravel() > 0
        out.setflags(write=False)
        self._unions[key] = out
        return out


class Problem:
    """Numeric view of a :class:`ProposalSet`.

    Attributes
    ----------
    ids:
        ``n`` ids (object array of str).
    cost:
        ``int64`` exact costs in minor units.
    benefit:
        ``float64`` estimated beneficiaries.
    """

    def __init__(self, proposals: ProposalSet) -> None:
        self.proposals = proposals
        frame = proposals.frame
        self.n = len(frame)
        self.ids: np.ndarray = frame["id"].to_numpy(dtype=object)
        self.cost: np.ndarray = frame["cost_minor"].to_numpy(dtype=np.int64)
        self.benefit: np.ndarray = frame["beneficiaries"].to_numpy(dtype=np.float64)
        self._memberships: dict[str, Membership] = {}

    @cached_property
    def index(self) -> dict[str, int]:
        """Position of each id."""
        return {str(i): k for k, i in enumerate(self.ids)}

    def column(self, name: str) -> np.ndarray:
        """A numeric column as float64 (NaN where missing)."""
        values = self.proposals.frame[name]
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)

    def is_multi(self, name: str) -> bool:
        """True when the column holds tuples (multi-valued)."""
        if name in TUPLE_COLUMNS:
            return True
        sample = self.proposals.frame[name].dropna()
        return bool(len(sample)) and isinstance(sample.iloc[0], tuple | list | set | frozenset)

    def membership(self, name: str, labels: list[str] | None = None) -> Membership:
        """Group membership of a column, single- or multi-valued (cached per column).

        Missing values (None/NaN/empty tuple) belong to no group. When ``labels`` is
        given, those labels come first in that order (groups with no members included).
        """
        key = name if labels is None else f"{name}\x00{'|'.join(labels)}"
        if key in self._memberships:
            return self._memberships[key]
        values = self.proposals.frame[name].to_numpy(dtype=object)
        if self.is_multi(name):
            many = (tuple, list, set, frozenset)
            if all(type(v) is tuple for v in values):   # the loaders' cells: one C pass each
                sizes = np.fromiter(map(len, values), dtype=np.int64, count=self.n)
                items = pd.Series(list(chain.from_iterable(values)), dtype=object)
            else:
                sizes = np.fromiter((len(v) if isinstance(v, many) else 1 for v in values),
                                    dtype=np.int64, count=self.n)
                items = pd.Series(list(chain.from_iterable(
                    v if isinstance(v, many) else (v,) for v in values)), dtype=object)
            positions = np.repeat(np.arange(self.n), sizes)
        else:
            items = pd.Series(values, dtype=object)
            positions = np.arange(self.n)
        present = ~(items.isna().to_numpy() | (items == "").to_numpy())
        # the values themselves are hashed; each distinct one is named once (str, as
        # pandas' astype(str) names it: 1 and "1" are one group), not each cell
        codes, seen = pd.factorize(items[present].to_numpy(dtype=object))
        order: dict[str, int] = {lab: g for g, lab in enumerate(dict.fromkeys(labels or []))}
        names = [v if isinstance(v, str) else str(v) for v in seen]
        for lab in names:   # first-seen order after the labels given
            order.setdefault(lab, len(order))
        remap = np.array([order[lab] for lab in names], dtype=np.int64)
        rows = remap[codes] if len(codes) else np.empty(0, dtype=np.int64)
        cols = positions[present]
        data = np.ones(len(rows), dtype=np.int8)
        matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(order), self.n))
        matrix.sum_duplicates()
        matrix.data[:] = 1
        result = Membership(name, list(order), matrix)
        self._memberships[key] = result
        return result
