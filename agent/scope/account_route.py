"""Routes the guard's route heads do not have: `account` (the customer's own money) and `handoff` (a person).

The route heads know banking from everything else. Whether "my rent transfer" is about this customer's
ledger rather than policy in general is read two ways: the deterministic parser's wording ("my", an
action verb), and the guard's account head, trained on labelled queries, which also knows "current
account balance please" is about one's own money. Which tool to use is always the parser's reading.
Whether someone asks for a person is a matter of wording alone.
"""

from __future__ import annotations

from dataclasses import replace

from agent.scope.guard import FOLLOW_UP_FLOOR, ScopeDecision
from tools.account_requests import is_how_to, read_request
from tools.cases import handoff_reason

# The account head's probability from which a message is taken as about the customer's own accounts even
# without the parser's own-words (cross-validated on its training queries: precision 0.962, recall 0.805),
# and under which the parser's reading of an action is overruled. The test and blind sets only measure them.
OWN_SURE = 0.8
OWN_UNLIKELY = 0.1


def with_account_route(decision: ScopeDecision, text: str, own_probability: float | None = None) -> ScopeDecision:
    """The decision, sent to `handoff` or `account` when the wording asks for a person or for own accounts.

    `own_probability` is the account head's (None: weights without one, and the parser decides alone).
    """
    if decision.reason:  # the screen refused it: a frame or another language stays refused
        return decision
    reason = handoff_reason(text)
    if reason == "asked for a person":
        return replace(decision, route="handoff")
    if decision.route in ("credit", "smalltalk"):
        return decision
    own = own_probability is not None and own_probability >= OWN_SURE
    if decision.route == "out_of_scope" and decision.in_scope < FOLLOW_UP_FLOOR and not own:
        return decision
    unlikely = own_probability is not None and own_probability < OWN_UNLIKELY
    if not unlikely and read_request(text, own, decision.intent) is not None:
        return replace(decision, route="account")
    return replace(decision, route="handoff") if reason and not is_how_to(text) else decision
