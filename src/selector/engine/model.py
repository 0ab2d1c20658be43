"""``Model``: compiled once (screening, arrays, constraint matrix), solved many times."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Literal

import numpy as np

from selector._errors import InfeasibleError, InputProblem, InvalidInputError
from selector.engine.diagnose import infeasible_error
from selector.engine.formulate import Formulation, Inputs, formulate, money_words
from selector.engine.screening import (
    Screening,
    check_columns,
    pool_eligibility,
    screen_problem,
    to_minor,
)
from selector.engine.solve import (
    Deadline,
    Solved,
    SolveOptions,
    complete_start,
    exact_pool_payments,
    place_schedule,
    solve_formulation,
)
from selector.engine.verify import rule_violations, verify_selection
from selector.i18n import DEFAULT_LANG, t
from selector.model import ProposalSet
from selector.money import from_fen
from selector.problem import Problem
from selector.result import Backend, Selection, Status
from selector.rules import Force, Rules, exact_share

__all__ = ["RESERVE_PER_PROPOSAL", "RESERVE_SHARE", "Model", "objective_weights"]

SolverName = Literal["cbc", "highs", "cpsat"]

#: With a time limit, the solver stages end early enough to leave this share of the limit
#: (or :data:`RESERVE_PER_PROPOSAL` a proposal when that is more, up to half the limit)
#: for verifying the list and assembling the result.
RESERVE_SHARE = 0.05
#: Seconds per proposal kept for the result (payments, binding rules, verification:
#: about 3 µs a proposal was measured at 1,000,000, so 0.4 s at 100,000 and 4 s there).
RESERVE_PER_PROPOSAL = 4e-6
MoneyLike = Decimal | int | float | str


def _money(value: MoneyLike, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise InvalidInputError(InputProblem(f"{what} must be an amount of money",
                                             column=what, value=str(value))) from None
    if not amount.is_finite() or amount < 0:
        raise InvalidInputError(InputProblem(f"{what} must be >= 0", column=what,
                                             value=str(value)))
    return amount


def objective_weights(problem: Problem, rules: Rules, benefit: np.ndarray) -> np.ndarray:
    """The objective coefficient of every proposal.

    ``beneficiaries``: the estimate; ``risk_adjusted``: times the completion probability
    (a missing probability counts as 1); ``weighted``: ``Σ weight × column`` (a missing
    value counts as 0; the column ``beneficiaries`` is the estimate after overrides).
    """
    kind = rules.objective.kind
    if kind == "beneficiaries":
        return benefit.astype(np.float64)
    if kind == "risk_adjusted":
        p = np.nan_to_num(problem.column("completion_probability"), nan=1.0)
        return np.asarray(benefit * p, dtype=np.float64)
    out = np.zeros(problem.n)
    for col, w in rules.objective.weights.items():
        values = benefit if col == "beneficiaries" else problem.column(col)
        out += w * np.nan_to_num(values, nan=0.0)
    return out


@dataclass(frozen=True)
class _Checked:
    """A verified list: the chosen proposals, how the pools pay, the start months, and
    when the call began."""

    chosen: np.ndarray
    payments: np.ndarray | None
    starts: dict[int, int]
    t0: float


@dataclass(frozen=True)
class _Case:
    rules: Rules
    cost: np.ndarray
    benefit: np.ndarray
    budget: Decimal | None
    screening: Screening
    inputs: Inputs


class Model:
    """A selection model: screening and constraint matrices compiled once.

    Build with :meth:`build`; :meth:`solve` as often as needed, with overrides. A solve
    never mutates the model.

    Attributes
    ----------
    proposals, rules, problem:
        The inputs and their numeric view.
    budget:
        The total budget (``rules.total_budget`` unless overridden at build time).
    eligible:
        Boolean mask of the candidates.
    ineligible:
        ``{id: (reason, ...)}`` for every proposal that is never a candidate.

    Examples
    --------
    >>> from selector import Proposal, ProposalSet, Rules
    >>> ps = ProposalSet.from_proposals([
    ...     Proposal(id=str(i), domain="health", cost=c, beneficiaries=b,
    ...              indicators=[{"name": "served", "target": b}])
    ...     for i, (c, b) in enumerate([(40, 50), (50, 60), (30, 35)])])
    >>> Model.build(ps, Rules(budget=80)).solve(solver="highs").selected
    ('1', '2')
    """

    def __init__(self, proposals: ProposalSet, rules: Rules, problem: Problem,
                 budget: Decimal | None, base: _Case, default_solver: SolverName) -> None:
        self.proposals = proposals
        self.rules = rules
        self.problem = problem
        self.budget = budget
        self._base = base
        self._form: Formulation | None = None
        self._relaxed: tuple[_Case, Formulation] | None = None
        # start months placed for a list: {(positions, their costs): {position: month}}
        self._plans: dict[tuple[bytes, bytes], dict[int, int] | None] = {}
        # the last list the exact check accepted: (case, chosen, start months, payments)
        self._verified: tuple[_Case, np.ndarray, dict[int, int], np.ndarray | None] | None = None
        self.default_solver: SolverName = default_solver
        self.eligible: np.ndarray = base.screening.eligible
        self.ineligible: dict[str, tuple[str, ...]] = base.screening.reasons

    @property
    def integral_objective(self) -> bool:
        """True when every objective coefficient is a whole number (optima tie exactly)."""
        assert self._form is not None
        return self._form.integral_objective

    @classmethod
    def build(cls, proposals: ProposalSet, rules: Rules | None = None, *,
              budget: MoneyLike | None = None, solver: SolverName = "cbc") -> Model:
        """Screen the proposals and compile the rules.

        Raises
        ------
        InvalidInputError
            Rules that name unknown columns, groups or ids; a negative budget.
        """
        rules = rules or Rules()
        problem = Problem(proposals)
        check_columns(problem, rules)
        total = _money(budget, "budget") if budget is not None else rules.total_budget
        case = _case(problem, rules, problem.cost, problem.benefit, total)
        model = cls(proposals, rules, problem, total, case, solver)
        model._form = formulate(case.inputs)
        return model

    def solve(self, *, budget: MoneyLike | None = None, force_in: Iterable[str] = (),
              force_out: Iterable[str] = (), cost: Mapping[str, MoneyLike] | None = None,
              beneficiaries: Mapping[str, float] | None = None,
              solver: SolverName | None = None, time_limit: float | Deadline | None = None,
              gap: float | None = None, diagnose: bool = True,
              tie_break: bool | None = None, hint: Iterable[str] | None = None) -> Selection:
        """Solve, optionally with overrides, and return a verified :class:`Selection`.

        Parameters
        ----------
        budget:
            Another total budget (major units).
        force_in, force_out:
            Extra ids forced in or out for this solve (they override the rules' opposite
            force for the same id).
        cost, beneficiaries:
            Per-id overrides (cost in major units).
        solver:
            The MILP solver: ``"cbc"``, ``"highs"`` or ``"cpsat"`` (default: the model's).
            Budget-only, small whole-number and large models take routes of their own
            whatever is asked (see :mod:`selector.engine.solve`); ``selection.solver``
            records which solver answered, by which route, and any fallback.
        time_limit:
            Seconds for the whole call (or a :class:`~selector.engine.solve.Deadline`
            started earlier, e.g. before loading): every solver stage gets only the time
            left, and they all end early enough to leave :data:`RESERVE_SHARE` of it (or
            :data:`RESERVE_PER_PROPOSAL` a proposal) for verification and the result.
            Stopped early, the best list found is returned with its gap (``FEASIBLE``).
        gap:
            Relative gap (default 1e-6; an integer objective is also proven by an absolute
            gap < 1).
        diagnose:
            On infeasibility, search for the smallest conflicting rule set (slower).
        tie_break:
            Run the tie-break stages (fewer yuan, then id order); ``None`` (default):
            up to 2,000 candidates. See :mod:`selector.engine.solve`.
        hint:
            Ids of a list that may keep every rule of this solve (e.g. the answer of a
            neighbouring what-if). When it does (checked exactly) it is the first incumbent
            of HiGHS or CP-SAT. With the tie-break stages it never changes the list (a
            hinted list is kept only when no other list ties with it in all three stages);
            without them only the objective value is the same as unhinted.

        Raises
        ------
        InfeasibleError, SolverError, InvalidInputError
        """
        t0 = time.perf_counter()
        overall = time_limit if isinstance(time_limit, Deadline) else Deadline.after(time_limit)
        self._verified = None
        solver_name: SolverName = solver or self.default_solver
        if solver_name not in ("cbc", "highs", "cpsat"):
            raise InvalidInputError(InputProblem(
                t("engine.error.solver_name", DEFAULT_LANG), column="solver",
                value=str(solver_name)))
        case, form = self._case_for(budget, force_in, force_out, cost, beneficiaries)
        timings = {"build": time.perf_counter() - t0}
        self._check_forced(case)
        options = SolveOptions(solver=Backend(solver_name), gap=1e-6 if gap is None else gap,
                               tie_break=tie_break, deadline=self._stage_deadline(overall))
        solved = self._solve_case(case, form, options, None if hint is None else tuple(hint))
        if solved.status is Status.INFEASIBLE:
            raise infeasible_error(form, "highs", len(case.screening.reasons), diagnose,
                                   overall.left())
        chosen = np.zeros(self.problem.n, dtype=bool)
        chosen[form.cand[solved.x.astype(bool)]] = True
        starts = self._starts(form, solved.columns)
        checked, payments = self._verified_payments(case, chosen, starts)
        if not checked:   # every rule re-checked on the list (the acceptor did it otherwise)
            payments = self._payments(case, chosen)
            verify_selection(self.problem, case.rules, chosen, cost=case.cost,
                             benefit=case.benefit, budget_minor=case.inputs.budget_minor,
                             eligible=case.screening.eligible, payments=payments,
                             starts=starts)
        timings.update(solved.timings)
        solved.timings = timings
        return self._selection(case, form, solved, _Checked(chosen, payments, starts, t0))

    def _stage_deadline(self, overall: Deadline) -> Deadline:
        """When the solver stages must end: the call's deadline less the reserve for the
        result (:data:`RESERVE_SHARE`, :data:`RESERVE_PER_PROPOSAL`)."""
        left = overall.left()
        if left is None:
            return overall
        reserve = min(0.5 * left, max(RESERVE_SHARE * left,
                                      RESERVE_PER_PROPOSAL * self.problem.n))
        return overall.share(1.0 - reserve / left) if left > 0 else overall

    def _solve_case(self, case: _Case, form: Formulation, options: SolveOptions,
                    hint: tuple[str, ...] | None) -> Solved:
        """The schedule-last route when the rules have a monthly plan, else the whole model."""
        if "start" in form.layout:
            solved = self._solve_schedule_last(case, form, options, hint)
            if solved is not None:
                return solved
        accept = self._acceptor(case, form)
        options = replace(options, accept=accept, start=self._start(form, hint, accept))
        return solve_formulation(form, cost=case.cost, ids=self.problem.ids, options=options)

    # -- pieces ---------------------------------------------------------------------------
    def _case_for(self, budget: MoneyLike | None, force_in: Iterable[str],
                  force_out: Iterable[str], cost: Mapping[str, MoneyLike] | None,
                  beneficiaries: Mapping[str, float] | None) -> tuple[_Case, Formulation]:
        fin, fout = tuple(str(i) for i in force_in), tuple(str(i) for i in force_out)
        if budget is None and not fin and not fout and not cost and not beneficiaries:
            assert self._form is not None
            return self._base, self._form
        problem = self.problem
        unknown = [i for i in (*fin, *fout, *(cost or {}), *(beneficiaries or {}))
                   if str(i) not in problem.index]
        if unknown:
            raise InvalidInputError([InputProblem("no proposal with this id", value=str(i))
                                     for i in unknown])
        both = set(fin) & set(fout)
        if both:
            raise InvalidInputError(f"forced both in and out: {sorted(both)}")
        rules = self.rules
        if fin or fout:
            keep_in = tuple(f for f in rules.force_in if f.id not in fout)
            keep_out = tuple(f for f in rules.force_out if f.id not in fin)
            have_in = {f.id for f in keep_in}
            have_out = {f.id for f in keep_out}
            rules = rules.model_copy(update={
                "force_in": keep_in + tuple(Force(id=i, reason="scenario") for i in fin
                                            if i not in have_in),
                "force_out": keep_out + tuple(Force(id=i, reason="scenario") for i in fout
                                              if i not in have_out)})
        cost_v = problem.cost.copy()
        for i, c in (cost or {}).items():
            cost_v[problem.index[str(i)]] = to_minor(_money(c, f"cost[{i}]"))
        benefit_v = problem.benefit.copy()
        for i, b in (beneficiaries or {}).items():
            if not math.isfinite(float(b)) or float(b) < 0:
                raise InvalidInputError(InputProblem("beneficiaries must be >= 0",
                                                     column=f"beneficiaries[{i}]", value=str(b)))
            benefit_v[problem.index[str(i)]] = float(b)
        total = self.budget if budget is None else _money(budget, "budget")
        case = _case(problem, rules, cost_v, benefit_v, total)
        return case, formulate(case.inputs)

    def answer_holds_from(self, selected: Iterable[str], cost_fen: int) -> int:
        """The least budget (fen) down to which a list optimal at a larger budget stays the
        answer: its own cost, raised so that ``max_project_share`` still admits its
        dearest project.

        Why this is exact: the budget only bounds the list's cost (and screens out
        proposals dearer than the budget or its ``max_project_share``). Between this
        budget and the one it was solved at, the same list stays feasible, the optimum
        cannot rise (fewer lists), and the cheapest optimal list, then the earliest in id
        order, stays so (the tie-break picks it again).
        """
        low = int(cost_fen)
        share = self.rules.max_project_share
        ids = list(selected)
        if share is not None and ids:
            problem = self.problem
            dearest = max(int(problem.cost[problem.index[i]]) for i in ids)
            frac = exact_share(share)   # the least budget B with dearest ≤ share × B
            low = max(low, -(-dearest * frac.denominator // frac.numerator))
        return low

    def _solve_schedule_last(self, case: _Case, form: Formulation, options: SolveOptions,
                             hint: tuple[str, ...] | None = None) -> Solved | None:
        """Solve without the monthly schedule, then place the start months.

        The model without the schedule is a relaxation (same candidates, fewer rows). When
        its answer (tie-break included) can be scheduled, it is the answer of the whole
        model: no list serves more (the relaxation's bound holds), and among the lists that
        serve as many it is the cheapest, then the earliest in id order, since the whole
        model's lists are among the relaxation's. The start months are then the earliest
        plan. When it cannot be scheduled, ``None``: the caller solves the whole model. The
        relaxation is several times faster to prove, and the monthly caps rarely bind.
        Both parts share the options' one deadline.
        """
        t0 = time.perf_counter()
        if self._base.inputs is case.inputs and self._relaxed is not None:
            rel_case, rel_form = self._relaxed
        else:
            rules = case.rules.model_copy(update={"schedule": None})
            inputs = replace(case.inputs, rules=rules)
            rel_case = replace(case, rules=rules, inputs=inputs)
            rel_form = formulate(inputs)
            if self._base.inputs is case.inputs:
                self._relaxed = (rel_case, rel_form)
        accept = self._acceptor(rel_case, rel_form)
        relaxed = solve_formulation(rel_form, cost=case.cost, ids=self.problem.ids,
                                    options=replace(options, accept=accept,
                                                    start=self._start(rel_form, hint, accept)))
        if relaxed.status is Status.INFEASIBLE:
            return relaxed
        if options.deadline.expired():
            return None
        starts = self._plan(case, form, relaxed.columns, options)
        if starts is None:
            return None
        columns = np.concatenate([relaxed.columns, starts])
        if not self._acceptor(case, form)(columns):
            return None
        relaxed.columns = columns
        relaxed.timings["schedule"] = time.perf_counter() - t0
        return relaxed

    def _start(self, form: Formulation, hint: tuple[str, ...] | None,
               accept: Callable[[np.ndarray], bool]) -> np.ndarray | None:
        """Every column of ``form`` for the hinted list, when it keeps every rule."""
        if hint is None or form.is_knapsack() or not form.n_x:
            return None
        index = self.problem.index
        if any(i not in index for i in hint):
            return None
        chosen = np.zeros(self.problem.n, dtype=bool)
        chosen[[index[i] for i in hint]] = True
        if int(chosen[form.cand].sum()) != int(chosen.sum()):
            return None   # a hinted proposal is not a candidate here
        return complete_start(form, chosen[form.cand].astype(np.float64), accept)

    def _plan(self, case: _Case, form: Formulation, head: np.ndarray,
              options: SolveOptions) -> np.ndarray | None:
        """:func:`place_schedule`, remembered per list and costs of its projects (the
        monthly rows depend on nothing else): what-ifs meet the same lists again and again."""
        chosen = form.cand[np.rint(head[: form.n_x]) > 0.5]
        key = (chosen.tobytes(), case.cost[chosen].tobytes())
        if key in self._plans:
            plan = self._plans[key]
            if plan is None:
                return None
            pairs = form.start_pairs
            months = np.array([plan.get(int(p), -1) for p in form.cand[pairs[:, 0]]])
            placed: np.ndarray = (months == pairs[:, 1]).astype(np.float64)
            return placed
        solver = "highs" if options.solver is Backend.CPSAT else options.solver.value
        starts = place_schedule(form, head, solver, options.deadline)
        if starts is not None or options.deadline.at is None:   # a timed-out search proves nothing
            self._plans[key] = None if starts is None else self._starts(
                form, np.concatenate([head, starts]))
        return starts

    def _check_forced(self, case: _Case) -> None:
        reasons = case.screening.reasons
        for f in case.rules.force_in:
            if f.id in reasons:
                why = "; ".join(r for r in reasons[f.id] if not r.startswith("forced out"))
                raise InfeasibleError(
                    f"'{f.id} is forced in' cannot hold: {f.id} is not a candidate ({why})",
                    conflict=[f"force_in[{f.id}]", "eligibility"])

    def _payments(self, case: _Case, chosen: np.ndarray) -> np.ndarray | None:
        rules = case.rules
        if not rules.pools:
            return None
        allowed = pool_eligibility(self.problem, rules.pools)
        amounts = np.array([to_minor(p.amount) for p in rules.pools], dtype=np.int64)
        sel = np.flatnonzero(chosen)
        y = exact_pool_payments(case.cost[sel], allowed[sel], amounts)
        out = np.zeros((self.problem.n, len(rules.pools)), dtype=np.int64)
        if y is not None:
            out[sel] = y
        return out

    def _acceptor(self, case: _Case, form: Formulation) -> Callable[[np.ndarray], bool]:
        """The exact check of a rounded answer: every rule holds (plain numpy, in fen).
        The last list it accepted is remembered with its payment plan, so that the final
        verification of the same list (same case, list and start months) is not repeated."""
        def accept(cols: np.ndarray) -> bool:
            chosen = np.zeros(self.problem.n, dtype=bool)
            chosen[form.cand[cols[: form.n_x] > 0.5]] = True
            payments = self._payments(case, chosen)
            starts = self._starts(form, cols)
            ok = not rule_violations(
                self.problem, case.rules, chosen, cost=case.cost, benefit=case.benefit,
                budget_minor=case.inputs.budget_minor, eligible=case.screening.eligible,
                payments=payments, starts=starts)
            if ok:
                self._verified = (case, chosen, starts, payments)
            return ok
        return accept

    def _verified_payments(self, case: _Case, chosen: np.ndarray,
                           starts: dict[int, int]) -> tuple[bool, np.ndarray | None]:
        """``(True, payments)`` when the acceptor already verified exactly this list."""
        memo = self._verified
        if memo is not None and memo[0] is case and memo[2] == starts \
                and np.array_equal(memo[1], chosen):
            return True, memo[3]
        return False, None

    @staticmethod
    def _starts(form: Formulation, columns: np.ndarray) -> dict[int, int]:
        if "start" not in form.layout:
            return {}
        on = columns[form.layout["start"]] > 0.5
        pairs = form.start_pairs[on]
        return {int(form.cand[k]): int(m) for k, m in pairs}

    def _selection(self, case: _Case, form: Formulation, solved: Solved,
                   checked: _Checked) -> Selection:
        from selector.engine.binding import binding_rows

        chosen, payments, starts = checked.chosen, checked.payments, checked.starts
        ids = self.problem.ids
        sel = np.flatnonzero(chosen)
        pool_payments: dict[str, dict[str, Decimal]] = {}
        if payments is not None:
            names = [p.name for p in case.rules.pools]
            pool_payments = {str(ids[i]): {} for i in sel}
            rows, pools = np.nonzero(payments[sel])   # row-major: each list in pool order
            amounts = payments[sel][rows, pools].tolist()
            for i, p, fen in zip(sel[rows].tolist(), pools.tolist(), amounts, strict=True):
                pool_payments[str(ids[i])][names[p]] = from_fen(fen)
        return Selection(
            status=solved.status, objective=solved.objective, bound=solved.bound,
            gap=solved.gap, selected=tuple(str(i) for i in ids[sel].tolist()),
            total_cost=from_fen(int(case.cost[chosen].sum())),
            beneficiaries=float(case.benefit[chosen].sum()),
            proposals=self.proposals, rules=case.rules, budget=case.budget,
            pool_payments=pool_payments,
            schedule={str(ids[i]): m for i, m in sorted(starts.items())},
            ineligible=dict(case.screening.reasons),
            binding=binding_rows(form, solved.columns, case, payments),
            forced_in={f.id: f.reason for f in case.rules.force_in},
            forced_out={f.id: f.reason for f in case.rules.force_out},
            solver=solved.record, solver_version=solved.record.version,
            seconds=time.perf_counter() - checked.t0, timings=solved.timings,
            tie_break=solved.tie_break)

    def __repr__(self) -> str:
        assert self._form is not None
        rows, cols = self._form.shape
        budget = "no budget" if self.budget is None else f"budget {money_words(to_minor(self.budget))}"
        return (f"<Model: {self.problem.n} proposals, {int(self.eligible.sum())} candidates, "
                f"{rows} rows × {cols} columns, {budget}>")


def _case(problem: Problem, rules: Rules, cost: np.ndarray, benefit: np.ndarray,
          budget: Decimal | None) -> _Case:
    budget_minor = None if budget is None else to_minor(budget)
    screening = screen_problem(problem, rules, cost, budget_minor)
    weight = objective_weights(problem, rules, benefit)
    inputs = Inputs(problem=problem, rules=rules, cost=cost, weight=weight, benefit=benefit,
                    budget_minor=budget_minor, eligible=screening.eligible,
                    force_in=tuple(f.id for f in rules.force_in
                                   if f.id not in screening.reasons))
    return _Case(rules=rules, cost=cost, benefit=benefit, budget=budget, screening=screening,
                 inputs=inputs)
