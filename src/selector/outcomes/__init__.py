"""Beyond selection: what funded projects achieved, and what next year's estimates learn.

- :mod:`~selector.outcomes.load` — read and validate an outcomes file (zh/en headers).
- :mod:`~selector.outcomes.store` — :class:`OutcomeStore`: outcomes in the reserve database,
  one transaction per import.
- :mod:`~selector.outcomes.calibration` — a hierarchical shrinkage model of estimate bias
  by domain and applicant unit, and calibrated proposals.
- :mod:`~selector.outcomes.review` — planned against actual, per project, domain,
  district and applicant unit.

A year with outcomes::

    store = OutcomeStore("sqlite:///reserve.sqlite")
    store.import_outcomes(load_outcomes("outcomes-2026.xlsx", proposals_2026, year=2026))
    calibration = fit_calibration(store.outcomes(before=2027))
    calibrated = calibrate(proposals_2027, calibration)      # then select as usual
"""

from __future__ import annotations

from selector.outcomes.calibration import Calibration, calibrate, fit_calibration
from selector.outcomes.load import OUTCOME_COLUMNS, OutcomeTable, load_outcomes, outcomes_from_frame
from selector.outcomes.store import OutcomeImport, OutcomeStore

__all__ = [
    "OUTCOME_COLUMNS",
    "Calibration",
    "OutcomeImport",
    "OutcomeStore",
    "OutcomeTable",
    "calibrate",
    "fit_calibration",
    "load_outcomes",
    "outcomes_from_frame",
]
