r"""Forced decisions: proposals forced in or out, each with its reason.

Rules file::

    [[force_in]]
    id = "P007"
    reason = "pledged last year"

    [[force_out]]
    id = "P031"
    reason = "duplicate of a city programme"

Screening: a proposal forced out is never a candidate (the reason from the rules).

Columns: a forced-in candidate's ``x`` gets the lower bound 1 (one rule each, for the
diagnosis). Forcing in a proposal that screening rules out is a conflict, reported by
:class:`selector.engine.Model` with the screening reasons.

Checks ``force_in[<id>]`` / ``force_out[<id>]``: the proposal is (not) selected.

Relaxation: each forced-in proposal's pledge lifted.
"""

from __future__ import annotations

import numpy as np

from selector._errors import InputProblem
from selector.engine.families.base import Family, Outcome, RuleChange, RuleCheck, Screen
from selector.engine.program import Builder, Inputs
from selector.engine.words import Words
from selector.money import from_fen
from selector.problem import Problem
from selector.rules import Rules

__all__ = ["Force"]


class Force(Family):
    """Proposals forced in or out."""

    key = "force"

    def active(self, rules: Rules) -> bool:
        return bool(rules.force_in or rules.force_out)

    def validate(self, problem: Problem, rules: Rules) -> list[InputProblem]:
        index = problem.index
        return [InputProblem(str(Words("rules.invalid.no_id", {"id": f.id})),
                             column=f"{which}.{k}.id", value=f.id)
                for which, forces in (("force_in", rules.force_in), ("force_out", rules.force_out))
                for k, f in enumerate(forces) if f.id not in index]

    def screen(self, s: Screen) -> None:
        index = s.problem.index
        for f in s.rules.force_out:
            if f.id in index:
                if f.reason:
                    s.add_reason(index[f.id], self.key, "forced_out_because", {"why": f.reason})
                else:
                    s.add_reason(index[f.id], self.key, "forced_out")

    def rows(self, b: Builder, inp: Inputs, cand: np.ndarray) -> None:
        pos = {int(i): k for k, i in enumerate(cand)}
        for fid in inp.force_in:
            k = pos[inp.problem.index[fid]]
            u = b.unit(f"force_in[{fid}]", self.key, Words("rules.force.words", {"id": fid}),
                       Words("rules.force.fact", {"id": fid,
                                                  "cost": from_fen(int(inp.cost[cand[k]]))}))
            b.fix_lower(k, u)

    def checks(self, o: Outcome) -> list[RuleCheck]:
        index = o.problem.index
        out = []
        for f in o.rules.force_in:
            ok = bool(o.chosen[index[f.id]])
            out.append(RuleCheck(f"force_in[{f.id}]", self.key, f"force_in[{f.id}]", "min", 1,
                                 int(ok), ok, "count", Words("rules.force.in_name", {"id": f.id}),
                                 (f.id,)))
        for f in o.rules.force_out:
            chosen = bool(o.chosen[index[f.id]])
            out.append(RuleCheck(f"force_out[{f.id}]", self.key, f"force_out[{f.id}]", "max",
                                 0, int(chosen), not chosen, "count",
                                 Words("rules.force.out_name", {"id": f.id}), (f.id,)))
        return out

    def lifts(self, rules: Rules, problem: Problem,
              labels: set[str] | None = None) -> list[RuleChange]:
        return [RuleChange(f"force_in[{force.id}]", self.key, f"force_in[{force.id}]", "",
                           rules.model_copy(update={
                               "force_in": rules.force_in[:f] + rules.force_in[f + 1:]}),
                           Words("rules.force.change", {"id": force.id}))
                for f, force in enumerate(rules.force_in)]
