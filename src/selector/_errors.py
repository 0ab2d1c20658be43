"""Errors raised by ``selector``.

Every error the library raises on purpose derives from :class:`SelectorError`;
the command line catches it and exits 1 with one readable line::

    SelectorError                       # base; the CLI prints str(err) and exits 1
    ├── InvalidInputError(ValueError)   # every problem found in an input: row, column, value
    ├── InfeasibleError                 # the smallest set of rules that conflict, in words
    ├── SolverError(RuntimeError)       # the solver failed; carries its own status
    └── ReserveError                    # the reserve store refused or failed; nothing written
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "InfeasibleError",
    "InputProblem",
    "InvalidInputError",
    "ReserveError",
    "SelectorError",
    "SolverError",
]


class SelectorError(Exception):
    """Base class of every error ``selector`` raises on purpose."""


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input file or rules file.

    Attributes
    ----------
    message:
        What is wrong and what was expected, in words.
    row:
        The row as the planner sees it in the spreadsheet (header is row 1, so the
        first data row is 2), or ``None`` when the problem concerns the whole file.
    column:
        The column header as written in the file (or a rules key), if any.
    value:
        The offending value, as text, if any.
    """

    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        prefix = ", ".join(where)
        shown = "" if self.value is None else f" (got {self.value!r})"
        return f"{prefix}: {self.message}{shown}" if prefix else f"{self.message}{shown}"


class InvalidInputError(SelectorError, ValueError):
    """An input (proposals file, DataFrame, rules) has one or more problems.

    All problems found are carried in :attr:`problems`, not only the first.
    """

    def __init__(self, problems: Iterable[InputProblem] | InputProblem | str, source: str = "") -> None:
        if isinstance(problems, str):
            problems = [InputProblem(problems)]
        elif isinstance(problems, InputProblem):
            problems = [problems]
        self.problems: list[InputProblem] = list(problems)
        self.source = source
        super().__init__(self._summary())

    def _summary(self) -> str:
        n = len(self.problems)
        head = f"{self.source}: " if self.source else ""
        if n == 1:
            return f"{head}{self.problems[0]}"
        lines = [f"{head}{n} problems found:"] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InfeasibleError(SelectorError):
    """The rules cannot all hold at once.

    Attributes
    ----------
    conflict:
        Names of a smallest set of rules that cannot hold together.
    explanation:
        The conflict in a planner's words.
    """

    def __init__(self, explanation: str, conflict: Sequence[str] = ()) -> None:
        self.explanation = explanation
        self.conflict = tuple(conflict)
        super().__init__(explanation)


class SolverError(SelectorError, RuntimeError):
    """The solver failed or returned an answer that breaks a rule."""

    def __init__(self, message: str, solver_status: str = "") -> None:
        self.solver_status = solver_status
        super().__init__(message)


class ReserveError(SelectorError):
    """The reserve store refused an operation or failed; nothing was written."""
