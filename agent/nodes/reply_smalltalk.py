"""Greetings, thanks and "what can you do": a short, friendly reply from the base model."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from agent import prompts
from agent.context import Context
from agent.nodes.history import earlier_messages
from agent.runtime.backends import generate_answer
from agent.state import State
from tools.text import first_sentences

MAX_TOKENS = 60  # two short sentences; small models ramble and loop when given more
MAX_SENTENCES = 2


def reply_smalltalk(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Reply in one or two sentences."""
    services = runtime.context.services
    earlier = earlier_messages(state, services.settings.history_messages)
    messages = [SystemMessage(prompts.SMALLTALK_SYSTEM), *example_exchanges(), *earlier, state["messages"][-1]]
    answer = generate_answer(services.synthesizer, messages, max_tokens=MAX_TOKENS)
    return {"messages": [AIMessage(first_sentences(answer, MAX_SENTENCES))]}


def example_exchanges() -> list[BaseMessage]:
    """The few-shot examples as alternating user and assistant messages."""
    return [m for user, bot in prompts.SMALLTALK_EXAMPLES for m in (HumanMessage(user), AIMessage(bot))]
