"""The ``selector`` command line (typer + rich).

The command line only parses arguments, calls the library and prints. Every user error
(a :class:`~selector.SelectorError`, an unreadable path) ends the command with exit code 1
and ONE line on stderr, never a traceback; usage errors exit with 2.

Examples
--------
>>> main(["--version"])  # doctest: +ELLIPSIS
selector ...
0
"""

from __future__ import annotations

import sys

import typer
from typer.exceptions import TyperException

from selector._errors import SelectorError
from selector.cli._common import EXIT_OK, EXIT_USER, error_line
from selector.cli._compare import register as _register_compare
from selector.cli._explain import register as _register_explain
from selector.cli._frontier import register as _register_frontier
from selector.cli._intake import register as _register_intake
from selector.cli._outcomes import register as _register_outcomes
from selector.cli._reserve import register as _register_reserve
from selector.cli._select import register as _register_select

__all__ = ["app", "main", "run"]

app = typer.Typer(
    name="selector",
    help=(
        "Exact, explainable selection of proposals for public funding.\n\n"
        "Example: selector select examples/proposals.csv --rules examples/rules.toml --out out/demo"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from selector import __version__

        typer.echo(f"selector {__version__}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Exact, explainable selection of proposals for public funding."""


_register_select(app)
_register_explain(app)
_register_frontier(app)
_register_compare(app)
_register_reserve(app)
_register_intake(app)
_register_outcomes(app)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    command = typer.main.get_command(app)
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        result = command.main(args=args, prog_name="selector", standalone_mode=False)
    except TyperException as exc:  # usage errors: exit 2, with the usage line
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc.format_message()}", err=True)
        return exc.exit_code
    except typer.Abort:
        typer.echo("error: aborted", err=True)
        return EXIT_USER
    except (SelectorError, OSError) as exc:
        typer.echo(error_line(exc), err=True)
        return EXIT_USER
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """Console-script entry point: ``selector ...``."""
    sys.exit(main())
