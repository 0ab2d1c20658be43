"""The ``selector`` command line (typer + rich).

The command line only parses arguments, calls the library and prints. :func:`main`
guarantees the shape of every failure:

- a user error (a :class:`~selector.SelectorError`, an unreadable path): ONE line on
  stderr, exit code 1;
- a usage error (an unknown option, a malformed ``--budget``): the usage line and one
  error line, exit code 2;
- anything else is a bug of ``selector``: still one line (``internal error: …``), exit 1.

Lines are at most :data:`~selector.cli._common.MAX_LINE` characters, never a traceback.

Starting is cheap: the command modules import only typer, rich and the message catalogue
at module level (the library, pandas, the solvers and matplotlib are imported inside the
command bodies), and ``selector reserve`` (SQLAlchemy) is loaded only when it is run.
``selector --install-completion`` installs shell completion (bash, zsh, fish).

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
selector ...
0
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.core

from selector import __version__
from selector._errors import SelectorError
from selector.cli._common import (
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    EXIT_USER,
    cap,
    error_line,
    help_text,
    internal_error_line,
    lang_of,
)
from selector.cli._compare import register as _register_compare
from selector.cli._explain import register as _register_explain
from selector.cli._frontier import register as _register_frontier
from selector.cli._select import register as _register_select
from selector.i18n import Lang, t

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="selector",
    help=help_text("app"),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"selector {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help=help_text("version")),
) -> None:
    """Exact, explainable selection of proposals for public funding."""


_register_select(app)
_register_explain(app)
_register_frontier(app)
_register_compare(app)


class _Deferred(typer.core.TyperGroup):
    """A sub-command group built only when it is run (or asked for its own help).

    ``selector --help`` lists it with its short help without importing its module.
    """

    def __init__(self, name: str, short_help: str, load: Callable[[], Any]) -> None:
        super().__init__(name=name, help=short_help, short_help=short_help)
        self._load = load
        self._real: Any = None

    def real(self) -> Any:
        """The real command (imported on first use)."""
        if self._real is None:
            self._real = self._load()
        return self._real

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None,
                     **extra: Any) -> Any:
        return self.real().make_context(info_name, args, parent=parent, **extra)


def _reserve_group() -> Any:
    from selector.cli._reserve import register  # deferred: SQLAlchemy (the reserve store)

    holder = typer.Typer(rich_markup_mode=None)
    register(holder)
    return typer.main.get_command(holder).commands["reserve"]  # type: ignore[attr-defined]


def _outcomes_group() -> Any:
    from selector.cli._outcomes import register  # deferred: SQLAlchemy, the outcome store

    holder = typer.Typer(rich_markup_mode=None)
    register(holder)
    return typer.main.get_command(holder).commands["outcomes"]  # type: ignore[attr-defined]


def _intake_command() -> Any:
    from selector.cli._intake import register  # deferred: pandas, datasketch, the readers

    holder = typer.Typer(rich_markup_mode=None)
    register(holder)
    holder.command("_unused", hidden=True)(lambda: None)  # a group, so the name is kept
    return typer.main.get_command(holder).commands["intake"]  # type: ignore[attr-defined]


#: Sub-command groups loaded on demand: name -> (short help, loader).
DEFERRED: dict[str, tuple[str, Callable[[], Any]]] = {
    "reserve": (help_text("reserve_group"), _reserve_group),
    "outcomes": (help_text("outcomes_group"), _outcomes_group),
    "intake": (help_text("intake_command"), _intake_command),
}


def command() -> Any:
    """The click command of the whole command line (deferred groups attached)."""
    root = typer.main.get_command(app)
    for name, (short, load) in DEFERRED.items():
        root.commands[name] = _Deferred(name, short, load)  # type: ignore[attr-defined]
    return root


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    args = sys.argv[1:] if argv is None else list(argv)
    lang = lang_of(args)
    try:
        result = command().main(args=args, prog_name="selector", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        typer.echo(t("cli.error.aborted", lang), err=True)
        return EXIT_USER
    except KeyboardInterrupt:
        typer.echo(t("cli.error.interrupted", lang), err=True)
        return 130
    except typer.TyperException as exc:  # usage errors (typer's parser)
        return _usage_error(exc, lang)
    except (SelectorError, OSError) as exc:
        typer.echo(error_line(exc, lang), err=True)
        return EXIT_USER
    except Exception as exc:  # a bug: still one line, never a traceback
        typer.echo(internal_error_line(exc, lang), err=True)
        return EXIT_INTERNAL
    return result if isinstance(result, int) else EXIT_OK


def _usage_error(exc: Any, lang: Lang) -> int:
    """The usage line, a hint and one error line on stderr; exit code 2."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # `selector` alone: the help
        typer.echo(exc.format_message(), err=True)
        return EXIT_USAGE
    if ctx is not None:
        typer.echo(ctx.get_usage(), err=True)
        typer.echo(t("cli.error.usage_hint", lang,
                     command=ctx.command_path), err=True)
    message = cap(t("cli.error.line", lang,
                    message=exc.format_message()))
    typer.echo(message, err=True)
    code = getattr(exc, "exit_code", EXIT_USAGE)
    return code if isinstance(code, int) and code else EXIT_USAGE


def run() -> None:
    """Console-script entry point: ``selector ...``."""
    sys.exit(main())
