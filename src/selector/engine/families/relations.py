r"""Relations between proposals: requires, excludes, one version per idea.

Rules file::

    [relations]
    requires = true                     # honour the requires / excludes / variant_group
    excludes = true                     # columns of the proposals
    variants = true

Screening (``requires``): a proposal that requires one missing from the proposals, or one
that is itself screened out (followed transitively, after every other family), is never
a candidate. An ``excludes`` of a missing id is ignored.

Rows::

    x_a − x_b ≤ 0  (a requires b)                           [requires[a->b]]
    x_a + x_b ≤ 1  (a excludes b)                           [excludes[a|b]]
    Σ_{k∈V} x_k ≤ 1                           ∀ variant V   [variant[V]]

Checks ``relations.requires`` / ``.excludes`` / ``.variants``: the selected proposals that
break each (none, to hold).

Relaxation: each relation kind lifted.
"""

from __future__ import annotations

import math

import numpy as np

from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, Screen
from selector.engine.program import Builder, Inputs
from selector.engine.words import Words
from selector.problem import Problem
from selector.rules import Relations as RelationsRule
from selector.rules import Rules

__all__ = ["KINDS", "Relations"]

INF = np.inf

#: The relation kinds, in the order of the rows and checks.
KINDS = ("requires", "excludes", "variants")


def _variant(value: object) -> str | None:
    """The variant group of a proposal, or ``None``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or not str(value):
        return None
    return str(value)


class Relations(Family):
    """Requires, excludes and variant groups."""

    key = "relations"

    def active(self, rules: Rules) -> bool:
        rel = rules.relations
        return rel.requires or rel.excludes or rel.variants

    def screen_closure(self, s: Screen) -> None:
        """After every other family: requiring a proposal that is missing, or that is
        screened out (followed transitively), screens a proposal out."""
        if not s.rules.relations.requires:
            return
        index = s.problem.index
        requires = s.problem.proposals.frame["requires"].to_numpy(dtype=object)
        has = [i for i, r in enumerate(requires) if r]
        for i in has:
            for other in requires[i]:
                if str(other) not in index:
                    s.add_reason(i, self.key, "requires_missing", {"other": str(other)})
        said: set[tuple[int, str]] = set()
        changed = True
        while changed:
            changed = False
            for i in has:
                for other in requires[i]:
                    j = index.get(str(other))
                    if j is None or not s.out(j) or (i, str(other)) in said:
                        continue
                    said.add((i, str(other)))
                    s.add_reason(i, self.key, "requires_screened", {"other": str(other)})
                    changed = True

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        rel = inp.rules.relations
        frame = inp.problem.proposals.frame
        pos = {int(i): k for k, i in enumerate(cand)}
        index = inp.problem.index
        ids = inp.problem.ids
        if rel.requires:
            req = frame["requires"].to_numpy(dtype=object)
            pairs = [(pos[int(i)], pos[index[str(o)]]) for i in cand if req[i]
                     for o in req[i] if index.get(str(o), -1) in pos]
            if pairs:
                u = b.unit("relations.requires", self.key, Words("rules.relations.requires"))
                m = len(pairs)
                b.rows([f"requires[{ids[cand[x]]}->{ids[cand[y]]}]" for x, y in pairs], u,
                       np.repeat(np.arange(m), 2), np.array(pairs, dtype=np.int64).ravel(),
                       np.tile([1.0, -1.0], m), -INF, 0.0, check="relations.requires")
        if rel.excludes:
            pairs = _exclusions(frame["excludes"].to_numpy(dtype=object), cand, pos, index)
            if pairs:
                u = b.unit("relations.excludes", self.key, Words("rules.relations.excludes"))
                m = len(pairs)
                b.rows([f"excludes[{ids[cand[x]]}|{ids[cand[y]]}]" for x, y in pairs], u,
                       np.repeat(np.arange(m), 2), np.array(pairs, dtype=np.int64).ravel(),
                       np.ones(2 * m), -INF, 1.0, check="relations.excludes")
        if rel.variants:
            labels: dict[str, list[int]] = {}
            for k, g in enumerate(frame["variant_group"].to_numpy(dtype=object)[cand]):
                name = _variant(g)
                if name is not None:
                    labels.setdefault(name, []).append(k)
            multi = {g: ks for g, ks in labels.items() if len(ks) > 1}
            if multi:
                u = b.unit("relations.variants", self.key, Words("rules.relations.variants"))
                rows = np.concatenate([np.full(len(ks), r) for r, ks in enumerate(multi.values())])
                cols = np.concatenate([np.array(ks) for ks in multi.values()])
                b.rows([f"variant[{g}]" for g in multi], u, rows, cols, np.ones(len(cols)),
                       -INF, 1.0, check="relations.variants")

    def checks(self, o: Outcome) -> list[RuleCheck]:
        rel = o.rules.relations
        frame = o.problem.proposals.frame
        index = o.problem.index
        bad = {kind: np.zeros(o.problem.n, dtype=bool) for kind in KINDS}
        requires = frame["requires"].to_numpy(dtype=object)
        excludes = frame["excludes"].to_numpy(dtype=object)
        for i in o.selected:
            if rel.requires and any(index.get(str(x)) is None or not o.chosen[index[str(x)]]
                                    for x in requires[i]):
                bad["requires"][i] = True
            if rel.excludes and any(index.get(str(x)) not in (None, i)
                                    and o.chosen[index[str(x)]] for x in excludes[i]):
                bad["excludes"][i] = True
        if rel.variants:
            groups = [_variant(g) for g in frame["variant_group"].to_numpy(dtype=object)]
            seen: dict[str, list[int]] = {}
            for i in o.selected:
                if groups[i] is not None:
                    seen.setdefault(groups[i], []).append(int(i))
            for members in seen.values():
                if len(members) > 1:
                    bad["variants"][members] = True
        return [RuleCheck(f"relations.{kind}", self.key, f"relations.{kind}", "", 0,
                          int(bad[kind].sum()), not bad[kind].any(), "count",
                          Words(f"rules.relations.{kind}"), o.ids(bad[kind]))
                for kind in KINDS if getattr(rel, kind)]

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        out = []
        for kind in KINDS:
            if getattr(rules.relations, kind):
                rel = RelationsRule(**{**rules.relations.model_dump(), kind: False})
                out.append(RuleChange(f"relations.{kind}", self.key, f"relations.{kind}", "",
                                      rules.model_copy(update={"relations": rel}),
                                      Words(f"rules.relations.{kind}_change")))
        return out


def _exclusions(excludes: np.ndarray, cand: np.ndarray, pos: dict[int, int],
                index: dict[str, int]) -> list[tuple[int, int]]:
    """The pairs of candidates (columns) that exclude each other, each once, sorted."""
    seen = set()
    for i in cand:
        for o in excludes[i] or ():
            j = index.get(str(o), -1)
            if j in pos and j != i:
                seen.add((min(pos[int(i)], pos[j]), max(pos[int(i)], pos[j])))
    return sorted(seen)
