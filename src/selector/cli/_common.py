"""Shared pieces of the command line: options, consoles, one-line errors, progress, JSON.

Every word printed comes from the ``cli.*`` messages of the catalogue (``cli.po``), in the
language of ``--lang`` (default ``zh``; the environment variable ``SELECTOR_LANG`` sets
it for every command, and the language of ``--help``).

This module is imported when the command line starts, also for ``selector --help``: it
imports only the standard library, typer, rich and :mod:`selector.i18n`. The library
(pandas, the solvers, SQLAlchemy, matplotlib) is imported inside the command bodies.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.console import Console

from selector._errors import InvalidInputError
from selector.atomic import replacing, write_atomically
from selector.i18n import DEFAULT_LANG, LANGS, Lang, t
from selector.text import terminal_safe

if TYPE_CHECKING:
    from selector.model import ProposalSet
    from selector.rules import Rules

__all__ = [
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_USER",
    "HELP_LANG",
    "PLOT_SUFFIXES",
    "MAX_LINE",
    "DelimiterOpt",
    "EncodingOpt",
    "LangOpt",
    "MappingOpt",
    "QuietOpt",
    "Reporter",
    "SheetOpt",
    "Solver",
    "SolverOpt",
    "VerboseOpt",
    "cap",
    "check_plot_path",
    "default_rules",
    "err_console",
    "error_line",
    "help_text",
    "internal_error_line",
    "lang_of",
    "load_inputs",
    "money_option",
    "out_console",
    "parse_mapping",
    "safe",
    "save_figure",
    "sheet_value",
    "write_json",
]

EXIT_OK, EXIT_USER, EXIT_USAGE = 0, 1, 2
#: An error of ``selector`` itself (a bug): still one line, still exit code 1.
EXIT_INTERNAL = EXIT_USER
#: The longest error line printed (longer messages are cut with an ellipsis).
MAX_LINE = 500

Solver = Literal["cbc", "highs"]


def lang_of(argv: list[str] | None = None) -> Lang:
    """The language of a command line: ``--lang`` in ``argv``, else ``SELECTOR_LANG``, else zh.

    Examples
    --------
    >>> lang_of(["select", "x.csv", "--lang", "en"]), lang_of(["--lang=en"])
    ('en', 'en')
    """
    args = list(argv or [])
    for k, arg in enumerate(args):
        value = None
        if arg == "--lang" and k + 1 < len(args):
            value = args[k + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value in LANGS:
            return value
    env = os.environ.get("SELECTOR_LANG", "")
    return env if env in LANGS else DEFAULT_LANG


#: The language of ``--help`` (fixed when the command line is built: ``SELECTOR_LANG``).
HELP_LANG: Lang = lang_of([])


def help_text(key: str) -> str:
    """The help text ``cli.help.<key>`` in :data:`HELP_LANG`."""
    return t(f"cli.help.{key}", HELP_LANG)


LangOpt = Annotated[Lang, typer.Option(
    "--lang", envvar="SELECTOR_LANG", help=help_text("lang"), show_default=True)]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help=help_text("quiet"))]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help=help_text("verbose"))]
SolverOpt = Annotated[Solver, typer.Option("--solver", help=help_text("solver"))]
SheetOpt = Annotated[str | None, typer.Option(
    "--sheet", metavar="NAME|N", help=help_text("sheet"))]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", metavar="NAME", help=help_text("encoding"))]
DelimiterOpt = Annotated[str | None, typer.Option(
    "--delimiter", metavar="CHAR", help=help_text("delimiter"))]
MappingOpt = Annotated[list[str] | None, typer.Option(
    "--mapping", "-m", metavar="HEADER=FIELD", help=help_text("mapping"))]


#: File types a plot can be written as (matplotlib's own writers).
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def check_plot_path(target: Path | None, lang: Lang = DEFAULT_LANG) -> None:
    """A usage error when ``target`` is not a file type a plot can be written as."""
    if target is not None and target.suffix.lower() not in PLOT_SUFFIXES:
        raise typer.BadParameter(t("cli.error.plot", lang,
                                   allowed=", ".join(PLOT_SUFFIXES), got=safe(target.name)))


def save_figure(figure: Any, target: Path) -> Path:
    """Save a matplotlib figure whole (a temporary file renamed into place)."""
    with replacing(target) as part:
        figure.savefig(part)
    return target


def out_console() -> Console:
    """A console on the current stdout (created per call, so captured output works)."""
    return Console(file=sys.stdout, soft_wrap=True, highlight=False)


def err_console() -> Console:
    """A console on the current stderr, for progress and errors."""
    return Console(file=sys.stderr, soft_wrap=True, highlight=False)


def safe(value: object) -> str:
    """Text that came from the input, made safe to print on a terminal.

    Examples
    --------
    >>> safe("驿站\\x1b[2J"), safe(None)
    ('驿站\\\\x1b[2J', '')
    """
    return terminal_safe("" if value is None else str(value)).replace("\n", " ")


def cap(text: str, limit: int = MAX_LINE) -> str:
    """``text`` on one line and at most ``limit`` characters.

    Examples
    --------
    >>> cap("a\\n  b"), cap("x" * 10, 5)
    ('a b', 'xxxx…')
    """
    line = " ".join(text.split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def error_line(exc: BaseException, lang: Lang = DEFAULT_LANG) -> str:
    """One line for a user error (never a traceback), at most :data:`MAX_LINE` characters.

    Examples
    --------
    >>> error_line(InvalidInputError("budget must be >= 0", source="rules.toml"), "en")
    'error: rules.toml: budget must be >= 0'
    >>> error_line(FileNotFoundError(2, "No such file or directory", "x.csv"), "zh")
    '错误：x.csv：文件或文件夹不存在'
    """
    render = getattr(exc, "render", None)   # errors that carry their words (a conflict)
    if isinstance(exc, InvalidInputError) and len(exc.problems) > 1:
        head = f"{exc.source}: " if exc.source else ""
        text = t("cli.error.many", lang, head=head, n=len(exc.problems),
                 first=exc.problems[0].text(lang), more=len(exc.problems) - 1)
    elif isinstance(exc, InvalidInputError):
        text = exc.text(lang)
    elif isinstance(exc, OSError) and exc.filename is not None:
        text = t("cli.error.file", lang, path=exc.filename, reason=_os_reason(exc, lang))
    elif callable(render):
        text = str(render(lang))
    else:
        text = str(exc)
    return cap(t("cli.error.line", lang, message=safe(text)))


def _os_reason(exc: OSError, lang: Lang) -> str:
    kinds = {FileNotFoundError: "missing", IsADirectoryError: "directory",
             PermissionError: "permission", NotADirectoryError: "not_directory"}
    for kind, key in kinds.items():
        if isinstance(exc, kind):
            return t(f"cli.error.os_{key}", lang)
    return exc.strerror or str(exc)


def internal_error_line(exc: BaseException, lang: Lang = DEFAULT_LANG) -> str:
    """One line for an error that is a bug of ``selector`` (never a traceback).

    Examples
    --------
    >>> internal_error_line(KeyError("x"), "en")  # doctest: +ELLIPSIS
    "internal error: KeyError: 'x' (this is a bug in selector; ...)"
    """
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return cap(t("cli.error.internal", lang, detail=cap(safe(detail), MAX_LINE // 2)))


def money_option(value: str | None, option: str = "--budget",
                 lang: Lang = DEFAULT_LANG) -> Decimal | None:
    """An amount of yuan given on the command line (:func:`selector.money.parse_money`).

    ``None`` stays ``None``; a malformed amount is a usage error (exit code 2).
    """
    if value is None:
        return None
    from selector.money import parse_money  # deferred: pandas (not needed for --help)

    try:
        return parse_money(value, option)
    except InvalidInputError:
        raise typer.BadParameter(t("cli.error.money", lang, option=option,
                                   value=safe(value)[:80])) from None


def parse_mapping(items: list[str] | None, lang: Lang = DEFAULT_LANG) -> dict[str, str] | None:
    """``--mapping 资金(元)=cost`` (repeatable) as ``{header: field}``.

    Examples
    --------
    >>> parse_mapping(["资金(元)=cost", "编号 = id"])
    {'资金(元)': 'cost', '编号': 'id'}
    """
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        header, sep, name = item.partition("=")
        if not sep or not header.strip() or not name.strip():
            raise typer.BadParameter(t("cli.error.mapping", lang, value=safe(item)[:80]))
        out[header.strip()] = name.strip()
    return out


def sheet_value(value: str | None) -> str | int | None:
    """``--sheet``: a number is the sheet's position (0 = the first), else its name."""
    return int(value) if value is not None and value.isdigit() else value


def load_inputs(input_path: Path, rules_path: Path | None, *, sheet: str | None = None,
                encoding: str | None = None, delimiter: str | None = None,
                mapping: dict[str, str] | None = None) -> tuple[ProposalSet, Rules]:
    """Load the proposals and the rules (:func:`default_rules` when no file is given)."""
    from selector.io import load_proposals  # deferred: pandas, pyarrow
    from selector.rules import load_rules

    proposals = load_proposals(input_path, sheet=sheet_value(sheet), encoding=encoding,
                               delimiter=delimiter, mapping=mapping)
    rules = default_rules(proposals) if rules_path is None else load_rules(rules_path)
    return proposals, rules


def default_rules(proposals: ProposalSet) -> Rules:
    """The rules when no rules file is given.

    ``Rules()`` (the call's screening: a measurable indicator, completion within the year),
    except for a Pabulib election, which has neither column: there the budget-only problem.
    """
    from selector.rules import Eligibility, Rules  # deferred: pydantic models

    if proposals.meta.get("format") == "pabulib":
        return Rules(eligibility=Eligibility(require_indicator=False), completion=None)
    return Rules()


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return str(obj)
    if isinstance(obj, tuple | set | frozenset):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


def write_json(data: Any, target: Path | None) -> None:
    """Write machine output: to ``target`` (taken literally), or to stdout when it is ``-``.

    The file is written whole or not at all (a temporary file renamed into place).
    """
    if target is None:
        return
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_default) + "\n"
    if str(target) == "-":
        sys.stdout.write(text)
        return
    write_atomically(target, lambda temp: temp.write_text(text, encoding="utf-8"))


class Reporter:
    """What a command says while it works, on stderr.

    On a terminal: a rich spinner with the elapsed time for a stage, a rich progress bar
    with the count and the time left for a counted loop. Not on a terminal (a pipe, a log
    file, CI): one plain line when a stage starts and one when it ends, with its seconds.
    ``quiet``: nothing; ``verbose``: also the details (solver, timings) via :meth:`detail`.
    """

    def __init__(self, lang: Lang, *, quiet: bool = False, verbose: bool = False,
                 console: Console | None = None) -> None:
        self.lang = lang
        self.quiet = quiet
        self.verbose = verbose and not quiet
        self.console = console or err_console()
        self.tty = self.console.is_terminal

    def say(self, key: str, **params: Any) -> None:
        """A note on stderr (not in quiet mode)."""
        if not self.quiet:
            self.console.print(t(key, self.lang, **params), markup=False, highlight=False)

    def warn(self, key: str, **params: Any) -> None:
        """A warning on stderr, shown even in quiet mode (it changes what was produced)."""
        message = t(key, self.lang, **params)
        self.console.print(cap(t("cli.warning", self.lang, message=message)), markup=False,
                           highlight=False)

    def detail(self, key: str, **params: Any) -> None:
        """A detail shown only with ``--verbose``."""
        if self.verbose:
            self.say(key, **params)

    @contextmanager
    def stage(self, key: str, **params: Any) -> Iterator[None]:
        """Show that the stage ``key`` is running; report its seconds when it ends."""
        text = t(key, self.lang, **params)
        start = time.perf_counter()
        if self.quiet:
            yield
            return
        if self.tty:
            with self.console.status(text, spinner="dots"):
                yield
        else:
            self.console.print(t("cli.progress.start", self.lang, stage=text), markup=False,
                               highlight=False)
            yield
        seconds = time.perf_counter() - start
        if not self.tty or self.verbose:
            self.console.print(t("cli.progress.done", self.lang, stage=text,
                                 seconds=f"{seconds:.1f}"), markup=False, highlight=False)

    @contextmanager
    def counted(self, key: str, total: int, **params: Any) -> Iterator[Any]:
        """A counted loop: yields ``advance()``, to be called once per item done.

        On a terminal a progress bar (done/total, elapsed, time left); otherwise one
        plain line per item with the count and the time left.
        """
        text = t(key, self.lang, **params)
        start = time.perf_counter()
        done = [0]
        if self.quiet or total <= 0:
            yield lambda: None
            return
        if self.tty:
            from rich.progress import (  # deferred: only counted loops on a terminal need it
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TimeElapsedColumn(), TimeRemainingColumn(), console=self.console,
                          transient=True) as bar:
                task = bar.add_task(text, total=total)
                yield lambda: bar.advance(task, 1)
            return

        def advance() -> None:
            done[0] += 1
            elapsed = time.perf_counter() - start
            left = elapsed / done[0] * (total - done[0])
            self.console.print(t("cli.progress.count", self.lang, stage=text, done=done[0],
                                 total=total, seconds=f"{elapsed:.1f}", left=f"{left:.0f}"),
                               markup=False, highlight=False)

        yield advance

    @contextmanager
    def tracked(self, key: str, **params: Any) -> Iterator[Callable[[int, int], None]]:
        """A counted loop whose size the library tells: yields ``progress(done, total)``
        (the callback of :func:`selector.reserve.plan_reserve`), shown as :meth:`counted`
        from its first call."""
        with ExitStack() as stack:
            shown = 0
            advance: Callable[[], None] | None = None

            def progress(done: int, total: int) -> None:
                nonlocal shown, advance
                if advance is None:
                    advance = stack.enter_context(self.counted(key, total, **params))
                while shown < done:
                    shown += 1
                    advance()

            yield progress
