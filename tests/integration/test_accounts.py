"""Account turns for real: the trained guard, presidio, the retriever and the small model, real SQLite stores.

Each action is proposed, waits in the thread's checkpoint and runs once; the CLI's processes show the
pending action surviving a restart.
"""

import json

import pytest

from agent.service import open_assistant
from agent.settings import Settings
from tools.errors import NothingToConfirmError

CUSTOMER = "C0002"  # active debit and credit cards


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, converted_model, model_cache_dir):
    """One assistant on a module data dir (the demo ledgers are seeded on first use)."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("accounts"), model_cache_dir=model_cache_dir)
    with open_assistant(settings) as opened:
        yield opened


def confirmed(assistant, text, thread):
    proposal = assistant.ask(text, customer_id=CUSTOMER, thread_id=thread)
    assert proposal.route == "account" and proposal.pending_action, proposal.answer
    return proposal, assistant.decide(thread, "confirm", CUSTOMER, action_id=proposal.pending_action["id"])


def card(assistant, kind):
    return next(c for c in assistant.services.accounts.cards(CUSTOMER) if c.kind == kind and c.status != "lost")


def test_reads_state_only_the_ledgers_figures(assistant):
    balance = assistant.ask("how much money do I have in my accounts?", customer_id=CUSTOMER)
    accounts = assistant.services.accounts.accounts(CUSTOMER)
    assert balance.route == "account" and all(f"${a.balance_cents / 100:,.2f}" in balance.answer for a in accounts)
    rent = assistant.ask("did my rent transfer go through?", customer_id=CUSTOMER)
    assert "Rent transfer" in rent.answer and "Scheduled" in rent.answer
    policy = assistant.ask("How long does an outgoing domestic wire take?", customer_id=CUSTOMER)
    assert policy.route == "banking"  # policy in general is not the customer's ledger


def test_the_account_head_reads_requests_without_my_and_for_a_person(assistant):
    # No own-words for the parser: the guard's trained account head judges them the customer's own.
    savings = assistant.ask("savings balance please", customer_id=CUSTOMER)
    balance = next(a for a in assistant.services.accounts.accounts(CUSTOMER) if a.kind == "savings").balance_cents
    assert savings.route == "account" and f"${balance / 100:,.2f}" in savings.answer
    card_due = assistant.ask("the replacement card you sent still isnt here, its been two weeks", customer_id=CUSTOMER)
    cards = assistant.services.accounts.cards(CUSTOMER)
    assert card_due.route == "account" and all(f"Your {c.label} " in card_due.answer for c in cards)
    # Worded in the first person, yet about the bank's fees and limits: the policy answers them.
    for text in ("How much can I deposit by phone per day?", "What's the monthly fee on checking?"):
        assert assistant.ask(text, customer_id=CUSTOMER).route == "banking", text
    # A request for a person in words the parser lacks, and a question about the assistant in words it has.
    person = assistant.ask("put me through to one of your staff please", customer_id=CUSTOMER)
    assert person.route == "handoff" and "H-" in person.answer
    assert assistant.ask("are you a real person?", customer_id=CUSTOMER).route == "smalltalk"


def test_a_short_follow_up_changes_the_earlier_account_request(assistant):
    first = assistant.ask("show my card payments last week", customer_id=CUSTOMER, thread_id="follow")
    assert first.route == "account" and "in the last 7 days" in first.answer
    later = assistant.ask("and last month?", customer_id=CUSTOMER, thread_id="follow")
    assert later.route == "account" and "Your transactions last month up to" in later.answer
    cards = assistant.ask("is my debit card frozen?", customer_id=CUSTOMER, thread_id="cards")
    other = assistant.ask("what about the credit card?", customer_id=CUSTOMER, thread_id="cards")
    credit = card(assistant, "credit")
    assert cards.route == other.route == "account" and other.answer == f"Your {credit.label} is active."


def test_a_fee_question_gets_the_transaction_and_the_policy_that_explains_it(assistant):
    result = assistant.ask("why was I charged a fee on my last transfer?", customer_id=CUSTOMER)
    assert result.route == "account" and "Outgoing domestic wire fee, -$25.00" in result.answer
    assert "Why:" in result.answer and result.sources and "[1]" in result.answer


def test_freeze_then_unfreeze_each_run_once(assistant):
    _, frozen = confirmed(assistant, "please freeze my debit card", "freeze")
    assert frozen.action_outcome["status"] == "done" and card(assistant, "debit").status == "frozen"
    with pytest.raises(NothingToConfirmError):
        assistant.decide("freeze", "confirm", CUSTOMER)
    _, active = confirmed(assistant, "unfreeze my debit card", "unfreeze")
    assert active.action_outcome["status"] == "done" and card(assistant, "debit").status == "active"


def test_report_lost_orders_a_replacement(assistant):
    old = card(assistant, "credit")
    _, done = confirmed(assistant, "I lost my credit card", "lost")
    cards = [c for c in assistant.services.accounts.cards(CUSTOMER) if c.kind == "credit"]
    assert {(c.id == old.id, c.status) for c in cards} == {(True, "lost"), (False, "shipped")}
    assert "replacement" in done.answer


def test_a_dispute_opens_a_case_and_a_money_move_moves_exactly_once(assistant):
    charge = next(t for t in assistant.services.accounts.transactions(CUSTOMER) if t.category == "card_payment")
    amount = f"${-charge.amount_cents / 100:.2f}"
    _, disputed = confirmed(assistant, f"I don't recognise the {charge.description} charge of {amount}", "dispute")
    assert "dispute case D-" in disputed.answer and "10 business days" in disputed.answer
    before = {a.kind: a.balance_cents for a in assistant.services.accounts.accounts(CUSTOMER)}
    confirmed(assistant, "move $125.50 to my savings", "move")
    with pytest.raises(NothingToConfirmError):
        assistant.decide("move", "confirm", CUSTOMER)
    after = {a.kind: a.balance_cents for a in assistant.services.accounts.accounts(CUSTOMER)}
    assert after == {"checking": before["checking"] - 12_550, "savings": before["savings"] + 12_550}


def test_cancel_moves_nothing_and_a_bad_amount_is_refused(assistant):
    before = assistant.services.accounts.accounts(CUSTOMER)
    assistant.ask("move $40 to my savings", customer_id=CUSTOMER, thread_id="cancel")
    assert assistant.decide("cancel", "cancel", CUSTOMER).action_outcome["status"] == "cancelled"
    refused = assistant.ask("move a hundred-ish to my savings", customer_id=CUSTOMER, thread_id="bad")
    assert refused.pending_action is None and "in figures" in refused.answer
    assert assistant.services.accounts.accounts(CUSTOMER) == before


def test_a_customer_cannot_act_on_another_customers_card(assistant):
    theirs = assistant.services.accounts.cards("C0001")[0]
    result = assistant.ask(f"freeze my card ending {theirs.last4}", customer_id=CUSTOMER)
    assert result.pending_action is None and assistant.services.accounts.cards("C0001")[0] == theirs


def test_the_cli_asks_y_n_and_a_pending_action_survives_a_restart(cli, tmp_path):
    env = {"BANKASSIST_DATA_DIR": str(tmp_path / "data")}
    asked = cli("ask", "-c", "C0001", "-t", "cli", "freeze my debit card", "--json", env=env)
    assert asked.code == 0, asked.stderr
    pending = json.loads(asked.stdout)["pending_action"]
    # A new process (a restart) confirms the action the checkpoint kept (a second confirmation is tested above).
    done = cli("decide", "confirm", "-t", "cli", "-c", "C0001", "--action", pending["id"], env=env)
    assert done.code == 0 and done.stdout.startswith("Done: your debit card ending"), done.stderr
    typed = cli("ask", "-c", "C0001", "unfreeze my debit card", stdin="y\n", env=env)
    assert typed.code == 0 and "Confirm? [y/N]" in typed.stderr and "active again" in typed.stdout


def test_cases_lists_a_handoff_from_the_cli(assistant, cli):
    asked = assistant.ask("can I speak to a real person?", customer_id="C0003", thread_id="person")
    assert asked.route == "handoff"
    env = {"BANKASSIST_DATA_DIR": str(assistant.services.settings.data_dir)}
    listed = cli("cases", "--json", env=env)
    case = next(c for c in json.loads(listed.stdout) if c["thread_id"] == "person")
    assert case["customer_id"] == "C0003" and case["id"] in asked.answer and case["kind"] == "handoff"
    assert case["id"] in cli("cases", env=env).stdout
    closed = cli("cases", "close", case["id"], "--resolution", "Called back, card frozen.", env=env)
    assert closed.code == 0 and f"closed {case['id']}" in closed.stdout
    assert case["id"] not in cli("cases", env=env).stdout and case["id"] in cli("cases", "--all", env=env).stdout
    again = cli("cases", "close", case["id"], "-r", "twice", env=env)
    assert again.code == 1 and "already closed" in again.stderr and "Traceback" not in again.stderr
