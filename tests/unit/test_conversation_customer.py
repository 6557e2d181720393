"""The LLM customer (`--judge-url`): a fake OpenAI-compatible server on loopback writes the customer's messages."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.checkpoint import open_async_checkpointer
from agent.scope.guard import ScopeDecision
from agent.service import Assistant
from evals.conversation_checks import TurnChecker
from evals.conversation_customer import clean_message, next_message
from evals.conversation_generate import script
from evals.conversation_personas import Persona
from evals.conversation_result import ConversationSuite
from evals.conversations import LLM_TRANSCRIPTS, run_llm_customers, write_transcripts
from evals.loopback_server import free_port
from evals.rag_judge import JudgeConfig, JudgeRun, judge_client, verify_judge
from tests.fakes import EchoChatModel, ScriptedGuard, fake_services
from tools.errors import ModelServerError

GOAL = "Find out how long an international wire takes."
REPLIES = ['Customer: "And how long does an international wire take?"\nI hope soon.', "Thanks, that helps!", "Bye."]


class FakeChatServer(ThreadingHTTPServer):
    """`POST /v1/chat/completions` answered from a queue of replies; every request body is kept."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__(("127.0.0.1", free_port()), ChatHandler)
        self.replies, self.requests = list(replies), []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: FakeChatServer

    def do_POST(self) -> None:  # noqa: N802 (the http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, **body})
        content = self.server.replies.pop(0) if self.server.replies else "OK"
        reply = {
            "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }  # fmt: skip
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_) -> None:
        pass


@pytest.fixture
def server():
    served = FakeChatServer(REPLIES)
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def persona() -> Persona:
    turns = [{"say": "What does an international wire cost?"}, *[{"say": "ok"}] * 3]
    row = {"id": "llm", "kind": "follow_up", "role": "customer", "customer": "C0001", "goal": GOAL, "turns": turns}
    return Persona.model_validate(row)


async def converse(settings, config: JudgeConfig):
    """The persona on the graph with fakes (a scripted guard, a model that echoes), the LLM writing its messages."""
    guard = ScriptedGuard([ScopeDecision("banking", 1.0)] * 4)
    echo = EchoChatModel()
    services = dataclasses.replace(fake_services(settings, guard=guard), synthesizer=echo, answerer=echo)
    async with open_async_checkpointer(f"sqlite:///{settings.data_dir / 'checkpoints.db'}") as checkpointer:
        assistant = Assistant(services, checkpointer)
        conversation = script(persona(), {"C0001": "Alice Kowalski"})
        return await run_llm_customers(assistant, TurnChecker(services.reports, ""), [conversation], config)


def test_the_llm_writes_every_message_after_the_first_and_its_transcript_is_kept(isolated_settings, server, tmp_path):
    config = JudgeConfig(url=server.url, model="customer-llm")
    results = asyncio.run(converse(isolated_settings, config))
    said = [turn.message for turn in results[0].turns]
    assert said == ["What does an international wire cost?", "And how long does an international wire take?",
                    "Thanks, that helps!", "Bye."]  # fmt: skip
    # The LLM's messages went through the graph as the customer's: the echoing model answers what it was asked
    assert results[0].turns[1].answer == f"You asked: {said[1]}" and results[0].writer == "customer-llm"
    # The model speaks as the customer: its own messages are `assistant`, the bank's answers `user`
    last = server.requests[-1]
    assert last["path"] == "/v1/chat/completions" and last["model"] == "customer-llm" and last["temperature"] == 0
    roles = [m["role"] for m in last["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"]
    assert GOAL in last["messages"][0]["content"] and last["messages"][3]["content"] == results[0].turns[0].answer
    write_transcripts(tmp_path, ConversationSuite([], 30, llm_results=results))
    kept = json.loads((tmp_path / LLM_TRANSCRIPTS).read_text())
    assert kept["writer"] == "customer-llm" and [t["message"] for t in kept["turns"]] == said


def test_the_llm_customer_is_checked_like_a_judge_and_fails_in_one_line(server):
    verify_judge(JudgeConfig(url=server.url, model="customer-llm"))  # the same first request as the RAG judge's

    async def ask(url: str) -> str:
        config = JudgeConfig(url=url, model="customer-llm")
        client = judge_client(config, JudgeRun(config))
        try:
            return await next_message(client, config, GOAL, [("hi", "Hello!")])
        finally:
            await client.close()

    with pytest.raises(ModelServerError, match="The LLM customer at http://127.0.0.1:9/v1 failed: APIConnectionError"):
        asyncio.run(ask("http://127.0.0.1:9/v1"))


def test_a_reply_is_cut_to_one_clean_chat_message():
    assert clean_message('\n  Customer: "Where is my card?"\nAssistant: ...') == "Where is my card?"
    assert clean_message("x" * 2000) == "x" * 600
    assert clean_message("   \n") == ""
