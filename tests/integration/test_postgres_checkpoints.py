"""Conversations persist in Postgres when the checkpoint URL names it: a real server on loopback."""

from agent import prompts
from agent.checkpoint import open_checkpointer
from agent.service import Assistant
from tests.fakes import fake_services


def test_a_thread_continues_across_assistants_on_postgres(isolated_settings, postgres_url):
    with open_checkpointer(postgres_url) as checkpointer:
        Assistant(fake_services(isolated_settings, ["Wires cost $25 [1]."]), checkpointer).ask(
            "What is the fee for an outgoing domestic wire transfer?", thread_id="pg-1"
        )
    with open_checkpointer(postgres_url) as checkpointer:  # a new process would see the same
        assistant = Assistant(fake_services(isolated_settings, ["Hello!"]), checkpointer)
        assistant.ask("Hello", thread_id="pg-1")
        messages = assistant.graph.get_state({"configurable": {"thread_id": "pg-1"}}).values["messages"]
        assert [m.content for m in messages] == [
            "What is the fee for an outgoing domestic wire transfer?",
            "Wires cost $25 [1].",
            "Hello",
            prompts.SMALLTALK_REPLIES["greeting"],  # small talk's replies are fixed
        ]
        assert "pg-1" in assistant.list_threads()
