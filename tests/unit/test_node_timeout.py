"""Every node runs under BANKASSIST_NODE_TIMEOUT_S: a stuck step ends the turn with one clear message."""

import asyncio
import sqlite3
import time

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent.service import Assistant
from tests.fakes import fake_services, scripted_model
from tools.errors import ModelServerError

WIRE = "What is the fee for an outgoing domestic wire transfer?"


class SlowChatModel(BaseChatModel):
    """Answers, but only after `seconds`, like a model stuck behind a long queue."""

    seconds: float

    @property
    def _llm_type(self) -> str:
        return "slow"

    def _generate(self, *args, **kwargs) -> ChatResult:
        time.sleep(self.seconds)
        return ChatResult(generations=[ChatGeneration(message=AIMessage("Too late [1]."))])


def test_a_stuck_node_ends_the_turn_with_a_clear_error_and_the_thread_goes_on(isolated_settings, tmp_path):
    settings = isolated_settings.model_copy(update={"node_timeout_s": 0.5})
    services = fake_services(settings)
    services.synthesizer = SlowChatModel(seconds=3)
    connection = sqlite3.connect(tmp_path / "checkpoints.db", check_same_thread=False)
    assistant = Assistant(services, SqliteSaver(connection))
    with pytest.raises(ModelServerError, match=r"took longer than 0.5 s \(BANKASSIST_NODE_TIMEOUT_S\)"):
        assistant.ask(WIRE, thread_id="slow")
    services.synthesizer = scripted_model(["A domestic wire costs $25 [1]."])
    assert assistant.ask(WIRE, thread_id="slow").answer == "A domestic wire costs $25 [1]."
    connection.close()


def test_on_the_event_loop_a_stuck_node_does_not_hold_the_turn(isolated_settings, tmp_path):
    settings = isolated_settings.model_copy(update={"node_timeout_s": 0.5})
    services = fake_services(settings)
    services.synthesizer = SlowChatModel(seconds=5)

    async def one_turn() -> float:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.db")) as saver:
            started = time.perf_counter()
            with pytest.raises(ModelServerError, match="took longer than 0.5 s"):
                await Assistant(services, saver).aask(WIRE)
            return time.perf_counter() - started

    assert asyncio.run(one_turn()) < 4  # the web UI's turn ends at the limit, not when the model does
