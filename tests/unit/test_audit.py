"""The audit log: one JSON line per turn, with who, what route and which models, and never raw PII."""

import asyncio
import json
import re
import sqlite3

import pytest
from langchain_core.language_models import BaseChatModel
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent.service import Assistant
from evals.pii_set import STRUCTURED, generate
from tests.fakes import fake_services

WIRE = "What is the fee for an outgoing domestic wire transfer?"
KEYS = {"ts", "thread_id", "user", "customer_id", "models", "latency_ms", "outcome"}


class BrokenChatModel(BaseChatModel):
    """A model whose every call fails, as a dead model server's would."""

    @property
    def _llm_type(self) -> str:
        return "broken"

    def _generate(self, *args, **kwargs):
        raise ConnectionError("the model server went away")


@pytest.fixture
def checkpointer(tmp_path):
    connection = sqlite3.connect(tmp_path / "checkpoints.db", check_same_thread=False)
    yield SqliteSaver(connection)
    connection.close()


def audit_lines(settings) -> list[dict]:
    return [json.loads(line) for line in settings.audit_log_path.read_text().splitlines()]


def pii_messages(count: int) -> list[tuple[str, list[str]]]:
    """Generated chat strings with structured PII, and the raw values each holds."""
    samples = [s for s in generate(seed=7, count=200) if any(g.kind in STRUCTURED for g in s.gold)]
    return [(s.text, [g.value for g in s.gold if g.kind in STRUCTURED]) for s in samples[:count]]


def test_each_turn_is_one_line_with_who_what_and_which_models(isolated_settings, checkpointer):
    assistant = Assistant(fake_services(isolated_settings, ["A domestic wire costs $25 [1]."]), checkpointer)
    result = assistant.ask(WIRE, customer_id="C0001", thread_id="t-1", user="alice")
    [line] = audit_lines(isolated_settings)
    assert KEYS | {"route", "source_ids", "masked_input", "output_check"} <= set(line)
    assert (line["user"], line["customer_id"], line["thread_id"]) == ("alice", "C0001", "t-1")
    assert line["outcome"] == "answered" and line["route"] == "banking"
    assert line["source_ids"] == [s["id"] for s in result.sources] and line["masked_input"] == WIRE
    assert line["models"]["synthesizer"] == isolated_settings.base_model and line["latency_ms"] > 0
    assert line["models"]["engine"] == "ctranslate2-int8"


def test_the_log_holds_no_raw_pii_of_generated_messages(isolated_settings, checkpointer):
    messages = pii_messages(25)
    replies = ["Please call us about that [1]."] * 2 * len(messages)  # enough for any route, a retry included
    facts = ["Good:- No change was found."] * len(messages)  # for messages the guard sends to the credit route
    assistant = Assistant(fake_services(isolated_settings, replies, facts), checkpointer)
    for text, _ in messages:
        assistant.ask(text, customer_id="C0001", user="bob")
    log = isolated_settings.audit_log_path.read_text()
    assert len(log.splitlines()) == len(messages)
    digits_only = re.sub(r"\D", "", log)
    for _, values in messages:
        for value in values:
            assert value not in log
            if sum(c.isdigit() for c in value) >= 9:  # the number written any other way
                assert re.sub(r"\D", "", value) not in digits_only
    assert "<" in log  # the masked input is there, with its placeholders


def test_a_failed_turn_is_logged_as_an_error_without_its_text(isolated_settings, checkpointer):
    services = fake_services(isolated_settings)
    services.answerer = BrokenChatModel()
    with pytest.raises(ConnectionError):
        Assistant(services, checkpointer).ask(WIRE + " My SSN is 536-22-8417.", user="alice")
    [line] = audit_lines(isolated_settings)
    assert line["outcome"] == "error" and line["error"] and "masked_input" not in line
    assert "536-22-8417" not in json.dumps(line) and "536228417" not in json.dumps(line)  # ids are random hex


def test_streamed_and_async_turns_are_logged_too(isolated_settings, checkpointer, tmp_path):
    services = fake_services(isolated_settings, ["Wires cost $25 [1].", "Hello! How can I help?"])
    list(Assistant(services, checkpointer).stream(WIRE, user="web:ana"))

    async def one_async_turn() -> None:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.db")) as saver:
            await Assistant(services, saver).aask("Hello there!", user="api:bob")

    asyncio.run(one_async_turn())
    assert [line["user"] for line in audit_lines(isolated_settings)] == ["web:ana", "api:bob"]
