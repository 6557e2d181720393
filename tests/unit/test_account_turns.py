"""Account turns through the graph: read answers, proposals that wait on an interrupt, decisions run once."""

import asyncio
import json
import sqlite3

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent import prompts
from agent.scope.guard import ScopeDecision
from agent.service import Assistant, Done
from tests.fakes import ScriptedGuard, fake_services
from tools.errors import NothingToConfirmError, PermissionDeniedError

BANKING = ScopeDecision("banking", 0.9)


@pytest.fixture
def open_assistant(isolated_settings, tmp_path):
    """Assistants on one data dir and checkpoint file: a second one is the app after a restart."""
    connections = []

    def opened(turns: int = 6) -> Assistant:
        connections.append(sqlite3.connect(tmp_path / "checkpoints.db", check_same_thread=False))
        services = fake_services(isolated_settings, guard=ScriptedGuard([BANKING] * turns))
        return Assistant(services, SqliteSaver(connections[-1]))

    yield opened
    for connection in connections:
        connection.close()


def debit_status(assistant, customer="C0001"):
    return next(c.status for c in assistant.services.accounts.cards(customer) if c.kind == "debit")


def test_a_balance_question_is_answered_from_the_ledger(open_assistant):
    assistant = open_assistant()
    result = assistant.ask("what's my balance?", customer_id="C0001")
    accounts = assistant.services.accounts.accounts("C0001")
    assert result.route == "account" and result.pending_action is None
    assert all(a.last4 in result.answer for a in accounts) and result.facts_source == "accounts"
    assert list(result.timings_ms) == ["mask_pii", "guard_scope", "use_account", "check_output"]


def test_an_action_waits_for_confirmation_then_runs_once(open_assistant, isolated_settings):
    assistant = open_assistant()
    proposal = assistant.ask("freeze my debit card", customer_id="C0001", thread_id="t")
    assert proposal.pending_action["kind"] == "freeze_card" and prompts.CONFIRM_QUESTION in proposal.answer
    assert debit_status(assistant) == "active"  # nothing happens before the decision
    assert assistant.thread_messages("t")[-1]["content"] == proposal.answer
    done = assistant.decide("t", "confirm", customer_id="C0001", action_id=proposal.pending_action["id"])
    assert done.action_outcome["status"] == "done" and debit_status(assistant) == "frozen"
    with pytest.raises(NothingToConfirmError, match="already done"):
        assistant.decide("t", "confirm", customer_id="C0001", action_id=proposal.pending_action["id"])
    audit = [json.loads(line) for line in isolated_settings.audit_log_path.read_text().splitlines()]
    assert audit[-1]["action"] == {"id": proposal.pending_action["id"], "kind": "freeze_card", "status": "done"}
    assert audit[-2]["pending_action"] == proposal.pending_action["id"]


def test_a_pending_action_survives_a_restart(open_assistant):
    first = open_assistant()
    proposal = first.ask("freeze my debit card", customer_id="C0001", thread_id="t")
    first.services.close()
    restarted = open_assistant()
    done = restarted.decide("t", "confirm", customer_id="C0001", action_id=proposal.pending_action["id"])
    assert done.action_outcome["status"] == "done" and debit_status(restarted) == "frozen"


def test_cancel_changes_nothing_and_a_later_confirm_is_only_answered(open_assistant):
    assistant = open_assistant()
    proposal = assistant.ask("move $100 to my savings", customer_id="C0001", thread_id="t")
    before = assistant.services.accounts.accounts("C0001")
    cancelled = assistant.decide("t", "cancel", customer_id="C0001")
    assert cancelled.answer == "Cancelled: nothing was changed."
    with pytest.raises(NothingToConfirmError, match="cancelled earlier"):
        assistant.decide("t", "confirm", customer_id="C0001", action_id=proposal.pending_action["id"])
    assert assistant.services.accounts.accounts("C0001") == before


def test_a_typed_yes_confirms_and_a_new_question_supersedes(open_assistant):
    assistant = open_assistant()
    assistant.ask("freeze my debit card", customer_id="C0001", thread_id="t")
    assert assistant.ask("yes", customer_id="C0001", thread_id="t").action_outcome["status"] == "done"
    assistant.ask("unfreeze my debit card", customer_id="C0001", thread_id="t")
    other = assistant.ask("what's my balance?", customer_id="C0001", thread_id="t")
    assert other.route == "account" and other.pending_action is None and debit_status(assistant) == "frozen"
    messages = [m["content"] for m in assistant.thread_messages("t")]
    assert prompts.ACTION_SUPERSEDED in messages


def test_an_analyst_may_read_but_not_act(open_assistant):
    assistant = open_assistant()
    read = assistant.ask("what's my balance?", customer_id="C0001", role="analyst")
    assert "available balance" in read.answer
    refused = assistant.ask("freeze my debit card", customer_id="C0001", thread_id="t", role="analyst")
    assert refused.answer == prompts.ANALYST_CANNOT_ACT and refused.pending_action is None
    with pytest.raises(PermissionDeniedError):
        assistant.decide("t", "confirm", customer_id="C0001", role="analyst")


def signed_out(settings, replies=(), decision=BANKING) -> Assistant:
    services = fake_services(settings, guard=ScriptedGuard([decision]), synthesizer_replies=replies)
    return Assistant(services, InMemorySaver())


def test_signed_out_an_own_account_question_gets_the_policy_and_the_pointer_to_sign_in(isolated_settings):
    assistant = signed_out(isolated_settings, ["Your balance is shown in the app under Accounts."])
    result = assistant.ask("what's my balance?")
    assert result.route == "banking" and result.facts_source != "accounts"  # the policy, not a ledger
    assert result.answer == f"Your balance is shown in the app under Accounts. {prompts.SIGN_IN_FOR_ACCOUNTS}"


def test_an_analyst_without_a_customer_also_gets_the_policy_for_an_own_account_question(isolated_settings):
    assistant = signed_out(isolated_settings, ["Your balance is shown in the app under Accounts."])
    result = assistant.ask("what's my balance?", role="analyst")
    assert result.route == "banking" and result.answer.endswith(prompts.SIGN_IN_FOR_ACCOUNTS)


def test_signed_out_nothing_is_read_and_a_lookup_the_policy_cannot_answer_asks_to_sign_in(isolated_settings):
    nothing_relevant = isolated_settings.model_copy(update={"retrieval_min_score": 2.0})
    result = signed_out(nothing_relevant).ask("what's my balance?")
    # The phone line and secure messages answer what neither the policy nor a signed-out ledger can.
    assert result.answer == prompts.NO_ACCOUNT_CUSTOMER + prompts.HELP_WITHOUT_SIGNING_IN and result.sources == []


def test_an_analyst_without_a_customer_gets_no_line_for_the_signed_out_where_the_policy_cannot_answer(
    isolated_settings,
):
    nothing_relevant = isolated_settings.model_copy(update={"retrieval_min_score": 2.0})
    result = signed_out(nothing_relevant).ask("what's my balance?", role="analyst")
    assert result.route == "banking" and result.answer == prompts.NO_ACCOUNT_CUSTOMER


def test_signed_out_an_own_account_question_the_guard_is_unsure_of_is_asked_to_sign_in_with_the_contact_line(
    isolated_settings,
):
    # The band's own-account messages are mostly lookups the policy cannot answer ("was I paid this week?"):
    # the policy is not tried, and the contact channel answers what a signed-out ledger cannot.
    unsure = ScopeDecision("clarify", 0.5, 0.5)
    result = signed_out(isolated_settings, ["Your balance is shown in the app."], unsure).ask("what's my balance?")
    assert result.route == "account" and result.sources == []
    assert result.answer == prompts.NO_ACCOUNT_CUSTOMER + prompts.HELP_WITHOUT_SIGNING_IN


def test_an_analyst_without_a_customer_is_asked_to_pick_one_without_the_line_for_the_signed_out(isolated_settings):
    unsure = ScopeDecision("clarify", 0.5, 0.5)
    assistant = signed_out(isolated_settings, ["Your balance is shown in the app."], unsure)
    result = assistant.ask("what's my balance?", role="analyst")
    assert result.route == "account" and result.answer == prompts.NO_ACCOUNT_CUSTOMER


def test_a_policy_question_signed_out_gets_no_pointer_to_sign_in(isolated_settings):
    result = signed_out(isolated_settings, ["Wires sent before 3 p.m. go out the same day."]).ask(
        "when do wires go out?"
    )
    assert result.route == "banking" and prompts.SIGN_IN_FOR_ACCOUNTS not in result.answer


def test_another_customers_card_gets_a_question_and_no_action(open_assistant):
    assistant = open_assistant()
    their_card = assistant.services.accounts.cards("C0002")[0]
    result = assistant.ask(f"freeze my card ending {their_card.last4}", customer_id="C0001")
    assert result.pending_action is None and f"can't find a card ending {their_card.last4}" in result.answer
    assert assistant.services.accounts.cards("C0002")[0] == their_card


def test_a_bad_decision_word_is_refused(open_assistant):
    with pytest.raises(Exception, match='"confirm" or "cancel"'):
        open_assistant().decide("t", "maybe", customer_id="C0001")


def test_streamed_and_async_turns_carry_the_pending_action(open_assistant, tmp_path):
    assistant = open_assistant()
    events = list(assistant.stream("freeze my debit card", customer_id="C0001", thread_id="s"))
    assert isinstance(events[-1], Done) and events[-1].result.pending_action is not None

    async def on_the_loop():
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.db")) as saver:
            loop_assistant = Assistant(assistant.services, saver)
            streamed = [e async for e in loop_assistant.astream("freeze my debit card", "C0001", "a")]
            return await loop_assistant.adecide("a", "confirm", "C0001", None, "customer",
                                                streamed[-1].result.pending_action["id"])  # fmt: skip

    assert asyncio.run(on_the_loop()).action_outcome["status"] == "done"
    assert debit_status(assistant) == "frozen"


def test_asking_for_a_person_opens_one_case_with_the_masked_transcript(open_assistant):
    assistant = open_assistant()
    card_number = "4111 1111 1111 1111"
    assistant.ask(f"my card {card_number} was charged twice", customer_id="C0001", thread_id="h")
    first = assistant.ask("I want to talk to a human", customer_id="C0001", thread_id="h")
    again = assistant.ask("can I speak to someone please", customer_id="C0001", thread_id="h")
    (case,) = assistant.services.accounts.cases()
    assert first.route == "handoff" and case.id in first.answer and case.id in again.answer
    assert case.kind == "handoff" and case.customer_id == "C0001" and case.subject == "asked for a person"
    assert "<CARD_1>" in case.transcript and card_number not in case.transcript


def test_a_fraud_report_is_handed_to_a_person_with_a_way_to_lock_the_card(open_assistant):
    result = open_assistant().ask("someone hacked my account and my money is gone", customer_id="C0001")
    assert result.route == "handoff" and "freeze my card" in result.answer


def test_a_third_miss_in_a_row_offers_a_person(isolated_settings, tmp_path):
    refusing = ScriptedGuard([ScopeDecision("out_of_scope", 0.99, 0.01)] * 3)
    connection = sqlite3.connect(tmp_path / "c.db", check_same_thread=False)
    assistant = Assistant(fake_services(isolated_settings, guard=refusing), SqliteSaver(connection))
    replies = [assistant.ask(text, thread_id="m").answer for text in ("tell me a joke", "a poem then", "sing")]
    assert replies[0] == replies[1] == prompts.REFUSAL and replies[2] == prompts.REFUSAL + prompts.HANDOFF_OFFER
    connection.close()


def test_a_why_question_no_policy_sentence_explains_gets_the_ledger_answer_alone(open_assistant):
    from retrieval.answer_selector import AnswerSelector, SelectorWeights

    assistant = open_assistant()
    never_sure = SelectorWeights({"cosine": 10.0}, -5.0, 0.999, 1.01)  # every page retrieved, no sentence chosen
    assistant.services.selector = AnswerSelector(assistant.services.retriever.embedder, never_sure)
    result = assistant.ask("why was I charged a fee on my last transfer?", customer_id="C0001")
    assert result.route == "account" and result.facts_source == "accounts"
    assert "Why:" not in result.answer and prompts.CONTACT_LINE not in result.answer and result.sources == []
