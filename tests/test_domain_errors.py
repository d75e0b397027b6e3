"""Errors of the domain carry codes; where French is shown, it is chosen by code, never by the message."""

from __future__ import annotations

import pytest

from admin_api.pages import PROBLEMS
from bot.handoffs import KINDS, HandoffError


def test_handoff_errors_are_grouped_by_code() -> None:
    assert (
        HandoffError("claimed_by_another", "another adviser already handles this handoff").kind == "conflict"
    )
    assert HandoffError(code="empty_reply", message="the reply is empty").kind == "invalid"
    with pytest.raises(ValueError):
        HandoffError("conflict", "a kind is no code")


def test_every_french_problem_is_a_known_code() -> None:
    assert set(PROBLEMS) <= set(KINDS)
