"""Rules for a Pabulib election, from the limits in its META section."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from selector.model import ProposalSet
from selector.rules import Eligibility, GroupRule, Rules

__all__ = ["rules_from_pabulib"]


def rules_from_pabulib(meta: Mapping[str, Any], proposals: ProposalSet | None = None) -> Rules:
    """The outcome rules a Pabulib file states, as our :class:`~selector.rules.Rules`.

    - ``budget`` → ``Rules.budget``;
    - ``budget_per_category`` (an upper bound on the cost of the funded projects of each
      category) → one ``GroupRule(column="categories", measure="cost", max_total=...)``
      per category (a project with several categories counts in each).

    ``max_sum_cost_per_category``, ``min_length*`` and ``max_length*`` bound each *ballot*
    in Pabulib, not the outcome, so they are not rules here. Pabulib projects carry no
    indicators or schedule: ``require_indicator`` and the completion check are off.

    Parameters
    ----------
    meta:
        ``ProposalSet.meta`` of a loaded ``.pb`` file.
    proposals:
        When given, categories with no project are left out (a rule about a group that
        does not exist is an error).

    Examples
    --------
    >>> r = rules_from_pabulib({"budget": Decimal("1000"),
    ...                         "budget_per_category": {"green": Decimal("400")}})
    >>> r.budget, r.groups[0].max_total
    (Decimal('1000'), Decimal('400'))
    """
    present: set[str] | None = None
    if proposals is not None and "categories" in proposals.frame.columns:
        present = {str(c) for cats in proposals.frame["categories"]
                   if isinstance(cats, tuple | list) for c in cats}
    groups = []
    for category, amount in dict(meta.get("budget_per_category") or {}).items():
        if present is not None and str(category) not in present:
            continue
        groups.append(GroupRule(column="categories", values=(str(category),), measure="cost",
                                max_total=Decimal(str(amount))))
    budget = meta.get("budget")
    return Rules(budget=None if budget is None else Decimal(str(budget)), groups=tuple(groups),
                 eligibility=Eligibility(require_indicator=False),
                 completion=None)
