"""Faults mid-conversation: a model that fails half way through a turn, a locked or read-only checkpoint DB.
Each is one clear error; no completed turn is lost and no half turn stays in the thread."""

import asyncio
import sqlite3

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent.service import Assistant
from tests.fakes import fake_services, scripted_model
from tests.unit.test_audit import BrokenChatModel
from tools.errors import StoreError

WIRE = "What is the fee for an outgoing domestic wire transfer?"
REPLIES = ["Wires cost $25 [1].", "Still $25 [1].", "Yes, $25 [1]."]


def stored_messages(path, thread_id: str) -> list[str]:
    connection = sqlite3.connect(path)
    state = SqliteSaver(connection).get_tuple({"configurable": {"thread_id": thread_id}})
    connection.close()
    return [m.type for m in state.checkpoint["channel_values"]["messages"]]


def test_a_locked_checkpoint_db_is_a_clear_error_and_the_thread_goes_on(isolated_settings, tmp_path):
    path = tmp_path / "checkpoints.db"
    connection = sqlite3.connect(path, timeout=0.2, check_same_thread=False)
    assistant = Assistant(fake_services(isolated_settings, REPLIES), SqliteSaver(connection))
    assistant.ask(WIRE, thread_id="t")
    other = sqlite3.connect(path)
    other.execute("BEGIN EXCLUSIVE")  # another process holds the DB
    with pytest.raises(StoreError, match="database is locked"):
        assistant.ask("And on weekends?", thread_id="t")
    other.rollback()
    assistant.ask("And for international wires?", thread_id="t")
    assert stored_messages(path, "t") == ["human", "ai", "human", "ai"]


def test_a_read_only_checkpoint_db_is_a_clear_error_and_keeps_what_it_holds(isolated_settings, tmp_path):
    path = tmp_path / "checkpoints.db"
    writable = sqlite3.connect(path, check_same_thread=False)
    Assistant(fake_services(isolated_settings, REPLIES), SqliteSaver(writable)).ask(WIRE, thread_id="t")
    writable.close()
    # File modes do not stop root (CI runs as root), so the read-only file is opened the way SQLite sees one.
    read_only = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    with pytest.raises(StoreError, match="readonly"):
        Assistant(fake_services(isolated_settings, REPLIES), SqliteSaver(read_only)).ask("Weekends?", thread_id="t")
    read_only.close()
    assert stored_messages(path, "t") == ["human", "ai"]


def test_a_turn_that_fails_half_way_leaves_no_half_turn(isolated_settings, tmp_path):
    services = fake_services(isolated_settings, ["Wires cost $25 [1]."])
    assistant = Assistant(services, SqliteSaver(sqlite3.connect(tmp_path / "c.db", check_same_thread=False)))
    assistant.ask(WIRE, thread_id="t")
    services.answerer = BrokenChatModel()  # the model server dies after the guard has run
    with pytest.raises(ConnectionError):
        assistant.ask("And on weekends?", thread_id="t")
    assert [m["role"] for m in assistant.thread_messages("t")] == ["user", "assistant"]
    services.answerer = scripted_model(["International wires cost $45 [1]."])
    assistant.ask("And international wires?", thread_id="t")
    contents = [m["content"] for m in assistant.thread_messages("t")]
    assert contents == [WIRE, "Wires cost $25 [1].", "And international wires?", "International wires cost $45 [1]."]


def test_a_first_turn_that_failed_half_way_is_forgotten_on_the_event_loop_too(isolated_settings, tmp_path):
    services = fake_services(isolated_settings)
    services.answerer = BrokenChatModel()

    async def two_turns() -> list[dict[str, str]]:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "a.db")) as saver:
            assistant = Assistant(services, saver)
            with pytest.raises(ConnectionError):
                await assistant.aask(WIRE, thread_id="t")
            services.answerer = scripted_model(["Wires cost $25 [1]."])
            await assistant.aask(WIRE, thread_id="t")
            state = await assistant.graph.aget_state({"configurable": {"thread_id": "t"}})
            return [m.text for m in state.values["messages"]]

    assert asyncio.run(two_turns()) == [WIRE, "Wires cost $25 [1]."]  # the failed turn's question is gone
