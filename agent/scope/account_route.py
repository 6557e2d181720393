"""The `account` route: a message the guard reads as banking that asks about the customer's own money.

The guard's heads know banking from everything else; whether "my rent transfer" is about this customer's
ledger rather than policy in general is a matter of wording, which the deterministic parser reads.
"""

from __future__ import annotations

from dataclasses import replace

from agent.scope.guard import FOLLOW_UP_FLOOR, ScopeDecision
from tools.account_requests import read_request


def with_account_route(decision: ScopeDecision, text: str) -> ScopeDecision:
    """The decision, sent to `account` when it is a banking reading (or unsure) of a request about own accounts."""
    if decision.reason or decision.route in ("credit", "smalltalk"):
        return decision
    if decision.route == "out_of_scope" and decision.in_scope < FOLLOW_UP_FLOOR:
        return decision
    return replace(decision, route="account") if read_request(text) is not None else decision
