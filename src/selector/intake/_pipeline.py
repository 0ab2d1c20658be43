"""The intake pipeline: suggestions in, a proposals draft out (see :mod:`selector.intake`)."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from selector._errors import InputProblem, InvalidInputError
from selector.atomic import clean_stale, partial_path, replacing
from selector.i18n import DEFAULT_LANG, Lang, check_lang, t
from selector.intake._cluster import Clustering, cluster
from selector.intake._read import Chunk, SuggestionSource, open_source
from selector.intake._sketch import FLAG, SHOWN, STATUS, Settings, Sketch, sketch_chunk
from selector.io import detect_encoding
from selector.taxonomy import DEFAULT_DOMAINS, DEFAULT_TARGET_GROUPS, Category, Taxonomy
from selector.text import control_characters, normalise_key, strip_invisible
from selector.text_columns import neutralise_series, restore_series

__all__ = ["DRAFT_FIELDS", "KEYWORDS", "SUBMITTER_TYPES", "IntakeOptions", "IntakeResult",
           "fill_estimates", "intake"]

#: Routing keywords per domain code (matched in the normalised text; the domain's own
#: labels and aliases count too). A baseline: a planner reviews the domain column.
KEYWORDS: dict[str, tuple[str, ...]] = {
    "rights": ("维权", "权益", "法律", "律师", "欠薪", "拖欠", "讨薪", "社保", "社会保险", "劳动合同",
               "仲裁", "调解", "争议", "纠纷", "工伤"),
    "skills": ("培训", "技能", "课程", "学历", "竞赛", "考证", "证书", "夜校", "技能课"),
    "health": ("体检", "健康", "心理", "急救", "药品", "药箱", "防暑", "降温", "职业病", "驿站",
               "歇脚", "疏导"),
    "culture": ("书屋", "阅览", "图书", "运动会", "体育", "健身", "篮球", "文艺", "演出", "电影",
                "观影", "读书"),
    "hardship": ("困难", "救助", "帮扶", "慰问", "助学", "大病", "补助", "再就业", "就业援助",
                 "送温暖"),
    "migrant": ("返乡", "务工", "清欠", "工地夜校", "农民工公寓", "农民工子女", "暑期托管"),
    "life": ("早餐", "食堂", "工作餐", "换电", "充电", "托育", "理发", "午休", "休息室", "联谊",
             "交友", "宿舍"),
}

_EXTRA_TYPES = {
    "couriers": ("快递小哥", "快递员工"), "food_delivery": ("外卖小哥", "送餐员"),
    "ride_hailing": ("网约车师傅", "网约车驾驶员"), "truck_drivers": ("货运司机",),
    "migrant_workers": ("外来务工人员", "务工人员"), "women_workers": ("女工",),
    "hardship_workers": ("困难家庭职工",), "young_workers": ("年轻职工", "青年"),
    "retired_workers": ("退休工人",), "sanitation_workers": ("环卫工", "保洁员"),
    "construction_workers": ("工地工人", "建筑工"),
}
#: The target groups with the names workers give themselves on a suggestion form.
SUBMITTER_TYPES = Taxonomy(name="target_groups", categories=tuple(
    Category(code=c.code, zh=c.zh, en=c.en, aliases=c.aliases + _EXTRA_TYPES.get(c.code, ()))
    for c in DEFAULT_TARGET_GROUPS))

#: Columns of the proposals draft, in order (catalogue keys ``intake.col.<field>``).
DRAFT_FIELDS = ("id", "title", "domain", "cost", "beneficiaries", "indicators", "target_groups",
                "district", "worker_votes", "suggestions", "supporters_by_district",
                "supporters_by_group", "first_date", "last_date", "representative_text")
#: Columns of the members file.
MEMBER_FIELDS = ("row", "suggestion_id", "candidate", "status", "representative", "notes",
                 "text")
_COUNTS = ("rows", "clustered", "blank", "empty", "no_words", "too_short", "repeated",
           "unreadable", "duplicate_id", "missing_id", "unknown_type", "bad_date",
           "mixed_scripts", "no_chinese", "clusters", "candidates", "below_min", "unrouted")
_TITLE_CHARS = 60


@dataclass(frozen=True)
class IntakeResult:
    """What :func:`intake` found (frozen; no file handles, no solver objects).

    Attributes
    ----------
    source:
        The input's name.
    counts:
        Rows and clusters by kind, in report order: ``rows`` read, ``clustered``,
        set aside (``blank``, ``empty``, ``no_words``, ``too_short``, ``repeated``,
        ``unreadable``), kept but flagged (``duplicate_id``, ``missing_id``,
        ``unknown_type``, ``bad_date``, ``mixed_scripts``, ``no_chinese``), then
        ``clusters``, ``candidates``, ``below_min`` (clusters with fewer supporters than
        asked, kept in the members file only) and ``unrouted`` (candidates without a
        domain).
    problems:
        Every kind of problem with its first rows (spreadsheet row, column, value);
        ``counts`` holds the full numbers.
    notes:
        What the planner should know about the input (columns not used, ...).
    clusters:
        One row per cluster (``cluster`` number, ``candidate`` id or ``None``,
        ``rows``, ``texts``, ``supporters``, ``domain``, ``district``,
        ``target_groups``, ``by_district``, ``by_group``, ``representative_row``,
        ``title``, ``first_date``, ``last_date``).
    settings:
        The parameters used.
    lang:
        The language of the problems, notes, headers and labels.
    files:
        The files written (the draft, then the members file).
    """

    source: str
    counts: dict[str, int]
    problems: tuple[InputProblem, ...]
    notes: tuple[str, ...]
    clusters: pd.DataFrame
    settings: dict[str, Any]
    lang: Lang
    files: tuple[str, ...]
    _rows: np.ndarray = field(repr=False)
    _ids: Any = field(repr=False)
    _status: np.ndarray = field(repr=False)
    _label: np.ndarray = field(repr=False)

    def to_frame(self, headers: Literal["fields", "zh", "en"] = "fields") -> pd.DataFrame:
        """The proposals draft: one row per candidate, most supporters first.

        ``cost``, ``beneficiaries`` and ``indicators`` are empty: the planner fills them
        (``selector validate`` lists each one missing). ``headers="zh"``/``"en"`` gives
        the file's headers and labels (what :meth:`save` writes; the loader reads both).
        """
        chosen = self.clusters[self.clusters["candidate"].notna()]
        chosen = chosen.sort_values(["supporters", "cluster"], ascending=[False, True],
                                    kind="stable")
        frame = pd.DataFrame({
            "id": chosen["candidate"].to_numpy(dtype=object),
            "title": chosen["title"].to_numpy(dtype=object),
            "domain": chosen["domain"].to_numpy(dtype=object),
            "cost": np.full(len(chosen), None, dtype=object),
            "beneficiaries": np.full(len(chosen), None, dtype=object),
            "indicators": np.full(len(chosen), None, dtype=object),
            "target_groups": chosen["target_groups"].to_numpy(dtype=object),
            "district": chosen["district"].to_numpy(dtype=object),
            "worker_votes": chosen["supporters"].to_numpy(dtype=np.int64),
            "suggestions": chosen["rows"].to_numpy(dtype=np.int64),
            "supporters_by_district": chosen["by_district"].to_numpy(dtype=object),
            "supporters_by_group": chosen["by_group"].to_numpy(dtype=object),
            "first_date": chosen["first_date"].to_numpy(dtype=object),
            "last_date": chosen["last_date"].to_numpy(dtype=object),
            "representative_text": chosen["text"].to_numpy(dtype=object),
        })
        if headers == "fields":
            return frame
        return _labelled(frame, check_lang(headers))

    @property
    def members(self) -> pd.DataFrame:
        """Every row read: ``row``, ``id``, ``cluster`` (-1: none), ``candidate`` (id or
        ``None``) and ``status`` (``ok``, ``blank``, ``empty``, ``no_words``,
        ``too_short``, ``repeated``)."""
        names = {v: k for k, v in STATUS.items()}
        candidates = self.clusters["candidate"].to_numpy(dtype=object)
        label = self._label
        candidate = np.full(len(label), None, dtype=object)
        has = label >= 0
        candidate[has] = candidates[label[has]]
        return pd.DataFrame({
            "row": self._rows, "id": pd.Series(self._ids.to_pylist(), dtype=object),
            "cluster": label, "candidate": candidate,
            "status": pd.Series([names[int(s)] for s in self._status], dtype=object),
        })

    def to_dict(self) -> dict[str, Any]:
        """Machine output (JSON): counts, problems, notes, settings and the candidates."""
        frame = self.to_frame()
        return {
            "source": self.source, "counts": dict(self.counts), "notes": list(self.notes),
            "problems": [{"row": p.row, "column": p.column, "value": p.value,
                          "message": p.message} for p in self.problems],
            "settings": dict(self.settings),
            "candidates": [
                {k: (list(v) if isinstance(v, tuple) else None if v is None
                     or (isinstance(v, float) and np.isnan(v)) else
                     int(v) if isinstance(v, np.integer) else v)
                 for k, v in rec.items()} for rec in frame.to_dict("records")],
        }

    def save(self, path: str | Path, *, headers: Lang | None = None,
             estimates: str | Path | pd.DataFrame | None = None) -> Path:
        """Write the draft (CSV, Excel, JSON or Parquet by suffix), atomically; with
        ``estimates`` filled in by :func:`fill_estimates`."""
        target = Path(path)
        frame = self.to_frame(headers or self.lang)
        if estimates is not None:
            frame = fill_estimates(frame, estimates, lang=self.lang)
        _write_table(frame, target, self.lang)
        return target


def _labelled(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """The draft with the file's headers and labels in ``lang``."""
    out = frame.copy()
    out["domain"] = [None if d is None else DEFAULT_DOMAINS.label(d, lang) for d in frame["domain"]]
    out["target_groups"] = [" | ".join(DEFAULT_TARGET_GROUPS.label(g, lang) for g in groups)
                            if groups else None for groups in frame["target_groups"]]
    out["supporters_by_district"] = [_breakdown_text(d, lang) for d in frame["supporters_by_district"]]
    out["supporters_by_group"] = [
        _breakdown_text({DEFAULT_TARGET_GROUPS.label(g, lang): v for g, v in d.items()}, lang)
        for d in frame["supporters_by_group"]]
    out.columns = pd.Index([t(f"intake.col.{c}", lang) for c in frame.columns])
    return out


def _breakdown_text(counts: Mapping[str, int], lang: Lang) -> str | None:
    if not counts:
        return None
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return t("intake.list_sep", lang).join(t("intake.breakdown_item", lang, name=k, count=v)
                                           for k, v in items)


def _write_table(frame: pd.DataFrame, target: Path, lang: Lang) -> None:
    """Write ``frame`` by suffix via a temporary file renamed into place; text cells a
    spreadsheet would run as formulas get a leading apostrophe."""
    suffix = target.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".json", ".parquet"):
        raise InvalidInputError(InputProblem(t("intake.problem.out_format", lang,
                                               got=target.suffix or target.name)), str(target))
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object:
            safe[column] = neutralise_series(safe[column])
    with replacing(target) as temporary:
        if suffix == ".csv":
            safe.to_csv(temporary, index=False, encoding="utf-8")
        elif suffix == ".xlsx":
            safe.to_excel(temporary, index=False, engine="openpyxl")
        elif suffix == ".json":
            frame.to_json(temporary, orient="records", force_ascii=False, indent=2)
        else:
            frame.astype({c: "string" for c in frame.columns if frame[c].dtype == object}
                         ).to_parquet(temporary, index=False)


@dataclass(frozen=True)
class IntakeOptions:
    """How :func:`intake` reads the suggestions, finds near-duplicates and drafts the
    candidates. Every field has the default a city drive needs; one value serves every
    run of a drive (``intake(path, options=opts)``), and :attr:`IntakeResult.settings`
    records it.

    Attributes
    ----------
    threshold, ngram, num_perm, bands, seed:
        Near-duplicates: estimated Jaccard similarity of character ``ngram``-grams at
        least ``threshold``, from ``num_perm`` seeded MinHash permutations in ``bands``
        LSH bands (``bands`` must divide ``num_perm``).
    min_chars:
        Texts with fewer characters after normalising are set aside as too short.
    id_prefix:
        Candidate ids are ``id_prefix`` + the cluster number (zero-padded).
    domains, keywords:
        The taxonomy the draft routes to and the keywords of each domain code
        (default :data:`KEYWORDS`).
    target_groups:
        Matches the submitter types (default :data:`SUBMITTER_TYPES`).
    group_share, district_share:
        The draft's target groups are those with at least ``group_share`` of the
        cluster's supporters of a known group (at least the largest); its district is
        the one with more than ``district_share`` of the supporters, else none (city-wide).
    chunk_size:
        Rows read and sketched at a time (memory grows with it, not with the file).
    format, encoding, sheet:
        Force the input format, text encoding or Excel sheet.

    The settings are checked by :func:`intake` (every bad one listed at once, in its
    language).

    Examples
    --------
    >>> IntakeOptions(threshold=0.7, chunk_size=10_000).bands
    32
    """

    threshold: float = 0.6
    ngram: int = 2
    num_perm: int = 128
    bands: int = 32
    min_chars: int = 3
    seed: int = 1
    id_prefix: str = "S"
    domains: Taxonomy = DEFAULT_DOMAINS
    keywords: Mapping[str, Sequence[str]] | None = None
    target_groups: Taxonomy = SUBMITTER_TYPES
    group_share: float = 0.2
    district_share: float = 0.5
    chunk_size: int = 50_000
    format: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None


def _settings(options: IntakeOptions, lang: Lang) -> Settings:
    """What stage 1 and 2 need of ``options`` (picklable); every bad setting listed."""
    o = options
    problems = []
    if o.ngram < 1:
        problems.append(InputProblem(t("intake.problem.setting", lang, name="ngram", rule=">= 1",
                                       got=o.ngram)))
    if o.num_perm < 1 or o.bands < 1 or o.num_perm % o.bands:
        problems.append(InputProblem(t("intake.problem.setting", lang, name="bands",
                                       rule=f"| num_perm ({o.num_perm})", got=o.bands)))
    if not 0 < o.threshold <= 1:
        problems.append(InputProblem(t("intake.problem.setting", lang, name="threshold",
                                       rule="(0, 1]", got=o.threshold)))
    if o.min_chars < 1:
        problems.append(InputProblem(t("intake.problem.setting", lang, name="min_chars",
                                       rule=">= 1", got=o.min_chars)))
    if problems:
        raise InvalidInputError(problems)
    words = dict(KEYWORDS if o.keywords is None else o.keywords)
    table = tuple(tuple(words.get(c.code, ())) + (c.zh, c.en, *c.aliases) for c in o.domains)
    return Settings(o.ngram, o.num_perm, o.bands, o.threshold, o.min_chars, o.seed,
                    o.domains.codes, table, o.target_groups, lang)


def _record(options: IntakeOptions, min_supporters: int) -> dict[str, Any]:
    """The settings a result records (:attr:`IntakeResult.settings`)."""
    o = options
    return {"threshold": o.threshold, "ngram": o.ngram, "num_perm": o.num_perm,
            "bands": o.bands, "min_chars": o.min_chars, "seed": o.seed,
            "min_supporters": min_supporters, "chunk_size": o.chunk_size,
            "group_share": o.group_share, "district_share": o.district_share}


def _sketches(source: SuggestionSource, chunk_size: int, settings: Settings,
              executor: Any) -> Iterator[Sketch]:
    """Stage 1 over every chunk, in file order: here, or on an executor / Dask client with
    a few chunks in flight (memory stays bounded)."""
    chunks = source.chunks(chunk_size)
    if executor is None:
        for chunk in chunks:
            yield sketch_chunk(chunk, settings, source.fields)
        return
    pool = _as_executor(executor)
    in_flight: deque[Future[Sketch]] = deque()
    limit = 4
    for chunk in chunks:
        in_flight.append(pool.submit(sketch_chunk, chunk, settings, dict(source.fields)))
        if len(in_flight) >= limit:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def _as_executor(executor: Any) -> Executor:
    if isinstance(executor, Executor):
        return executor
    get_executor = getattr(executor, "get_executor", None)  # a dask distributed.Client
    if callable(get_executor):
        adapted = get_executor(pure=False)
        if isinstance(adapted, Executor):
            return adapted
    raise TypeError("executor must be a concurrent.futures.Executor or a dask "
                    f"distributed.Client, got {type(executor).__name__}")


def intake(
    source: str | Path | pd.DataFrame,
    *,
    out: str | Path | None = None,
    members: str | Path | None = None,
    estimates: str | Path | pd.DataFrame | None = None,
    min_supporters: int = 1,
    options: IntakeOptions | None = None,
    executor: Any = None,
    lang: Lang = DEFAULT_LANG,
) -> IntakeResult:
    """Turn raw suggestions into a proposals draft (see :mod:`selector.intake`).

    Parameters
    ----------
    source:
        A suggestions file (CSV, Excel, JSON, JSON Lines, Parquet) or a DataFrame.
    out:
        Write the draft here (CSV, Excel, JSON or Parquet by suffix); with ``members``
        (default ``<out stem>.members.csv``, ``.parquet`` for a Parquet draft) listing
        every row read, its status and its candidate.
    members:
        Where to write the members file (also without ``out``).
    estimates:
        With ``out``: the planner's estimates joined onto the draft by candidate id
        (:func:`fill_estimates`), so the file written is ready for ``selector select``.
    min_supporters:
        A cluster becomes a candidate with at least this many supporters (the others
        stay in the members file and ``clusters``).
    options:
        How to read, compare and draft (:class:`IntakeOptions`: the near-duplicate
        threshold, n-grams and MinHash, routing keywords, chunk size, input format...);
        default ``IntakeOptions()``.
    executor:
        A Dask ``distributed.Client`` (or any ``concurrent.futures.Executor``) that
        sketches the chunks; the result is the same as without it.
    lang:
        Language of problems, notes, headers and labels (``"zh"`` or ``"en"``).

    Raises
    ------
    InvalidInputError
        The input cannot be read at all (no text column, not a table, bad settings).
        Problems of single rows never raise: they are counted and reported.
    """
    lang = check_lang(lang)
    options = IntakeOptions() if options is None else options
    chunk_size = options.chunk_size
    if min_supporters < 1 or chunk_size < 1:
        raise InvalidInputError(InputProblem(t(
            "intake.problem.setting", lang, name="min_supporters / chunk_size", rule=">= 1",
            got=f"{min_supporters} / {chunk_size}")))
    settings = _settings(options, lang)
    opened = open_source(source, lang=lang, format=options.format, encoding=options.encoding,
                         sheet=options.sheet)
    kept: list[Sketch] = []
    problems: dict[str, list[InputProblem]] = {}
    for sketch in _sketches(opened, chunk_size, settings, executor):
        for kind, problem in sketch.problems:
            listed = problems.setdefault(kind, [])
            if len(listed) < SHOWN:
                listed.append(problem)
        kept.append(_slim(sketch))
    found = cluster(kept, settings)
    del kept
    counts = _counts(found, opened)
    _id_problems(found, opened, problems, lang)
    n_clusters = len(found.size)
    width = max(4, len(str(max(n_clusters - 1, 0))))
    candidate = np.array([f"{options.id_prefix}{k:0{width}d}" if s >= min_supporters else None
                          for k, s in enumerate(found.supporters.tolist())], dtype=object)
    counts["clusters"] = n_clusters
    counts["candidates"] = int(np.count_nonzero(candidate != None))  # noqa: E711
    counts["below_min"] = n_clusters - counts["candidates"]

    # pass 2: the representative texts, and the members file
    members_path = _members_path(out, members)
    writer = _MembersWriter(members_path, lang) if members_path is not None else None
    try:
        titles = _second_pass(opened, chunk_size, found, candidate, settings, writer)
        clusters = _cluster_table(found, candidate, titles, settings, options)
        result = _result(opened, found, counts, problems, clusters,
                         _record(options, min_supporters),
                         tuple(str(p) for p in (out, members_path) if p is not None), lang)
        if out is not None:  # the draft first: estimates naming unknown ids stop both files
            result.save(out, estimates=estimates)
        if writer is not None:
            writer.commit()
    finally:
        if writer is not None:
            writer.discard()
    return result


def _result(opened: SuggestionSource, found: Clustering, counts: dict[str, int],
            problems: dict[str, list[InputProblem]], clusters: pd.DataFrame,
            settings: dict[str, Any], files: tuple[str, ...], lang: Lang) -> IntakeResult:
    """Assemble the result: counts, problems in report order, notes, settings."""
    counts["unrouted"] = int((clusters["candidate"].notna() & clusters["domain"].isna()).sum())
    notes = []
    if opened.ignored:
        notes.append(t("intake.note.ignored", lang, columns=", ".join(opened.ignored)))
    if "id" not in opened.fields:
        notes.append(t("intake.note.no_id", lang))
    if "submitter" not in opened.fields:
        notes.append(t("intake.note.no_submitter", lang))
    ordered = [p for kind in sorted(problems, key=_KIND_ORDER.index) for p in problems[kind]]
    ordered += [InputProblem(t("intake.problem.more", lang, n=counts[kind] - SHOWN,
                               what=t(f"intake.count.{kind}", lang)))
                for kind in sorted(problems, key=_KIND_ORDER.index)
                if counts.get(kind, 0) > SHOWN]
    return IntakeResult(opened.name, counts, tuple(ordered), tuple(notes), clusters, settings,
                        lang, files, found.rows, found.ids, found.status, found.label)


_KIND_ORDER = ["unreadable", "blank", "empty", "no_words", "too_short", "repeated",
               "duplicate_id", "missing_id", "unknown_type", "bad_date", "mixed_scripts",
               "no_chinese"]


def _slim(sketch: Sketch) -> Sketch:
    """A sketch without its problem list (kept separately, bounded)."""
    return Sketch(sketch.start, sketch.rows, sketch.ids, sketch.submitters, sketch.districts,
                  sketch.status, sketch.flags, sketch.group, sketch.day, sketch.text_hash,
                  sketch.hits, sketch.text_hash_unique, sketch.signatures, [])


def _counts(found: Clustering, opened: SuggestionSource) -> dict[str, int]:
    counts = dict.fromkeys(_COUNTS, 0)
    counts["rows"] = len(found.rows)
    counts["clustered"] = int(np.count_nonzero(found.label >= 0))
    for name, code in STATUS.items():
        if name != "ok":
            counts[name] = int(np.count_nonzero(found.status == code))
    for name, bit in FLAG.items():
        counts[name] = int(np.count_nonzero(found.flags & bit))
    counts["unreadable"] = len(opened.problems)
    return counts


def _id_problems(found: Clustering, opened: SuggestionSource,
                 problems: dict[str, list[InputProblem]], lang: Lang) -> None:
    """Rows of repeated ids (decided over the whole file) and unreadable rows."""
    header = opened.fields.get("id")
    for kind, mask, key in (
            ("repeated", found.status == STATUS["repeated"], "intake.problem.repeated"),
            ("duplicate_id", (found.flags & FLAG["duplicate_id"]) > 0,
             "intake.problem.duplicate_id")):
        for k in np.flatnonzero(mask)[:SHOWN]:
            problems.setdefault(kind, []).append(InputProblem(
                t(key, lang, first=int(found.first_row_of_id[k])), int(found.rows[k]), header,
                str(found.ids[int(k)])))
    if opened.problems:
        problems["unreadable"] = opened.problems[:SHOWN]


def _members_path(out: str | Path | None, members: str | Path | None) -> Path | None:
    if members is not None:
        return Path(members)
    if out is None:
        return None
    target = Path(out)
    suffix = ".parquet" if target.suffix.lower() == ".parquet" else ".csv"
    return target.with_name(f"{target.stem}.members{suffix}")


def _second_pass(opened: SuggestionSource, chunk_size: int, found: Clustering,
                 candidate: np.ndarray, settings: Settings, writer: _MembersWriter | None
                 ) -> dict[int, str]:
    """Read the input again: the representative texts, and the members file's rows."""
    lang = settings.lang
    wanted = {int(p): c for c, p in enumerate(found.representative.tolist())}
    titles: dict[int, str] = {}
    status_word = {code: t(f"intake.status.{name}", lang) for name, code in STATUS.items()}
    below = t("intake.status.below_min", lang)
    for chunk in opened.chunks(chunk_size):
        stop = chunk.start + len(chunk)
        text = chunk.columns["text"].to_numpy(dtype=object)
        for position in [p for p in wanted if chunk.start <= p < stop]:
            titles[wanted[position]] = str(text[position - chunk.start])
        if writer is not None:
            writer.add(chunk, found, candidate, status_word, below, wanted)
    return titles


class _MembersWriter:
    """The members file, written chunk by chunk to a temporary file renamed at the end."""

    def __init__(self, path: Path, lang: Lang) -> None:
        self.path = path
        self.lang = lang
        self.temporary = partial_path(path)   # the one atomic writer's name: cleaned if stale
        self.parquet = path.suffix.lower() == ".parquet"
        self.headers = [t(f"intake.member.{f}", lang) for f in MEMBER_FIELDS]
        self.first = True
        self.writer: Any = None
        path.parent.mkdir(parents=True, exist_ok=True)

    def add(self, chunk: Chunk, found: Clustering, candidate: np.ndarray,
            status_word: dict[int, str], below: str, wanted: Mapping[int, int]) -> None:
        lang = self.lang
        at = slice(chunk.start, chunk.start + len(chunk))
        label, status, flags = found.label[at], found.status[at], found.flags[at]
        cand = np.full(len(label), None, dtype=object)
        has = label >= 0
        cand[has] = candidate[label[has]]
        words = np.array([status_word[int(s)] for s in status], dtype=object)
        words[has & (cand == None)] = below  # noqa: E711
        rep = np.array([p in wanted for p in range(at.start, at.stop)])
        notes = np.full(len(label), None, dtype=object)
        for k in np.flatnonzero(flags):
            said = [t(f"intake.note.flag.{name}", lang, first=int(found.first_row_of_id[at][k]))
                    for name, bit in FLAG.items() if flags[k] & bit]
            notes[k] = t("intake.list_sep", lang).join(said)
        frame = pd.DataFrame({
            self.headers[0]: found.rows[at],
            self.headers[1]: found.ids[at.start:at.stop].to_pylist(),
            self.headers[2]: cand,
            self.headers[3]: words,
            self.headers[4]: np.where(rep, t("intake.yes", lang), ""),
            self.headers[5]: notes,
            self.headers[6]: chunk.columns["text"].to_numpy(dtype=object),
        })
        if self.parquet:
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(frame.astype({h: "string" for h in self.headers[1:]}),
                                         preserve_index=False)
            if self.writer is None:
                self.writer = pq.ParquetWriter(self.temporary, table.schema)
            self.writer.write_table(table)
        else:
            for column in self.headers[1:]:
                frame[column] = neutralise_series(frame[column])
            frame.to_csv(self.temporary, mode="w" if self.first else "a", header=self.first,
                         index=False, encoding="utf-8")
        self.first = False

    def commit(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.first:  # no rows at all: still a file with its header
            pd.DataFrame(columns=self.headers).to_csv(self.temporary, index=False)
        os.replace(self.temporary, self.path)
        clean_stale(self.path)

    def discard(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.temporary.unlink(missing_ok=True)


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of ``values`` (tuples and dicts stay whole)."""
    out = np.empty(len(values), dtype=object)
    for k, value in enumerate(values):
        out[k] = value
    return out


def _title(text: str) -> str:
    """One line of at most ``_TITLE_CHARS`` characters (control characters and line
    breaks become spaces)."""
    line = strip_invisible(text)
    for char in set(control_characters(line)):
        line = line.replace(char, " ")
    line = " ".join(line.split())
    return line if len(line) <= _TITLE_CHARS else line[:_TITLE_CHARS - 1] + "…"


def _cluster_table(found: Clustering, candidate: np.ndarray, titles: Mapping[int, str],
                   settings: Settings, options: IntakeOptions) -> pd.DataFrame:
    group_share, district_share = options.group_share, options.district_share
    n = len(found.size)
    hits = found.hits
    best = hits.argmax(axis=1) if n else np.zeros(0, np.int64)
    routed = hits.max(axis=1) > 0 if n else np.zeros(0, bool)
    domain = np.array([settings.domains[int(b)] if r else None
                       for b, r in zip(best.tolist(), routed.tolist(), strict=True)], dtype=object)
    codes = settings.target_groups.codes
    groups = []
    for counts in found.by_group:
        total = sum(counts.values())
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        groups.append(tuple(codes[g] for k, (g, v) in enumerate(ranked)
                            if k == 0 or v >= group_share * total))
    districts = []
    for where, supporters in zip(found.by_district, found.supporters.tolist(), strict=True):
        most = sorted(where.items(), key=lambda kv: (-kv[1], kv[0]))
        districts.append(most[0][0] if most and most[0][1] > district_share * supporters
                         else None)
    text = [titles.get(c, "") for c in range(n)]

    def day(values: np.ndarray) -> list[str | None]:
        return [None if np.isnat(v) else str(v) for v in values]

    return pd.DataFrame({
        "cluster": np.arange(n), "candidate": candidate, "rows": found.size,
        "texts": found.texts, "supporters": found.supporters, "domain": domain,
        "district": np.asarray(districts, dtype=object),
        "target_groups": _objects(groups),
        "by_district": _objects(found.by_district),
        "by_group": _objects([{codes[g]: v for g, v in d.items()} for d in found.by_group]),
        "representative_row": found.rows[found.representative] if n else np.zeros(0, np.int64),
        "title": np.asarray([_title(s) for s in text], dtype=object),
        "text": np.asarray(text, dtype=object),
        "first_date": np.asarray(day(found.first_day), dtype=object),
        "last_date": np.asarray(day(found.last_day), dtype=object),
    })


def _read_table(source: str | Path | pd.DataFrame, lang: Lang) -> tuple[pd.DataFrame, str]:
    """A small table as text cells (CSV with detected encoding and delimiter, or Excel)."""
    if isinstance(source, pd.DataFrame):
        return source.astype(object).where(source.notna(), None), "DataFrame"
    path = Path(source)
    name = str(source)
    try:
        raw = path.read_bytes()
        if raw.startswith(b"PK\x03\x04"):
            frame = pd.read_excel(io.BytesIO(raw), dtype=str, keep_default_na=False,
                                  engine="openpyxl")
        else:
            frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, sep=None,
                                engine="python", encoding=detect_encoding(raw))
    except FileNotFoundError:
        raise InvalidInputError(InputProblem(t("intake.problem.no_file", lang)), name) from None
    except (OSError, ValueError, csv.Error, zipfile.BadZipFile) as exc:
        raise InvalidInputError(InputProblem(t("intake.problem.unreadable", lang, format="",
                                               reason=str(exc).splitlines()[0][:200])),
                                name) from None
    frame = frame.replace("", None)
    for column in frame.columns:
        frame[column] = restore_series(frame[column].astype(object))
    return frame, name


def fill_estimates(draft: str | Path | pd.DataFrame, estimates: str | Path | pd.DataFrame, *,
                   lang: Lang = DEFAULT_LANG) -> pd.DataFrame:
    """The draft with the planner's estimates filled in, matched by candidate id.

    ``estimates`` is a table (CSV, Excel or DataFrame) whose first column holds candidate
    ids and whose other columns are any proposal columns (cost, beneficiaries, indicators,
    duration, pools, ... with the headers the loader reads). A header of the draft
    (Chinese or English) fills that column where the estimate is not empty; any other
    header is added as a new column. Ids the draft does not hold, and ids given twice,
    are errors (every one listed). The result has the draft's headers; the loader
    (``selector validate``) then checks every cell.
    """
    lang = check_lang(lang)
    base, _ = _read_table(draft, lang) if not isinstance(draft, pd.DataFrame) else (draft.copy(), "")
    table, name = _read_table(estimates, lang)
    if not len(table.columns):
        raise InvalidInputError(InputProblem(t("intake.problem.no_estimates", lang)), name)
    field_of = {t(f"intake.col.{f}", la).casefold(): f for f in DRAFT_FIELDS for la in ("zh", "en")}
    base_field = {field_of.get(str(c).casefold()): c for c in base.columns}
    id_column = base_field.get("id", base.columns[0])
    ids = table.iloc[:, 0].map(lambda v: None if v is None else normalise_key(str(v)))
    known = {normalise_key(str(v)): k for k, v in enumerate(base[id_column].tolist())}
    problems = []
    header = str(table.columns[0])
    for k, value in enumerate(ids.tolist()):
        if value is None:
            continue
        if value not in known:
            problems.append(InputProblem(t("intake.problem.unknown_candidate", lang), k + 2,
                                         header, value))
    twice = np.flatnonzero(ids.duplicated(keep="first").to_numpy() & ids.notna().to_numpy())
    for at_row in twice.tolist():
        problems.append(InputProblem(t("intake.problem.estimate_twice", lang), at_row + 2,
                                     header, str(ids.iloc[at_row])))
    if problems:
        raise InvalidInputError(problems, name)
    out = base.copy()
    at = np.array([known[v] if v is not None else -1 for v in ids.tolist()], dtype=np.int64)
    use = at >= 0
    for column in table.columns[1:]:
        target = base_field.get(field_of.get(str(column).casefold()), str(column))
        if target not in out.columns:
            out[target] = pd.Series([None] * len(out), dtype=object)
        values = table[column].to_numpy(dtype=object)
        filled = out[target].astype(object).to_numpy().copy()
        given = use & pd.notna(values)
        filled[at[given]] = values[given]
        out[target] = pd.Series(filled, dtype=object, index=out.index)
    return out
