"""The pure edge after the guard: the stored route picks exactly one answering node."""

from __future__ import annotations

from typing import Literal

from agent.state import State

NODE_OF_ROUTE = {
    "banking": "answer_banking",
    "credit": "analyze_credit",
    "smalltalk": "reply_smalltalk",
    "out_of_scope": "refuse_out_of_scope",
    "clarify": "ask_to_clarify",
    "account": "use_account",
    "handoff": "hand_off",
}
AnswerNode = Literal[
    "answer_banking",
    "analyze_credit",
    "reply_smalltalk",
    "refuse_out_of_scope",
    "ask_to_clarify",
    "use_account",
    "hand_off",
]


def route_turn(state: State) -> AnswerNode:
    """Map the guard's route to its node; an unknown route is a bug, so it raises."""
    route = state.get("route")
    if route not in NODE_OF_ROUTE:
        raise ValueError(f"Unknown route {route!r}")
    return NODE_OF_ROUTE[route]  # type: ignore[return-value]


def after_check(state: State) -> Literal["confirm_action", "__end__"]:
    """A checked proposal waits for the customer's decision; everything else ends the turn."""
    return "confirm_action" if state.get("pending_action") else "__end__"
