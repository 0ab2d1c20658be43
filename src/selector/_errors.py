"""Errors raised by ``selector``.

Every error the library raises on purpose derives from :class:`SelectorError`;
the command line catches it and exits 1 with one readable line::

    SelectorError                       # base; the CLI prints str(err) and exits 1
    ├── InvalidInputError(ValueError)   # every problem found in an input: row, column, value
    ├── InfeasibleError                 # the smallest set of rules that conflict, in words
    ├── SolverError(RuntimeError)       # the solver failed; carries its own status
    └── ReserveError                    # the reserve store refused or failed; nothing written

The Python API raises these and nothing else on bad input: a malformed number, an absurd
magnitude, a file nested too deeply or a cell too long is an :class:`InvalidInputError`,
never an ``OverflowError``, ``decimal.InvalidOperation`` or ``RecursionError``.

Input problems speak both languages: an :class:`InputProblem` built with
:meth:`InputProblem.of` carries a message key of the catalogue (``io.po``) and its
parameters; ``str()`` shows it in English (stable for logs and ``except ... match=``) and
:meth:`InputProblem.text` / :meth:`InvalidInputError.text` in either language. Every value
shown is cut to :data:`MAX_SHOWN` characters, so a message stays one short line however
long the offending cell.

Examples
--------
>>> p = InputProblem.of("io.id.duplicate", row=3, column="项目编号", value="A1", first=2)
>>> str(p)
"row 3, column '项目编号': duplicate id (first used in row 2) (got 'A1')"
>>> p.text("zh")
'第 3 行，“项目编号”列：编号重复（第 2 行已使用）（实际为“A1”）'
>>> len(str(InputProblem("too long", value="x" * 10_000))) < 200
True
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from selector.i18n import DEFAULT_LANG, Lang, has, t

__all__ = [
    "MAX_SHOWN",
    "CheckedModel",
    "InfeasibleError",
    "InputProblem",
    "InvalidInputError",
    "Phrase",
    "ReserveError",
    "SelectorError",
    "SolverError",
    "shorten",
    "validation_problems",
]

#: Characters of an offending value (or of a parameter from the input) shown in a message.
MAX_SHOWN = 60
#: Problems listed in the text of one error (all of them stay in ``problems``).
_MAX_LISTED = 50
#: Characters of a message parameter (a list of choices, a name from the input).
_MAX_PARAM = 300
#: Characters of a whole problem message (a message from code, not the catalogue).
_MAX_MESSAGE = 1000


# control characters and the invisible ones of selector.text.INVISIBLE (which imports us)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ufeff\u200b-\u200f\u00ad\u061c"
                     "\u2060\u202a-\u202e\u2066-\u2069]")


def shorten(text: str, limit: int = MAX_SHOWN) -> str:
    r"""``text`` made safe to print in one line (control and invisible characters shown as
    escapes such as ``\n``) and cut to ``limit`` characters, with its full length when cut.

    >>> shorten("abc"), shorten("x" * 100, 10), shorten("a\nb\x1b[2J")
    ('abc', 'xxxxxxxxxx… (100 characters)', 'a\\nb\\x1b[2J')
    """
    full = len(text)
    cut = text[:limit] if full > limit else text
    if _UNSAFE.search(cut):
        cut = _UNSAFE.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), cut)
    return f"{cut}… ({full:,} characters)" if full > limit else cut


@dataclass(frozen=True)
class Phrase:
    """A message of the catalogue used as a parameter of another (a unit, what a column
    expects): rendered in the language of the message around it."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()

    def text(self, lang: Lang) -> str:
        """The phrase in ``lang``."""
        return _render(self.key, lang, self.params)


def _render(key: str, lang: Lang, params: tuple[tuple[str, Any], ...]) -> str:
    return t(key, lang, **{k: v.text(lang) if isinstance(v, Phrase) else v for k, v in params})


class SelectorError(Exception):
    """Base class of every error ``selector`` raises on purpose."""


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input file or rules file.

    Attributes
    ----------
    message:
        What is wrong and what was expected, in words (English).
    row:
        The row as the planner sees it in the spreadsheet (header is row 1, so the
        first data row is 2), or ``None`` when the problem concerns the whole file.
    column:
        The column header as written in the file (or a rules key), if any.
    value:
        The offending value, as text, if any (at most :data:`MAX_SHOWN` characters).
    key:
        The catalogue key of the message, when it has one (see :meth:`of`).
    params:
        The fields of that message, as ``(name, value)`` pairs.
    """

    message: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    key: str | None = field(default=None, compare=False)
    params: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.value is not None:
            object.__setattr__(self, "value", shorten(self.value))
        if self.column is not None:
            object.__setattr__(self, "column", shorten(self.column))
        object.__setattr__(self, "message", shorten(self.message, _MAX_MESSAGE))

    @classmethod
    def of(cls, key: str, row: int | None = None, column: str | None = None,
           value: object = None, **params: Any) -> InputProblem:
        """A problem whose message is the catalogue entry ``key`` with ``params``.

        Text parameters are made printable and cut to 300 characters (they may come from
        the input).
        """
        safe = tuple((k, shorten(v, _MAX_PARAM) if isinstance(v, str) else v)
                     for k, v in params.items())
        return cls(_render(key, "en", safe), row, column,
                   None if value is None else str(value), key, safe)

    def reason(self, lang: Lang = DEFAULT_LANG) -> str:
        """The message alone, in ``lang`` (a message without a key is as written)."""
        if self.key is None:
            return self.message
        return _render(self.key, lang, self.params)

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The whole problem in ``lang``: where, what, and the value found."""
        where = []
        if self.row is not None:
            where.append(t("io.where.row", lang, row=self.row))
        if self.column is not None:
            where.append(t("io.where.column", lang, column=self.column))
        prefix = t("io.where.join", lang).join(where)
        shown = "" if self.value is None else t("io.where.got", lang, value=self.value)
        body = self.reason(lang) + shown
        return t("io.where.at", lang, where=prefix, message=body) if prefix else body

    def __str__(self) -> str:
        return self.text("en")


class InvalidInputError(SelectorError, ValueError):
    """An input (proposals file, DataFrame, rules) has one or more problems.

    All problems found are carried in :attr:`problems`, not only the first.
    """

    def __init__(self, problems: Iterable[InputProblem] | InputProblem | str,
                 source: str = "") -> None:
        if isinstance(problems, str):
            problems = [InputProblem(problems)]
        elif isinstance(problems, InputProblem):
            problems = [problems]
        self.problems: list[InputProblem] = list(problems)
        self.source = shorten(source, 300)
        super().__init__(self.text("en"))

    def lines(self, lang: Lang = DEFAULT_LANG) -> list[str]:
        """Every problem as one line in ``lang``."""
        return [p.text(lang) for p in self.problems]

    def text(self, lang: Lang = DEFAULT_LANG) -> str:
        """The error in ``lang``: one line for one problem, else a count and a list."""
        n = len(self.problems)
        head = f"{self.source}: " if self.source else ""
        if n == 1:
            return f"{head}{self.problems[0].text(lang)}"
        shown = [f"  - {p.text(lang)}" for p in self.problems[:_MAX_LISTED]]
        if n > _MAX_LISTED:
            shown.append("  - " + t("io.summary.truncated", lang, n=n - _MAX_LISTED))
        return "\n".join([head + t("io.summary.count", lang, n=n), *shown])


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



# -- pydantic errors as input problems -------------------------------------------------------
_NESTING: ContextVar[int] = ContextVar("selector_model_nesting", default=0)


class CheckedModel(BaseModel):
    """A pydantic model whose construction raises :class:`InvalidInputError` (every
    problem, named by its dotted key) instead of pydantic's ``ValidationError``.

    Only the outermost construction converts: a nested model's errors reach its parent
    as pydantic errors, so their keys keep the whole path (``pools.0.amount``).
    """

    def __init__(self, **data: Any) -> None:
        token = _NESTING.set(_NESTING.get() + 1)
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if _NESTING.get() > 1:  # inside a parent's validation: let the parent name it
                raise
            raise InvalidInputError(validation_problems(exc, type(self)),
                                    source=type(self).__name__) from None
        finally:
            _NESTING.reset(token)



def validation_problems(error: ValidationError, root: type[BaseModel]) -> list[InputProblem]:
    """Every error of a pydantic validation of ``root`` as a planner-readable problem:
    the dotted key as the column, the value given, and the message of catalogue entry
    ``io.rules.<type>`` (``io.money.<kind>`` for money; an unknown key names the nearest
    valid one)."""
    return [_validation_problem(err, root) for err in error.errors()]


def _validation_problem(err: Any, root: type[BaseModel]) -> InputProblem:
    loc = tuple(err["loc"])
    where = ".".join(str(p) for p in loc) or "(rules)"
    kind = str(err["type"])
    shown = err.get("input")
    value = None if shown is None or isinstance(shown, dict | list | tuple) else str(shown)
    if kind == "extra_forbidden":
        owner = _model_at(root, loc)
        unknown = str(loc[-1])
        near = difflib.get_close_matches(unknown, _keys(owner), n=1, cutoff=0.4) \
            if owner is not None else []
        hint = Phrase("io.rules.did_you_mean", (("key", near[0]),)) if near else ""
        return InputProblem.of("io.rules.unknown_key", None, where, None, name=unknown,
                               hint=hint)
    context = {k: str(v) for k, v in (err.get("ctx") or {}).items() if k != "error"}
    if kind.startswith("money_"):
        return InputProblem.of(f"io.money.{kind.removeprefix('money_')}", None, where, value,
                               **context)
    key = f"io.rules.{kind.removeprefix('rules_')}"
    if has(key):
        return InputProblem.of(key, None, where, value, **context)
    return InputProblem.of("io.rules.other", None, where, value, message=str(err["msg"]))


def _model_at(root: type[BaseModel], path: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model class that owns the key at ``path`` (for suggestions)."""
    model = root
    for part in path[:-1]:
        if isinstance(part, int):
            continue
        child = getattr(model, "child_model", None)
        table = child(str(part)) if callable(child) else None
        if table is not None:   # a table a rule family registered (selector.rules)
            model = table
            continue
        info = model.model_fields.get(str(part))
        if info is None:
            return None
        found = next((c for c in _walk_types(info.annotation)
                      if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if found is None:
            return None
        model = found
    return model


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys ``model`` accepts: its ``valid_keys()`` when it has one, else its fields."""
    hook = getattr(model, "valid_keys", None)
    return list(hook()) if callable(hook) else list(model.model_fields)


def _walk_types(ann: Any) -> list[Any]:
    out = [ann]
    for arg in getattr(ann, "__args__", ()) or ():
        out.extend(_walk_types(arg))
    return out
