"""The graph on the event loop: many conversations at once, none sees another's state."""

from __future__ import annotations

import asyncio
import dataclasses

from agent.checkpoint import open_async_checkpointer
from agent.scope.guard import ScopeDecision
from agent.service import Assistant, Done, Token
from tests.fakes import EchoChatModel, ScriptedGuard, fake_services

USERS, TURNS = 20, 5


def question(user: int, turn: int) -> str:
    # Letters, not digits: the echoed answer's numbers would have to be in the passages (answer_banking).
    letters = "abcdefghijklmnopqrstuvwxyz"
    return f"What is the fee for an outgoing domestic wire transfer, user {letters[user]} turn {letters[turn]}?"


async def converse(assistant: Assistant, user: int) -> list:
    """One user's turns, one after another, on their own thread."""
    return [await assistant.aask(question(user, turn), thread_id=f"user-{user}") for turn in range(TURNS)]


async def run_users(settings) -> tuple[list[list], Assistant, dict]:
    echo = EchoChatModel()
    guard = ScriptedGuard([ScopeDecision("banking", 1.0)] * (USERS * TURNS + 1))
    services = dataclasses.replace(fake_services(settings), synthesizer=echo, answerer=echo, guard=guard)
    async with open_async_checkpointer(f"sqlite:///{settings.data_dir / 'checkpoints.db'}") as checkpointer:
        assistant = Assistant(services, checkpointer)
        results = await asyncio.gather(*(converse(assistant, user) for user in range(USERS)))
        states = {u: (await assistant.graph.aget_state({"configurable": {"thread_id": f"user-{u}"}})).values
                  for u in range(USERS)}  # fmt: skip
        streamed = [event async for event in assistant.astream(question(0, TURNS), thread_id="user-0")]
    return results, assistant, {"states": states, "streamed": streamed}


def test_twenty_users_at_once_each_get_their_own_answers_and_history(isolated_settings):
    results, _, seen = asyncio.run(run_users(isolated_settings))
    for user, turns in enumerate(results):
        for turn, result in enumerate(turns):
            assert result.thread_id == f"user-{user}"
            assert result.answer == f"You asked: {question(user, turn)}"
        said = [m.text for m in seen["states"][user]["messages"] if m.type == "human"]
        assert said == [question(user, turn) for turn in range(TURNS)]  # none lost, none crossed


def test_a_streamed_async_turn_yields_tokens_then_the_result(isolated_settings):
    _, _, seen = asyncio.run(run_users(isolated_settings))
    events = seen["streamed"]
    assert isinstance(events[-1], Done) and events[-1].result.thread_id == "user-0"
    assert "".join(e.text for e in events if isinstance(e, Token)) == events[-1].result.answer
