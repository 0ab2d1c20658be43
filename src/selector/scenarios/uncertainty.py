"""Uncertain estimates and reproducible scenario draws.

An :class:`Uncertainty` turns the proposals into a range per number: beneficiaries
between ``beneficiaries_low`` and ``beneficiaries_high`` where the proposal gives them
(otherwise ``± benefit_spread`` around the estimate), and costs ``± cost_spread`` around
the stated cost. Scenario ``s`` of a run seeded with ``seed`` draws from
``numpy.random.default_rng(SeedSequence(seed).spawn(N)[s])``, two uniform numbers per
proposal (beneficiaries, then cost), so the draw depends only on ``(seed, s)``: never
on the executor, the chunking or the order in which scenarios run.

Distributions (``a`` low, ``m`` the estimate clipped into the range, ``b`` high):
``uniform`` on ``[a, b]``; ``triangular`` with mode ``m`` (by its inverse distribution
function, so a zero-width range gives exactly the estimate). Costs are rounded to whole
fen.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from selector._errors import InputProblem, InvalidInputError
from selector.model import ProposalSet

__all__ = ["Bounds", "Uncertainty", "scenario_seeds"]

Distribution = Literal["uniform", "triangular"]


@dataclass(frozen=True)
class Uncertainty:
    """How far the beneficiaries and costs of the proposals may be off.

    Attributes
    ----------
    distribution:
        ``"triangular"`` (mode at the estimate; default) or ``"uniform"``.
    ranges:
        Use the ``beneficiaries_low`` / ``beneficiaries_high`` columns where both are given.
    benefit_spread:
        ``± fraction`` of the estimate for proposals without a range (0: certain).
    cost_spread:
        ``± fraction`` of every cost (0: costs are certain).

    Examples
    --------
    >>> Uncertainty(cost_spread=0.1).cost_spread
    0.1
    """

    distribution: Distribution = "triangular"
    ranges: bool = True
    benefit_spread: float = 0.0
    cost_spread: float = 0.0

    def __post_init__(self) -> None:
        problems = []
        if self.distribution not in ("uniform", "triangular"):
            problems.append(InputProblem("distribution must be 'uniform' or 'triangular'",
                                         column="distribution", value=str(self.distribution)))
        for name in ("benefit_spread", "cost_spread"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                problems.append(InputProblem(f"{name} must be within [0, 1]", column=name,
                                             value=str(value)))
        if problems:
            raise InvalidInputError(problems, source="uncertainty")

    def bounds(self, proposals: ProposalSet) -> Bounds:
        """The range of every proposal's beneficiaries and cost.

        Raises
        ------
        InvalidInputError
            For rows whose ``beneficiaries_low`` exceeds ``beneficiaries_high`` (all of them).
        """
        frame = proposals.frame
        est = frame["beneficiaries"].to_numpy(dtype=np.float64)
        lo = est * (1 - self.benefit_spread)
        hi = est * (1 + self.benefit_spread)
        if self.ranges:
            low = frame["beneficiaries_low"].to_numpy(dtype=np.float64)
            high = frame["beneficiaries_high"].to_numpy(dtype=np.float64)
            given = np.isfinite(low) & np.isfinite(high)
            bad = np.flatnonzero(given & (low > high))
            if len(bad):
                raise InvalidInputError(
                    [InputProblem("beneficiaries_low must be <= beneficiaries_high",
                                  row=int(k) + 2, column="beneficiaries_low",
                                  value=f"{low[k]:g} > {high[k]:g}") for k in bad],
                    source="uncertainty")
            lo = np.where(given, low, lo)
            hi = np.where(given, high, hi)
        cost = frame["cost_minor"].to_numpy(dtype=np.float64)
        return Bounds(
            ids=tuple(proposals.ids), distribution=self.distribution,
            benefit=(lo, np.clip(est, lo, hi), hi),
            cost=(cost * (1 - self.cost_spread), cost, cost * (1 + self.cost_spread)),
        )


def scenario_seeds(seed: int, samples: int) -> list[np.random.SeedSequence]:
    """The seed of each scenario: ``SeedSequence(seed).spawn(samples)``."""
    if samples < 1:
        raise InvalidInputError(InputProblem.of("engine.arg.at_least", name="samples", min=1,
                                                got=samples))
    return list(np.random.SeedSequence(seed).spawn(samples))


@dataclass(frozen=True)
class Bounds:
    """Ranges ``(low, mode, high)`` of the beneficiaries and of the cost (fen) per proposal."""

    ids: tuple[str, ...]
    distribution: Distribution
    benefit: tuple[np.ndarray, np.ndarray, np.ndarray]
    cost: tuple[np.ndarray, np.ndarray, np.ndarray]

    @property
    def uncertain_benefit(self) -> np.ndarray:
        """Mask of proposals whose beneficiaries may vary."""
        return np.asarray(self.benefit[2] > self.benefit[0])

    @property
    def uncertain_cost(self) -> np.ndarray:
        """Mask of proposals whose cost may vary by at least one fen."""
        return np.asarray(np.rint(self.cost[2]) > np.rint(self.cost[0]))

    def sample(self, seed: np.random.SeedSequence) -> tuple[np.ndarray, np.ndarray]:
        """One scenario: beneficiaries (float64) and costs (int64 fen) of every proposal.

        Examples
        --------
        >>> import numpy as np
        >>> z = np.zeros(2); one = np.ones(2)
        >>> b = Bounds(("a", "b"), "uniform", (z, z, one), (one, one, one))
        >>> s = np.random.SeedSequence(1)
        >>> bool((b.sample(s)[0] == b.sample(s)[0]).all())
        True
        """
        rng = np.random.default_rng(seed)
        n = len(self.ids)
        u = rng.random(n)
        v = rng.random(n)
        benefit = _draw(u, *self.benefit, self.distribution)
        cost = np.rint(_draw(v, *self.cost, self.distribution)).astype(np.int64)
        return benefit, np.maximum(cost, 0)


def _draw(u: np.ndarray, a: np.ndarray, m: np.ndarray, b: np.ndarray,
          distribution: Distribution) -> np.ndarray:
    """Inverse distribution function at ``u`` (zero-width ranges give ``a`` exactly)."""
    width = b - a
    if distribution == "uniform":
        out = a + u * width
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            apex = np.where(width > 0, (m - a) / width, 0.0)
        left = a + np.sqrt(u * width * (m - a))
        right = b - np.sqrt((1 - u) * width * (b - m))
        out = np.where(u < apex, left, right)
    return np.where(width > 0, np.clip(out, a, b), a)
