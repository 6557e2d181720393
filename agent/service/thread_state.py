"""Where a thread's next turn starts: after its last completed turn, with any waiting action settled first."""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import StateSnapshot

from agent.context import Context
from agent.service.actions import pending_of, supersede_command

Graph = CompiledStateGraph[Any, Context, Any, Any]


def resume_from(
    graph: Graph, checkpointer: BaseCheckpointSaver, config: RunnableConfig, context: Context
) -> RunnableConfig:
    """Where a turn starts: after the thread's last completed turn.

    A turn that failed half way (a model server down, a node timeout, a crash) left checkpoints with work
    pending; forking from the last completed one leaves that half turn out of the thread's state. An action
    still waiting for a decision is settled first: a new message cancels it (superseded).
    """
    state = graph.get_state(config)
    if pending_of(state):
        graph.invoke(supersede_command(), config, context=context)
        state = graph.get_state(config)
    completed = last_completed(graph, config, state)
    if completed is None:  # the thread's only turn failed half way: nothing to keep, it starts afresh
        checkpointer.delete_thread(config["configurable"]["thread_id"])
    return completed.config if completed else config


async def aresume_from(
    graph: Graph, async_graph: Graph, checkpointer: BaseCheckpointSaver, config: RunnableConfig, context: Context
) -> RunnableConfig:
    """`resume_from` on the event loop (the superseding run on the graph with the node timeout)."""
    state = await graph.aget_state(config)
    if pending_of(state):
        await async_graph.ainvoke(supersede_command(), config, context=context)
        state = await graph.aget_state(config)
    completed = await alast_completed(graph, config, state)
    if completed is None:
        await checkpointer.adelete_thread(config["configurable"]["thread_id"])
    return completed.config if completed else config


def last_completed(graph: Graph, config: RunnableConfig, state: StateSnapshot | None = None) -> StateSnapshot | None:
    """The thread's state after its last completed turn (None when no turn completed); `state`: already read."""
    state = state or graph.get_state(config)
    if not state.next or state.interrupts:  # waiting for a decision is a completed turn
        return state
    return next((s for s in graph.get_state_history(config) if not s.next), None)


async def alast_completed(
    graph: Graph, config: RunnableConfig, state: StateSnapshot | None = None
) -> StateSnapshot | None:
    """`last_completed` on the event loop."""
    state = state or await graph.aget_state(config)
    if not state.next or state.interrupts:
        return state
    async for snapshot in graph.aget_state_history(config):
        if not snapshot.next:
            return snapshot
    return None
