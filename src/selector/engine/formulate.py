r"""The integer program, in a solver-neutral matrix form: one block of rows per rule family.

Decision variables::

    x_k ∈ {0, 1}                 fund candidate k (only candidates get a variable)
    y_kp ≥ 0                     fen paid by pool p for candidate k (only with > 6 pools)
    T_m ≥ 0                      selected total of measure m (one per measure used by a share)
    z_v ∈ {0, 1}                 value v of a distinct-coverage column is covered
    s_km ∈ {0, 1}                candidate k starts in month m (monthly schedule only)

Objective (:mod:`selector.engine.objective`)::

    max Σ_k w_k · x_k            w: beneficiaries, × completion probability, or weighted columns

Constraints (row names in brackets; every row is built from numpy arrays in one go), each
block written — with its mathematics in the docstring — by its rule family in
:mod:`selector.engine.families`, in the registry's order::

    Σ_k c_k x_k ≤ B                                         [budget]              budget
    Σ_{k: pools(k) ⊆ S} c_k x_k ≤ Σ_{p∈S} A_p  ∀ pool sets S  [pool[a+b]]         pools
    Σ_p y_kp − c_k x_k = 0,  Σ_k y_kp ≤ A_p                 [pay[k]], [pool[p]]   (more pools)
    Σ_k r_k x_k ≤ R                                         [resource[name]]      resources
    T_m − Σ_k m_k x_k = 0                                   [total[measure]]      groups
    q·Σ_{k∈G} m_k x_k − p·T_m ≤ 0  (≥ 0 for a floor)  ∀ G   [share_max[col=G]]
    L ≤ Σ_{k∈G} m_k x_k ≤ U                   ∀ G           [total_max[col=G]]
    z_v − Σ_{k∈v} x_k ≤ 0,  Σ_v z_v ≥ D                     [cover[col=v]]        distinct
    Σ_k x_k ≥ N_min,  Σ_k x_k ≤ N_max                       [count_min]           count
    x_a − x_b ≤ 0,  x_a + x_b ≤ 1,  Σ_{k∈V} x_k ≤ 1         [requires[a->b]]      relations
    Σ_m s_km − x_k = 0,  monthly spend / concurrency caps    [start[k]], [spend[month=t]]  schedule
    x_k ≥ 1  (forced in)                                                          force

Row names are our own (from positions and rule names, never from proposal text); each row
also carries the key of the :class:`~selector.engine.families.RuleCheck` it implements
(``Formulation.row_check``), which is how :mod:`selector.engine.binding` names a tight
rule. Solvers only see positions.
"""

from __future__ import annotations

import numpy as np

from selector.engine.families import active_families
from selector.engine.program import Builder, Formulation, Inputs, Unit

__all__ = ["Formulation", "Inputs", "Unit", "formulate"]


def formulate(inputs: Inputs) -> Formulation:
    """Build the whole model from :class:`Inputs`: the ``x`` columns, then each active
    family's columns and rows, in the registry's order."""
    cand = np.flatnonzero(inputs.eligible)
    b = Builder()
    b.cols("x", len(cand), 0.0, 1.0, True, inputs.weight[cand])
    for family in active_families(inputs.rules):
        family.rows(b, inputs, cand)
    return b.build(cand)
