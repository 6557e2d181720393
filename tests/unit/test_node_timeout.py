"""On the event loop every node runs under BANKASSIST_NODE_TIMEOUT_S: a stuck step ends the turn at the limit
with one clear message, and nothing of it lands in the thread."""

import asyncio
import time

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.memory import InMemorySaver
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


def test_a_stuck_node_ends_the_turn_at_the_limit_and_leaves_nothing_in_the_thread(isolated_settings, tmp_path):
    settings = isolated_settings.model_copy(update={"node_timeout_s": 0.5})
    services = fake_services(settings, ["A domestic wire costs $25 [1]."] * 2)
    # Warm up what loads on first use (presidio's recognizers take seconds in a busy worker) on another
    # thread, outside the limit: only the stuck step below may reach it.
    Assistant(services, InMemorySaver()).ask(WIRE)

    async def turns() -> tuple[float, list[dict[str, str]]]:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.db")) as saver:
            assistant = Assistant(services, saver)
            await assistant.aask(WIRE, thread_id="t")
            services.answerer = SlowChatModel(seconds=2)
            started = time.perf_counter()
            with pytest.raises(ModelServerError, match=r"took longer than 0.5 s \(BANKASSIST_NODE_TIMEOUT_S\)"):
                await assistant.aask("And on weekends?", thread_id="t")
            waited = time.perf_counter() - started
            await asyncio.sleep(2)  # the stuck call returns in the background: its answer must not land
            services.answerer = scripted_model(["International wires cost $45 [1]."])
            await assistant.aask("And international wires?", thread_id="t")
            return waited, await assistant.athread_messages("t")

    waited, messages = asyncio.run(turns())
    assert waited < 1.8  # the turn ended at the limit, not when the model did
    assert [m["content"] for m in messages] == [
        WIRE, "A domestic wire costs $25 [1].", "And international wires?", "International wires cost $45 [1]."
    ]  # fmt: skip
