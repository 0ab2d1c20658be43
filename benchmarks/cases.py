"""One benchmark case, run in its own process so that its peak memory is honest.

``python benchmarks/cases.py '<json spec>'`` runs one case and prints its measurements as
one JSON line (the last line of stdout). :mod:`run` starts these processes, reads the
peak resident memory of each from the kernel (``wait4``) and writes the tables.

Every function here takes the spec (a dict) and returns a dict of measurements.
"""

from __future__ import annotations

import gc
import json
import math
import pickle
import sys
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def _clock() -> float:
    return time.perf_counter()


def _begin() -> float:
    """The start of a case's first timed section, in every case alike (ours and each
    peer's): the garbage left by the set-up (imports, the pickled instance, a peer's own
    model) is collected first, so that a collection it owes does not land inside
    whichever clock happens to be running (a full collection after the imports took 33 ms
    of a 1,000-proposal solve). The timed sections pay for the garbage they make
    themselves: later sections of the same case start with a plain clock."""
    gc.collect()
    return time.perf_counter()


# -- instances and rules --------------------------------------------------------------------
def load_set(spec: dict[str, Any]) -> Any:
    with open(spec["pickle"], "rb") as fh:
        return pickle.load(fh)


def scaled_rules(kind: str, n: int, proposals: Any) -> Any:
    """Budget only (30 % of the total cost) or the example's full rule set scaled to ``n``."""
    from selector import Rules, load_rules
    from selector.rules import Eligibility

    total = Decimal(int(proposals.frame["cost_minor"].sum())) / 100
    if kind == "budget":
        return Rules(budget=(total * Decimal("0.3")).quantize(Decimal(1)),
                     eligibility=Eligibility(require_indicator=False), completion=None,
                     relations=Rules().relations.model_copy(
                         update={"requires": False, "excludes": False, "variants": False}))
    path = ROOT / "examples" / "rules.toml"
    if not path.exists():
        return fallback_rules(proposals)
    reference = ROOT / "examples" / "proposals.csv"
    base = load_rules(path)
    n_ref = max(1, sum(1 for _ in reference.open(encoding="utf-8-sig")) - 1)
    rules = scale_rules(base, Decimal(n) / Decimal(n_ref))
    # its forced ids name proposals of the 150-row example, not of a generated call
    rules = rules.model_copy(update={"force_in": (), "force_out": ()})
    if kind == "full":  # the example without its monthly schedule (see run.py)
        return rules.model_copy(update={"schedule": None})
    return rules  # "schedule": the example as written, monthly plan included


def fallback_rules(proposals: Any) -> Any:
    """A full rule set in the example's spirit, sized from the instance itself (used when
    examples/rules.toml is absent): pools, shares, coverage, a quota, completion, a resource,
    distinct districts, cardinality, relations and eligibility thresholds."""
    from selector import Rules
    from selector.rules import Count, Distinct, Eligibility, GroupRule, Pool, PoolFilter, Resource

    frame = proposals.frame
    n = len(frame)
    total = Decimal(int(frame["cost_minor"].sum())) / 100

    def part(share: str) -> Decimal:
        return (total * Decimal(share)).quantize(Decimal(1))

    staff = float(np.nansum(frame["staff_months"].to_numpy(dtype=float)))
    return Rules(
        budget=part("0.30"),
        pools=(Pool(name="fiscal", amount=part("0.21")),
               Pool(name="charity", amount=part("0.09"),
                    only=PoolFilter(column="domain", values=("hardship", "migrant", "life")))),
        resources=(Resource(name="staff", column="staff_months", capacity=0.3 * staff),),
        groups=(GroupRule(name="domain share", column="domain", max_share=0.30),
                GroupRule(name="every domain", column="domain", min_total=Decimal(1),
                          measure="count"),
                GroupRule(name="migrant quota", column="target_groups",
                          values=("migrant_workers",), measure="count",
                          min_total=Decimal(max(1, n // 100)))),
        distinct=(Distinct(column="district", min=8),),
        count=Count(max=max(10, n // 4)),
        eligibility=Eligibility(min_expert_score=60, min_completion_probability=0.6),
    )


def scale_rules(rules: Any, factor: Decimal) -> Any:
    """Money amounts and counts times ``factor``; shares, floors of one and thresholds kept."""

    def money(v: Decimal | None) -> Decimal | None:
        return None if v is None else (v * factor).quantize(Decimal(1))

    def count(v: Any) -> Any:
        if v is None or v <= 1:
            return v
        return type(v)(math.ceil(float(v) * float(factor)))

    upd: dict[str, Any] = {"budget": money(rules.budget)}
    upd["pools"] = tuple(p.model_copy(update={"amount": money(p.amount)}) for p in rules.pools)
    upd["resources"] = tuple(r.model_copy(update={"capacity": float(r.capacity) * float(factor)})
                             for r in rules.resources)
    groups = []
    for g in rules.groups:
        if g.measure == "cost":
            groups.append(g.model_copy(update={"max_total": money(g.max_total),
                                               "min_total": money(g.min_total)}))
        else:
            groups.append(g.model_copy(update={"max_total": count(g.max_total),
                                               "min_total": count(g.min_total)}))
    upd["groups"] = tuple(groups)
    if rules.count is not None:
        upd["count"] = rules.count.model_copy(update={"min": count(rules.count.min),
                                                      "max": count(rules.count.max)})
    if rules.schedule is not None:
        upd["schedule"] = rules.schedule.model_copy(update={
            "monthly_spend_cap": money(rules.schedule.monthly_spend_cap),
            "max_concurrent": count(rules.schedule.max_concurrent)})
    return rules.model_copy(update=upd)


def _model(spec: dict[str, Any]) -> tuple[Any, Any, Any]:
    from selector import Model

    proposals = load_set(spec)
    rules = scaled_rules(spec["rules"], spec["n"], proposals)
    return proposals, rules, Model.build(proposals, rules)


def _matrix(model: Any) -> Any:
    from selector.engine.solve import _as_model

    return _as_model(model._form)


# -- cases ----------------------------------------------------------------------------------
def case_load(spec: dict[str, Any]) -> dict[str, Any]:
    """Read the CSV: raw bytes, ``pandas.read_csv``, ``selector.load_proposals``."""
    import pandas as pd

    from selector import load_proposals

    path = Path(spec["csv"])
    t = _begin()
    path.read_bytes()
    raw = _clock() - t
    t = _begin()
    pd.read_csv(path)
    plain = _clock() - t
    t = _begin()
    ps = load_proposals(path)
    ours = _clock() - t
    return {"read_bytes_s": raw, "read_csv_s": plain, "load_s": ours, "rows": len(ps)}


def case_ours(spec: dict[str, Any]) -> dict[str, Any]:
    """Build, solve and verify with the engine. The solver libraries are imported first,
    as every peer imports its own before its clock starts."""
    import highspy  # noqa: F401
    import ortools.sat.python.cp_model  # noqa: F401
    import pulp  # noqa: F401

    from selector import Model, SelectorError, verify

    proposals = load_set(spec)
    rules = scaled_rules(spec["rules"], spec["n"], proposals)
    t = _begin()
    model = Model.build(proposals, rules)
    build = _clock() - t
    t = _clock()
    try:
        sel = model.solve(solver=spec["solver"], time_limit=spec.get("time_limit"),
                          diagnose=False)
    except SelectorError as exc:   # e.g. no list within a short time limit: still timed
        return {"build_s": build, "solve_s": _clock() - t, "status": "no list",
                "error_text": str(exc)[:120], "candidates": int(model.eligible.sum())}
    solve = _clock() - t
    t = _clock()
    broken = verify(sel)
    check = _clock() - t
    return {"build_s": build, "solve_s": solve, "verify_s": check, "status": str(sel.status),
            "objective": sel.objective, "bound": sel.bound, "gap": sel.gap,
            "beneficiaries": sel.beneficiaries, "selected": sel.count, "solver": str(sel.solver),
            "route": sel.solver.route.value, "fallbacks": len(sel.solver.fallbacks),
            "tie_break": sel.tie_break.value, "violations": len(broken),
            "timings": sel.timings, "candidates": int(model.eligible.sum())}


def case_greedy(spec: dict[str, Any]) -> dict[str, Any]:
    """The office baseline."""
    from selector.baselines import greedy

    proposals = load_set(spec)
    rules = scaled_rules(spec["rules"], spec["n"], proposals)
    t = _begin()
    g = greedy(proposals, rules)
    return {"seconds": _clock() - t, "objective": g.objective, "beneficiaries": g.beneficiaries,
            "violations": len(g.violations), "first_violation": g.violations[0] if g.violations
            else ""}


def _highs(model: Any, *, lp: bool, time_limit: float | None) -> dict[str, Any]:
    import highspy

    from selector.engine.backends import build_highs, read_highs

    t = _begin()
    h = build_highs(model, time_limit=time_limit, rel_gap=1e-6, abs_gap=1e-6)
    if lp:
        h.setOptionValue("solve_relaxation", True)
    passed = _clock() - t
    t = _clock()
    h.run()
    run = _clock() - t
    raw = read_highs(h)
    info = h.getInfo()
    objective = float(info.objective_function_value)
    bound = float(info.mip_dual_bound) if not lp else objective
    return {"pass_s": passed, "run_s": run, "status": raw.raw_status,
            "objective": objective, "bound": bound,
            "highs": highspy.__version__ if hasattr(highspy, "__version__") else ""}


def case_highs_plain(spec: dict[str, Any]) -> dict[str, Any]:
    """Plain highspy (default options, gap 1e-6) on the engine's own matrix."""
    _, _, model = _model(spec)
    return _highs(_matrix(model), lp=False, time_limit=spec.get("time_limit"))


def case_lp(spec: dict[str, Any]) -> dict[str, Any]:
    """The LP relaxation alone (HiGHS): the ceiling on quality, a floor on time."""
    _, _, model = _model(spec)
    return _highs(_matrix(model), lp=True, time_limit=spec.get("time_limit"))


def case_cpsat(spec: dict[str, Any]) -> dict[str, Any]:
    """OR-Tools CP-SAT on the same model, one worker, relative gap 1e-6. The model is held
    in CP-SAT's integers by the engine's own converter (``selector.engine._cpsat``: every
    row times the least power of ten that makes it whole, the continuous totals as the
    whole numbers they are) — one home for that knowledge; the solve is plain CP-SAT with
    its defaults. (An MPS import was tried first: CP-SAT's own scaling of the fractional
    share rows answered INFEASIBLE on feasible models.)"""
    from ortools.sat.python import cp_model

    from selector.engine._cpsat import CpsatModel

    _, _, model = _model(spec)
    mm = _matrix(model)
    t = _begin()
    held = CpsatModel.of(mm)
    held.set_objective(mm.objective, maximize=True)
    built = _clock() - t
    solver = cp_model.CpSolver()
    if spec.get("time_limit"):
        solver.parameters.max_time_in_seconds = float(spec["time_limit"])
    solver.parameters.relative_gap_limit = 1e-6
    solver.parameters.num_workers = 1
    t = _clock()
    status = solver.solve(held.proto_model)
    run = _clock() - t
    ok = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    scale = held.objective_scale
    return {"import_s": built, "run_s": run, "status": solver.status_name(status),
            "objective": solver.objective_value / scale if ok else math.nan,
            "bound": solver.best_objective_bound / scale if ok else math.nan}


def case_pulp_naive(spec: dict[str, Any]) -> dict[str, Any]:
    """PuLP the way a first-time user writes it: each row grown term by term, then CBC."""
    import pulp

    _, _, model = _model(spec)
    mm = _matrix(model)
    t = _begin()
    prob = pulp.LpProblem("naive", pulp.LpMaximize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = [pulp.LpVariable(f"v{j}", lowBound=lo if math.isfinite(lo) else None,
                             upBound=hi if math.isfinite(hi) else None,
                             cat="Integer" if integer else "Continuous")
             for j, (lo, hi, integer) in enumerate(zip(mm.col_lower, mm.col_upper, mm.integer,
                                                       strict=True))]
    objective = pulp.lpSum([])
    for j, c in enumerate(mm.objective):
        if c:
            objective += float(c) * v[j]
    prob += objective
    a = mm.matrix.tocsr()
    for r in range(a.shape[0]):
        expr = pulp.lpSum([])
        for k in range(a.indptr[r], a.indptr[r + 1]):
            expr += float(a.data[k]) * v[int(a.indices[k])]
        lo, hi = float(mm.row_lower[r]), float(mm.row_upper[r])
        if lo == hi:
            prob += expr == lo
        else:
            if math.isfinite(hi):
                prob += expr <= hi
            if math.isfinite(lo):
                prob += expr >= lo
    build = _clock() - t
    t = _clock()
    prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=1e-6, timeLimit=spec.get("time_limit")))
    run = _clock() - t
    return {"build_s": build, "run_s": run, "status": pulp.LpStatus[prob.status],
            "sol_status": prob.sol_status, "objective": float(pulp.value(prob.objective) or 0)}


def _pabutools_run(costs: list[int], scores: list[float], budget: int,
                   algo: str) -> dict[str, Any]:
    from pabutools.election import (
        Additive_Cardinal_Sat,
        CardinalBallot,
        CardinalProfile,
        Instance,
        Project,
    )
    from pabutools.rules import max_additive_utilitarian_welfare
    from pabutools.rules.maxwelfare import MaxAddUtilWelfareAlgo

    t = _begin()
    projects = [Project(f"p{k}", c) for k, c in enumerate(costs)]
    instance = Instance(projects, budget_limit=budget)
    ballot = CardinalBallot({p: s for p, s in zip(projects, scores, strict=True) if s > 0})
    profile = CardinalProfile([ballot], instance=instance)
    setup = _clock() - t
    inner = MaxAddUtilWelfareAlgo[algo]
    t = _clock()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alloc = max_additive_utilitarian_welfare(instance, profile,
                                                 sat_class=Additive_Cardinal_Sat,
                                                 inner_algo=inner)
    run = _clock() - t
    chosen = {int(p.name[1:]) for p in alloc}
    return {"setup_s": setup, "run_s": run, "objective": float(sum(scores[k] for k in chosen)),
            "cost": int(sum(costs[k] for k in chosen))}


def case_pabutools(spec: dict[str, Any]) -> dict[str, Any]:
    """pabutools' exact max-welfare rule on the candidates of the budget-only instance."""
    proposals, rules, model = _model(spec)
    cand = np.flatnonzero(model.eligible)
    costs = proposals.frame["cost_minor"].to_numpy()[cand].tolist()
    scores = proposals.frame["beneficiaries"].to_numpy()[cand].tolist()
    budget = int(rules.total_budget * 100)
    return _pabutools_run(costs, scores, budget, spec.get("algo", "ILP_SOLVER"))


def _pabulib_rules(ps: Any) -> Any:
    from selector import Rules
    from selector.rules import Eligibility, Relations

    return Rules(budget=ps.meta["budget"], eligibility=Eligibility(require_indicator=False),
                 completion=None, relations=Relations(requires=False, excludes=False,
                                                      variants=False))


def case_pabulib(spec: dict[str, Any]) -> dict[str, Any]:
    """Every listed Pabulib election: our engine (budget only) or pabutools, same numbers."""
    from selector import Model, load_pabulib

    out: dict[str, Any] = {}
    for file in spec["files"]:
        t = _begin()
        ps = load_pabulib(file)
        load = _clock() - t
        row: dict[str, Any] = {"n": len(ps), "load_s": load}
        try:
            if spec["who"] == "ours":
                t = _begin()
                sel = Model.build(ps, _pabulib_rules(ps)).solve(
                    solver=spec.get("solver", "highs"), diagnose=False)
                row.update(seconds=_clock() - t, objective=sel.objective,
                           status=str(sel.status))
            else:
                costs = ps.frame["cost_minor"].tolist()
                scores = ps.frame["beneficiaries"].tolist()
                row.update(_pabutools_run(costs, scores,
                                          int(Decimal(ps.meta["budget"]) * 100),
                                          spec.get("algo", "ILP_SOLVER")))
        except Exception as exc:  # one bad file must not hide the others
            row["error"] = f"{type(exc).__name__}: {exc}"[:120]
        out[Path(file).stem] = row
    return out


def read_orlib(path: Path) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(profit, weights m×n, capacities)`` of each problem of a mknap1/mknapcb file."""
    numbers = path.read_text().split()
    pos, out = 1, []
    for _ in range(int(numbers[0])):
        n, m = int(numbers[pos]), int(numbers[pos + 1])
        pos += 3
        profit = np.array(numbers[pos:pos + n], dtype=np.float64)
        pos += n
        weights = np.array(numbers[pos:pos + n * m], dtype=np.float64).reshape(m, n)
        pos += n * m
        caps = np.array(numbers[pos:pos + m], dtype=np.float64)
        pos += m
        out.append((profit, weights, caps))
    return out


def read_mknap2(path: Path) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]]:
    """mknap2 format: per ``problem NAME.DAT`` block ``m n``, n profits, m capacities,
    m×n weights, then the known optimum. ``{name: (profit, weights m×n, caps, optimum)}``
    in file order."""
    import re

    out = {}
    for block in re.split(r"\n\s*problem\s+", path.read_text())[1:]:
        name, _, body = block.partition("\n")
        body = body.split("+++++", 2)[-1]
        tok = [float(t) for t in re.findall(r"-?\d+(?:\.\d+)?", body)]
        m, n = int(tok[0]), int(tok[1])
        pos = 2
        profit = np.array(tok[pos:pos + n])
        pos += n
        caps = np.array(tok[pos:pos + m])
        pos += m
        weights = np.array(tok[pos:pos + m * n]).reshape(m, n)
        pos += m * n
        out[name.strip()] = (profit, weights, caps, tok[pos])
    return out


def orlib_problem(file: str, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(profit, weights m×n, capacities)`` of problem ``index`` (from 1) of an OR-Library
    file: mknap1, mknapcb* or mknap2 (each has its own layout)."""
    path = SHARED / "orlib" / file
    if file.startswith("mknap2"):
        profit, weights, caps, _ = list(read_mknap2(path).values())[index - 1]
        return profit, weights, caps
    return read_orlib(path)[index - 1]


def orlib_as_selection(profit: np.ndarray, weights: np.ndarray,
                       caps: np.ndarray) -> tuple[Any, Any]:
    """A multidimensional knapsack as proposals + rules: row 0 is the budget (in fen),
    the other rows are resources over extra columns."""
    import pandas as pd

    from selector import Rules, proposals_from_frame
    from selector.rules import Eligibility, Relations, Resource

    n, m = len(profit), len(caps)
    frame = pd.DataFrame({"id": [f"j{k}" for k in range(n)], "domain": "skills",
                          "cost": [Decimal(int(w)) / 100 for w in weights[0]],
                          "beneficiaries": profit})
    for i in range(1, m):
        frame[f"r{i}"] = weights[i]
    ps = proposals_from_frame(frame)
    rules = Rules(budget=Decimal(int(caps[0])) / 100,
                  resources=tuple(Resource(name=f"r{i}", column=f"r{i}", capacity=float(caps[i]))
                                  for i in range(1, m)),
                  eligibility=Eligibility(require_indicator=False), completion=None,
                  relations=Relations(requires=False, excludes=False, variants=False))
    return ps, rules


def case_orlib(spec: dict[str, Any]) -> dict[str, Any]:
    """One OR-Library instance through the engine, with a time limit."""
    from selector import select

    profit, weights, caps = orlib_problem(spec["file"], spec["index"])
    ps, rules = orlib_as_selection(profit, weights, caps)
    t = _begin()
    sel = select(ps, rules, solver=spec.get("solver", "highs"), time_limit=spec["time_limit"],
                 gap=0.0)
    return {"seconds": _clock() - t, "objective": sel.objective, "status": str(sel.status)}


def case_prepare(spec: dict[str, Any]) -> dict[str, Any]:
    """Generate the call of size ``n`` once: a CSV (for load timings) and a pickle."""
    from selector import save_proposals
    from selector.datasets import generate_call

    t = _begin()
    ps = generate_call(spec["n"], seed=spec["seed"])
    generated = _clock() - t
    save_proposals(ps, spec["csv"])
    with open(spec["pickle"], "wb") as fh:
        pickle.dump(ps, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return {"generate_s": generated}


def case_module(spec: dict[str, Any]) -> dict[str, Any]:
    """Another engineer's ``bench_*.py``: import it and call its ``run``."""
    import importlib.util
    import inspect

    path = Path(spec["path"])
    loader_spec = importlib.util.spec_from_file_location(f"_bench_{path.stem}", path)
    assert loader_spec is not None and loader_spec.loader is not None
    module = importlib.util.module_from_spec(loader_spec)
    loader_spec.loader.exec_module(module)
    fn = getattr(module, "run", None)
    if not callable(fn):
        return {"rows": None, "doc": ""}
    quick = bool(spec["quick"])
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    if "quick" in params:
        kwargs["quick"] = quick
    elif quick and "sizes" in params:
        kwargs["sizes"] = (1000,)
    if quick and "repeat" in params:
        kwargs["repeat"] = 1
    t = _begin()
    rows = list(fn(**kwargs))
    return {"rows": rows, "seconds": _clock() - t,
            "doc": (module.__doc__ or "").strip().split("\n\n")[0]}


CASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "load": case_load, "ours": case_ours, "greedy": case_greedy,
    "highs_plain": case_highs_plain, "lp": case_lp, "cpsat": case_cpsat,
    "pulp_naive": case_pulp_naive, "pabutools": case_pabutools, "pabulib": case_pabulib,
    "orlib": case_orlib, "module": case_module, "prepare": case_prepare,
}


def peak_mb() -> float:
    """This process's own peak resident memory (VmHWM, MB); 0 where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    out = CASES[spec["case"]](spec)
    out["peak_mb"] = peak_mb()
    print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
