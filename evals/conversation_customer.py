"""An LLM plays the customer (`--judge-url`): from the persona's goal and the conversation so far, its next message.

Any OpenAI-compatible endpoint serves, through the RAG judge's client (evals/rag_judge.py): every request is
recorded, and a run stops when one went elsewhere than the configured URL. Roles are swapped for the model:
it speaks as the customer (assistant messages) to the bank's assistant (user messages).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evals.rag_judge import JudgeConfig, JudgeRun
from tools.errors import ConfigurationError, ModelServerError

CUSTOMER_SYSTEM = (
    "You are role-playing a customer of Larkspur Bank who is chatting with the bank's virtual assistant. "
    "Your goal: {goal} Write only your next message to the assistant, in the first person, as a customer types "
    "it: one or two short sentences, no quotes, no labels. When your goal is met, thank the assistant."
)
CUSTOMER_START = "(The chat window is open. Write your first message.)"
MESSAGE_MAX_TOKENS = 96  # one or two sentences
MESSAGE_MAX_CHARS = 600  # a customer's chat message, not an essay: a long reply is cut


def customer_messages(goal: str, exchanges: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    """The chat the LLM customer continues: its own messages as `assistant`, the bank's answers as `user`."""
    chat = [{"role": "system", "content": CUSTOMER_SYSTEM.format(goal=goal)}]
    chat.append({"role": "user", "content": CUSTOMER_START})
    for said, answered in exchanges:
        chat += [{"role": "assistant", "content": said}, {"role": "user", "content": answered}]
    return chat


async def next_message(client: Any, config: JudgeConfig, goal: str, exchanges: Sequence[tuple[str, str]]) -> str:
    """The customer's next message: the first line of the model's reply, without quotes or a role label."""
    import openai

    try:
        reply = await client.chat.completions.create(
            model=config.model,
            messages=customer_messages(goal, exchanges),
            max_tokens=min(config.max_tokens, MESSAGE_MAX_TOKENS),
            temperature=0.0,
        )
    except openai.APIError as exc:
        raise ModelServerError(f"The LLM customer at {config.url} failed: {exc.__class__.__name__}.") from exc
    text = clean_message(reply.choices[0].message.content or "")
    if not text:
        raise ModelServerError(f"The LLM customer at {config.url} wrote an empty message.")
    return text


def clean_message(reply: str) -> str:
    """The reply's first non-empty line, without a `Customer:` label or surrounding quotes, cut to length."""
    line = next((part.strip() for part in reply.splitlines() if part.strip()), "")
    for label in ("customer:", "me:", "user:"):
        if line.lower().startswith(label):
            line = line[len(label) :].strip()
    return line.strip("\"'").strip()[:MESSAGE_MAX_CHARS]


def check_requests(run: JudgeRun) -> None:
    """Stop when the client sent a request anywhere but the configured URL."""
    if run.foreign_requests():
        raise ConfigurationError(f"The LLM customer's client sent requests elsewhere than {run.config.url}: stopping.")
