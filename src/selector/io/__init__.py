"""Reading and writing proposals: CSV, Excel, JSON, Parquet and Pabulib.

Headers may be English (the canonical column names) or Chinese (项目编号, 项目名称, 领域,
预算金额(元), 预计受益人数, ...); a ``mapping`` of header → field covers others.

Cell syntax
-----------
- money: ``120000``, ``1,200,000.50``, ``¥120000``, ``12万`` / ``12.5万元``: exact to the
  fen (at most two decimals of a yuan); a ``预算金额(万元)`` header means 10,000 yuan;
- multi-valued cells (target groups, pools, requires, excludes): items separated by any
  of ``| 、 , ， ; ；`` or a line break;
- indicators: ``名称=目标值单位`` items separated by ``;``, ``；``, ``|`` or a line break,
  e.g. ``培训人数=500人; 满意度=90%``; ``名称`` alone (or ``名称=?单位``) has no target value;
- domains, target groups, channels and pools: code, Chinese or English label;
- numbers may carry thousands separators and a unit word (``3,000人``); completion
  probability may be a percentage (``85%``).

Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
carriage return) are written with a leading apostrophe, removed again on loading
(:func:`~selector.io._safety.neutralise_cell`).
"""

from __future__ import annotations

from selector.io._pabulib import load_pabulib
from selector.io._read import detect_encoding, load_proposals
from selector.io._safety import neutralise_cell, neutralise_series, restore_series
from selector.io._validate import proposals_from_frame
from selector.io._write import save_proposals

__all__ = [
    "detect_encoding",
    "load_pabulib",
    "load_proposals",
    "neutralise_cell",
    "neutralise_series",
    "proposals_from_frame",
    "restore_series",
    "save_proposals",
]
