"""Shared pieces of the command line: consoles, option parsing, one-line errors, JSON output."""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from selector import money
from selector._errors import InvalidInputError, SelectorError

__all__ = [
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_USER",
    "err_console",
    "error_line",
    "out_console",
    "parse_money",
    "write_json",
]

EXIT_OK, EXIT_USER, EXIT_USAGE = 0, 1, 2


def out_console() -> Console:
    """A console on the current stdout (created per call, so captured output works)."""
    return Console(file=sys.stdout, soft_wrap=True, highlight=False)


def err_console() -> Console:
    """A console on the current stderr, for progress and errors."""
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def error_line(exc: BaseException) -> str:
    """One line for a user error (never a traceback).

    Examples
    --------
    >>> error_line(InvalidInputError("budget must be >= 0", source="rules.toml"))
    'error: rules.toml: budget must be >= 0'
    >>> error_line(FileNotFoundError(2, "No such file or directory", "x.csv"))
    'error: x.csv: No such file or directory'
    """
    if isinstance(exc, InvalidInputError) and len(exc.problems) > 1:
        head = f"{exc.source}: " if exc.source else ""
        first = exc.problems[0]
        more = len(exc.problems) - 1
        text = (f"{head}{len(exc.problems)} problems, the first: {first} "
                f"(and {more} more; `selector validate` lists them all)")
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = f"{exc.filename}: {exc.strerror or exc}"
    elif isinstance(exc, SelectorError | OSError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    return "error: " + " ".join(text.split())


def parse_money(value: str | None, what: str = "--budget") -> Decimal | None:
    """A money amount from the command line (exact, :func:`selector.money.parse_money`),
    or a usage error."""
    if value is None:
        return None
    try:
        return money.parse_money(value, what)
    except InvalidInputError as exc:
        problem = exc.problems[0]
        raise typer.BadParameter(f"{what} {problem.reason('en')} (got {problem.value!r})") \
            from None


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def write_json(data: Any, target: Path | None) -> None:
    """Write machine output: to ``target`` (taken literally), or to stdout when it is ``-``."""
    if target is None:
        return
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n"
    if str(target) == "-":
        sys.stdout.write(text)
        return
    if target.parent != Path():
        target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
