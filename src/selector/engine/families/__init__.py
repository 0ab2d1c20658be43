"""Rule families: one module per family, and the one registry of them.

A rule family is everything the engine knows about one kind of rule, in one module: its
rules-file schema (when :class:`~selector.rules.Rules` does not already hold it), its
screening, its rows of the integer program (with the mathematics in the module
docstring), its exact check at a chosen list (:class:`RuleCheck`), its relaxations for
what-if questions (:class:`RuleChange`) and its words (catalogue keys ``rules.*``). The
engine — screening, formulation, verification, binding rules, diagnosis — and the
explanations and the report loop over :data:`FAMILIES` and never name a rule themselves.

Each family's module docstring says which rules it holds (its part of the rules file),
what it screens out, its rows and its checks; :data:`FAMILIES` lists them in order.

Adding a family is one new module (a :class:`Family` subclass), one line in
:data:`FAMILIES`, its words in the ``rules`` catalogue and its tests; a family with a
rules-file table of its own declares it (``table``, ``schema``) and the registry
registers it with :func:`selector.rules.register_table`. ``CONTRIBUTING.md`` walks
through an example.
"""

from __future__ import annotations

from selector.engine.families import (
    budget,
    count,
    distinct,
    eligibility,
    force,
    groups,
    per_unit,
    pools,
    relations,
    resources,
    schedule,
)
from selector.engine.families.base import (
    Family,
    Outcome,
    Reason,
    RuleChange,
    RuleCheck,
    Screen,
)
from selector.rules import Rules, register_table

__all__ = [
    "FAMILIES",
    "Family",
    "Outcome",
    "Reason",
    "RuleChange",
    "RuleCheck",
    "Screen",
    "active_families",
    "family",
]

#: Every rule family, in the order of the program's rows (which is also the order of the
#: screening reasons, the checks and the relaxations).
FAMILIES: tuple[Family, ...] = (
    eligibility.Eligibility(),
    budget.Budget(),
    pools.Pools(),
    resources.Resources(),
    groups.Groups(),
    distinct.Distinct(),
    count.Count(),
    relations.Relations(),
    schedule.Schedule(),
    force.Force(),
    per_unit.PerUnit(),
)

for _family in FAMILIES:
    if _family.table is not None and _family.schema is not None:
        register_table(_family.table, _family.schema)


def active_families(rules: Rules) -> tuple[Family, ...]:
    """The families the rules use, in registry order."""
    return tuple(f for f in FAMILIES if f.active(rules))


def family(key: str) -> Family:
    """The family registered under ``key``.

    Raises
    ------
    KeyError
        No family has that key.
    """
    for f in FAMILIES:
        if f.key == key:
            return f
    raise KeyError(f"no rule family {key!r}")
