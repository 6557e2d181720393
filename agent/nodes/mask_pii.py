"""First node: mask PII in the raw message, so state and checkpoints only ever hold masked text."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage
from langgraph.runtime import Runtime

from agent.context import Context
from agent.state import State
from tools.own_values import shown_back
from tools.pii_memory import PlaceholderMemory


def mask_pii(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Mask the message from the run's context and add it to the conversation.

    The thread's placeholder memory (keyed hashes, never values) keeps a card <CARD_1> for the whole
    conversation, not just for one message. The values this message's placeholders stand for go to the
    run's context, not the state: the front end shows them back to their writer only.
    """
    services = runtime.context.services
    memory = PlaceholderMemory(services.pii_key, state.get("pii_placeholders"))
    masked = services.masker.mask(runtime.context.user_text, memory)
    runtime.context.own_values.update(shown_back(masked.values))
    text = masked.text
    return {"masked_input": text, "messages": [HumanMessage(text)], "pii_placeholders": memory.placeholders}
