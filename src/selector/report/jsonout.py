"""The full result as JSON: ``Selection.to_dict()`` plus everything the report shows.

Money is written as exact decimal strings, like ``Selection.to_dict()``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from decimal import Decimal
from typing import Any

from selector.report.content import Report

__all__ = ["report_dict", "report_json"]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def report_dict(report: Report) -> dict[str, Any]:
    """JSON-ready data: the selection's own fields first, then the report's tables."""
    out: dict[str, Any] = _plain(report.result)
    out.update({
        "title": report.title,
        "lang": report.lang,
        "selected_projects": _plain(report.selected),
        "pools": _plain(report.pools),
        "by_domain": _plain(report.by_domain),
        "by_target_group": _plain(report.by_target_group),
        "rules": _plain(report.rules),
        "reserve": _plain(report.reserve),
        "why_not": {r.id: r.why_missed for r in report.reserve if r.why_missed},
        "ineligible_projects": _plain(report.ineligible),
        "ineligible_by_reason": _plain(report.reasons),
        "notice": _plain(report.notice),
        "provenance": _plain(report.provenance),
    })
    return out


def report_json(report: Report) -> str:
    """:func:`report_dict` as indented UTF-8 JSON text (Chinese kept readable)."""
    return json.dumps(report_dict(report), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
