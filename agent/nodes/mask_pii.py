"""First node: mask PII in the raw message, so state and checkpoints only ever hold masked text."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import Context
from agent.state import State


def mask_pii(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Mask the message from the run's context and add it to the conversation."""
    masked = runtime.context.services.masker.mask(runtime.context.user_text).text
    return {"masked_input": masked, "messages": [HumanMessage(masked)]}
