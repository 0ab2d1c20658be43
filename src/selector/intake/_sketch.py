"""Stage 1, one chunk at a time: normalise, check, route and MinHash the suggestions.

:func:`sketch_chunk` turns a :class:`~selector.intake._read.Chunk` into a
:class:`Sketch`: a few numbers per row (status, flags, target-group code, date, the
hash of the normalised text, keyword hits per domain) and one MinHash signature per
distinct normalised text of the chunk. It is a pure function of the chunk and the
settings, so chunks can be sketched in any order, in this process or on Dask workers,
with the same result.

Normalised text (what is compared)
    Unicode NFKC (full-width letters and digits become ASCII, ``，`` stays a comma
    but is removed next), case folded, then every character that is not a letter or a
    digit removed: spaces, punctuation, emoji and other symbols, invisible and control
    characters. ``建议在 朝阳区，设立驿站！👍`` and ``建议在朝阳区设立驿站`` are the same.
Status of a row
    ``blank`` (every cell empty), ``empty`` (no text), ``no_words`` (only emoji,
    punctuation or symbols), ``too_short`` (fewer than ``min_chars`` characters after
    normalising) or ``ok``; only ``ok`` rows are clustered. Later, ``repeated`` marks a
    row whose id and normalised text both equal an earlier row's (an export that holds
    a row twice): counted once.
Shingles
    The character ``ngram``-grams of the normalised text (bigrams by default, the usual
    unit for short Chinese texts; a text shorter than ``ngram`` is one shingle).
MinHash
    :class:`datasketch.MinHash` with ``num_perm`` permutations seeded by ``seed``
    (datasketch's SHA-1 based 32-bit hash of each shingle, its ``affine32`` scheme).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from selector._errors import InputProblem, SelectorError
from selector.i18n import Lang, t
from selector.intake._read import Chunk
from selector.taxonomy import Taxonomy
from selector.text import normalise_key, strip_invisible

__all__ = ["FLAG", "STATUS", "Settings", "Sketch", "key_text", "shingles", "sketch_chunk"]

#: Row status codes.
STATUS = {"ok": 0, "blank": 1, "empty": 2, "no_words": 3, "too_short": 4, "repeated": 5}
#: Row flag bits (the row is kept; the flag is reported).
FLAG = {"mixed_scripts": 1, "no_chinese": 2, "bad_date": 4, "unknown_type": 8,
        "missing_id": 16, "duplicate_id": 32}

_NON_WORD = re.compile(r"[\W_]+")
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAS_HAN = re.compile(f"[{_HAN}]")
_OTHER_LETTER = re.compile(rf"[^\W\d_{_HAN}]")
#: Rows of problems kept per kind and chunk (the counts are always complete).
SHOWN = 20


@dataclass(frozen=True)
class Settings:
    """Everything stage 1 and stage 2 need (picklable)."""

    ngram: int
    num_perm: int
    bands: int
    threshold: float
    min_chars: int
    seed: int
    domains: tuple[str, ...]
    keywords: tuple[tuple[str, ...], ...]
    target_groups: Taxonomy
    lang: Lang


@dataclass(frozen=True)
class Sketch:
    """What stage 1 keeps of a chunk (see the module docstring); arrays have one entry
    per row, except ``text_hash_unique``/``signatures`` (one per distinct ok text)."""

    start: int
    rows: np.ndarray
    ids: Any                      # pyarrow string array
    submitters: Any | None        # pyarrow string array (None: no column)
    districts: Any                # pyarrow string array (nulls where empty)
    status: np.ndarray            # int8, STATUS
    flags: np.ndarray             # uint8, FLAG bits
    group: np.ndarray             # int16: taxonomy position, -1 unknown, -2 none
    day: np.ndarray               # datetime64[D], NaT when missing or unreadable
    text_hash: np.ndarray         # uint64 hash of the normalised text (0 unless ok)
    hits: np.ndarray              # int16 (rows x domains): keyword matches
    text_hash_unique: np.ndarray  # uint64, sorted
    signatures: np.ndarray        # uint32 (distinct texts x num_perm)
    problems: list[tuple[str, InputProblem]]

    def __len__(self) -> int:
        return len(self.rows)


def key_text(text: str) -> str:
    """The normalised text that is compared (see the module docstring).

    >>> key_text("建议在 朝阳区，设立驿站！👍 ＷｉＦｉ")
    '建议在朝阳区设立驿站wifi'
    """
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())


def shingles(key: str, ngram: int) -> list[bytes]:
    """The distinct character ``ngram``-grams of a normalised text, as UTF-8.

    >>> shingles("设立驿站", 2)
    [b'\\xe8\\xae\\xbe\\xe7\\xab\\x8b', b'\\xe7\\xab\\x8b\\xe9\\xa9\\xbf', b'\\xe9\\xa9\\xbf\\xe7\\xab\\x99']
    """
    if len(key) <= ngram:
        return [key.encode()]
    return [g.encode() for g in dict.fromkeys(key[i:i + ngram] for i in range(len(key) - ngram + 1))]


@functools.lru_cache(maxsize=1 << 20)
def _shingle_hash(shingle: bytes) -> int:
    """datasketch's own 32-bit SHA-1 hash, remembered: shingles repeat across texts."""
    from datasketch.hashfunc import sha1_hash32

    value: int = sha1_hash32(shingle)
    return value


def _signatures(keys: Sequence[str], settings: Settings) -> np.ndarray:
    try:  # deferred: an optional dependency (the intake extra)
        from datasketch import MinHash
    except ImportError:
        raise SelectorError(t("intake.problem.no_datasketch", settings.lang)) from None

    out = np.empty((len(keys), settings.num_perm), dtype=np.uint32)
    batches = (shingles(k, settings.ngram) for k in keys)
    for k, mh in enumerate(MinHash.generator(batches, num_perm=settings.num_perm,
                                             seed=settings.seed, hashfunc=_shingle_hash,
                                             scheme="affine32")):
        out[k] = mh.hashvalues
    return out


def _factorize(column: pd.Series | None, n: int) -> tuple[np.ndarray, list[Any]]:
    if column is None:
        return np.full(n, -1, dtype=np.int64), []
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.asarray(codes), list(uniques)


def _keyword_patterns(settings: Settings) -> list[re.Pattern[str]]:
    return [re.compile("|".join(re.escape(key_text(w)) for w in words if key_text(w)))
            if any(key_text(w) for w in words) else re.compile(r"(?!x)x")
            for words in settings.keywords]


def sketch_chunk(chunk: Chunk, settings: Settings, fields: Mapping[str, str]) -> Sketch:
    """Stage 1 for one chunk (pure; see the module docstring)."""
    # in this order: the problems are listed in the order the steps find them
    step = _Sketching(chunk, settings, fields)
    status, flags, keys, codes = step.texts()
    ok = status == STATUS["ok"]
    text_hash, used_hash, signatures = step.signatures(keys, codes, ok)
    hits = step.hits(keys, codes, ok)
    ids = step.ids(flags, status == STATUS["blank"])
    districts = step.keys_of("district")
    return Sketch(chunk.start, chunk.rows, ids, step.keys_of("submitter"),
                  pa.nulls(len(chunk), type=pa.string()) if districts is None else districts,
                  status, flags, step.groups(flags), step.days(flags), text_hash, hits, used_hash,
                  signatures, step.problems)


class _Sketching:
    """The steps of :func:`sketch_chunk`, and the problems they find (at most
    :data:`SHOWN` rows of each kind)."""

    def __init__(self, chunk: Chunk, settings: Settings, fields: Mapping[str, str]) -> None:
        self.chunk, self.settings, self.fields = chunk, settings, fields
        self.n = len(chunk)
        self.lang = settings.lang
        self.cols = chunk.columns
        self.problems: list[tuple[str, InputProblem]] = []
        self.shown: dict[str, int] = {}

    def report(self, kind: str, mask: np.ndarray, column: str | None, values: pd.Series | None,
               message: str) -> None:
        """List the first rows of ``mask`` as problems of ``kind``."""
        shown = self.shown
        for k in np.flatnonzero(mask)[:SHOWN - shown.get(kind, 0)]:
            value = None if values is None else values.iloc[int(k)]
            self.problems.append((kind, InputProblem(message, int(self.chunk.rows[k]), column,
                                                     None if value is None else str(value)[:80])))
        shown[kind] = shown.get(kind, 0) + int(min(mask.sum(), SHOWN))

    def texts(self) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
        """Each row's status and script flags from its normalised text: ``(status, flags,
        keys, codes)`` (``keys``: the distinct normalised texts, ``codes``: each row's)."""
        n, lang, settings = self.n, self.lang, self.settings
        text = self.cols["text"]
        codes, uniques = _factorize(text, n)
        keys = [key_text(strip_invisible(str(u))) for u in uniques]
        raw_blank = np.array([not str(u).strip() for u in uniques] + [True], dtype=bool)
        key_len = np.array([len(k) for k in keys] + [0], dtype=np.int64)
        blank = np.ones(n, dtype=bool)
        for column in self.cols.values():
            blank &= column.isna().to_numpy()
        status = np.zeros(n, dtype=np.int8)
        no_text = raw_blank[codes]
        status[key_len[codes] < settings.min_chars] = STATUS["too_short"]
        status[(key_len[codes] == 0) & ~no_text] = STATUS["no_words"]
        status[no_text] = STATUS["empty"]
        status[blank] = STATUS["blank"]
        header = self.fields["text"]
        self.report("blank", status == STATUS["blank"], None, None, t("intake.problem.blank", lang))
        self.report("empty", status == STATUS["empty"], header, None,
                    t("intake.problem.empty", lang))
        self.report("no_words", status == STATUS["no_words"], header, text,
                    t("intake.problem.no_words", lang))
        self.report("too_short", status == STATUS["too_short"], header, text,
                    t("intake.problem.too_short", lang, min=settings.min_chars))

        flags = np.zeros(n, dtype=np.uint8)
        has_han = np.array([bool(_HAS_HAN.search(k)) for k in keys] + [False])[codes]
        other = np.array([bool(_OTHER_LETTER.search(k)) for k in keys] + [False])[codes]
        ok = status == STATUS["ok"]
        flags[ok & has_han & other] |= FLAG["mixed_scripts"]
        flags[ok & ~has_han] |= FLAG["no_chinese"]
        self.report("mixed_scripts", ok & has_han & other, header, text,
                    t("intake.problem.mixed_scripts", lang))
        self.report("no_chinese", ok & ~has_han, header, text,
                    t("intake.problem.no_chinese", lang))
        return status, flags, keys, codes

    def signatures(self, keys: list[str], codes: np.ndarray, ok: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The hash of each row's normalised text (pandas' stable SipHash; 0 unless ok) and
        the signatures of the distinct texts: ``(text_hash, used_hash, signatures)``."""
        key_array = np.asarray(keys + [""], dtype=object)
        unique_hash = pd.util.hash_array(key_array) if len(key_array) else np.zeros(0, np.uint64)
        text_hash = np.where(ok, unique_hash[codes], np.uint64(0)).astype(np.uint64)
        used = np.unique(codes[ok])
        used_hash, first = np.unique(unique_hash[used], return_index=True)
        signatures = _signatures([keys[int(c)] for c in used[first]], self.settings)
        return text_hash, used_hash.astype(np.uint64), signatures

    def hits(self, keys: list[str], codes: np.ndarray, ok: np.ndarray) -> np.ndarray:
        """Routing: keyword matches of each domain in the normalised text (ok rows only)."""
        patterns = _keyword_patterns(self.settings)
        hits_unique = np.zeros((len(keys) + 1, len(patterns)), dtype=np.int16)
        for j, pattern in enumerate(patterns):
            hits_unique[:-1, j] = [len(pattern.findall(k)) for k in keys]
        hits: np.ndarray = hits_unique[codes]
        hits[~ok] = 0
        return hits

    def ids(self, flags: np.ndarray, blank: np.ndarray) -> Any:
        """The ids (``#<row>`` stands in for a missing one, flagged unless the row is blank)."""
        cols, n = self.cols, self.n
        if "id" in cols:
            id_text = cols["id"].map(lambda v: None if v is None else normalise_key(str(v)) or None)
            missing = id_text.isna().to_numpy() & ~blank
            flags[missing] |= FLAG["missing_id"]
            self.report("missing_id", missing, self.fields["id"], None,
                        t("intake.problem.missing_id", self.lang))
        else:
            id_text = pd.Series([None] * n, dtype=object)
        filled = id_text.to_numpy(dtype=object).copy()
        empty_id = np.flatnonzero(id_text.isna().to_numpy())
        filled[empty_id] = [f"#{int(self.chunk.rows[k])}" for k in empty_id]
        return pa.array(filled.tolist(), type=pa.string())

    def keys_of(self, field: str) -> Any:
        """The column's normalised keys as a pyarrow string array (None: no column)."""
        if field not in self.cols:
            return None
        column = self.cols[field]
        keys = [None if pd.isna(v) else normalise_key(str(v)) or None for v in column.tolist()]
        return pa.array(keys, type=pa.string())   # blank cells stay None (never NaN)

    def groups(self, flags: np.ndarray) -> np.ndarray:
        """Submitter type → target group position (-1 unknown, flagged; -2 none)."""
        cols, n = self.cols, self.n
        if "submitter_type" not in cols:
            return np.full(n, -2, dtype=np.int16)
        kind_codes, kinds = _factorize(cols["submitter_type"], n)
        taxonomy = self.settings.target_groups
        positions = {code: j for j, code in enumerate(taxonomy.codes)}
        mapped = []
        for kind in kinds:
            code = taxonomy.code_of(normalise_key(str(kind)))
            mapped.append(-2 if not normalise_key(str(kind)) else
                          -1 if code is None else positions[code])
        group: np.ndarray = np.asarray(mapped + [-2], dtype=np.int16)[kind_codes]
        unknown = group == -1
        flags[unknown] |= FLAG["unknown_type"]
        self.report("unknown_type", unknown, self.fields["submitter_type"],
                    cols["submitter_type"], t("intake.problem.unknown_type", self.lang))
        return group

    def days(self, flags: np.ndarray) -> np.ndarray:
        """The dates (each distinct spelling parsed once; unreadable ones flagged)."""
        cols, n = self.cols, self.n
        if "date" not in cols:
            return np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
        date_codes, spellings = _factorize(cols["date"], n)
        parsed = [_parse_day(str(s)) for s in spellings]
        table = np.array(parsed + [np.datetime64("NaT")], dtype="datetime64[D]")
        day: np.ndarray = table[date_codes]
        bad = np.isnat(day) & (date_codes >= 0)
        flags[bad] |= FLAG["bad_date"]
        self.report("bad_date", bad, self.fields["date"], cols["date"],
                    t("intake.problem.bad_date", self.lang))
        return day


def _parse_day(text: str) -> np.datetime64:
    """A calendar day from ``2026-01-04``, ``2026/1/4``, ``2026年1月4日`` or an ISO time."""
    cleaned = normalise_key(text).replace("年", "-").replace("月", "-").replace("日", " ")
    cleaned = cleaned.replace("/", "-").replace(".", "-").strip()
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?", cleaned)
    if not match:
        return np.datetime64("NaT")
    try:
        return np.datetime64(f"{match[1]}-{int(match[2]):02d}-{int(match[3]):02d}", "D")
    except ValueError:
        return np.datetime64("NaT")
