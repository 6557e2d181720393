"""Routes the guard's heads do not have: `account` (the customer's own money) and `handoff` (a person).

The guard's heads know banking from everything else; whether "my rent transfer" is about this customer's
ledger rather than policy in general, or whether someone asks for a person, is a matter of wording, which
deterministic parsers read.
"""

from __future__ import annotations

from dataclasses import replace

from agent.scope.guard import FOLLOW_UP_FLOOR, ScopeDecision
from tools.account_requests import is_how_to, read_request
from tools.cases import handoff_reason


def with_account_route(decision: ScopeDecision, text: str) -> ScopeDecision:
    """The decision, sent to `handoff` or `account` when the wording asks for a person or for own accounts."""
    if decision.reason:  # the screen refused it: a frame or another language stays refused
        return decision
    reason = handoff_reason(text)
    if reason == "asked for a person":
        return replace(decision, route="handoff")
    if decision.route in ("credit", "smalltalk"):
        return decision
    if decision.route == "out_of_scope" and decision.in_scope < FOLLOW_UP_FLOOR:
        return decision
    if read_request(text) is not None:
        return replace(decision, route="account")
    return replace(decision, route="handoff") if reason and not is_how_to(text) else decision
