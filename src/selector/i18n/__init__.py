"""Every word a user reads, in Chinese and English, and the formatting of numbers.

The catalogue is gettext, one *domain* file per area under
``selector/i18n/locale/<lang>/LC_MESSAGES/<area>.po``, compiled beside it to ``<area>.mo``
(``make catalogue``; ``tests/test_i18n.py`` fails when a ``.mo`` is stale). The compiled
files are read with the standard library's :mod:`gettext` in about a millisecond; reading
the ``.po`` sources with Babel took about 40 ms a language, paid by every short call and
every CLI command. A ``.po`` without its ``.mo`` is still read, with Babel. A message id
is a dotted key (``report.title``, ``screen.cost_missing``); its text is a Python format string with named
fields (``"{n} projects"``). Code never writes user-facing words itself: it calls
:func:`t` with a key and parameters, and formats numbers, money and dates with the
``fmt_*`` functions here (Babel's CLDR data; dates in Asia/Shanghai).

Adding a message: put the same ``msgid`` with its text in ``zh/LC_MESSAGES/<area>.po``
and ``en/LC_MESSAGES/<area>.po``, then run ``make catalogue``; ``tests/test_i18n.py``
checks both languages hold every key with the same fields and that every key the code
uses exists.

Examples
--------
>>> t("report.beneficiaries", "zh")
'受益职工'
>>> t("report.beneficiaries", "en")
'Beneficiaries'
>>> fmt_money(Decimal("1234567.5"), "zh")
'1,234,567.50元'
>>> fmt_money(Decimal("1234567.5"), "en")
'¥1,234,567.50'
>>> fmt_money(Decimal("12500000"), "zh", unit="wan")
'1,250万元'
>>> fmt_percent(0.305, "zh")
'30.5%'
"""

from __future__ import annotations

import functools
import gettext
import io
import math
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "TIMEZONE",
    "Lang",
    "MessageCatalogueError",
    "catalogue",
    "check_lang",
    "fields",
    "fmt_count",
    "fmt_date",
    "fmt_datetime",
    "fmt_money",
    "fmt_number",
    "fmt_percent",
    "has",
    "t",
]

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
#: The language of every output unless asked otherwise (CLI, reports, Python API).
DEFAULT_LANG: Lang = "zh"
#: Dates and times are shown in the call's time zone.
TIMEZONE = ZoneInfo("Asia/Shanghai")

_LOCALE = {"zh": "zh_CN", "en": "en"}
_HERE = Path(__file__).parent / "locale"
_SYMBOL = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


class MessageCatalogueError(RuntimeError):
    """The packaged catalogue is broken (a key missing or defined twice): a bug, not input."""


def check_lang(lang: str) -> Lang:
    """``lang`` when it is a supported language, else :class:`~selector.InvalidInputError`.

    >>> check_lang("zh")
    'zh'
    """
    if lang in LANGS:
        return lang
    from selector._errors import InvalidInputError  # deferred: _errors imports this module

    raise InvalidInputError(t("common.bad_lang", DEFAULT_LANG, got=lang,
                              allowed=", ".join(LANGS)))


@functools.cache
def catalogue(lang: Lang) -> Mapping[str, str]:
    """Every message of ``lang``: ``{key: text}`` merged over the area files."""
    out: dict[str, str] = {}
    folder = _HERE / lang / "LC_MESSAGES"
    for path in sorted(folder.glob("*.po")):
        for key, text in area_messages(path, lang):
            if key in out:
                raise MessageCatalogueError(f"{lang}: message {key!r} is defined twice "
                                            f"(again in {path.name})")
            out[key] = text
    return out


def area_messages(path: Path, lang: Lang, *, source: bool = False) -> list[tuple[str, str]]:
    """The ``(key, text)`` pairs of one area file: from its compiled ``.mo`` beside it, or
    from the ``.po`` itself when there is none or ``source`` is asked for."""
    compiled = path.with_suffix(".mo")
    if not source and compiled.exists():
        with compiled.open("rb") as handle:
            # the message table of a GNU .mo file; the "" entry is its header
            table = getattr(gettext.GNUTranslations(handle), "_catalog", {})
        return [(k, v) for k, v in table.items() if isinstance(k, str) and k]
    return [(m.id, m.string if isinstance(m.string, str) and m.string else "")
            for m in _source(path, lang) if m.id and isinstance(m.id, str)]


def _source(path: Path, lang: Lang) -> Any:
    """The Babel catalogue of one ``.po`` file."""
    from babel.messages.pofile import read_po  # deferred: only a missing .mo pays it

    with path.open("rb") as handle:
        return read_po(handle, locale=_LOCALE[lang])


def compiled(path: Path, lang: Lang) -> bytes:
    """The ``.mo`` bytes of one area file: the same bytes on every run (the header's
    creation date is fixed; Babel would stamp the time of compiling)."""
    from babel.messages.mofile import write_mo  # deferred: only make catalogue needs it

    cat = _source(path, lang)
    cat.creation_date = datetime(1970, 1, 1, tzinfo=UTC)
    out = io.BytesIO()
    write_mo(out, cat, use_fuzzy=True)
    return out.getvalue()


def compile_catalogue() -> list[Path]:
    """Write the ``.mo`` beside every ``.po`` (``make catalogue``); the paths written."""
    written = []
    for lang in LANGS:
        for path in sorted((_HERE / lang / "LC_MESSAGES").glob("*.po")):
            path.with_suffix(".mo").write_bytes(compiled(path, lang))
            written.append(path.with_suffix(".mo"))
    return written


def has(key: str) -> bool:
    """True when ``key`` is in the catalogue (of the default language)."""
    return key in catalogue(DEFAULT_LANG)


def fields(text: str) -> set[str]:
    """The named fields of a message text.

    >>> sorted(fields("{n} projects cost {amount}"))
    ['amount', 'n']
    """
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(text)
            if name}


def t(key: str, lang: Lang = DEFAULT_LANG, /, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``params`` filled in.

    A missing key or field is a bug in ``selector`` and raises
    :class:`MessageCatalogueError` (the catalogue test catches it first).
    """
    try:
        text = catalogue(lang)[key]
    except KeyError:
        raise MessageCatalogueError(f"no message {key!r} in the {lang} catalogue") from None
    if not params:
        return text
    try:
        return text.format(**params)
    except (KeyError, IndexError) as exc:
        raise MessageCatalogueError(f"message {key!r} ({lang}) needs field {exc}") from None


# -- numbers, money, dates -------------------------------------------------------------------
def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _half_up(value: Decimal, places: int) -> Decimal:
    """``value`` rounded half up (四舍五入) to ``places`` decimals."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fmt_number(value: float | int | Decimal | None, lang: Lang = DEFAULT_LANG,
               digits: int = 0) -> str:
    """A count or estimate with grouping (``'–'`` for none or NaN).

    >>> fmt_number(12345.6, "en"), fmt_number(12345.6, "zh", 1)
    ('12,346', '12,345.6')
    """
    from babel.numbers import format_decimal

    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    exact = _half_up(Decimal(str(value)), digits)
    return str(format_decimal(exact, format=pattern, locale=_LOCALE[lang]))


def fmt_count(value: float | int | None, lang: Lang = DEFAULT_LANG) -> str:
    """A number of beneficiaries: whole with grouping, else up to two decimals.

    >>> fmt_count(1234.0, "en"), fmt_count(12.345, "en"), fmt_count(math.inf, "en")
    ('1,234', '12.35', '∞')
    """
    if _missing(value):
        return "–"
    assert value is not None
    if math.isinf(value):
        return "∞"
    if abs(value - round(value)) < 1e-9:
        return fmt_number(round(value), lang)
    return fmt_number(value, lang, 2)


def fmt_percent(value: float | None, lang: Lang = DEFAULT_LANG, digits: int = 1) -> str:
    """A fraction as a percentage (``'–'`` for none or NaN).

    >>> fmt_percent(0.3, "en"), fmt_percent(1 / 3, "zh", 2)
    ('30.0%', '33.33%')
    """
    from babel.numbers import format_percent

    if _missing(value):
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "") + "%"
    exact = _half_up(Decimal(str(value)), digits + 2)
    return str(format_percent(exact, format=pattern, locale=_LOCALE[lang]))


def fmt_money(amount: Decimal | int | float | None, lang: Lang = DEFAULT_LANG, *,
              currency: str = "CNY", unit: Literal["yuan", "wan"] = "yuan",
              decimals: int | None = 2) -> str:
    """Money in major units (yuan), exact, with its unit.

    Chinese amounts of yuan read ``1,234.50元`` (or ``123.45万元`` with ``unit="wan"``);
    English ``¥1,234.50`` (``unit`` applies to Chinese only). Another currency (a Pabulib
    file's) is written with its symbol or code. ``decimals=None`` drops the decimals of a whole amount.

    >>> fmt_money(Decimal("99.5"), "en", currency="EUR"), fmt_money(2500, "zh", currency="PLN")
    ('€99.50', '2,500.00 PLN')
    >>> fmt_money(Decimal("1200"), "en", decimals=None), fmt_money(None, "zh")
    ('¥1,200', '–')
    """
    if _missing(amount):
        return "–"
    value = Decimal(str(amount))
    cny = currency.upper() in ("CNY", "RMB")
    wan = unit == "wan" and cny and lang == "zh"
    if wan:
        value = value / 10_000
    places = decimals
    if places is None:
        places = 0 if value == value.to_integral_value() else 2
    if wan and decimals is not None:
        # 万元 figures show the significant decimals only (1,250万元, 1,250.5万元)
        places = min(4, max(0, -value.normalize().as_tuple().exponent))  # type: ignore[operator]
    digits = f"{_half_up(value, places):,}"
    if cny and lang == "zh":
        return digits + ("万元" if wan else "元")
    if cny:
        return "¥" + digits
    symbol = _SYMBOL.get(currency.upper())
    return symbol + digits if symbol else f"{digits} {currency}"


def fmt_datetime(moment: datetime, lang: Lang = DEFAULT_LANG) -> str:
    """A moment in the call's time zone (Asia/Shanghai); naive times are taken as UTC.

    >>> fmt_datetime(datetime(2026, 12, 1, 2, 30, tzinfo=UTC), "zh")
    '2026年12月1日 10:30'
    >>> fmt_datetime(datetime(2026, 12, 1, 2, 30, tzinfo=UTC), "en")
    '1 Dec 2026, 10:30 (UTC+8)'
    """
    from babel.dates import format_datetime

    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    pattern = "y年M月d日 HH:mm" if lang == "zh" else "d MMM y, HH:mm '(UTC+8)'"
    return str(format_datetime(moment, pattern, tzinfo=TIMEZONE, locale=_LOCALE[lang]))


def fmt_date(day: date, lang: Lang = DEFAULT_LANG) -> str:
    """A calendar date.

    >>> fmt_date(date(2027, 1, 15), "zh"), fmt_date(date(2027, 1, 15), "en")
    ('2027年1月15日', '15 Jan 2027')
    """
    from babel.dates import format_date

    pattern = "y年M月d日" if lang == "zh" else "d MMM y"
    return str(format_date(day, pattern, locale=_LOCALE[lang]))
