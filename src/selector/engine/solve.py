"""How a model is solved: the route its shape picks, the lexicographic stages, the fallbacks
between solvers, and one deadline for all of it.

Solvers themselves run only in :mod:`selector.engine.backends` (the one module that calls
one); this module decides which runs, when, and what its answer proves.

**Routes** — the first that applies, whatever solver was asked for (the asked solver is
the MILP back-end); recorded in ``Selection.solver.route``:

=================  ===========================================================================
``empty``          no candidate: the empty list, when the rules allow it
``knapsack-dp``    budget only, whole-number weights, up to 200,000 candidates: the exact
                   three-stage answer by a dynamic programme over a proven core
                   (:mod:`selector.engine._small_knapsack`; milliseconds)
``knapsack-core``  budget only, 5,000+ candidates the programme declined: the core knapsack
                   solver, proven within the gap (:mod:`selector.engine._knapsack`)
``cpsat``          whole-number model (every row whole after a power of ten, whole-number
                   weights) of up to :data:`CPSAT_MAX` candidates with the tie-break on, or
                   ``solver="cpsat"``: every stage in CP-SAT's exact integers; stage 1 gets
                   a deterministic work limit (:data:`CPSAT_WORK`) past which the MILP
                   takes over (recorded as a fallback)
``lp-core``        more than :data:`TIE_BREAK_MAX` candidates, no tie-break, a gap above 0:
                   a core fixed by the LP relaxation, searched by HiGHS and proven by the
                   whole LP's bound; else, for a whole-number model, ``cpsat`` again:
                   stage 1 in CP-SAT on cores the reduced costs leave free, proven by the
                   Lagrangian bound on the columns fixed (:func:`_reduced_rounds`; also
                   ``solver="cpsat"`` past :data:`CPSAT_MAX`); else the MILP
``milp``           everything else: the stages below with the solver asked for
=================  ===========================================================================

**Stages** — up to three lexicographic stages, all on the same constraints:

1. maximise the objective ``w·x``; its best bound is the proof reported;
2. among lists within the tie tolerance of stage 1's value (``w·x ≥ z₁ − 0.5`` when every
   ``w`` is an integer, ``w·x ≥ z₁ − max(1e-6, 1e-9·|z₁|)`` otherwise), minimise the money
   spent (exact fen);
3. among those, at that cost, minimise the sum of the candidates' positions in ascending
   text order of their ids (1 for the smallest id): earlier ids are preferred.

In CP-SAT stages 2 and 3 are one exact objective ``min M·cost + rank sum`` with ``M`` the
sum of all ranks + 1 (so cost decides first), when that fits 62 bits. Stages 2 and 3 run by
default up to :data:`TIE_BREAK_MAX` candidates (larger models skip them unless asked: the
list is then the solver's own optimum, the same on every run with the same solver, which
runs single-threaded). They are solved to proven optimality on their integer objectives
(absolute gap :data:`INTEGER_ABS_GAP`) within a share of the time
(:data:`TIE_BREAK_MIN_SECONDS`, or :data:`TIE_BREAK_SHARE` × stage 1, never past the
deadline); if one stops early its best list is kept (feasible and as good in stage 1) and
``tie_break`` says ``stopped early``.

**Fallbacks** (each recorded in ``Selection.solver.fallbacks`` with the solver's own words):
a solver error, crash or fractional "integer" answer → the other MILP solver (CBC ↔
HiGHS; CP-SAT → HiGHS) on the same stage; an "infeasible" stage 1 → confirmed by the other
solver, which solves when it finds a list (CBC has pruned feasible models at a budget
edge); a CBC stage 1 of up to :data:`SECOND_OPINION_MAX` candidates → re-solved by HiGHS,
whose better list wins (CBC has proved wrong optima there). Only when every solver failed
is :class:`~selector.SolverError` raised.

**Deadline** — one :class:`Deadline` for the whole call; every solver run gets only the
time left (no stage is granted the full limit again), and the tie-break its share of it.

**Exactness** — HiGHS runs with feasibility tolerances of 1e-9 on rows scaled by powers of
two; every rounded answer of every stage is re-checked exactly (the caller's ``accept``,
and the stage rows); one that breaks a rule is cut off by a no-good cut on the 0/1 columns
and the stage re-solved. Answers are read with ``np.rint``; a CBC run that stopped on its
time limit is never called optimal (``prob.sol_status`` and CBC's own log decide), and one
that ended "Optimal" at a gap without printing a bound is bounded by what the gap allows
or its LP relaxation, never by its own objective
(:func:`~selector.engine.backends.cbc_bound`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version

import numpy as np
import scipy.sparse as sp

from selector._errors import SolverError
from selector.engine._cpsat import near_whole
from selector.engine._sifting import sifted_lp
from selector.engine.backends import (
    Limits,
    LpAnswer,
    MatrixModel,
    Outcome,
    RawResult,
    cbc_version,
    cpsat_version,
    fractional,
    highs_version,
    run_cbc,
    run_cpsat,
    run_highs,
)
from selector.engine.formulate import Formulation
from selector.i18n import DEFAULT_LANG, t
from selector.result import (
    Backend,
    Fallback,
    FallbackReason,
    Route,
    SolverRecord,
    Status,
    TieBreak,
)

__all__ = ["Deadline", "SolveRequest", "Solved", "complete_start", "exact_pool_payments",
           "feasible", "place_schedule", "run", "solve_formulation", "tie_tolerance"]

#: Up to this many candidates the tie-break stages run by default. Above it they are
#: skipped (``tie_break=None``): on 10,000 generated proposals (about 3,800 candidates)
#: the cheapest-optimum stage alone took 1-22 s; pass ``tie_break=True`` to run them.
TIE_BREAK_MAX = 2000

#: From this many candidates a budget-only model the dynamic programme declined goes to
#: the core knapsack solver (proven within the gap, no tie-break); below, to the MILP.
KNAPSACK_MIN = 5000

#: Up to this many candidates a CBC answer is checked by HiGHS (stage 1; see the module
#: docstring).
SECOND_OPINION_MAX = 200

#: The ``cpsat`` route: models of up to this many candidates (and the tie-break on)...
CPSAT_MAX = 2000
#: ... whose stage 1 CP-SAT proves within this deterministic time (CP-SAT's own work
#: units, about seconds on this kind of machine: the same verdict on every run); past it
#: the MILP solves the model.
CPSAT_WORK = 5.0

#: Stage 1 of a model too large for the tie-break (and a gap above 0) first tries a
#: list proven by the LP relaxation's bound (``_lp_core``): the LP's basic and fractional
#: candidates plus this many more of least reduced cost stay free, every other candidate
#: is fixed at its LP value, and HiGHS searches that core for at most
#: :data:`CORE_MAX_NODES` nodes (a work limit, not a time limit: the same list on every
#: run). Measured on generated calls with every rule family (100,000 proposals, about
#: 37,800 candidates, four seeds): the root of a core of ~520 columns reaches 2.6e-7 to
#: 9e-7 of the LP bound in 0.06-0.3 s, against CBC's 4.9 s (plus 3.5 s of writing and
#: reading its files) and HiGHS over 240 s on the whole model. Where the gap cannot be
#: proven this way (10,000-30,000 proposals: an absolute allowance of 1.5-4.7
#: beneficiaries) the attempt costs 0.2-0.3 s and the whole model is solved as before.
CORE_EXTRA = 64
CORE_MAX_NODES = 5
#: CP-SAT's deterministic work limit on the LP-guided core when it looks for the list the
#: ``cpsat`` route fixes columns around (see :func:`_fixed_core`).
CORE_WORK = 0.1

#: A rounded answer that breaks a rule is cut off and the stage re-solved, at most this
#: many times per stage (each cut removes exactly one 0/1 point).
MAX_REPAIRS = 20

#: Stages 2 and 3 together get at most ``max(TIE_BREAK_MIN_SECONDS,
#: TIE_BREAK_SHARE × stage 1's seconds)`` (and never more than the deadline leaves).
TIE_BREAK_MIN_SECONDS = 5.0
TIE_BREAK_SHARE = 2.0

#: Absolute gap at which an integer objective (beneficiaries, fen, ranks) is proven. Not
#: ``1 − ε``: a bound of 22992.9999999 (22993 up to the solver's tolerance) would then
#: "prove" a list of 22992. With 0.4 the best bound, rounded half up, is exact.
INTEGER_ABS_GAP = 0.4

Accept = Callable[[np.ndarray], bool]
Clock = Callable[[], float]

#: When one MILP solver fails, the next one tried.
_NEXT = {Backend.CBC: Backend.HIGHS, Backend.HIGHS: Backend.CBC, Backend.CPSAT: Backend.HIGHS}


# -- the deadline and the options -----------------------------------------------------------
@dataclass(frozen=True)
class Deadline:
    """The moment a call must be done by, on one clock; ``at=None``: no limit.

    Every solver run is given :meth:`left` — what remains, never the full limit again.

    Examples
    --------
    >>> now = [100.0]
    >>> d = Deadline.after(20.0, clock=lambda: now[0])
    >>> now[0] = 105.0
    >>> d.left(), d.within(3.0).left(), d.share(0.5).left()
    (15.0, 3.0, 7.5)
    >>> Deadline().left() is None
    True
    """

    at: float | None = None
    clock: Clock = time.perf_counter

    @classmethod
    def after(cls, seconds: float | None, clock: Clock = time.perf_counter) -> Deadline:
        """``seconds`` from now (``None``: no limit)."""
        return cls(None if seconds is None else clock() + float(seconds), clock)

    def left(self) -> float | None:
        """Seconds left (0 when past), ``None`` without a limit."""
        return None if self.at is None else max(0.0, self.at - self.clock())

    def expired(self) -> bool:
        """True when no time is left."""
        left = self.left()
        return left is not None and left <= 0

    def within(self, seconds: float) -> Deadline:
        """The earlier of this deadline and ``seconds`` from now."""
        at = self.clock() + seconds
        return replace(self, at=at if self.at is None else min(self.at, at))

    def share(self, fraction: float) -> Deadline:
        """``fraction`` of the time left from now (no limit stays no limit)."""
        left = self.left()
        return self if left is None else replace(self, at=self.clock() + fraction * left)


@dataclass(frozen=True)
class SolveRequest:
    """How one model is to be solved (the engine's inner settings, built by
    :meth:`selector.engine.Model.solve`; the public, user-facing settings are
    :class:`selector.engine.options.SolveOptions`).

    Attributes
    ----------
    solver:
        The MILP solver asked for (``cbc``, ``highs`` or ``cpsat``); routes chosen by the
        model's shape come first (see the module docstring).
    gap:
        Relative gap at which stage 1 is proven (an integer objective is also proven by
        an absolute gap below 1).
    tie_break:
        Run stages 2 and 3; ``None``: when there are at most :data:`TIE_BREAK_MAX`
        candidates.
    deadline:
        When the whole solve must be done.
    accept:
        Exact check of a rounded answer (all columns). A rounded answer it rejects is cut
        off (a no-good cut on the 0/1 columns) and the stage re-solved, so a solver's
        tolerance can never hand back a list that breaks a rule, and no feasible list is
        lost.
    start:
        A point of the model (every column) that keeps every rule, handed to HiGHS or
        CP-SAT as the first incumbent of stage 1 (see :func:`complete_start`).
    """

    solver: Backend = Backend.CBC
    gap: float = 1e-6
    tie_break: bool | None = None
    deadline: Deadline = field(default_factory=Deadline)
    accept: Accept | None = None
    start: np.ndarray | None = None


@dataclass
class Solved:
    """A solver's answer, interpreted (not yet verified)."""

    status: Status
    columns: np.ndarray
    x: np.ndarray
    objective: float
    bound: float
    gap: float
    record: SolverRecord
    timings: dict[str, float] = field(default_factory=dict)
    tie_break: TieBreak = TieBreak.OFF


def tie_tolerance(form: Formulation, z: float) -> float:
    """Objective values closer than this are the same optimum (see the module docstring)."""
    return 0.5 if form.integral_objective else max(1e-6, 1e-9 * abs(z))


# -- one solver run ---------------------------------------------------------------------------
def _version(backend: Backend) -> str:
    """The name and version of the code that answered (``Selection.solver_version``)."""
    if backend is Backend.CBC:
        return cbc_version()
    if backend is Backend.CPSAT:
        return cpsat_version()
    if backend is Backend.KNAPSACK:
        return f"selector {_own_version()}"
    return f"HiGHS {highs_version()}"   # HiGHS itself, or on the LP-guided core


def _own_version() -> str:
    try:
        return package_version("selector")
    except PackageNotFoundError:   # run from a source tree that was never installed
        return "(source)"


#: The status of a run that was never started: the deadline had passed (the user reads
#: ``engine.error.no_time``, not these words).
NO_TIME_LEFT = "no time left"


def _run(model: MatrixModel, backend: Backend, limits: Limits,
         start: np.ndarray | None = None) -> RawResult:
    """One run of one solver (no fallback)."""
    if limits.time_limit is not None and limits.time_limit <= 0:
        return RawResult(Outcome.NO_SOLUTION, None, math.nan, math.nan, NO_TIME_LEFT)
    if model.matrix.shape[1] == 0:   # HiGHS calls this "Empty"; the answer is plain
        zero = bool(np.all(model.row_lower <= 0) and np.all(model.row_upper >= 0))
        return (RawResult(Outcome.OPTIMAL, np.empty(0), 0.0, 0.0, "empty model") if zero
                else RawResult(Outcome.INFEASIBLE, None, math.nan, math.nan, "empty model"))
    if backend is Backend.HIGHS:
        return run_highs(model, limits, start, start_is_feasible=start is not None
                         and _holds(model, start))
    if backend is Backend.CBC:
        return run_cbc(model, limits)
    return run_cpsat(model, limits, start)


def run(model: MatrixModel, solver: str, *, time_limit: float | None, rel_gap: float,
        abs_gap: float, start: np.ndarray | None = None) -> RawResult:
    """Solve ``model`` once with ``solver`` (``cbc``, ``highs`` or ``cpsat``); on a solver
    error the next solver answers (its words in ``raw_status``)."""
    try:
        backend = Backend(solver)
    except ValueError:
        raise SolverError(t("engine.error.unknown_solver", DEFAULT_LANG, got=solver)) from None
    if backend not in _NEXT:
        raise SolverError(t("engine.error.unknown_solver", DEFAULT_LANG, got=solver))
    deadline = Deadline.after(time_limit)
    said: list[str] = []
    tried: set[Backend] = set()
    while True:
        raw = _run(model, backend, Limits(deadline.left(), rel_gap, abs_gap), start)
        tried.add(backend)
        if raw.status is not Outcome.ERROR or _NEXT[backend] in tried:
            break
        said.append(f"{backend.value}: {raw.raw_status}")
        backend = _NEXT[backend]
    if said:
        raw.raw_status = "; ".join([*said, f"{backend.value}: {raw.raw_status}"])
    return raw


def feasible(form: Formulation, solver: str, time_limit: float | None) -> bool | None:
    """Is the model feasible? ``None`` when no solver could tell in time."""
    model = replace(_as_model(form), objective=np.zeros_like(form.objective))
    raw = run(model, "highs" if solver == "cpsat" else solver, time_limit=time_limit,
              rel_gap=1.0, abs_gap=math.inf)
    if raw.status in (Outcome.OPTIMAL, Outcome.FEASIBLE):
        return True
    if raw.status is Outcome.INFEASIBLE:
        return False
    return None


# -- small helpers on models -----------------------------------------------------------------
def _holds(model: MatrixModel, v: np.ndarray) -> bool:
    """Does ``v`` keep every bound, row and integrality of ``model`` (to 1e-9 relative)?"""
    if len(v) != len(model.objective):
        return False
    tol = 1e-9 * np.maximum(1.0, np.abs(v))
    if np.any(v < model.col_lower - tol) or np.any(v > model.col_upper + tol):
        return False
    if fractional(v, model.integer):
        return False
    ax = model.matrix @ v
    slack = 1e-9 * np.maximum(1.0, np.abs(ax))
    return bool(np.all(ax >= model.row_lower - slack) and np.all(ax <= model.row_upper + slack))


def _as_model(form: Formulation) -> MatrixModel:
    """The solvers' view of ``form``: the same rows, with the bounds of rows over integer
    columns tightened to what their whole-number sums can reach (:func:`_tightened`)."""
    cached = _MODELS.get(id(form))
    if cached is not None and cached[0] is form and cached[1] == _form_key(form):
        return cached[2]
    model = _tightened(MatrixModel(objective=form.objective, matrix=form.matrix,
                                   row_lower=form.row_lower, row_upper=form.row_upper,
                                   col_lower=form.col_lower, col_upper=form.col_upper,
                                   integer=form.integer, maximize=True))
    if len(_MODELS) >= 8:
        _MODELS.pop(next(iter(_MODELS)))
    _MODELS[id(form)] = (form, _form_key(form), model)
    return model


#: The last few solver views, per formulation (its identity and arrays kept, so a reused
#: id or a changed bound is a miss).
_MODELS: dict[int, tuple[Formulation, tuple[int, ...], MatrixModel]] = {}


def _form_key(form: Formulation) -> tuple[int, ...]:
    return tuple(id(a) for a in (form.objective, form.matrix, form.row_lower, form.row_upper,
                                 form.col_lower, form.col_upper, form.integer))


def _tightened(model: MatrixModel) -> MatrixModel:
    """Rows whose columns are all integer have a whole-number left-hand side once scaled
    to whole coefficients (a power of ten up to 10^6) and divided by their gcd ``g``: such
    a row's bounds round inward to multiples of ``g`` — the same integer points, a tighter
    LP. (The staff row of the benchmark call, in tenths of a month, capped at 14,666.67:
    14,666.6; CBC on 10,000 proposals then proved the optimum 1.3-5× faster on four seeds
    of six.)"""
    a = model.matrix.tocsr()
    if not a.nnz:
        return model
    counts = np.diff(a.indptr)
    rows = np.repeat(np.arange(a.shape[0]), counts)
    all_integer = np.ones(a.shape[0], dtype=bool)
    np.logical_and.at(all_integer, rows, model.integer[a.indices])
    lo, hi = model.row_lower.copy(), model.row_upper.copy()
    rounded = np.rint(a.data)
    exact = near_whole(a.data)
    whole = np.ones(a.shape[0], dtype=bool)
    np.logical_and.at(whole, rows, exact & (np.abs(rounded) < 2.0**53))
    step = np.full(a.shape[0], np.nan)
    nonempty = counts > 0
    gcd = np.gcd.reduceat(np.abs(rounded).astype(np.int64), a.indptr[:-1][nonempty])
    step[nonempty] = np.where(whole[nonempty], gcd, np.nan)   # whole coefficients at once
    for r in np.flatnonzero(all_integer & nonempty & ~whole):  # the few decimal rows
        found = _row_step(a.data[a.indptr[r]:a.indptr[r + 1]])
        step[r] = np.nan if found is None else found
    use = all_integer & nonempty & (lo != hi) & np.isfinite(step) & (step > 0)
    with np.errstate(invalid="ignore"):
        up = np.floor(hi / step + 1e-9) * step
        down = np.ceil(lo / step - 1e-9) * step
    hi = np.where(use & np.isfinite(hi), up, hi)
    lo = np.where(use & np.isfinite(lo), down, lo)
    return replace(model, row_lower=lo, row_upper=hi)


def _row_step(coefs: np.ndarray) -> float | None:
    """The step of a row's whole-number sums (gcd over the power of ten that makes its
    coefficients whole), or ``None`` when no power up to 10^6 does."""
    scale = 1
    while scale <= 10**6:
        v = coefs * scale
        whole = np.rint(v)
        if np.all(near_whole(v)):
            if np.max(np.abs(whole)) >= 2.0**53:
                return None
            g = int(np.gcd.reduce(np.abs(whole).astype(np.int64)))
            return g / scale if g else None
        scale *= 10
    return None


def _read_columns(x: np.ndarray | None, form: Formulation) -> np.ndarray:
    assert x is not None
    cols = x.copy()
    cols[form.integer] = np.rint(cols[form.integer])
    return cols


def _with_row(model: MatrixModel, coef: np.ndarray, bounds: tuple[float, float],
              minimize: np.ndarray | None = None) -> MatrixModel:
    """``model`` with the row ``bounds[0] ≤ coef·v ≤ bounds[1]`` added; with ``minimize``,
    that objective minimised instead of the model's own."""
    row = sp.csr_matrix(coef.reshape(1, -1))
    return MatrixModel(objective=model.objective if minimize is None else minimize,
                       matrix=sp.vstack([model.matrix, row], format="csr"),
                       row_lower=np.append(model.row_lower, bounds[0]),
                       row_upper=np.append(model.row_upper, bounds[1]),
                       col_lower=model.col_lower, col_upper=model.col_upper,
                       integer=model.integer,
                       maximize=model.maximize if minimize is None else False)


def _no_good(model: MatrixModel, cols: np.ndarray, mask: np.ndarray | None = None) -> MatrixModel:
    """``model`` with the 0/1 point ``cols`` cut off (every other 0/1 point kept):
    ``Σ_{j: v_j = 0} v_j + Σ_{j: v_j = 1} (1 − v_j) ≥ 1`` over the binary columns (only
    those in ``mask`` when given)."""
    binary = model.integer & (model.col_lower >= 0) & (model.col_upper <= 1)
    if mask is not None:
        binary &= mask
    on = binary & (cols > 0.5)
    coef = np.where(binary, np.where(on, -1.0, 1.0), 0.0)
    return _with_row(model, coef, (1.0 - float(on.sum()), math.inf))


@dataclass(frozen=True)
class _Space:
    """The columns a stage's model holds: every column of the formulation, or a *core*
    (``free``) with every other column fixed at ``fixed`` (moved to the row bounds)."""

    free: np.ndarray
    fixed: np.ndarray

    @classmethod
    def whole(cls, ncol: int) -> _Space:
        return cls(np.ones(ncol, dtype=bool), np.zeros(ncol))

    @property
    def is_whole(self) -> bool:
        return bool(self.free.all())

    def vec(self, v: np.ndarray) -> np.ndarray:
        """A full-length vector (coefficients, a point) on the free columns."""
        return v if self.is_whole else v[self.free]

    def shift(self, coef: np.ndarray) -> float:
        """What the fixed columns contribute to ``coef·v``."""
        return 0.0 if self.is_whole else float(coef[~self.free] @ self.fixed[~self.free])

    def expand(self, free_values: np.ndarray) -> np.ndarray:
        """Every column: the fixed values and ``free_values``."""
        if self.is_whole:
            return free_values
        full = self.fixed.copy()
        full[self.free] = free_values
        return full

    def model(self, model: MatrixModel) -> MatrixModel:
        """``model`` restricted to the free columns."""
        if self.is_whole:
            return model
        matrix = model.matrix.tocsc()
        shift = matrix[:, ~self.free] @ self.fixed[~self.free]
        return MatrixModel(model.objective[self.free], matrix[:, self.free].tocsr(),
                           model.row_lower - shift, model.row_upper - shift,
                           model.col_lower[self.free], model.col_upper[self.free],
                           model.integer[self.free], model.maximize)

    def row(self, model: MatrixModel, coef: np.ndarray, bounds: tuple[float, float],
            minimize: np.ndarray | None = None) -> MatrixModel:
        """:func:`_with_row` with full-length ``coef`` (and ``minimize``)."""
        shift = self.shift(coef)
        return _with_row(model, self.vec(coef), (bounds[0] - shift, bounds[1] - shift),
                         None if minimize is None else self.vec(minimize))


def _id_ranks(form: Formulation, ids: np.ndarray) -> np.ndarray:
    """Rank (from 1) of each candidate's id in ascending text order: stage 3's weights."""
    order = np.argsort(np.array([str(i) for i in ids[form.cand]], dtype=object), kind="stable")
    rank = np.empty(form.n_x)
    rank[order] = np.arange(1, form.n_x + 1)
    return rank


# -- one call ---------------------------------------------------------------------------------
@dataclass
class _Call:
    """What one :func:`solve_formulation` call knows as it goes."""

    form: Formulation
    cost: np.ndarray
    ids: np.ndarray
    options: SolveRequest
    t0: float = field(default_factory=time.perf_counter)
    timings: dict[str, float] = field(default_factory=dict)
    fallbacks: list[Fallback] = field(default_factory=list)
    #: A list that keeps every rule, kept as the answer of last resort (see _route_milp).
    spare: _Staged | None = None
    #: The LP relaxation (when solved) and its bound (``inf`` before).
    lp: LpAnswer | None = None
    lp_bound: float = math.inf
    #: Who answered (see :meth:`answered`).
    by: SolverRecord = field(default_factory=SolverRecord.none)

    @property
    def deadline(self) -> Deadline:
        return self.options.deadline

    @property
    def nx(self) -> int:
        return self.form.n_x

    @property
    def abs_gap(self) -> float:
        return INTEGER_ABS_GAP if self.form.integral_objective else 1e-6

    @property
    def tie_break(self) -> bool:
        wanted = self.options.tie_break
        return self.nx <= TIE_BREAK_MAX if wanted is None else wanted

    def mark(self, name: str) -> None:
        self.timings[name] = time.perf_counter() - self.t0

    def answered(self, backend: Backend, route: Route, raw_status: str,
                 version: str | None = None) -> SolverRecord:
        """Record who answered (with the fallbacks so far); :meth:`solved` uses it."""
        self.by = SolverRecord(backend,
                               version=_version(backend) if version is None else version,
                               asked=self.options.solver.value, route=route,
                               fallbacks=tuple(self.fallbacks), raw_status=raw_status)
        return self.by

    def solved(self, status: Status, cols: np.ndarray, bound: float, how: TieBreak) -> Solved:
        """The answer ``cols`` (all columns) with its proof, by the last :meth:`answered`;
        ``OPTIMAL`` only when the bound reported is within the gap asked for."""
        x = np.rint(cols[: self.nx]).astype(np.int64)
        objective = float(self.form.objective[: self.nx] @ x)
        bound = max(bound, objective)
        allowed = max(self.abs_gap, self.options.gap * max(1.0, abs(objective)))
        if status is Status.OPTIMAL and bound - objective > allowed + 1e-9:
            status = Status.FEASIBLE   # the solver's own gap test, our bound's rounding
        gap = (max(0.0, (bound - objective) / max(1.0, abs(objective)))
               if math.isfinite(bound) else math.inf)
        self.mark("solve")
        return Solved(status, cols, x, objective, bound, gap, self.by, self.timings, how)

    def infeasible(self) -> Solved:
        """The rules cannot all hold (by the last :meth:`answered`)."""
        self.mark("solve")
        return Solved(Status.INFEASIBLE, np.empty(0), np.empty(0), math.nan, math.nan,
                      math.nan, self.by, self.timings, TieBreak.OFF)


def solve_formulation(form: Formulation, *, cost: np.ndarray, ids: np.ndarray,
                      options: SolveRequest) -> Solved:
    """Solve ``form`` by the first route that applies (see the module docstring).

    Parameters
    ----------
    cost:
        Cost in fen of every proposal (indexed by position in the proposal set).
    ids:
        Ids of every proposal (for the stable order of stage 3).
    options:
        Solver asked for, gap, tie-break, deadline, exact check and start.

    Returns
    -------
    Solved
        ``status`` is ``INFEASIBLE`` when the rules cannot all hold (the caller diagnoses).

    Raises
    ------
    SolverError
        No solver found a list within the deadline, or every solver failed.
    """
    call = _Call(form, cost, ids, options)
    for route in (_route_empty, _route_knapsack_dp, _route_knapsack_core, _route_cpsat):
        solved = route(call)
        if solved is not None:
            return solved
    return _route_milp(call)


def _route_empty(call: _Call) -> Solved | None:
    form = call.form
    if form.shape[1]:
        return None
    ok = bool(np.all(form.row_lower <= 0) and np.all(form.row_upper >= 0))
    call.answered(Backend.NONE, Route.EMPTY, "empty model", version="")
    if not ok:
        return call.infeasible()
    return call.solved(Status.OPTIMAL, np.empty(0), 0.0, TieBreak.NOT_NEEDED)


def _route_knapsack_dp(call: _Call) -> Solved | None:
    from selector.engine._small_knapsack import MAX_ITEMS, solve_small_knapsack

    form = call.form
    if not (form.is_knapsack() and form.integral_objective and 0 < call.nx <= MAX_ITEMS):
        return None
    chosen = solve_small_knapsack(call.cost[form.cand], form.objective[: call.nx],
                                  _id_ranks(form, call.ids), int(form.row_upper[0]))
    call.mark("knapsack")
    if chosen is None:
        return None
    cols = chosen.astype(np.float64)
    if call.options.accept is not None and not call.options.accept(cols):
        return None
    call.answered(Backend.KNAPSACK, Route.KNAPSACK_DP, "optimal",
                  version=_version(Backend.KNAPSACK))
    objective = float(form.objective[: call.nx] @ cols)
    return call.solved(Status.OPTIMAL, cols, objective, TieBreak.DONE)


def _route_knapsack_core(call: _Call) -> Solved | None:
    from selector.engine._knapsack import solve_knapsack

    form = call.form
    if not (form.is_knapsack() and call.nx >= KNAPSACK_MIN):
        return None
    res = solve_knapsack(call.cost[form.cand].astype(np.int64), form.objective[: call.nx],
                         int(form.row_upper[0]), gap=call.options.gap,
                         time_limit=call.deadline.left())
    call.mark("knapsack")
    cols = np.asarray(res.x, dtype=bool).astype(np.float64)
    bound = float(res.bound)
    if form.integral_objective and math.isfinite(bound):
        bound = math.floor(bound + 1e-6)
    call.answered(Backend.KNAPSACK, Route.KNAPSACK_CORE,
                  "optimal" if res.optimal else "stopped", version=_version(Backend.KNAPSACK))
    return call.solved(Status.OPTIMAL if res.optimal else Status.FEASIBLE, cols, bound,
                       TieBreak.OFF)


# -- the CP-SAT route and the MILP route -----------------------------------------------------
def _route_cpsat(call: _Call) -> Solved | None:
    """Every stage in CP-SAT, on the core the LP fixes when the model is large enough for
    that to pay (see :func:`_fixed_core`); ``None`` hands over to the MILP."""
    asked = call.options.solver is Backend.CPSAT
    if not call.form.integral_objective or not (asked or (call.tie_break
                                                          and call.nx <= CPSAT_MAX)):
        return None
    model = _as_model(call.form)
    if asked and not call.tie_break and call.nx > CPSAT_MAX:
        # too large for the whole model in CP-SAT (10,000 proposals: no proof in 60 s);
        # the reduced-cost rounds first, the whole model when they do not prove it
        rounds = _reduced_rounds(call, None)
        call.mark("cpsat_core")
        if rounds is not None and rounds.raw.status is Outcome.OPTIMAL:
            return _finish(call, rounds, Route.CPSAT)
        if rounds is not None and rounds.found is not None:
            call.spare = rounds
    work = None if asked else CPSAT_WORK
    space, start, proven = _fixed_core(call, model, work)
    if proven is not None:
        return proven
    if call.tie_break:
        got = _lexicographic(call, model, space, start, work)
        if got is not None and got.raw.status is Outcome.OPTIMAL:
            return _exact_answer(call, got)
        if got is not None and got.found is not None:
            start = got.found
    first = _cpsat_stage_one(call, model, space, start, work)
    return None if first is None else _finish(call, first, Route.CPSAT, call.options.start)


def _cpsat_stage_one(call: _Call, model: MatrixModel, space: _Space, start: np.ndarray | None,
                     work: float | None) -> _Staged | None:
    """Stage 1 in CP-SAT when the one-objective route did not finish; ``None`` hands over
    to the MILP (recorded), keeping any list found as the answer of last resort."""
    if start is not None and call.options.accept is not None and call.options.accept(start):
        # a list that keeps every rule: the answer of last resort, with the LP's bound
        value = float(model.objective @ start)
        call.spare = _Staged(RawResult(Outcome.FEASIBLE, start, value, call.lp_bound,
                                       "stopped with a list; the LP bound is the proof"),
                             start, model, Backend.CPSAT, _Space.whole(len(start)))
    first = _stage(call, space.model(model), _How(
        Backend.CPSAT, call.deadline, Limits(rel_gap=call.options.gap, abs_gap=call.abs_gap,
                                             work=work), start, fallback=False, space=space))
    call.mark("stage1")
    raw = first.raw
    if first.found is None and call.spare is not None and call.deadline.expired():
        return call.spare
    lost = raw.status is Outcome.INFEASIBLE and not space.is_whole
    if raw.status is Outcome.ERROR or lost:
        # not a model CP-SAT holds exactly (or a core that lost the list it was fixed
        # around, which the exact arithmetic says cannot happen): the MILP decides
        call.fallbacks.append(Fallback(Backend.CPSAT, FallbackReason.ERROR, raw.raw_status))
        return None
    stopped = raw.status not in (Outcome.OPTIMAL, Outcome.INFEASIBLE)
    if stopped and call.options.solver is not Backend.CPSAT and not call.deadline.expired():
        # its work limit, not the deadline: the MILP proves the model instead, and this
        # list (when there is one) is the answer of last resort
        call.fallbacks.append(Fallback(Backend.CPSAT, FallbackReason.WORK_LIMIT,
                                       raw.raw_status))
        if first.found is not None:
            call.spare = first
        return None
    return first


#: Below this many candidates the ``cpsat`` route solves the whole model (an LP and a
#: first list would cost more than they save).
FIX_MIN = 60
#: Fixing pays only when it leaves at most this share of the columns free.
FIX_MAX_SHARE = 0.6


def _lexicographic(call: _Call, model: MatrixModel, space: _Space, start: np.ndarray | None,
                   work: float | None) -> _Staged | None:
    """All three stages as one exact CP-SAT objective on ``space``'s columns:
    ``max W₁·w − W₂·cost − rank`` with ``W₂`` = the free columns' rank sum + 1 and ``W₁``
    = ``W₂`` × their cost + ``W₂`` (so value decides, then cost, then ranks). ``None`` when
    the objective could overflow 62 bits (the stages then run one by one)."""
    vectors = _stage_vectors(call)
    w, c, r = (space.vec(v) for v in vectors)
    if not (np.all(c == np.rint(c)) and np.all(w == np.rint(w))):
        return None
    w2 = int(r.sum()) + 1
    w1 = w2 * int(np.abs(c).sum()) + w2
    if float(w1) * float(np.abs(w).sum()) >= 2.0**61:
        return None
    # whole numbers in int64 (not float64, which is exact only to 2^53)
    objective = (w1 * w.astype(np.int64) - w2 * c.astype(np.int64) - r.astype(np.int64))
    merged = replace(space.model(model), objective=objective, maximize=True)
    got = _stage(call, merged, _How(Backend.CPSAT, call.deadline,
                                    Limits(abs_gap=0.5, work=work), start, fallback=False,
                                    space=space))
    call.mark("lexicographic")
    return None if got.raw.status is Outcome.ERROR else got


def _stage_vectors(call: _Call) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three stages' objectives over every column: weights, cost in fen, id ranks."""
    form, nx = call.form, call.nx
    ncol = len(form.objective)
    w, c, r = np.zeros(ncol), np.zeros(ncol), np.zeros(ncol)
    w[:nx] = form.objective[:nx]
    c[:nx] = call.cost[form.cand].astype(float)
    r[:nx] = _id_ranks(form, call.ids)
    return w, c, r


def _exact_answer(call: _Call, got: _Staged) -> Solved:
    """The proven three-stage answer of :func:`_lexicographic` (all stages exact); with a
    hinted start, solved again without it unless no other list ties in all three stages."""
    assert got.found is not None
    call.answered(Backend.CPSAT, Route.CPSAT, got.raw.raw_status)
    if call.options.start is not None and not _unique(call, got) \
            and not call.deadline.expired():
        return solve_formulation(call.form, cost=call.cost, ids=call.ids,
                                 options=replace(call.options, start=None))
    value = float(call.form.objective[: call.nx] @ got.found[: call.nx])
    return call.solved(Status.OPTIMAL, got.found, value, TieBreak.DONE)


def _unique(call: _Call, got: _Staged) -> bool:
    """True when no other list has the same value, cost and rank sum as ``got.found``
    (proven infeasible after cutting it off, on the candidates' columns: other 0/1
    columns, such as coverage indicators, may take other values for the same list)."""
    assert got.found is not None
    found, model, space = got.found, got.model, got.space
    for vec in _stage_vectors(call):
        key = float(np.rint(vec @ found))
        model = space.row(model, vec, (key - 0.5, key + 0.5))
    tied = _no_good(model, space.vec(found), mask=space.vec(np.arange(len(found)) < call.nx))
    other = _run(tied, got.backend, Limits(call.deadline.left(), 1.0, math.inf))
    call.mark("unique")
    return other.status is Outcome.INFEASIBLE


def _fixed_core(call: _Call, model: MatrixModel, work: float | None
                ) -> tuple[_Space, np.ndarray | None, Solved | None]:
    """The columns every list worth a known list's value ``L`` leaves where the LP puts
    them, fixed there; that list (every column), the first incumbent; and the answer
    itself when the list came with a proof.

    For any row multipliers ``y``, every point of the model satisfies
    ``w·v = yᵀAv + dᵀv ≤ LB − Σ_j |d_j|·|v_j − v̂_j|`` with ``d = w − Aᵀy``, ``LB`` the
    Lagrangian bound ``Σ_i max(y_i·lo_i, y_i·hi_i) + Σ_j max(d_j·l_j, d_j·u_j)`` and ``v̂_j``
    the bound of column ``j`` that ``d_j`` favours (:func:`_lagrangian`; with the LP's duals,
    ``LB`` is the LP bound). A 0/1 column with ``LB − |d_j| < L`` (less a margin for
    floating point) therefore sits at ``v̂_j`` in every list worth ``L`` or more — in every
    optimal list, and every list the tie-break stages may pick — so fixing it loses
    nothing: the core's optimum, its proof and its tie-break are the whole model's.

    ``L`` comes from the hint when there is one. Otherwise the three stages are first
    solved exactly (:func:`_lexicographic`) on the LP-guided core (:data:`CORE_EXTRA`);
    when every column the fixing leaves free at that answer's value lies in that core, the
    answer is the whole model's (every better or tied list lies in the core) and is
    returned as proven. Falls back to the whole model when the LP, a list or the gain is
    missing.
    """
    whole = _Space.whole(len(model.objective))
    start = call.options.start
    if call.nx < FIX_MIN or call.deadline.expired():
        return whole, start, None
    lp = sifted_lp(model, call.nx, call.deadline.left())
    call.mark("lp")
    bound, d = _lagrangian(model, lp) if lp.optimal else (math.inf, lp.col_dual)
    if not math.isfinite(bound):
        return whole, start, None
    call.lp_bound = bound
    found = start
    if found is None and call.tie_break:
        found, proven = _guided_answer(call, model, lp, (bound, d), work)
        if proven is not None:
            return whole, found, proven
    free = None if found is None else _fixing(call, model, bound, d, found)
    if free is None or free.sum() > FIX_MAX_SHARE * len(free):
        return whole, found, None
    side = np.where(d > 0, model.col_upper, model.col_lower)
    return _Space(free, np.where(free, 0.0, side)), found, None


def _guided_answer(call: _Call, model: MatrixModel, lp: LpAnswer,
                   lagrange: tuple[float, np.ndarray], work: float | None
                   ) -> tuple[np.ndarray | None, Solved | None]:
    """The exact three-stage answer on the LP-guided core (:func:`_guided_space`), and the
    answer itself when it is the whole model's: every column the fixing leaves free at
    that answer's value lies in the core, so every better or tied list does too."""
    guided = _guided_space(call, lp)
    got = _lexicographic(call, model, guided, None, CORE_WORK if work is None
                         else min(work, CORE_WORK))
    if got is None or got.found is None:
        return None, None
    free = _fixing(call, model, lagrange[0], lagrange[1], got.found)
    if got.raw.status is Outcome.OPTIMAL and free is not None \
            and not np.any(free & ~guided.free):
        return got.found, _exact_answer(call, got)
    return got.found, None


def _fixing(call: _Call, model: MatrixModel, bound: float, d: np.ndarray,
            found: np.ndarray) -> np.ndarray | None:
    """The columns left free by fixing at ``found``'s value (see :func:`_fixed_core`);
    ``None`` when ``found`` itself flips a column the fixing would fix (floating point
    disagreeing with the proof: nothing is fixed then)."""
    value = float(model.objective @ found)
    margin = tie_tolerance(call.form, value) + 1e-6 * max(1.0, abs(bound))
    binary = model.integer & (model.col_lower == 0) & (model.col_upper == 1)
    fix = binary & (bound - np.abs(d) < value - margin)
    side = np.where(d > 0, model.col_upper, model.col_lower)
    if np.any(np.rint(found[fix]) != side[fix]):
        return None
    free: np.ndarray = ~fix
    return free


def _guided_space(call: _Call, lp: LpAnswer) -> _Space:
    """The LP-guided core: candidates basic or fractional in the LP, and the
    :data:`CORE_EXTRA` nonbasic ones of least reduced cost, free; the others fixed at
    their LP values."""
    nx, x = call.nx, lp.x
    free = np.ones(len(x), dtype=bool)
    free[:nx] = lp.basic[:nx] | (np.abs(x[:nx] - np.rint(x[:nx])) > 1e-9)
    nonbasic = np.flatnonzero(~free[:nx])
    reduced = np.abs(lp.col_dual)
    free[nonbasic[np.argsort(reduced[nonbasic], kind="stable")[:CORE_EXTRA]]] = True
    return _Space(free, np.where(free, 0.0, np.rint(x)))


def _lagrangian(model: MatrixModel, lp: LpAnswer) -> tuple[float, np.ndarray]:
    """The Lagrangian bound of ``model`` (a maximisation) at the LP's row duals, and the
    reduced costs ``d = w − Aᵀy`` (see :func:`_fixed_core`). A multiplier that would need
    an infinite side of its row is dropped; continuous columns without finite bounds get
    the bounds their defining equality row implies (``inf`` when none does, and the bound
    is then useless)."""
    y = lp.row_dual.copy()
    y[(y > 0) & ~np.isfinite(model.row_upper)] = 0.0
    y[(y < 0) & ~np.isfinite(model.row_lower)] = 0.0
    d = model.objective - model.matrix.T @ y
    rows = np.where(y > 0, y * np.where(np.isfinite(model.row_upper), model.row_upper, 0.0),
                    y * np.where(np.isfinite(model.row_lower), model.row_lower, 0.0))
    lower, upper = _implied_bounds(model)
    with np.errstate(invalid="ignore"):
        cols = np.where(d > 0, d * upper, np.where(d < 0, d * lower, 0.0))
    return float(rows.sum() + cols.sum()), d


def _implied_bounds(model: MatrixModel) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds, with each unbounded continuous column bounded by the first equality
    row in which every other column is bounded (``T = Σ m·x`` gives ``[Σ min, Σ max]``)."""
    lower, upper = model.col_lower.copy(), model.col_upper.copy()
    loose = np.flatnonzero(~model.integer & ~(np.isfinite(lower) & np.isfinite(upper)))
    if not len(loose):
        return lower, upper
    a = model.matrix.tocsr()
    csc = a.tocsc()
    for j in loose:
        for r in csc.indices[csc.indptr[j]:csc.indptr[j + 1]]:
            if model.row_lower[r] != model.row_upper[r]:
                continue
            seg = slice(a.indptr[r], a.indptr[r + 1])
            cols, coefs = a.indices[seg], a.data[seg]
            own = coefs[cols == j][0]
            others = cols != j
            c, k = coefs[others], cols[others]
            lo_k, hi_k = model.col_lower[k], model.col_upper[k]
            if not (np.all(np.isfinite(lo_k)) and np.all(np.isfinite(hi_k))):
                continue
            low = float(np.where(c > 0, c * lo_k, c * hi_k).sum())
            high = float(np.where(c > 0, c * hi_k, c * lo_k).sum())
            rhs = float(model.row_lower[r])
            ends = sorted(((rhs - high) / own, (rhs - low) / own))
            slack = 1e-9 * max(1.0, abs(ends[0]), abs(ends[1]))
            lower[j] = max(lower[j], ends[0] - slack)
            upper[j] = min(upper[j], ends[1] + slack)
            break
    return lower, upper


def _route_milp(call: _Call) -> Solved:
    backend = call.options.solver
    if backend is Backend.CPSAT:   # CP-SAT declined the model: HiGHS solves it
        backend = Backend.HIGHS
    start = call.options.start
    if backend is Backend.CBC or (call.tie_break and not call.form.integral_objective):
        start = None   # CBC takes no start; or its list could not be kept (see _finish)
    core = None
    large = not call.tie_break and call.nx > TIE_BREAK_MAX
    if large and call.options.gap > 0:
        core = _lp_core(call)
        call.mark("lp_core")
    if core is not None and core.raw.status is Outcome.OPTIMAL:
        return _finish(call, core, Route.LP_CORE)   # proven by the LP bound
    if core is not None:
        call.fallbacks.append(Fallback(Backend.LP_CORE, FallbackReason.NOT_PROVEN,
                                       core.raw.raw_status))
        call.spare = core
    if large:
        rounds = _reduced_rounds(call, None if core is None else core.found)
        call.mark("cpsat_core")
        if rounds is not None and rounds.raw.status is Outcome.OPTIMAL:
            return _finish(call, rounds, Route.CPSAT)
        if rounds is not None:   # stopped with a list: the MILP proves, this list to beat
            call.fallbacks.append(Fallback(Backend.CPSAT, FallbackReason.NOT_PROVEN,
                                           rounds.raw.raw_status))
            if call.spare is None or _value(call, rounds) >= _value(call, call.spare):
                call.spare = rounds
    space = _proof_core(call, call.spare) if large and call.spare is not None else None
    first = _stage_one(call, backend, start, space)
    if call.spare is not None and first.found is None \
            and first.raw.status is not Outcome.INFEASIBLE:
        # the list of the LP-guided core or of CP-SAT stopped at its work limit (FEASIBLE,
        # with its honest bound and gap) when the whole model found nothing in the time
        # left: it keeps every rule
        spare = call.spare
        return _finish(call, spare, Route.LP_CORE if spare.backend is Backend.LP_CORE
                       else Route.CPSAT)
    return _finish(call, first, Route.MILP, start)


def _value(call: _Call, staged: _Staged) -> float:
    """The objective of a stage's list (``-inf`` without one)."""
    if staged.found is None:
        return -math.inf
    return float(call.form.objective[: call.nx] @ staged.found[: call.nx])


def _proof_core(call: _Call, core: _Staged) -> _Space | None:
    """The columns left free by fixing at the LP-guided core's list (see
    :func:`_fixed_core`), when that leaves few enough: every list worth as much or more
    lies there, so stage 1 on it proves the whole model's optimum. Measured on 10,000
    proposals with every rule, six seeds: CBC proved the optimum on the 95-266 candidates
    left (of 3,760) in 1.0-3.7 s, against 1.6-10.1 s on the whole model."""
    if call.lp is None or core.found is None:
        return None
    model = _as_model(call.form)
    bound, d = _lagrangian(model, call.lp)
    free = _fixing(call, model, bound, d, core.found) if math.isfinite(bound) else None
    if free is None or free.sum() > FIX_MAX_SHARE * len(free):
        return None
    side = np.where(d > 0, model.col_upper, model.col_lower)
    return _Space(free, np.where(free, 0.0, side))


def _stage_one(call: _Call, backend: Backend, start: np.ndarray | None,
               space: _Space | None = None) -> _Staged:
    """Stage 1 with the MILP solver (on ``space``'s columns when given), its infeasibility
    confirmed and (CBC, small) its proof checked by HiGHS."""
    limits = Limits(rel_gap=call.options.gap, abs_gap=call.abs_gap)
    model = _as_model(call.form)
    if space is not None:
        # the whole model's allowance, not the core's own: measured from the list the core
        # was fixed around (a lower bound on the optimum), shrunk by 1 + gap, so that the
        # list found, worth at least that list less the allowance, is within the gap
        assert call.spare is not None and call.spare.found is not None
        known = float(model.objective @ call.spare.found)
        gap = call.options.gap
        allowed = max(call.abs_gap, gap * max(1.0, abs(known)) / (1.0 + gap))
        first = _stage(call, space.model(model), _How(
            backend, call.deadline, Limits(abs_gap=allowed), call.spare.found, space=space))
        if first.found is not None and _value(call, first) < known - tie_tolerance(call.form,
                                                                                   known):
            # a proof that lost the list the core was fixed around, which lies in the core
            # (CBC 2.10.3 on a 300-proposal call: 29,332 "optimal" with 29,342 in hand):
            # HiGHS solves the core again, and the known list stands if it does no better
            call.fallbacks.append(Fallback(first.backend, FallbackReason.WRONG_PROOF,
                                           f"{_value(call, first):g} ({first.raw.raw_status})"))
            first = _stage(call, space.model(model), _How(
                _NEXT[first.backend], call.deadline, Limits(abs_gap=allowed),
                call.spare.found, space=space, fallback=False))
            if first.found is None or _value(call, first) < known:
                first = call.spare
        if first.found is not None or first.raw.status is not Outcome.INFEASIBLE:
            call.mark("stage1")
            free = int(space.free[: call.nx].sum())
            first.raw.raw_status += (f" (on the {free} of {call.nx} candidates the LP does "
                                     "not fix)")
            return first   # (a core without its own list is the whole model's job)
    first = _stage(call, model, _How(backend, call.deadline, limits, start))
    if first.raw.status is Outcome.INFEASIBLE and call.form.shape[1]:
        other = _NEXT[first.backend]
        probe = replace(model, objective=np.zeros_like(model.objective))
        check = _run(probe, other, Limits(call.deadline.left(), 1.0, math.inf))
        if check.status in (Outcome.OPTIMAL, Outcome.FEASIBLE):
            call.fallbacks.append(Fallback(first.backend, FallbackReason.UNCONFIRMED_INFEASIBLE,
                                           first.raw.raw_status))
            first = _stage(call, model, _How(other, call.deadline, limits, start))
    if first.backend is Backend.CBC and first.found is not None \
            and call.nx <= SECOND_OPINION_MAX:
        first = _second_opinion(call, first, limits)
    call.mark("stage1")
    return first


def _second_opinion(call: _Call, first: _Staged, limits: Limits) -> _Staged:
    """CBC 2.10.3 has proved wrong optima on small money models (a heuristic point over a
    row by a fraction of a fen sets its cutoff, the true optimum is pruned, and the point
    is dropped at the end; seen with every cut and tolerance setting tried). HiGHS
    re-solves stage 1; a better list it finds (checked exactly) wins."""
    assert first.found is not None
    second = _stage(call, _as_model(call.form), _How(Backend.HIGHS, call.deadline, limits,
                                                     fallback=False))
    w = call.form.objective[: call.nx]
    z_cbc = float(w @ first.found[: call.nx])
    if second.found is not None and second.raw.status is Outcome.OPTIMAL and float(
            w @ second.found[: call.nx]) > z_cbc + tie_tolerance(call.form, z_cbc):
        call.fallbacks.append(Fallback(Backend.CBC, FallbackReason.WRONG_PROOF,
                                       f"{z_cbc:g} ({first.raw.raw_status})"))
        return second
    return first


@dataclass(frozen=True)
class _How:
    """How one stage runs: the solver, its deadline and limits, a first point (every
    column), the exact check (default: the call's ``accept``), whether the next solver may
    take over on an error, and the columns the stage's model holds (default: all)."""

    backend: Backend
    deadline: Deadline
    limits: Limits
    start: np.ndarray | None = None
    check: Accept | None = None
    fallback: bool = True
    space: _Space | None = None


@dataclass
class _Staged:
    """One stage's outcome: the last raw result, the accepted rounded columns (every column
    of the formulation; ``None`` when no answer was accepted), the stage model with any cuts
    added (later stages keep them), the solver that answered and the columns it holds."""

    raw: RawResult
    found: np.ndarray | None
    model: MatrixModel
    backend: Backend
    space: _Space


def _stage(call: _Call, model: MatrixModel, how: _How) -> _Staged:
    """Run one stage of ``model`` (which holds the columns of ``how.space``); cut off (and
    re-solve past) rounded answers that the exact check rejects. On a solver error the
    next solver runs the stage (when ``how.fallback``; recorded in the call's fallbacks)."""
    space = _Space.whole(len(call.form.objective)) if how.space is None else how.space
    accept = call.options.accept if how.check is None else how.check
    point = None if how.start is None else space.vec(how.start)
    backend = how.backend
    raw = RawResult(Outcome.NO_SOLUTION, None, math.nan, math.nan, "not run")
    failed: set[Backend] = set()
    repairs = 0
    while repairs <= MAX_REPAIRS:
        raw = _run(model, backend, replace(how.limits, time_limit=how.deadline.left()), point)
        if raw.status is Outcome.ERROR and how.fallback and _NEXT[backend] not in failed:
            reason = (FallbackReason.FRACTIONAL if "fractional" in raw.raw_status
                      else FallbackReason.ERROR)
            call.fallbacks.append(Fallback(backend, reason, raw.raw_status))
            failed.add(backend)
            backend = _NEXT[backend]
            continue
        if raw.status not in (Outcome.OPTIMAL, Outcome.FEASIBLE) or raw.x is None:
            return _Staged(raw, None, model, backend, space)
        free_cols = raw.x.copy()
        free_cols[model.integer] = np.rint(free_cols[model.integer])
        cols = space.expand(free_cols)
        if accept is None or accept(cols):
            return _Staged(raw, cols, model, backend, space)
        model = _no_good(model, free_cols)
        point = None
        repairs += 1
    raise SolverError(t("engine.error.repairs", DEFAULT_LANG, solver=backend.value,
                        n=MAX_REPAIRS), solver_status="repair limit")


def _finish(call: _Call, first: _Staged, route: Route,
            start: np.ndarray | None = None) -> Solved:
    """Stage 1's answer (or its failure) turned into a :class:`Solved`, tie-break included
    (on stage 1's model and columns); ``start``: the caller's hint, if it was used."""
    call.mark("stage1")
    raw, found, backend = first.raw, first.found, first.backend
    call.answered(backend, route, raw.raw_status)
    if raw.status is Outcome.INFEASIBLE:
        return call.infeasible()
    if found is None:
        key = ("engine.error.no_time" if raw.raw_status == NO_TIME_LEFT
               else "engine.error.no_list" if raw.status is Outcome.NO_SOLUTION
               else "engine.error.failed")
        raise SolverError(t(key, DEFAULT_LANG, solver=backend.value, status=raw.raw_status),
                          solver_status=raw.raw_status)
    z1 = float(call.form.objective[: call.nx] @ found[: call.nx])
    bound = raw.bound + first.space.shift(call.form.objective)   # the fixed columns' part
    if math.isnan(bound) or (raw.status is Outcome.OPTIMAL and bound < z1):
        bound = z1
    if call.form.integral_objective and math.isfinite(bound):
        bound = math.floor(bound + 0.5)   # see INTEGER_ABS_GAP
    status = Status.OPTIMAL if raw.status is Outcome.OPTIMAL else Status.FEASIBLE
    if not (call.tie_break and call.nx) or backend is Backend.LP_CORE:
        return call.solved(status, found, bound, TieBreak.OFF)
    exact = status is Status.OPTIMAL and bound == z1   # (start: integral objective)
    cols, how, unique = _tie_break(call, first, z1, start is not None and exact)
    if (start is not None and how is TieBreak.DONE and status is Status.OPTIMAL
            and not (unique and exact) and not call.deadline.expired()):
        # The start may only change the time, never the list. With an exact stage 1
        # (integral objective, bound = value) and a unique three-stage optimum, every
        # solver path ends at this list; otherwise the list may depend on the path
        # (equal sums of id positions are ties): solve again without the start, in
        # the time left. (A search stopped early is path-dependent with or without.)
        again = replace(call.options, start=None)
        return solve_formulation(call.form, cost=call.cost, ids=call.ids, options=again)
    call.answered(backend, route, raw.raw_status)
    return call.solved(status, cols, bound, how)


def _tie_break(call: _Call, first: _Staged, z1: float,
               check_unique: bool) -> tuple[np.ndarray, TieBreak, bool]:
    """Stages 2 and 3 on stage 1's model (with its cuts, on its columns); returns the
    columns, ``DONE`` or ``STOPPED``, and (with ``check_unique``) whether no other list
    ties with them in all three stages (``False`` when not checked or not proven)."""
    assert first.found is not None
    share = max(TIE_BREAK_MIN_SECONDS, TIE_BREAK_SHARE * call.timings.get("stage1", 0.0))
    w, c, r = _stage_vectors(call)
    tol = tie_tolerance(call.form, z1)
    accept = call.options.accept

    def still_best(v: np.ndarray) -> bool:   # the stage rows, re-checked on the rounded point
        return bool(w @ v >= z1 - tol) and (accept is None or accept(v))

    how = _How(first.backend, call.deadline.within(share),
               Limits(rel_gap=0.0, abs_gap=INTEGER_ABS_GAP), first.found, still_best,
               space=first.space)
    space = first.space
    model = space.row(first.model, w, (z1 - tol, math.inf))
    weight = float(space.vec(r).sum()) + 1.0    # cost first, then ranks, in one objective
    if first.backend is Backend.CPSAT and weight * float(space.vec(c).sum()) + weight < 2.0**61:
        last = _stage(call, replace(model, objective=space.vec(weight * c + r),
                                    maximize=False), how)
        call.mark("stage3")
    else:
        last = _two_stages(call, model, how, c, r)
    if last.found is None:
        return first.found, TieBreak.STOPPED, False
    if last.raw.status is not Outcome.OPTIMAL:
        return last.found, TieBreak.STOPPED, False
    unique = check_unique and _unique(call, last)
    return last.found, TieBreak.DONE, unique


def _two_stages(call: _Call, model: MatrixModel, how: _How, c: np.ndarray,
                r: np.ndarray) -> _Staged:
    """Stage 2 (least cost) then stage 3 (least rank sum at that cost), each exact; the
    last stage run (stage 2's when it did not end optimal)."""
    space = how.space
    assert space is not None and how.check is not None
    still_best = how.check
    two = _stage(call, replace(model, objective=space.vec(c), maximize=False), how)
    call.mark("stage2")
    if two.found is None or two.raw.status is not Outcome.OPTIMAL:
        return two
    spent = float(np.rint(c @ two.found))   # whole fen: "≤ spent + 0.5" is "≤ spent"

    def as_cheap(v: np.ndarray) -> bool:
        return bool(c @ v <= spent + 0.5) and still_best(v)

    three = _stage(call, space.row(two.model, c, (-math.inf, spent + 0.5), minimize=r),
                   replace(how, backend=two.backend, start=two.found, check=as_cheap))
    call.mark("stage3")
    if three.found is None:   # stage 2's list stands, stopped early
        return replace(three, found=two.found)
    return three


# -- the LP-guided core ---------------------------------------------------------------------
def _lp_core(call: _Call) -> _Staged | None:
    """A list found in a core and bounded by the whole LP relaxation (see
    :data:`CORE_EXTRA`): outcome ``OPTIMAL`` when that bound proves it within the gap,
    ``FEASIBLE`` when not (the caller then solves the whole model and keeps this list only
    if that finds nothing in the time left); ``None`` when there is no such list.

    The LP relaxation is solved whole; candidates that are nonbasic at a bound there are
    fixed at it, except the :data:`CORE_EXTRA` of least reduced cost; the small MILP left
    (every other column free, fixed terms moved to the row bounds) is searched by HiGHS
    for :data:`CORE_MAX_NODES` nodes. Its answer counts only if it keeps every rule
    (``accept``, on all columns); the proof is the whole model's LP bound, never the
    core's own.
    """
    form, nx = call.form, call.nx
    model = _as_model(form)
    if call.deadline.expired():
        return None
    lp = sifted_lp(model, nx, call.deadline.left())
    call.mark("lp")
    if not lp.optimal:
        return None   # infeasible or stopped: the MILP path says what happened
    x = lp.x
    # the Lagrangian bound at the LP's duals (a bound for any duals; the LP bound when they
    # are optimal); an integral objective: no list beats floor(U), with room for rounding
    upper, _ = _lagrangian(model, lp)
    if not math.isfinite(upper):
        upper = lp.objective
    call.lp, call.lp_bound = lp, upper
    bound = (math.floor(upper + 1e-6 + 1e-9 * abs(upper)) if form.integral_objective
             else upper)
    free = np.ones(len(x), dtype=bool)
    free[:nx] = lp.basic[:nx] | (np.abs(x[:nx] - np.rint(x[:nx])) > 1e-9)
    nonbasic = np.flatnonzero(~free[:nx])
    reduced = np.abs(lp.col_dual)
    extra = nonbasic[np.argsort(reduced[nonbasic], kind="stable")[:CORE_EXTRA]]
    free[extra] = True
    fixed = np.flatnonzero(~free)
    values = np.rint(x[fixed])
    matrix = model.matrix.tocsc()
    shift = matrix[:, fixed] @ values
    core = MatrixModel(model.objective[free], matrix[:, free].tocsr(),
                       model.row_lower - shift, model.row_upper - shift,
                       model.col_lower[free], model.col_upper[free], model.integer[free],
                       model.maximize)
    allowed = max(call.abs_gap, call.options.gap * max(1.0, abs(bound)))
    if call.deadline.expired():
        return None
    raw = _run(core, Backend.HIGHS, Limits(call.deadline.left(), 0.0, allowed,
                                           max_nodes=CORE_MAX_NODES))
    if raw.x is None:
        return None
    full = np.empty(len(x))
    full[free] = raw.x
    full[fixed] = values
    cols = _read_columns(full, form)
    z = float(model.objective @ cols)
    accept = call.options.accept
    if accept is not None and not accept(cols):
        return None
    proven = bound - z <= max(call.abs_gap, call.options.gap * max(1.0, abs(z)))
    what = (f"a core of {int(free[:nx].sum())} of {nx} candidates searched by HiGHS "
            f"({raw.raw_status})")
    if not proven:   # kept only as the answer of last resort (see _route_milp)
        raw = RawResult(Outcome.FEASIBLE, cols, z, bound,
                        f"stopped with the list of {what}; the LP bound is the proof")
    else:
        raw = RawResult(Outcome.OPTIMAL, cols, z, bound,
                        f"within the gap of the LP bound: {what}")
    return _Staged(raw, cols, model, Backend.LP_CORE, _Space.whole(len(cols)))


# -- the reduced-cost cores in CP-SAT -----------------------------------------------------
#: :func:`_reduced_rounds`: the first core frees this many nonbasic 0/1 columns of least
#: reduced cost (beside the LP's basic ones); each later round at most doubles the
#: threshold, up to the one that proves the list in hand.
REDUCED_FIRST = 32
REDUCED_GROWTH = 2.0
#: CP-SAT's deterministic work limit per round (the same verdict on every run); a round
#: that stops there hands the model to the MILP, its list kept.
REDUCED_WORK = 2.0
#: At most this many rounds (the threshold grows strictly; this only guards the loop).
REDUCED_ROUNDS = 8


def _reduced_rounds(call: _Call, hint: np.ndarray | None) -> _Staged | None:
    """Stage 1 of a whole-number model too large for the tie-break, proven by CP-SAT on
    cores the LP's reduced costs leave free (no tie-break: the list is one proven
    optimum).

    With the Lagrangian bound ``LB`` and reduced costs ``d`` at the LP's duals (see
    :func:`_fixed_core`), a list that moves a 0/1 column ``j`` off the bound ``d_j``
    favours is worth at most ``LB − |d_j|``. Round ``k`` fixes every 0/1 column with
    ``|d_j| > τ_k`` there and solves the core left exactly (CP-SAT, hinted with the best
    list so far); every list outside it is worth less than ``LB − τ_k`` (plus a bound on
    floating-point error, :func:`_lagrangian_error`), so the whole model's bound is the
    larger of the core's and that. When that proves the core's list within the gap, it is
    the answer. Otherwise the next threshold is the one that would prove it
    (``LB − T`` with ``T`` the least whole value the gap does not allow), at most
    :data:`REDUCED_GROWTH` × ``τ_k``. The first threshold frees :data:`REDUCED_FIRST`
    nonbasic columns. Measured on generated calls of 10,000 proposals with every rule
    (3,760 candidates, LP bound 3.3-8.5 beneficiaries above the optimum, six seeds): two
    rounds of 70-160 free columns, 0.1-1.4 s, against 1-8 s for CBC on the core fixed at
    the LP-guided core's list.

    Returns the last round's outcome: ``OPTIMAL`` (its ``bound`` the whole model's, in the
    core's units) when proven; ``FEASIBLE`` with its honest bound when a round stopped
    (work limit or deadline) with a list; ``None`` without a list (or CP-SAT cannot hold
    the model, or the LP is missing).
    """
    form = call.form
    if not form.integral_objective or call.deadline.expired():
        return None
    model = _as_model(form)
    lp = _whole_lp(call, model)
    if lp is None:
        return None
    bound, d = _lagrangian(model, lp)
    if not math.isfinite(bound):
        return None
    call.lp_bound = min(call.lp_bound, bound)
    error = _lagrangian_error(model, lp, d)
    binary = model.integer & (model.col_lower == 0) & (model.col_upper == 1)
    side = np.where(d > 0, model.col_upper, model.col_lower)
    reduced = np.sort(np.abs(d[binary & ~lp.basic]))   # the thresholds that free a column
    if not len(reduced):
        return None
    tau = float(reduced[min(REDUCED_FIRST, len(reduced)) - 1])
    gap = call.options.gap

    def allowed(z: float) -> float:   # the gap a final list of value z may keep
        return max(call.abs_gap, gap * max(1.0, abs(z)))

    def grown(tau: float) -> float:   # frees at least one more column
        above = reduced[reduced > tau]
        return max(REDUCED_GROWTH * tau, float(above[0]) if len(above) else tau)

    got: _Staged | None = None
    for _ in range(REDUCED_ROUNDS):
        fix = binary & (np.abs(d) > tau)
        space = _Space(~fix, np.where(fix, side, 0.0))
        start = hint if hint is not None and np.all(hint[fix] == side[fix]) else None
        # the core's own allowance, from a lower bound on the final value (see _stage_one)
        core_gap = call.abs_gap if start is None else max(
            call.abs_gap, gap * max(1.0, abs(float(model.objective @ start))) / (1.0 + gap))
        staged = _stage(call, space.model(model), _How(
            Backend.CPSAT, call.deadline, Limits(abs_gap=core_gap, work=REDUCED_WORK),
            start, fallback=False, space=space))
        raw = staged.raw
        # every list outside the core is worth less than LB − τ (+ error): at most this
        outside = math.ceil(bound - tau + error) - 1
        if raw.status is Outcome.INFEASIBLE:   # no list in the core: a larger one
            if not fix.any():
                return got   # nothing was fixed: the MILP confirms the model's verdict
            tau = grown(tau)
            continue
        if staged.found is None or raw.status is Outcome.ERROR:
            return got
        shift = space.shift(model.objective)
        z = float(model.objective @ staged.found)
        core_bound = raw.bound + shift if math.isfinite(raw.bound) else bound
        whole = max(core_bound, outside)
        what = (f"{raw.raw_status} on {int(space.free[: call.nx].sum())} of {call.nx} "
                f"candidates (reduced costs above {tau:.6g} fixed)")
        status = Outcome.OPTIMAL if raw.status is Outcome.OPTIMAL \
            and whole - z <= allowed(z) else Outcome.FEASIBLE
        got = replace(staged, raw=RawResult(status, raw.x, raw.objective, whole - shift,
                                            what))
        if status is Outcome.OPTIMAL or raw.status is not Outcome.OPTIMAL:
            return got
        target = math.floor(z + allowed(z)) + 1   # the least value the gap does not allow
        tau = min(bound - target + error, grown(tau))
        hint = staged.found
    return got


def _whole_lp(call: _Call, model: MatrixModel) -> LpAnswer | None:
    """The whole model's LP relaxation (solved once a call); ``None`` unless optimal."""
    if call.lp is None:
        lp = sifted_lp(model, call.nx, call.deadline.left())
        call.mark("lp")
        if not lp.optimal:
            return None
        call.lp = lp
    return call.lp


def _lagrangian_error(model: MatrixModel, lp: LpAnswer, d: np.ndarray) -> float:
    """A bound on the floating-point error of :func:`_lagrangian`'s ``LB − |d_j|``: 1e-9 of
    the sum of the magnitudes it adds up (a sum of ``n`` terms in floating point is off by
    at most ``n·2⁻⁵³`` of that, and ``n`` stays far below 10⁷ here), plus 1e-9."""
    y = np.abs(lp.row_dual)
    ends = np.maximum(np.abs(np.where(np.isfinite(model.row_lower), model.row_lower, 0.0)),
                      np.abs(np.where(np.isfinite(model.row_upper), model.row_upper, 0.0)))
    lower, upper = _implied_bounds(model)
    reach = np.maximum(np.abs(lower), np.abs(upper))
    reach = np.where(np.isfinite(reach), reach, 0.0)
    terms = np.abs(model.objective) + abs(model.matrix).T @ y + np.abs(d)
    return 1e-9 * (float(y @ ends) + float(terms @ reach)) + 1e-9


# -- starts and schedules ---------------------------------------------------------------------
def complete_start(form: Formulation, x: np.ndarray, accept: Accept | None) -> np.ndarray | None:
    """Every column of ``form`` for the 0/1 candidate choice ``x`` (``n_x`` entries): the
    other columns (totals, coverage indicators, payments, start months) from one small
    HiGHS run with ``x`` fixed. ``None`` when ``x`` breaks a rule (the exact ``accept``
    decides) or no completion is found."""
    model = _as_model(form)
    nx = form.n_x
    lower = model.col_lower.copy()
    upper = model.col_upper.copy()
    lower[:nx] = x
    upper[:nx] = x
    if np.any(lower > model.col_upper) or np.any(upper < model.col_lower):
        return None
    fixed = MatrixModel(objective=np.zeros(len(lower)), matrix=model.matrix,
                        row_lower=model.row_lower, row_upper=model.row_upper, col_lower=lower,
                        col_upper=upper, integer=model.integer, maximize=True)
    raw = run(fixed, "highs", time_limit=None, rel_gap=1.0, abs_gap=math.inf)
    if raw.x is None or raw.status not in (Outcome.OPTIMAL, Outcome.FEASIBLE):
        return None
    cols = _read_columns(raw.x, form)
    cols[:nx] = x
    if accept is not None and not accept(cols):
        return None
    return cols


def place_schedule(form: Formulation, head: np.ndarray, solver: str,
                   time_limit: float | None | Deadline) -> np.ndarray | None:
    """Start-month columns completing ``head``, a point of the model without its schedule.

    ``head`` holds every column before the ``start`` block (the schedule's columns and rows
    come last in :func:`selector.engine.formulate.formulate`). The selection in ``head`` is
    kept as it is; only the start months of its projects are chosen, the earliest first
    (``min Σ month``), under the monthly rows. Returns ``None`` when the selection cannot be
    scheduled (or no plan was found in time).
    """
    deadline = time_limit if isinstance(time_limit, Deadline) else Deadline.after(time_limit)
    block = form.layout["start"]
    if len(head) != block.start or block.stop != form.shape[1]:
        raise ValueError("the start columns must be the model's last block")
    unit = next(i for i, u in enumerate(form.units) if u.key == "schedule")
    rows = np.flatnonzero(form.row_unit == unit)
    a = form.matrix[rows]
    fixed = a[:, : block.start] @ head
    chosen = np.rint(head[: form.n_x])
    upper = chosen[form.start_pairs[:, 0]]
    keep = upper > 0.5   # start columns of projects not chosen are 0: left out of the search
    sub = MatrixModel(objective=form.start_pairs[keep, 1].astype(float),
                      matrix=a[:, block].tocsc()[:, keep].tocsr(),
                      row_lower=form.row_lower[rows] - fixed,
                      row_upper=form.row_upper[rows] - fixed,
                      col_lower=np.zeros(int(keep.sum())), col_upper=np.ones(int(keep.sum())),
                      integer=np.ones(int(keep.sum()), dtype=bool), maximize=False)
    out = np.zeros(len(upper))
    # every project at its earliest start month is the least Σ month there is: when that
    # plan keeps the monthly rows it is the answer, with no solver run
    pairs = form.start_pairs
    first = np.full(form.n_x, np.iinfo(np.int64).max)
    np.minimum.at(first, pairs[:, 0], pairs[:, 1])
    earliest = (pairs[:, 1] == first[pairs[:, 0]]) & keep
    if _holds(sub, earliest[keep].astype(np.float64)):
        out[earliest] = 1.0
        return out
    raw = run(sub, solver, time_limit=deadline.left(), rel_gap=1e-6, abs_gap=INTEGER_ABS_GAP)
    if raw.x is None or raw.status not in (Outcome.OPTIMAL, Outcome.FEASIBLE):
        return None
    out[keep] = np.rint(raw.x)
    return out


# -- pool payments ----------------------------------------------------------------------------
def exact_pool_payments(cost: np.ndarray, allowed: np.ndarray,
                        amounts: np.ndarray) -> np.ndarray | None:
    """Integer fen payments ``y[k, p]`` with ``Σ_p y = cost[k]``, ``Σ_k y ≤ amounts[p]``,
    ``y[k, p] = 0`` where ``allowed[k, p]`` is false.

    Proposals that may draw on the same pools are interchangeable, so the transportation
    problem is solved over their groups (at most one row per pattern of pools, whatever
    the number of proposals): its basic solutions are integral, so a simplex vertex
    rounded with ``np.rint`` is exact; residual fen from floating point are then moved to
    a pool with room. Earlier pools are preferred (cost ``p + 1`` per fen from pool ``p``).
    Each group's pool totals are then laid end to end against its proposals' costs (in
    position order): a proposal pays from the pools its stretch of the line overlaps.
    Returns ``None`` when no payment plan exists.
    """
    nk, npools = allowed.shape
    if nk == 0:
        return np.zeros((0, npools), dtype=np.int64)
    cost = np.asarray(cost, dtype=np.int64)
    patterns, group = np.unique(np.asarray(allowed, dtype=bool), axis=0, return_inverse=True)
    group = group.ravel()
    need = np.zeros(len(patterns), dtype=np.int64)
    np.add.at(need, group, cost)
    totals = _pool_totals(need, patterns, np.asarray(amounts, dtype=np.int64))
    if totals is None:
        return None
    y = np.zeros((nk, npools), dtype=np.int64)
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(patterns) + 1))
    for g in range(len(patterns)):
        members = order[bounds[g]:bounds[g + 1]]
        pools = np.flatnonzero(totals[g])
        if not len(pools):
            continue
        ends = np.cumsum(cost[members])
        pool_ends = np.cumsum(totals[g, pools])
        lo = np.maximum((ends - cost[members])[:, None], (pool_ends - totals[g, pools])[None, :])
        hi = np.minimum(ends[:, None], pool_ends[None, :])
        y[np.ix_(members, pools)] = np.maximum(hi - lo, 0)
    return y


def _pool_totals(need: np.ndarray, allowed: np.ndarray,
                 amounts: np.ndarray) -> np.ndarray | None:
    """Integer fen ``t[g, p]`` with ``Σ_p t = need[g]``, ``Σ_g t ≤ amounts[p]``, zero where
    ``allowed`` is false, least ``Σ (p + 1)·t``; ``None`` when none exists."""
    ng, npools = allowed.shape
    if np.any(need[~allowed.any(axis=1)] != 0):
        return None   # a group with money to pay and no pool to pay it from
    g_idx, p_idx = np.nonzero(allowed)
    m = len(g_idx)
    if m == 0:
        return np.zeros((ng, npools), dtype=np.int64)
    a = sp.vstack([sp.csr_matrix((np.ones(m), (g_idx, np.arange(m))), shape=(ng, m)),
                   sp.csr_matrix((np.ones(m), (p_idx, np.arange(m))), shape=(npools, m))],
                  format="csr")
    lp = MatrixModel(objective=(p_idx + 1).astype(float), matrix=a,
                     row_lower=np.concatenate([need.astype(float), np.full(npools, -math.inf)]),
                     row_upper=np.concatenate([need.astype(float), amounts.astype(float)]),
                     col_lower=np.zeros(m), col_upper=np.full(m, math.inf),
                     integer=np.zeros(m, dtype=bool), maximize=False)
    raw = _run(lp, Backend.HIGHS, Limits())
    if raw.status is not Outcome.OPTIMAL or raw.x is None:
        return None
    t_ = np.zeros((ng, npools), dtype=np.int64)
    t_[g_idx, p_idx] = np.maximum(np.rint(raw.x).astype(np.int64), 0)
    room = amounts - t_.sum(axis=0)
    for g in np.flatnonzero(t_.sum(axis=1) != need):
        diff = int(need[g] - t_[g].sum())
        for p in np.flatnonzero(allowed[g]):
            move = diff if diff < 0 else min(diff, int(room[p]))
            move = max(move, -int(t_[g, p]))
            t_[g, p] += move
            room[p] -= move
            diff -= move
            if diff == 0:
                break
    if np.any(t_.sum(axis=1) != need) or np.any(room < 0):
        return None
    return t_
