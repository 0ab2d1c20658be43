"""Solver settings: one object, the same defaults everywhere.

:class:`SolveOptions` is what every function that solves many times passes to each solve
— sweeps, the frontier, comparisons, robustness, explanations, reserve scoring — so the
defaults cannot drift apart: ``None`` everywhere means the engine's own default (the
model's solver, no time limit, a relative gap of 1e-6; the frontier alone asks for
``gap=0``, which its exactness needs, unless given a gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from selector._errors import InputProblem, InvalidInputError
from selector.i18n import DEFAULT_LANG, t

__all__ = ["SOLVERS", "SolveOptions", "SolverName"]

#: The solvers a caller may ask for (routes chosen by the model's shape come first; see
#: :mod:`selector.engine.solve`).
SolverName = Literal["cbc", "highs", "cpsat"]
SOLVERS: tuple[SolverName, ...] = ("cbc", "highs", "cpsat")


@dataclass(frozen=True)
class SolveOptions:
    """Solver settings passed to every solve (``None``: the engine's default).

    Examples
    --------
    >>> SolveOptions(solver="highs").solve_kwargs()
    {'diagnose': False, 'solver': 'highs'}
    """

    solver: SolverName | None = None
    time_limit: float | None = None
    gap: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.solver is not None and self.solver not in SOLVERS:
            problems.append(InputProblem(t("engine.error.solver_name", DEFAULT_LANG),
                                         column="solver", value=str(self.solver)))
        if self.time_limit is not None and not self.time_limit >= 0:
            problems.append(InputProblem("time_limit must be >= 0", column="time_limit",
                                         value=str(self.time_limit)))
        if self.gap is not None and not self.gap >= 0:
            problems.append(InputProblem("gap must be >= 0", column="gap", value=str(self.gap)))
        if problems:
            raise InvalidInputError(problems, source="options")

    def solve_kwargs(self, *, diagnose: bool = False) -> dict[str, Any]:
        """Keyword arguments for :meth:`selector.engine.Model.solve`."""
        out: dict[str, Any] = {"diagnose": diagnose}
        if self.solver is not None:
            out["solver"] = self.solver
        if self.time_limit is not None:
            out["time_limit"] = self.time_limit
        if self.gap is not None:
            out["gap"] = self.gap
        return out

    def merged(self, *, solver: SolverName | None = None, time_limit: float | None = None,
               gap: float | None = None) -> SolveOptions:
        """These options with the settings given here in their place."""
        return SolveOptions(solver=self.solver if solver is None else solver,
                            time_limit=self.time_limit if time_limit is None else time_limit,
                            gap=self.gap if gap is None else gap)
