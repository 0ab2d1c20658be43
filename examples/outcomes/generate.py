"""Regenerate the outcomes example's data (deterministic).

Writes, next to this script:

- ``outcomes-2026.xlsx``: the third-party evaluation of the projects funded from the
  bundled 2026 call (``examples/proposals.csv`` under ``examples/rules.toml``), drawn by
  :func:`selector.outcomes.simulate.generate_outcomes` with a planted bias: online
  submissions and health projects served fewer workers than estimated, skills training
  more (Chinese headers, as an evaluator's spreadsheet would have them);
- ``proposals-2027.csv``: next year's call, 150 proposals of
  :func:`selector.datasets.generate_call` with seed 2027.

Usage::

    python examples/outcomes/generate.py
"""

from __future__ import annotations

from pathlib import Path

from selector import load_proposals, load_rules, select
from selector.datasets import generate_call
from selector.io import save_proposals
from selector.outcomes.simulate import generate_outcomes

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent

#: The planted bias: actual / estimated person-times.
DOMAIN_BIAS = {"health": 0.7, "skills": 1.3, "culture": 1.1, "rights": 0.9}
UNIT_BIAS = {"职工网上提议": 0.6, "滨江区总工会": 1.25}


def main() -> None:
    call = load_proposals(EXAMPLES / "proposals.csv")
    funded = select(call, load_rules(EXAMPLES / "rules.toml")).selected
    table = generate_outcomes(call, funded, seed=2026, domain_bias=DOMAIN_BIAS,
                              unit_bias=UNIT_BIAS, noise=0.1)
    table.to_excel(HERE / "outcomes-2026.xlsx", index=False, sheet_name="绩效评价")
    save_proposals(generate_call(150, seed=2027, year=2027), HERE / "proposals-2027.csv",
                   headers="zh")
    print(f"wrote {HERE / 'outcomes-2026.xlsx'} ({len(table)} projects) and "
          f"{HERE / 'proposals-2027.csv'}")


if __name__ == "__main__":
    main()
