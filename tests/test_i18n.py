"""The message catalogue: both languages hold every key, with the same fields, and every
key the code asks for exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from selector import InvalidInputError
from selector.i18n import LANGS, MessageCatalogueError, catalogue, check_lang, fields, t

SRC = Path(__file__).resolve().parents[1] / "src" / "selector"
#: ``t("key"`` or ``t(f"prefix.{...}"``: literal keys are checked; f-string keys by prefix.
_IMPORTS_T = re.compile(r"from selector\.i18n import (?:\([^)]*|[^\n(]*)\bt\b")
_CALL = re.compile(r"""(?<![.\w])t\(\s*(f?)["']([A-Za-z0-9_.{}]+)["']""")


def test_both_languages_hold_the_same_keys() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    assert set(zh) == set(en), (set(zh) ^ set(en))


@pytest.mark.parametrize("lang", LANGS)
def test_no_message_is_empty(lang: str) -> None:
    empty = [k for k, v in catalogue(lang).items() if not v.strip()]  # type: ignore[arg-type]
    assert not empty


def test_fields_agree_between_languages() -> None:
    zh, en = catalogue("zh"), catalogue("en")
    differ = {k: (fields(zh[k]), fields(en[k])) for k in zh if fields(zh[k]) != fields(en[k])}
    assert not differ


def test_every_key_the_code_uses_exists() -> None:
    known = set(catalogue("en"))
    missing = []
    for path in SRC.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        if not _IMPORTS_T.search(source):
            continue
        for is_f, key in _CALL.findall(source):
            if is_f:
                prefix = key.split("{")[0]
                if not any(k.startswith(prefix) for k in known):
                    missing.append(f"{path.name}: {key}")
            elif key not in known:
                missing.append(f"{path.name}: {key}")
    assert not missing


def test_a_missing_key_or_field_is_a_loud_bug() -> None:
    with pytest.raises(MessageCatalogueError):
        t("no.such.key", "zh")
    with pytest.raises(MessageCatalogueError):
        t("common.bad_lang", "en", got="fr")   # 'allowed' missing


def test_unknown_language_is_an_input_error() -> None:
    with pytest.raises(InvalidInputError, match="fr"):
        check_lang("fr")


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_matches_its_sources(lang: str) -> None:
    """The library reads the ``.mo`` files; each must hold exactly its ``.po`` (run
    ``make catalogue`` after editing a message; an empty message is never compiled)."""
    from selector.i18n import _HERE, area_messages
    from selector.i18n import compiled as compiled_bytes

    sources = sorted((_HERE / lang / "LC_MESSAGES").glob("*.po"))
    assert sources
    for po in sources:
        assert po.with_suffix(".mo").exists(), f"{po.name}: no .mo (make catalogue)"
        compiled = dict(area_messages(po, lang))  # type: ignore[arg-type]
        source = dict(area_messages(po, lang, source=True))  # type: ignore[arg-type]
        assert compiled == source, f"{lang}/{po.name}: .mo is stale (make catalogue)"
        # and byte for byte what make catalogue writes (no compile time in the header)
        assert po.with_suffix(".mo").read_bytes() == compiled_bytes(po, lang) \
            == compiled_bytes(po, lang), f"{lang}/{po.name}: run make catalogue"


def test_a_po_without_its_mo_is_still_read(tmp_path: Path) -> None:
    from selector.i18n import _HERE, area_messages

    po = sorted((_HERE / "en" / "LC_MESSAGES").glob("*.po"))[0]
    copy = tmp_path / po.name
    copy.write_bytes(po.read_bytes())
    assert dict(area_messages(copy, "en")) == dict(area_messages(po, "en"))


def test_api_argument_errors_speak_both_languages() -> None:
    """A planner's wrong argument in Python is reported from the catalogue: English in
    ``str(err)``, Chinese in ``err.text("zh")``, never English inside the Chinese."""
    from selector.scenarios.compare import compare
    from selector.scenarios.sweep import budget_grid

    for call in (lambda: compare([]), lambda: budget_grid(1, 2, num=0)):
        with pytest.raises(InvalidInputError) as caught:
            call()
        err = caught.value
        assert err.problems[0].key is not None
        zh = err.text("zh")
        assert zh != str(err) and not re.search(r"\b(must|needs|got)\b", zh)
