"""The account tools offered to a tool-calling model: its call becomes the parser's request, with the same checks."""

import sqlite3
from dataclasses import replace
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langgraph.checkpoint.sqlite import SqliteSaver

from agent import prompts
from agent.account_tools import request_from_model
from agent.scope.guard import ScopeDecision
from agent.service import Assistant
from agent.settings import Settings
from tests.fakes import ScriptedGuard, fake_services
from tools.account_requests import account_kinds


class ToolCallingModel(BaseChatModel):
    """Calls the scripted tools, and records the tools it was offered."""

    calls: list[dict[str, Any]] = []
    offered: list[str] = []

    @property
    def _llm_type(self) -> str:
        return "tool-calling-fake"

    def bind_tools(self, tools, **kwargs):
        self.offered = [tool.name for tool in tools]
        return self

    def _generate(self, messages, stop=None, **kwargs) -> ChatResult:
        calls = [{"id": f"call{i}", **call} for i, call in enumerate(self.calls)]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="", tool_calls=calls))])


def chosen(message, *calls):
    return request_from_model(ToolCallingModel(calls=list(calls)), message)


def test_every_tool_is_offered_and_a_call_becomes_the_request_the_parser_would_make():
    model = ToolCallingModel(calls=[{"name": "freeze_card", "args": {"card": "Credit"}}])
    request = request_from_model(model, "lock the visa ending 4421")
    assert len(model.offered) == 10 and {"balance", "move_money", "dispute"} <= set(model.offered)
    assert request.kind == "freeze_card" and request.card_hint == "credit" and request.is_action


def test_a_search_call_carries_its_filters():
    call = {"name": "transactions", "args": {"merchant": "Amazon", "days_back": 7, "min_amount": 100}}
    request = chosen("big amazon stuff lately?", call)
    assert request.window.label == "in the last 7 days" and request.min_cents == 10_000
    assert "amazon" in request.words and request.max_cents is None


def test_a_money_move_keeps_the_amount_as_typed_and_its_direction():
    call = {"name": "move_money", "args": {"amount": "$250", "to_account": "savings"}}
    request = chosen("shift 250 over please", call)
    assert request.amount_text == "$250" and account_kinds(request.text) == ("checking", "savings")


@pytest.mark.parametrize(
    "calls",
    [
        [],  # no tool called
        [{"name": "wire_abroad", "args": {}}],  # a tool it was not offered
        [{"name": "transactions", "args": {"days_back": 500}}],  # arguments the schema refuses
        [{"name": "move_money", "args": {"amount": "$5"}}],  # a required argument missing
    ],
)
def test_no_valid_call_leaves_the_choice_to_the_parser(calls):
    assert chosen("hello", *calls) is None


def test_tool_calling_needs_the_openai_backend():
    with pytest.raises(ValueError, match="BANKASSIST_BACKEND=openai"):
        Settings(account_tool_calling=True, backend="local")


def test_through_the_graph_the_models_choice_is_proposed_and_waits_for_confirmation(isolated_settings, tmp_path):
    settings = isolated_settings.model_copy(update={"account_tool_calling": True})
    services = fake_services(settings, guard=ScriptedGuard([ScopeDecision("banking", 0.9)] * 2))
    # The parser would read "freeze"; the model's call (report it lost) is what is proposed.
    model = ToolCallingModel(calls=[{"name": "report_lost", "args": {"card": "debit"}}])
    connection = sqlite3.connect(tmp_path / "checkpoints.db", check_same_thread=False)
    assistant = Assistant(replace(services, synthesizer=model), SqliteSaver(connection))
    proposal = assistant.ask("freeze my debit card, it's gone", customer_id="C0001", thread_id="t")
    assert proposal.pending_action["kind"] == "report_lost" and prompts.CONFIRM_QUESTION in proposal.answer
    debit = next(c for c in assistant.services.accounts.cards("C0001") if c.kind == "debit")
    assert debit.status == "active" and "report_lost" in model.offered  # nothing happens before the decision
    done = assistant.decide("t", "confirm", customer_id="C0001", action_id=proposal.pending_action["id"])
    statuses = {c.id: c.status for c in assistant.services.accounts.cards("C0001")}
    assert done.action_outcome["status"] == "done" and statuses[debit.id] == "lost"
    connection.close()
