"""The rolling reserve: scored runner-ups kept in a database, carried across years.

- :mod:`~selector.reserve.scoring` — pure functions: score and rank the runner-ups.
- :mod:`~selector.reserve.store` — :class:`ReserveStore`, the one class that talks SQL.
- :mod:`~selector.reserve.rolling` — reserve a year, carry over, age, expire.
- :mod:`~selector.reserve.backfill` — refill from the reserve when a project drops out.
- :mod:`~selector.reserve.titles` — normalised titles (re-submissions).
"""

from __future__ import annotations

from selector.reserve.backfill import Backfill, backfill, backfill_pool
from selector.reserve.commands import (
    entries_frame,
    export_reserve,
    format_history,
    history_frame,
)
from selector.reserve.rolling import (
    CarryOver,
    RollingPolicy,
    carry_over,
    proposal_snapshot,
    proposals_from_snapshots,
    reserve_year,
    run_record,
)
from selector.reserve.scoring import (
    RunnerUps,
    ScoringConfig,
    ScoringWeights,
    normalise,
    score_runner_ups,
)
from selector.reserve.store import (
    Candidate,
    Change,
    ReserveEntry,
    ReserveStore,
    Resubmission,
    Run,
    RunRecord,
)
from selector.reserve.titles import normalise_title

__all__ = [
    "Backfill",
    "Candidate",
    "CarryOver",
    "Change",
    "ReserveEntry",
    "ReserveStore",
    "Resubmission",
    "RollingPolicy",
    "Run",
    "RunRecord",
    "RunnerUps",
    "ScoringConfig",
    "ScoringWeights",
    "backfill",
    "backfill_pool",
    "carry_over",
    "entries_frame",
    "export_reserve",
    "format_history",
    "history_frame",
    "normalise",
    "normalise_title",
    "proposal_snapshot",
    "proposals_from_snapshots",
    "reserve_year",
    "run_record",
    "score_runner_ups",
]
