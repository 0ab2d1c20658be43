"""The proposal model: exact money, validation, the canonical frame, equality."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from selector import Indicator, InvalidInputError, Proposal, ProposalSet, proposals_from_frame
from selector.datasets import generate_call
from selector.model import CANONICAL_COLUMNS


def test_proposal_money_is_exact() -> None:
    p = Proposal(id=" P1 ", title="户外劳动者驿站", domain="health", cost="120000.10",
                 beneficiaries=3000)
    assert p.id == "P1"
    assert p.cost == Decimal("120000.10") and p.cost_minor == 12000010
    with pytest.raises(InvalidInputError):
        Proposal(id="P2", domain="health", cost="1.005", beneficiaries=1)
    with pytest.raises(InvalidInputError):
        Proposal(id="P3", domain="health", cost="-1", beneficiaries=1)


@pytest.mark.parametrize("field,value", [
    ("earliest_start", 13), ("completion_probability", 1.5), ("beneficiaries", -1.0),
    ("beneficiaries", float("nan")), ("channel", "wechat"), ("duration_months", 0),
])
def test_proposal_rejects_out_of_range(field: str, value: object) -> None:
    base = {"id": "P", "domain": "health", "cost": 1, "beneficiaries": 1}
    with pytest.raises(InvalidInputError):
        Proposal(**{**base, field: value})


def test_indicator_measurable() -> None:
    assert Indicator(name="满意度", target=90, unit="%").measurable
    assert not Indicator(name="满意度").measurable


def test_set_from_proposals_equals_set_from_frame() -> None:
    call = generate_call(30, seed=4)
    rebuilt = ProposalSet.from_proposals(list(call))
    assert rebuilt == call
    assert list(rebuilt.frame.columns) == [*CANONICAL_COLUMNS, "staff_months"]
    assert rebuilt.frame["cost_minor"].dtype == "int64"


def test_canonical_frame_and_user_frame() -> None:
    call = generate_call(10, seed=1)
    user = call.to_frame()
    assert isinstance(user["cost"].iloc[0], Decimal)
    assert proposals_from_frame(user) == call
    sub = call.subset(call.ids[:3])
    assert sub.ids == call.ids[:3] and len(sub) == 3
    assert call[call.ids[2]] == call.proposal(2)


def test_loader_keeps_a_proposal_without_indicator_or_longer_than_a_year() -> None:
    frame = pd.DataFrame({"id": ["A"], "domain": ["skills"], "cost": ["1"],
                          "beneficiaries": [5], "duration_months": [30], "indicators": [""]})
    p = proposals_from_frame(frame).proposal(0)
    assert p.duration_months == 30 and not p.measurable
