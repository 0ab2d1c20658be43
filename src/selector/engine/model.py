"""``Model``: compiled once (screening, arrays, constraint matrix), solved many times."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np

from selector._errors import InputProblem, InvalidInputError
from selector.engine.binding import binding_keys
from selector.engine.case import (
    Case,
    Overrides,
    answer_holds_from,
    build_case,
    with_forces,
)
from selector.engine.diagnose import RulesConflict, infeasible_error
from selector.engine.families.base import Outcome, Reason, RuleCheck
from selector.engine.families.pools import pool_amounts
from selector.engine.formulate import Formulation, formulate
from selector.engine.objective import objective_weights
from selector.engine.options import SOLVERS, SolverName
from selector.engine.screening import check_columns, pool_eligibility
from selector.engine.solve import (
    Deadline,
    Solved,
    SolveRequest,
    complete_start,
    exact_pool_payments,
    place_schedule,
    solve_formulation,
)
from selector.engine.verify import rule_violations, verify_selection
from selector.engine.words import Words
from selector.i18n import DEFAULT_LANG, fmt_money, t
from selector.model import ProposalSet
from selector.money import MoneyLike, from_fen, parse_money
from selector.problem import Problem
from selector.result import Backend, Selection, Status
from selector.rules import Rules

__all__ = ["RESERVE_PER_PROPOSAL", "RESERVE_SHARE", "Model", "objective_weights"]

#: With a time limit, the solver stages end early enough to leave this share of the limit
#: (or :data:`RESERVE_PER_PROPOSAL` a proposal when that is more, up to half the limit)
#: for verifying the list and assembling the result.
RESERVE_SHARE = 0.05
#: Seconds per proposal kept for the result (payments, binding rules, verification:
#: about 3 µs a proposal was measured at 1,000,000, so 0.4 s at 100,000 and 4 s there).
RESERVE_PER_PROPOSAL = 4e-6


@dataclass(frozen=True)
class _Checked:
    """A verified list: the chosen proposals, how the pools pay, the start months, every
    rule's check at it, and when the call began."""

    chosen: np.ndarray
    payments: np.ndarray | None
    starts: dict[int, int]
    checks: tuple[RuleCheck, ...]
    t0: float


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
                 budget: Decimal | None, base: Case, default_solver: SolverName) -> None:
        self.proposals = proposals
        self.rules = rules
        self.problem = problem
        self.budget = budget
        self._base = base
        self._form: Formulation = base.form     # the base case's program
        self._without_schedule: Model | None = None
        # start months placed for a list: {(positions, their costs): {position: month}}
        self._plans: dict[tuple[bytes, bytes], dict[int, int] | None] = {}
        # the last list the exact check accepted: (case, chosen, start months, payments)
        self._verified: tuple[Case, np.ndarray, dict[int, int], np.ndarray | None] | None = None
        self.default_solver: SolverName = default_solver
        self.eligible: np.ndarray = base.screening.eligible

    @property
    def ineligible(self) -> Mapping[str, tuple[str, ...]]:
        """``{id: (reason, ...)}`` for every proposal that is never a candidate (English;
        :attr:`reasons` holds them structured)."""
        return self._base.screening.reasons

    @property
    def reasons(self) -> Mapping[str, tuple[Reason, ...]]:
        """``{id: (Reason, ...)}`` for every proposal that is never a candidate."""
        return self._base.screening.why

    @property
    def integral_objective(self) -> bool:
        """True when every objective coefficient is a whole number (optima tie exactly)."""
        return self._base.form.integral_objective

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
        total = parse_money(budget, "budget") if budget is not None else rules.total_budget
        case = build_case(problem, rules, problem.cost, problem.benefit, total)
        return cls(proposals, rules, problem, total, case, solver)

    # keyword-only: the overrides (Overrides) and the options (SolveOptions) spelt out, the
    # one call every planner script makes; both objects exist for code that passes them on
    def solve(self, *, budget: MoneyLike | None = None, force_in: Iterable[str] = (),  # noqa: PLR0913
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
        if solver_name not in SOLVERS:
            raise InvalidInputError(InputProblem(
                t("engine.error.solver_name", DEFAULT_LANG), column="solver",
                value=str(solver_name)))
        case, form = self._case_for(budget, force_in, force_out, cost, beneficiaries)
        timings = {"build": time.perf_counter() - t0}
        self._check_forced(case)
        options = SolveRequest(solver=Backend(solver_name), gap=1e-6 if gap is None else gap,
                               tie_break=tie_break, deadline=self._stage_deadline(overall))
        solved = self._solve_case(case, form, options, None if hint is None else tuple(hint))
        if solved.status is Status.INFEASIBLE:
            raise infeasible_error(form, "highs", len(case.screening.why), diagnose,
                                   overall.left())
        chosen = np.zeros(self.problem.n, dtype=bool)
        chosen[form.cand[solved.x.astype(bool)]] = True
        starts = self._starts(form, solved.columns)
        checked, payments = self._verified_payments(case, chosen, starts)
        if not checked:   # the acceptor's payment plan for this very list, else a new one
            payments = self._payments(case, chosen)
        # every rule re-checked on the list, with its members (the checks the result keeps)
        checks = verify_selection(self._outcome(case, chosen, payments, starts))
        timings.update(solved.timings)
        solved.timings = timings
        return self._selection(case, form, solved,
                               _Checked(chosen, payments, starts, checks, t0))

    def _stage_deadline(self, overall: Deadline) -> Deadline:
        """When the solver stages must end: the call's deadline less the reserve for the
        result (:data:`RESERVE_SHARE`, :data:`RESERVE_PER_PROPOSAL`)."""
        left = overall.left()
        if left is None:
            return overall
        reserve = min(0.5 * left, max(RESERVE_SHARE * left,
                                      RESERVE_PER_PROPOSAL * self.problem.n))
        return overall.share(1.0 - reserve / left) if left > 0 else overall

    def _solve_case(self, case: Case, form: Formulation, options: SolveRequest,
                    hint: tuple[str, ...] | None) -> Solved:
        """The schedule-last route when the rules have a monthly plan, else the whole model."""
        if "start" in form.layout:
            solved = self._solve_schedule_last(case, form, options, hint)
            if solved is not None:
                return solved
        accept = self._acceptor(case, form)
        options = replace(options, accept=accept, start=self._start(form, hint, accept))
        return solve_formulation(form, cost=case.cost, ids=self.problem.ids, options=options)

    # -- what-if: cases -------------------------------------------------------------------
    def case(self, overrides: Overrides | None = None) -> Case:
        """The model with ``overrides`` (see :class:`~selector.engine.case.Overrides`),
        screened and formulated; the base case without any.

        Raises
        ------
        InvalidInputError
            Overrides naming ids that are not proposals.
        """
        if overrides is None or overrides.none:
            return self._base
        problem = self.problem
        unknown = [i for i in (*overrides.force_in, *overrides.force_out,
                               *(i for i, _ in overrides.cost),
                               *(i for i, _ in overrides.beneficiaries))
                   if i not in problem.index]
        if unknown:
            raise InvalidInputError([InputProblem(str(Words("rules.invalid.no_id", {"id": i})),
                                                  value=i) for i in unknown])
        cost = problem.cost.copy()
        for i, amount in overrides.cost:
            cost[problem.index[i]] = int(amount * 100)
        benefit = problem.benefit.copy()
        for i, b in overrides.beneficiaries:
            benefit[problem.index[i]] = b
        budget = self.budget if overrides.budget is None else overrides.budget
        return build_case(problem, with_forces(self.rules, overrides), cost, benefit, budget)

    def without_schedule(self) -> Model:
        """This model without its monthly schedule: a relaxation with the same candidates
        (built once and kept; the model itself when it has no schedule)."""
        if self.rules.schedule is None:
            return self
        if self._without_schedule is None:
            rules = self.rules.model_copy(update={"schedule": None})
            base = self._base
            relaxed = replace(base, rules=rules, inputs=replace(base.inputs, rules=rules),
                              form=formulate(replace(base.inputs, rules=rules)))
            self._without_schedule = Model(self.proposals, rules, self.problem, self.budget,
                                           relaxed, self.default_solver)
        return self._without_schedule

    def objective_weights(self, benefit: np.ndarray | None = None) -> np.ndarray:
        """The objective coefficient of every proposal, at these beneficiaries (default:
        the estimates); see :mod:`selector.engine.objective`."""
        return objective_weights(self.problem, self.rules,
                                 self.problem.benefit if benefit is None else benefit)

    # -- pieces ---------------------------------------------------------------------------
    def _case_for(self, budget: MoneyLike | None, force_in: Iterable[str],
                  force_out: Iterable[str], cost: Mapping[str, MoneyLike] | None,
                  beneficiaries: Mapping[str, float] | None) -> tuple[Case, Formulation]:
        case = self.case(Overrides.of(budget=budget, force_in=force_in, force_out=force_out,
                                      cost=cost, beneficiaries=beneficiaries))
        return case, case.form

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
        return answer_holds_from(self.problem, self.rules, selected, cost_fen)

    def _solve_schedule_last(self, case: Case, form: Formulation, options: SolveRequest,
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
        if self._base.inputs is case.inputs:
            rel_case = self.without_schedule().case()
        else:
            rules = case.rules.model_copy(update={"schedule": None})
            inputs = replace(case.inputs, rules=rules)
            rel_case = replace(case, rules=rules, inputs=inputs, form=formulate(inputs))
        rel_form = rel_case.form
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

    def _plan(self, case: Case, form: Formulation, head: np.ndarray,
              options: SolveRequest) -> np.ndarray | None:
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

    def _check_forced(self, case: Case) -> None:
        reasons = case.screening.why
        for f in case.rules.force_in:
            if f.id in reasons:
                why = tuple(r.words for r in reasons[f.id] if r.family != "force")
                raise RulesConflict(Words("rules.conflict.forced_screened",
                                          {"id": f.id, "why": why}),
                                    conflict=[f"force_in[{f.id}]", "eligibility"])

    def _payments(self, case: Case, chosen: np.ndarray) -> np.ndarray | None:
        rules = case.rules
        if not rules.pools:
            return None
        allowed = pool_eligibility(self.problem, rules.pools)
        amounts = pool_amounts(rules.pools)
        sel = np.flatnonzero(chosen)
        y = exact_pool_payments(case.cost[sel], allowed[sel], amounts)
        out = np.zeros((self.problem.n, len(rules.pools)), dtype=np.int64)
        if y is not None:
            out[sel] = y
        return out

    def _acceptor(self, case: Case, form: Formulation) -> Callable[[np.ndarray], bool]:
        """The exact check of a rounded answer: every rule holds (plain numpy, in fen).
        The last list it accepted is remembered with its payment plan, so that the final
        verification of the same list (same case, list and start months) does not plan the
        payments again."""
        def accept(cols: np.ndarray) -> bool:
            chosen = np.zeros(self.problem.n, dtype=bool)
            chosen[form.cand[cols[: form.n_x] > 0.5]] = True
            payments = self._payments(case, chosen)
            starts = self._starts(form, cols)
            ok = not rule_violations(self._outcome(case, chosen, payments, starts,
                                                   detail=False))
            if ok:
                self._verified = (case, chosen, starts, payments)
            return ok
        return accept

    def _verified_payments(self, case: Case, chosen: np.ndarray,
                           starts: dict[int, int]) -> tuple[bool, np.ndarray | None]:
        """``(True, payments)`` when the acceptor already accepted exactly this list."""
        memo = self._verified
        if memo is not None and memo[0] is case and memo[2] == starts \
                and np.array_equal(memo[1], chosen):
            return True, memo[3]
        return False, None

    def _outcome(self, case: Case, chosen: np.ndarray, payments: np.ndarray | None,
                 starts: dict[int, int], *, detail: bool = True) -> Outcome:
        """The list ``chosen`` of ``case`` as the rule checks read it."""
        return Outcome(problem=self.problem, rules=case.rules, chosen=chosen, cost=case.cost,
                       benefit=case.benefit, budget_minor=case.inputs.budget_minor,
                       eligible=case.screening.eligible, payments=payments, starts=starts,
                       detail=detail)

    @staticmethod
    def _starts(form: Formulation, columns: np.ndarray) -> dict[int, int]:
        if "start" not in form.layout:
            return {}
        on = columns[form.layout["start"]] > 0.5
        pairs = form.start_pairs[on]
        return {int(form.cand[k]): int(m) for k, m in pairs}

    def _selection(self, case: Case, form: Formulation, solved: Solved,
                   checked: _Checked) -> Selection:
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
            ineligible=case.screening.reasons,
            ineligible_reasons=case.screening.why,
            binding=binding_keys(form, solved.columns,
                                 self._outcome(case, chosen, payments, starts, detail=False)),
            forced_in={f.id: f.reason for f in case.rules.force_in},
            forced_out={f.id: f.reason for f in case.rules.force_out},
            solver=solved.record, solver_version=solved.record.version,
            seconds=time.perf_counter() - checked.t0, timings=solved.timings,
            tie_break=solved.tie_break, checks=checked.checks)

    def __repr__(self) -> str:
        rows, cols = self._base.form.shape
        budget = "no budget" if self.budget is None else \
            f"budget {fmt_money(self.budget, 'en', currency=self.proposals.currency, decimals=None)}"
        return (f"<Model: {self.problem.n} proposals, {int(self.eligible.sum())} candidates, "
                f"{rows} rows × {cols} columns, {budget}>")

