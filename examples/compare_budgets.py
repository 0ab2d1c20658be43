"""Compare three budgets and two rule sets on the bundled example.

"What does another five million buy, and what do the breadth rules cost?" Six scenarios
(three budgets × the full rules file and the same rules without the breadth rules) are
solved side by side; the table shows the workers served, the projects funded, the money
spent and how many projects enter or leave relative to the baseline (all rules, middle
budget)::

    python examples/compare_budgets.py

Without ``examples/proposals.csv`` / ``examples/rules.toml`` it falls back on the
generated call (same seed) and a built-in rule set.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import selector
from selector.rules import Count, GroupRule, Rules

HERE = Path(__file__).resolve().parent
BUDGETS = (10_000_000, 15_000_000, 20_000_000)


def load() -> tuple[selector.ProposalSet, Rules]:
    """The bundled proposals and rules (or generated stand-ins)."""
    csv, toml = HERE / "proposals.csv", HERE / "rules.toml"
    if csv.is_file():
        proposals = selector.load_proposals(csv)
    else:
        from selector.datasets import generate_call

        proposals = generate_call(150, seed=2026)
    if toml.is_file():
        return proposals, selector.load_rules(toml)
    rules = Rules(
        groups=(GroupRule(column="domain", measure="cost", max_share=0.30),
                GroupRule(column="domain", measure="count", min_total=Decimal(1))),
        count=Count(max=60),
    )
    return proposals, rules


def main() -> int:
    proposals, full = load()
    plain = full.model_copy(update={"groups": (), "distinct": ()})
    scenarios = [
        selector.Scenario(f"{label}, {budget / 1e6:g}M", rules=rules, budget=budget)
        for label, rules in (("all rules", full), ("no breadth rules", plain))
        for budget in BUDGETS
    ]
    comparison = selector.compare(scenarios, proposals=proposals,
                                  baseline=f"all rules, {BUDGETS[1] / 1e6:g}M", progress=False)
    table = comparison.totals[["scenario", "status", "objective", "count", "cost_used",
                               "entered", "left"]]
    print(table.rename(columns={"objective": "workers served", "count": "projects",
                                "cost_used": "spent (yuan)"}).to_string(index=False))
    for name, message in comparison.messages.items():
        print(f"{name}: {message}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
