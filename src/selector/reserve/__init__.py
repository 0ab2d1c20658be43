"""The rolling reserve: scored runner-ups kept in a database, carried across years.

- :mod:`~selector.reserve.scoring` — pure functions: score and rank the runner-ups.
- :mod:`~selector.reserve.planning` — the one reserve (:func:`plan_reserve`) that the
  committee report and the store both use, and its default size.
- :mod:`~selector.reserve.store` — :class:`ReserveStore`, the one class that talks SQL.
- :mod:`~selector.reserve.rolling` — reserve a year, carry over (stable keys across years),
  age, expire.
- :mod:`~selector.reserve.backfill` — refill from the reserve when a project drops out.
- files are written in one step by :func:`selector.atomic.write_atomically` (temporary name, then rename).
- :mod:`~selector.reserve.titles` — normalised titles (re-submissions).
"""

from __future__ import annotations

from selector.atomic import write_atomically
from selector.reserve.backfill import Backfill, backfill, backfill_pool
from selector.reserve.commands import (
    entries_frame,
    export_reserve,
    format_history,
    history_frame,
    withdraw_entry,
)
from selector.reserve.planning import (
    DEFAULT_RESERVE_SIZE,
    plan_reserve,
    reserve_config,
)
from selector.reserve.rolling import (
    CarryOver,
    RollingPolicy,
    carried_key,
    carry_over,
    proposal_snapshot,
    proposals_from_snapshots,
    reserve_year,
    run_record,
    save_pool,
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
    check_decay,
    check_expire_after,
)
from selector.reserve.titles import normalise_title

__all__ = [
    "DEFAULT_RESERVE_SIZE",
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
    "carried_key",
    "carry_over",
    "check_decay",
    "check_expire_after",
    "entries_frame",
    "export_reserve",
    "format_history",
    "history_frame",
    "normalise",
    "normalise_title",
    "plan_reserve",
    "proposal_snapshot",
    "proposals_from_snapshots",
    "reserve_config",
    "reserve_year",
    "run_record",
    "save_pool",
    "score_runner_ups",
    "withdraw_entry",
    "write_atomically",
]
