"""The graph LangGraph's server runs, on fakes: the raw message is never checkpointed, and a run's facts are checked."""

from __future__ import annotations

import pickle

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from agent import prompts
from agent.langgraph_server import graph as server_graph
from agent.langgraph_server.auth import api_key
from agent.langgraph_server.run_facts import RunFacts, asker, check_context_fields, check_run_payload
from agent.scope.guard import ScopeDecision
from tests.fakes import ScriptedGuard, fake_services
from tools.account_actions import action_status
from tools.errors import InvalidInputError, PermissionDeniedError, UnknownCustomerError

CARD = "4111 1111 1111 1111"
ALICE = {"identity": "alice", "role": "customer", "customer_id": "C0001"}
ANA = {"identity": "ana", "role": "analyst", "customer_id": None}


@pytest.fixture
def served(isolated_settings, monkeypatch):
    """The server graph on fake services and an in-memory checkpointer, as the server would compile it."""
    guard = ScriptedGuard([ScopeDecision("banking", 0.99)] * 3)
    services = fake_services(isolated_settings, synthesizer_replies=["A domestic wire costs $25 [1]."] * 3, guard=guard)
    monkeypatch.setattr(server_graph, "_built_services", lambda: services)
    saver = InMemorySaver()
    yield server_graph.compile_server_graph(saver), saver
    services.close()


def test_the_raw_message_reaches_no_checkpoint_or_write_but_the_masked_one_does(served):
    graph, saver = served
    config = {"configurable": {"thread_id": "t1"}}
    values = graph.invoke({"message": f"My card {CARD}: what does a wire cost?"}, config, context=RunFacts("C0001"))
    assert values["messages"][0].content == "My card <CARD_1>: what does a wire cost?"
    stored = pickle.dumps((dict(saver.storage), dict(saver.writes), dict(saver.blobs)))
    assert b"<CARD_1>" in stored and CARD.encode() not in stored and b"4111" not in stored
    assert "message" not in graph.get_state(config).values


def test_a_second_turn_starts_its_per_turn_keys_empty_and_keeps_the_customer(served):
    graph, _ = served
    config = {"configurable": {"thread_id": "t2"}}
    graph.invoke({"message": "What does a wire cost?"}, config, context=RunFacts("C0001"))
    values = graph.invoke({"message": "And an incoming one?"}, config, context=RunFacts("C0001"))
    assert len(values["messages"]) == 4 and values["customer_id"] == "C0001"
    assert set(values["timings_ms"]) >= {"begin_turn", "mask_pii", "answer_banking", "check_output"}


def test_an_action_waits_in_the_checkpoint_and_a_resume_runs_it(served):
    graph, _ = served
    config = {"configurable": {"thread_id": "t6"}}
    graph.invoke({"message": "freeze my debit card"}, config, context=RunFacts("C0001"))
    assert graph.get_state(config).interrupts  # saved where the run stopped to wait
    values = graph.invoke(Command(resume={"decision": "confirm"}), config, context=RunFacts("C0001"))
    assert values["action_outcome"]["status"] == "done"
    cards = server_graph.server_services().accounts.cards("C0001")
    assert next(c.status for c in cards if c.kind == "debit") == "frozen"


def test_a_new_message_cancels_the_action_the_thread_waits_on(served):
    graph, _ = served
    config = {"configurable": {"thread_id": "t7"}}
    graph.invoke({"message": "freeze my debit card"}, config, context=RunFacts("C0001"))
    pending = graph.get_state(config).values["pending_action"]
    values = graph.invoke({"message": "What does a wire cost?"}, config, context=RunFacts("C0001"))
    assert action_status(server_graph.server_services().accounts, pending["id"], "C0001") == "cancelled"
    assert values["pending_action"] is None
    said = [m.content for m in values["messages"]]
    assert said[2:4] == [prompts.ACTION_SUPERSEDED, "What does a wire cost?"]  # the notice, then the new turn


def test_a_canned_reply_node_runs_there_too(isolated_settings, monkeypatch):
    """Nodes that take only the state (small talk, refusals) run through the same wrapper."""
    services = fake_services(isolated_settings, guard=ScriptedGuard([ScopeDecision("smalltalk", 0.95)]))
    monkeypatch.setattr(server_graph, "_built_services", lambda: services)
    graph = server_graph.compile_server_graph(InMemorySaver())
    values = graph.invoke({"message": "hello there"}, {"configurable": {"thread_id": "t5"}}, context=RunFacts())
    assert values["route"] == "smalltalk" and values["messages"][-1].content
    services.close()


def test_an_empty_message_or_an_unknown_customer_fails_the_run_with_our_sentence(served):
    graph, _ = served
    with pytest.raises(InvalidInputError, match="The message is empty"):
        graph.invoke({"message": "  "}, {"configurable": {"thread_id": "t3"}}, context=RunFacts("C0001"))
    with pytest.raises(UnknownCustomerError):
        graph.invoke({"message": "hi"}, {"configurable": {"thread_id": "t4"}}, context=RunFacts("C9999"))


def test_a_customers_login_decides_the_customer_and_role():
    assert asker(RunFacts(), ALICE) == asker(RunFacts("C0001"), ALICE)
    assert asker(RunFacts(), ALICE).customer_id == "C0001" and asker(RunFacts(), ALICE).user == "alice"
    with pytest.raises(PermissionDeniedError, match="their own customer id"):
        asker(RunFacts("C0002"), ALICE)
    with pytest.raises(PermissionDeniedError, match="cannot change it"):
        asker(RunFacts(role="analyst"), ALICE)


def test_an_analyst_names_any_customer_but_takes_no_decision():
    assert asker(RunFacts("C0002"), ANA).customer_id == "C0002"
    with pytest.raises(PermissionDeniedError, match="cannot act"):
        asker(RunFacts("C0002"), ANA, acting=True)


def test_without_a_login_the_context_is_the_operators():
    assert asker(RunFacts("C0002", "analyst"), None).role == "analyst"
    assert asker(RunFacts(), {"identity": "langgraph-studio-user"}).role == "customer"


@pytest.mark.parametrize(
    ("context", "sentence"),
    [
        ({"colour": "red"}, "Unknown run context field 'colour'"),
        ({"customer_id": 7}, "A customer id is"),
        ({"customer_id": "../etc"}, "A customer id is"),
        ({"role": "admin"}, "The role must be one of"),
    ],
)
def test_a_malformed_context_is_one_sentence(context, sentence):
    with pytest.raises(InvalidInputError, match=sentence):
        check_context_fields(context)


@pytest.mark.parametrize(
    ("turn_input", "command", "sentence"),
    [
        (None, None, "A run's input is"),
        ({"messages": []}, None, "A run's input is"),
        ({"message": 5}, None, "A run's input is"),
        ({"message": "x" * 5000}, None, "characters long"),
        (None, {"resume": "yes"}, "A decision is"),
        (None, {"goto": "confirm_action", "resume": {"decision": "confirm"}}, "A decision is"),
        (None, {"resume": {"decision": "maybe"}}, 'must be "confirm" or "cancel"'),
    ],
)
def test_a_malformed_run_payload_is_one_sentence(turn_input, command, sentence):
    with pytest.raises(InvalidInputError, match=sentence):
        check_run_payload(turn_input, command, 2000)


def test_a_message_or_a_decision_passes():
    check_run_payload({"message": "What does a wire cost?"}, None, 2000)
    check_run_payload(None, {"resume": {"decision": "cancel"}}, 2000)


def test_the_key_comes_from_x_api_key_or_a_bearer_header():
    assert api_key({b"x-api-key": b" bk_1 "}) == "bk_1"
    assert api_key({b"authorization": b"Bearer bk_2"}) == "bk_2"
    assert api_key({b"authorization": b"Basic abc"}) is None and api_key({}) is None
