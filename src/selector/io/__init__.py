"""Reading and writing proposals: CSV, Excel, JSON, Parquet and Pabulib.

Headers may be English (the canonical column names) or Chinese (项目编号, 项目名称, 领域,
预算金额(元), 预计受益人数, ...); a ``mapping`` of header → field covers others.

Cell syntax
-----------
- money: ``120000``, ``1,200,000.50``, ``¥120000``, ``12万`` / ``12.5万元``, full-width
  ``１２００００``: exact to the fen (at most two decimals of a yuan), at most
  :data:`selector.money.MAX_YUAN`; a ``预算金额(万元)`` header means 10,000 yuan; thousands
  separators only between groups of three digits (``1,2,3`` is refused), digits 0-9
  only (other scripts refused), no exponent, NaN or infinity;
- multi-valued cells (target groups, pools, requires, excludes): items separated by any
  of ``| 、 , ， ; ；`` or a line break;
- indicators: ``名称=目标值单位`` items separated by ``;``, ``；``, ``|`` or a line break,
  e.g. ``培训人数=500人; 满意度=90%``; ``名称`` alone (or ``名称=?单位``) has no target value;
- domains, target groups, channels and pools: code, Chinese or English label;
- numbers may carry thousands separators and a unit word (``3,000人``); completion
  probability may be a percentage (``85%``); every numeric column has a plausibility
  range (:data:`selector.model.NUMERIC_RANGES`).

At the door (:mod:`selector.text`): ids and other keys are compared after NFKC with
invisible characters (byte-order mark, zero-width and bidirectional marks) removed, so two
ids that only look alike are one id (and a duplicate); titles lose invisible characters;
control characters (a line break, an escape) in ids and titles are refused. The loaders
refuse oversized input early (:data:`LIMITS`) and report every problem at once, with the
spreadsheet row and the column as written, in one
:class:`~selector.InvalidInputError` (``.text("zh")`` in Chinese).

Text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
carriage return) are written with a leading apostrophe, removed again on loading
(:func:`selector.text.neutralise_cell`). Writers are atomic.
"""

from __future__ import annotations

from selector.io._limits import LIMITS, Limits
from selector.io._pabulib import load_pabulib
from selector.io._read import FORMATS, READ_FORMATS, detect_encoding, load_proposals
from selector.io._validate import proposals_from_frame
from selector.io._write import WRITE_FORMATS, save_proposals
from selector.text import neutralise_cell

__all__ = [
    "FORMATS",
    "LIMITS",
    "READ_FORMATS",
    "WRITE_FORMATS",
    "Limits",
    "detect_encoding",
    "load_pabulib",
    "load_proposals",
    "neutralise_cell",
    "proposals_from_frame",
    "save_proposals",
]
