"""Wiring only: mask_pii -> guard_scope -> route_turn -> one answering node -> check_output -> END.

A proposed account action goes on from check_output to confirm_action, which waits (an interrupt) for the
customer's decision; its outcome passes check_output again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langgraph.graph import END, START, StateGraph

from agent.context import Context
from agent.nodes.analyze_credit import analyze_credit
from agent.nodes.answer_banking import answer_banking
from agent.nodes.ask_to_clarify import ask_to_clarify
from agent.nodes.check_output import check_output
from agent.nodes.confirm_action import confirm_action
from agent.nodes.guard_scope import guard_scope
from agent.nodes.hand_off import hand_off
from agent.nodes.mask_pii import mask_pii
from agent.nodes.refuse_out_of_scope import refuse_out_of_scope
from agent.nodes.reply_smalltalk import reply_smalltalk
from agent.nodes.route_turn import after_check, route_turn
from agent.nodes.use_account import use_account
from agent.state import State
from agent.timing import timed

Node = Callable[..., dict[str, Any]]

ANSWER_NODES = (
    answer_banking,
    analyze_credit,
    use_account,
    hand_off,
    reply_smalltalk,
    refuse_out_of_scope,
    ask_to_clarify,
)


def build_graph() -> StateGraph[State, Context, State, State]:
    """The uncompiled graph; compile it with a checkpointer."""
    builder = StateGraph(State, context_schema=Context)
    add_turn(builder, timed)
    builder.add_edge(START, "mask_pii")
    return builder


def add_turn(builder: StateGraph[Any, Any, Any, Any], wrap: Callable[[Node], Node]) -> None:
    """The turn's nodes (each passed through `wrap`) and edges, from mask_pii on; the caller links START.

    LangGraph's own server (agent/langgraph_server) builds the same turn behind its own first node.
    """
    for node in (mask_pii, guard_scope, *ANSWER_NODES, check_output, confirm_action):
        builder.add_node(node.__name__, wrap(node))
    builder.add_edge("mask_pii", "guard_scope")
    builder.add_conditional_edges("guard_scope", route_turn)
    # Every answer, canned ones too, passes the output checks: one exit, nothing reaches the user unchecked.
    for node in ANSWER_NODES:
        builder.add_edge(node.__name__, "check_output")
    builder.add_edge("confirm_action", "check_output")
    builder.add_conditional_edges("check_output", after_check, {"confirm_action": "confirm_action", "__end__": END})
