"""The ledger's tools on their own: demo data, the request parser, read answers, proposals and decisions."""

import time

import pytest

from tools.account_actions import action_status, decide, record_proposal
from tools.account_demo import seed_ledgers
from tools.account_proposals import Proposal, propose
from tools.account_reads import ToolAnswer, answer_read
from tools.account_requests import follow_up_request, read_request
from tools.accounts import AccountStore, money
from tools.cases import close_case, open_handoff
from tools.errors import CaseClosedError, InvalidInputError, NotFoundError


@pytest.fixture
def store(tmp_path):
    opened = AccountStore(f"sqlite:///{tmp_path / 'app.db'}")
    seed_ledgers(opened, ["C0001", "C0002", "C0004"])
    yield opened
    opened.close()


def rows(store, customer_id):
    return store.accounts(customer_id), store.cards(customer_id), store.transactions(customer_id)


def test_demo_ledgers_are_deterministic_and_have_every_kind_of_item(store, tmp_path):
    other = AccountStore(f"sqlite:///{tmp_path / 'other.db'}")
    seed_ledgers(other, ["C0004"])
    assert rows(other, "C0004") == rows(store, "C0004")
    transactions = store.transactions("C0001")
    categories = {t.category for t in transactions}
    assert {"card_payment", "transfer_out", "direct_deposit", "fee", "refund", "internal"} <= categories
    assert {"posted", "pending", "declined"} <= {t.status for t in transactions}
    assert {a.kind for a in store.accounts("C0001")} == {"checking", "savings"}
    assert store.scheduled_transfers("C0001") and store.today("C0001").isoformat() <= "2026-11-30"
    assert {c.status for c in store.cards("C0004")} == {"lost", "shipped", "active"}


def test_reseeding_replaces_a_ledger_rather_than_doubling_it(store):
    before = rows(store, "C0002")
    seed_ledgers(store, ["C0002"])
    assert rows(store, "C0002") == before


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("what's my balance?", "balance"),
        ("did my rent transfer go through?", "transfer_status"),
        ("show the Amazon charge last week", "transactions"),
        ("anything over $500 this month?", "transactions"),
        ("when will my new card arrive?", "card_status"),
        ("freeze my card", "freeze_card"),
        ("please unlock my debit card", "unfreeze_card"),
        ("I lost my credit card", "report_lost"),
        ("I don't recognise the Uber charge", "dispute"),
        ("move $200 to my savings", "move_money"),
        ("what's the balance on my savings?", "balance"),
        ("could you tell me the balance on my checking?", "balance"),
    ],
)
def test_requests_about_own_money_are_read_into_their_tool(text, kind):
    assert read_request(text).kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "how do I freeze my card?",
        "what is the fee for a wire?",
        "how long does a transfer take?",
        "hello",
        "",
        # Worded in the first person, but about the bank's limits and fees, not the customer's ledger.
        "How much can I deposit by phone per day?",
        "My account number is 1234. What's the monthly fee on checking?",
        "Remind me of the overdraft fee?",
    ],
)
def test_policy_questions_and_other_messages_are_not_requests(text):
    assert read_request(text) is None


def test_balances_state_each_account_and_the_pending_total(store):
    answer = answer_read(store, "C0001", read_request("what's my balance?"))
    accounts = store.accounts("C0001")
    text = "\n".join(answer.lines)
    assert all(money(a.balance_cents) in text and a.last4 in text for a in accounts)
    pending = -sum(t.amount_cents for t in store.transactions("C0001") if t.status == "pending")
    assert money(pending) in text


def test_a_search_filters_by_merchant_window_and_amount(store):
    answer = answer_read(store, "C0001", read_request("any Amazon charges last month?"))
    listed = [line for line in answer.lines if line.startswith("- ")]
    assert listed and all("Amazon" in line and "Oct" in line for line in listed)
    big = answer_read(store, "C0001", read_request("anything over $500?"))
    amounts = [line.rsplit(", ", 1)[1].split(" ")[0] for line in big.lines if line.startswith("- ")]
    assert amounts and all(float(a.strip("-$").replace(",", "")) > 500 for a in amounts)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("did i get paid this month?", lambda line: "Direct deposit from" in line),  # not the savings' "Interest paid"
        ("show me my deposits", lambda line: not line.split(", ")[-1].startswith("-")),  # money in, of any kind
        ("did my refunds come through?", lambda line: "Refund from" in line),
        ("what fees did i pay?", lambda line: "fee" in line),
    ],
)
def test_a_search_that_names_no_merchant_lists_the_kind_of_item_it_asks_for(store, text, kind):
    listed = [line for line in answer_read(store, "C0001", read_request(text)).lines if line.startswith("- ")]
    assert listed and all(kind(line) for line in listed)


def test_how_much_was_spent_is_totalled_over_every_item_found_not_only_those_listed(store):
    answer = answer_read(store, "C0001", read_request("how much did i spend this month?"))
    today = store.today("C0001")
    this_month = [t for t in store.transactions("C0001") if t.posted_on.startswith(today.isoformat()[:7])]
    spent = [t for t in this_month if t.amount_cents < 0 and t.category != "internal" and t.status != "declined"]
    assert answer.lines[-1] == f"In all, {money(-sum(t.amount_cents for t in spent))} went out."
    listed = answer_read(store, "C0001", read_request("what did i spend this month?")).lines
    assert not listed[-1].startswith("In all")  # not asked for a total


def test_a_kind_of_spending_is_read_as_its_merchants(store):
    answer = answer_read(store, "C0001", read_request("how much did i spend on gas?"))
    listed = [line for line in answer.lines if line.startswith("- ")]
    assert listed and all("Shell" in line for line in listed) and answer.lines[-1].startswith("In all, $")


def test_a_merchant_the_ledger_lacks_finds_nothing_not_every_payment(store):
    answer = answer_read(store, "C0001", read_request("how much did I spend at Walmart last month?"))
    assert answer.lines == ["I found no transactions last month matching your words up to Nov 30, 2026."]


def test_a_bill_that_got_paid_is_not_the_customers_pay(store):
    answer = answer_read(store, "C0001", read_request("did my electric bill get paid this month?"))
    assert "direct deposits of pay" not in answer.lines[0]


@pytest.mark.parametrize(
    ("previous", "text", "says", "never"),
    [
        ("did i get paid this month?", "what about fees last month?", "last month that are fees", "Direct deposit"),
        ("show my amazon charges this month", "and starbucks last month?", "last month matching", "Amazon"),
    ],
)
def test_a_follow_ups_own_words_come_before_the_earlier_requests(store, previous, text, says, never):
    answer = answer_read(store, "C0001", follow_up_request(previous, text))
    assert says in answer.lines[0] and not any(never in line for line in answer.lines)


def test_an_unknown_card_gets_a_question_not_a_guess(store):
    answer = answer_read(store, "C0001", read_request("is my platinum card active?"))
    assert answer.lines == [] and "platinum" in answer.question and "Which one" in answer.question
    assert isinstance(propose(store, "C0001", read_request("freeze my platinum card")), ToolAnswer)


def test_another_customers_card_is_not_found(store):
    their_card = store.cards("C0002")[0]
    proposal = propose(store, "C0001", read_request(f"freeze my card ending {their_card.last4}"))
    assert isinstance(proposal, ToolAnswer) and proposal.question is not None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("move a hundred-ish to savings", "in figures"),
        ("move $0 to my savings", "more than $0.00"),
        ("move -50 to my savings", "more than $0.00"),
        ("move $1.234 to my savings", "can't read"),
        ("move $99999999 to my savings", "can't move"),
    ],
)
def test_bad_amounts_are_refused_in_a_sentence_and_nothing_moves(store, text, says):
    before = store.accounts("C0001")
    refused = propose(store, "C0001", read_request(text))
    assert isinstance(refused, ToolAnswer) and says in refused.lines[0]
    assert store.accounts("C0001") == before


def proposed(store, text, customer="C0001", ttl=60.0):
    proposal = propose(store, customer, read_request(text))
    assert isinstance(proposal, Proposal), proposal
    return record_proposal(store, customer, "thread", proposal, ttl)


def test_a_money_move_runs_once_however_often_it_is_confirmed(store):
    checking, savings = store.accounts("C0001")
    action = proposed(store, "move $250 to my savings")
    assert store.accounts("C0001") == [checking, savings]  # a proposal changes nothing
    first = decide(store, action, "C0001", "confirm")
    again = decide(store, action, "C0001", "confirm")
    after = {a.kind: a.balance_cents for a in store.accounts("C0001")}
    assert first.status == "done" and again.status == "already_done" and "already done" in again.message
    assert after == {"checking": checking.balance_cents - 25_000, "savings": savings.balance_cents + 25_000}


def test_a_cancelled_or_expired_action_never_runs(store):
    cancelled = proposed(store, "freeze my debit card")
    assert decide(store, cancelled, "C0001", "cancel").status == "cancelled"
    assert decide(store, cancelled, "C0001", "confirm").status == "already_cancelled"
    expired = proposed(store, "freeze my debit card", ttl=0.001)
    time.sleep(0.01)
    assert decide(store, expired, "C0001", "confirm").status == "expired"
    assert {c.status for c in store.cards("C0001") if c.kind == "debit"} == {"active"}


def test_a_customer_cannot_decide_another_customers_action(store):
    action = proposed(store, "freeze my debit card")
    assert decide(store, action, "C0002", "confirm").status == "not_found"
    assert action_status(store, action, "C0001") == "proposed"


def test_reporting_a_card_lost_cancels_it_and_orders_a_replacement(store):
    action = proposed(store, "I lost my debit card")
    outcome = decide(store, action, "C0001", "confirm")
    statuses = {c.status for c in store.cards("C0001") if c.kind == "debit"}
    assert statuses == {"lost", "shipped"} and "5 to 7 business days" in outcome.message


def test_a_dispute_opens_a_case_with_the_policy_timeline(store):
    charge = next(t for t in store.transactions("C0001") if t.category == "card_payment" and t.status == "posted")
    when = time.strftime("%b", time.strptime(charge.posted_on, "%Y-%m-%d"))
    text = f"I don't recognise the {charge.description} charge of {money(-charge.amount_cents)} in {when}"
    outcome = decide(store, proposed(store, text), "C0001", "confirm")
    assert outcome.status == "done" and "10 business days" in outcome.message
    assert [c.kind for c in store.cases()] == ["dispute"] and charge.id in store.cases()[0].subject


def test_an_analyst_closes_a_case_once_with_how_it_was_resolved(store):
    case = open_handoff(store, "C0001", "t1", "asked for a person", "user: a person please")
    with pytest.raises(InvalidInputError, match="1 to 500 characters"):
        close_case(store, case.id, "ana", "   ")
    closed = close_case(store, case.id, "ana", "Called her back; card replaced.")
    assert (closed.status, closed.closed_by, closed.resolution) == ("closed", "ana", "Called her back; card replaced.")
    assert store.cases("open") == [] and store.cases()[0] == closed
    with pytest.raises(CaseClosedError, match=f"{case.id} was already closed by ana"):
        close_case(store, case.id, "bob", "again")
    with pytest.raises(NotFoundError):
        close_case(store, "H-NOSUCH00", "ana", "done")
    assert open_handoff(store, "C0001", "t1", "asked for a person", "again").id != case.id  # a new one, open


@pytest.mark.parametrize(
    ("previous", "text", "kind", "changed"),
    [
        ("show my amazon charges last week", "and last month?", "transactions", {"window": "last month"}),
        ("show my charges this month", "what about over $100?", "transactions", {"min_cents": 10_000}),
        ("is my debit card frozen?", "what about the credit card?", "card_status", {"card_hint": "credit"}),
        ("freeze my debit card", "and my credit card too", "freeze_card", {"card_hint": "credit"}),
    ],
)
def test_a_follow_up_changes_the_earlier_request(previous, text, kind, changed):
    request = follow_up_request(previous, text)
    assert request.kind == kind
    for name, value in changed.items():
        got = getattr(request, name)
        assert (got.label if name == "window" else got) == value
    if kind == "transactions" and "amazon" in previous:
        assert "amazon" in request.words  # the earlier merchant still filters


@pytest.mark.parametrize(
    ("previous", "text"),
    [
        ("what's my balance?", "and how long does that take?"),  # changes nothing: maybe policy
        ("how do I freeze my card?", "and the credit card?"),  # the earlier one was no request
        ("move $50 to my savings", "and $20 to checking"),  # a money move is not re-read from a fragment
    ],
)
def test_what_is_not_a_follow_up_to_an_account_request(previous, text):
    assert follow_up_request(previous, text) is None
