"""The graph as LangGraph's own server runs it (`langgraph dev`, `langgraph up`, LangGraph Platform).

The same nodes as in our front ends, behind one first node, `begin_turn`. What differs is where a run's facts come
from: the raw message is the run's input, in a channel LangGraph never checkpoints (UntrackedValue), and the
customer and role come from the run's context and the caller's login (run_facts.py). Each node is handed the same
Context our front ends build, so no node knows which server runs it. The server brings its own checkpointer and
store; the services (models, retriever, stores) are built once per server process.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from typing import Annotated, Any, TypedDict, cast

from langchain_core.messages import AIMessage
from langgraph.channels.untracked_value import UntrackedValue
from langgraph.config import get_config
from langgraph.graph import START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.dependencies import Services, build_services
from agent.graph import Node, add_turn
from agent.langgraph_server.run_facts import RunFacts, asker
from agent.settings import get_settings
from agent.state import State, fresh_turn
from agent.timing import timed
from tools.account_actions import decide
from tools.validation import check_customer, validate_message

_SERVICES_LOCK = threading.Lock()


class TurnInput(TypedDict):
    """A run's input: the customer's message as typed. It is masked by the first node and never checkpointed."""

    message: Annotated[str, UntrackedValue(str)]


class ServerState(State, total=False):
    """The thread's state plus the run's raw message, which lives only while the run does."""

    message: Annotated[str, UntrackedValue(str)]


async def make_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """The factory `langgraph.json` names; the server calls it for every run, so both parts are cached."""
    await asyncio.to_thread(server_services)  # loads the models once, off the server's event loop
    return _compiled_graph()


@functools.cache
def _compiled_graph() -> CompiledStateGraph[Any, Any, Any, Any]:
    """Compiled without a checkpointer: the server puts its own in."""
    return compile_server_graph()


class CheckpointAtExit(CompiledStateGraph[Any, Any, Any, Any]):
    """A graph that saves the thread's checkpoint only where a run ends or waits for a decision ("exit").

    LangGraph saves an "input" checkpoint before the first node, holding the run's input as it came, here the
    raw message. Saving only at the run's end leaves that one out, whatever durability the run asked for. A run
    that dies half way leaves the thread as its last turn left it, as our front ends do (they fork from the last
    completed turn).
    """

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        """`invoke` runs through here too."""
        return super().stream(*args, **at_exit(kwargs))

    def astream(self, *args: Any, **kwargs: Any) -> Any:
        """`ainvoke`, `astream_events` and LangGraph's server run through here."""
        return super().astream(*args, **at_exit(kwargs))


def at_exit(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The run's arguments with "exit" durability (and no deprecated `checkpoint_during` against it)."""
    return {**{k: v for k, v in kwargs.items() if k != "checkpoint_during"}, "durability": "exit"}


def compile_server_graph(checkpointer: Any = None) -> CheckpointAtExit:
    """The server graph, compiled as a CheckpointAtExit (the server's `copy` keeps the class)."""
    compiled = build_server_graph().compile(checkpointer=checkpointer)
    return CheckpointAtExit(**{k: v for k, v in vars(compiled).items() if k != "__pydantic_fields_set__"})


def build_server_graph() -> StateGraph[Any, Any, Any, Any]:
    """begin_turn -> the turn our front ends run (mask_pii -> ... -> check_output)."""
    builder = StateGraph(ServerState, context_schema=RunFacts, input_schema=TurnInput)
    builder.add_node("begin_turn", on_server(begin_turn))
    add_turn(builder, on_server)
    builder.add_edge(START, "begin_turn")
    builder.add_edge("begin_turn", "mask_pii")
    return builder


def server_services() -> Services:
    """The process's services, built from settings (BANKASSIST_* variables) on first use."""
    with _SERVICES_LOCK:  # two first runs at once must not load the models twice
        return _built_services()


@functools.cache
def _built_services() -> Services:
    return build_services(get_settings())


def begin_turn(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """What our front ends do before a turn: check the message and the customer, start per-turn keys empty.

    An action still waiting for a decision is cancelled: the customer asked something else.
    """
    context = runtime.context
    validate_message(context.user_text, context.services.settings.max_message_chars)
    if context.customer_id is not None:
        check_customer(context.services.reports, context.customer_id)
    update: dict[str, Any] = dict(fresh_turn(context.customer_id))
    if (pending := state.get("pending_action")) and context.customer_id:
        outcome = decide(context.services.accounts, pending["id"], context.customer_id, "cancel")
        # Said before the new message, as our front ends do when a message supersedes a waiting action.
        notice = prompts.ACTION_SUPERSEDED if outcome.status == "cancelled" else outcome.message
        update["messages"] = [AIMessage(notice)]
    return update


def on_server(node: Node) -> Node:
    """The node, timed, run with the Context our front ends would have built for this run."""
    timed_node = timed(node)
    takes_runtime = "runtime" in inspect.signature(node).parameters  # canned replies need only the state

    @functools.wraps(timed_node, assigned=("__module__", "__name__", "__qualname__", "__doc__"))
    def run(state: ServerState, runtime: Runtime[RunFacts]) -> dict[str, Any]:
        if not takes_runtime:
            return timed_node(state)
        context = turn_context(state, runtime.context)
        return timed_node(state, runtime.override(context=cast(Any, context)))

    del run.__wrapped__  # LangGraph reads the signature: this one always takes the runtime (and ServerState)
    return run


def turn_context(state: ServerState, facts: RunFacts | None) -> Context:
    """The run's Context: the process's services, the raw message (empty on a resume) and the checked asker."""
    configurable = get_config().get("configurable", {})
    login = configurable.get("langgraph_auth_user")
    # A resume is the customer's decision on a waiting action; an analyst may not take one.
    found = asker(facts or RunFacts(), login, acting="message" not in state and bool(state.get("pending_action")))
    return Context(server_services(), state.get("message", ""), found.customer_id, found.user, found.role)
