"""Read tools: balances, transactions, pending items, cards and transfers, as sentences of the ledger's figures.

Every sentence is built from the store's rows, so every figure an answer states is one the tools returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from tools.account_requests import AccountRequest, Window
from tools.accounts import AccountStore, Card, Transaction, money

MAX_LISTED = 8
# What a search asks for when it names no merchant or payee: the kind of item, and how the answer says so.
# "did i get paid this month?" is about pay, not the savings account's "Interest paid".
KINDS: list[tuple[re.Pattern[str], Callable[[Transaction], bool], str]] = [
    (
        # The customer's own pay: "did my electric bill get paid?" is not about it.
        re.compile(
            r"\b(pay ?checks?|salary|salaries|payroll|wages?|pay ?day|direct deposits?"
            r"|(i|we)( last| have| had|'ve)? (get|got|gotten|been|was|were|am|are) paid"
            r"|(did|have|has|do|does|was|were|am|are) (i|we)( get| got| been)? paid)\b"
        ),
        lambda t: t.category == "direct_deposit",
        "that are direct deposits of pay",
    ),
    (
        re.compile(r"\b(deposits?|deposited|came in|coming in|incoming)\b"),
        lambda t: t.amount_cents > 0 and t.category != "internal",
        "that came in",
    ),
    (re.compile(r"\b(refunds?|refunded)\b"), lambda t: t.category == "refund", "that are refunds"),
    (re.compile(r"\bfees?\b"), lambda t: t.category == "fee", "that are fees"),
    (
        re.compile(r"\b(spend|spent|spending)\b"),
        lambda t: t.amount_cents < 0 and t.category != "internal",
        "that went out",
    ),
]
# Kinds of spending, by the merchants' words (descriptions' words of 4 letters or more, as `named_in` reads them):
# "how much did I spend on gas?" is about Shell. A real ledger's merchant category codes would say it instead.
GAS, GROCERIES = {"shell", "exxon", "chevron", "mobil", "sunoco"}, {"whole", "costco", "kroger", "safeway", "aldi"}
FLIGHTS, RIDES = {"delta", "united", "southwest", "airlines"}, {"uber", "lyft"}
SPENDING_KINDS = {
    **dict.fromkeys(("gas", "fuel"), GAS),
    **dict.fromkeys(("groceries", "grocery"), GROCERIES),
    **dict.fromkeys(("flights", "airline"), FLIGHTS),
    **dict.fromkeys(("rides", "rideshare"), RIDES),
    "coffee": {"starbucks", "dunkin"},
    "streaming": {"netflix", "spotify", "hulu"},
    "subscriptions": {"netflix", "spotify", "hulu", "apple"},
    "pharmacy": {"pharmacy", "walgreens"},
}
# "spend at walmart": the word after "at" names a merchant, found or not.
AT_MERCHANT = re.compile(
    r"\bat (?!(least|most|all|the|my|a|an|any|this|that|these|those|some|each|every|one|our|your|their|once|home"
    r"|work|night|midnight|first|last)\b)([a-z]\w+)"
)
ASKS_TOTAL = re.compile(r"\b(how much|total|in all|altogether|all together|sum)\b")


@dataclass(frozen=True)
class ToolAnswer:
    """The tool's sentences, or a question back when the request is ambiguous (then `lines` is empty)."""

    lines: list[str]
    question: str | None = None


def answer_read(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """Run the read tool the request names."""
    tools: dict[str, Callable[[AccountStore, str, AccountRequest], ToolAnswer]] = {
        "balance": balances,
        "transactions": search_transactions,
        "pending": pending_items,
        "card_status": card_status,
        "transfer_status": transfer_status,
    }
    return tools[request.kind](store, customer_id, request)


def balances(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """Each account's available balance, and what is still pending on it."""
    lines = [
        f"Your {a.label} has an available balance of {money(a.balance_cents)}." for a in store.accounts(customer_id)
    ]
    pending = [t for t in store.transactions(customer_id) if t.status == "pending"]
    if pending:
        total = -sum(t.amount_cents for t in pending)
        lines.append(f"That already takes off {len(pending)} pending payment(s) of {money(total)} in total.")
    return ToolAnswer(lines)


def search_transactions(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """Transactions matching the message's merchant, amount, window and kind words, newest first."""
    today = store.today(customer_id)
    every = store.transactions(customer_id)
    found = [t for t in every if in_window(t, request.window, today) and within_amounts(t, request)]
    described = describe_filters(request)
    named = merchants_named(found, every, request)
    if named is not None:  # a merchant or kind of spending was named: its items only, even none
        found, described = named, f"{described} matching your words"
    elif kind := asked_kind(request):
        wanted, kind_words = kind
        found, described = [t for t in found if wanted(t)], f"{described} {kind_words}"
    if not found:
        return ToolAnswer([f"I found no transactions{described} up to {day(today)}."])
    lines = [f"Your transactions{described} up to {day(today)}:", *listed(found)]
    if ASKS_TOTAL.search(" ".join(request.words)):
        lines.append(total_line(found))
    return ToolAnswer(lines)


def total_line(transactions: list[Transaction]) -> str:
    """What went out and what came in, all of it (not only the listed), pending included, declined not."""
    moved = [t.amount_cents for t in transactions if t.status != "declined"]
    out, came_in = -sum(c for c in moved if c < 0), sum(c for c in moved if c > 0)
    parts = [f"{money(out)} went out"] if out else []
    parts += [f"{money(came_in)} came in"] if came_in else []
    return f"In all, {' and '.join(parts) or 'nothing moved'}."


def merchants_named(
    found: list[Transaction], every: list[Transaction], request: AccountRequest
) -> list[Transaction] | None:
    """The found items whose merchant or payee the words name; None when they name none of the ledger (`every`).

    A follow-up's own words come first: "and starbucks last month?" after the Amazon charges is Starbucks alone,
    even none. "how much did I spend at Walmart?" names a merchant the ledger lacks: no items, not all spending.
    """
    for words in word_sets(request):
        if any(named_in(t, words) for t in every):
            return [t for t in found if named_in(t, words)]
    text = " ".join(request.words)
    return [] if AT_MERCHANT.search(text) or any(word in SPENDING_KINDS for word in request.words) else None


def asked_kind(request: AccountRequest) -> tuple[Callable[[Transaction], bool], str] | None:
    """The kind of item the request's words ask for (`KINDS`), the first that matches; None for any item."""
    for words in word_sets(request):  # "what about fees?" after "did i get paid?" asks for fees
        text = " ".join(words)
        if kind := next(((wanted, said) for pattern, wanted, said in KINDS if pattern.search(text)), None):
            return kind
    return None


def word_sets(request: AccountRequest) -> list[list[str]]:
    """The words to read, in order: a follow-up's own, then all of them (the earlier request's included)."""
    return [words for words in (request.follow_up_words, request.words) if words]


def pending_items(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """What has not posted yet."""
    pending = [t for t in store.transactions(customer_id) if t.status == "pending"]
    if not pending:
        return ToolAnswer(["You have no pending transactions."])
    return ToolAnswer(["Your pending transactions (not yet posted):", *listed(pending)])


def card_status(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """Each of the customer's cards (or the one named), with its status and delivery date."""
    cards, question = cards_named(store.cards(customer_id), request.card_hint)
    if question:
        return ToolAnswer([], question)
    lines = [card_line(card) for card in cards]
    declined = [t for t in store.transactions(customer_id) if t.status == "declined"]
    if declined and any(w.startswith("declin") for w in request.words):
        lines += ["Your most recent declined payment:", *listed(declined[:1])]
    return ToolAnswer(lines)


def transfer_status(store: AccountStore, customer_id: str, request: AccountRequest) -> ToolAnswer:
    """Recent transfers out (those the message names first) and the scheduled ones."""
    sent = [
        t for t in store.transactions(customer_id) if t.category in ("transfer_out", "internal") and t.amount_cents < 0
    ]
    named = [t for t in sent if named_in(t, request.words)]
    lines = ["Your most recent transfers out:", *listed((named or sent)[:3])]
    for transfer in store.scheduled_transfers(customer_id):
        when = day(date.fromisoformat(transfer.runs_on))
        lines.append(f"Scheduled: {money(transfer.amount_cents)} to {transfer.payee} on {when} ({transfer.status}).")
    return ToolAnswer(lines)


def cards_named(cards: list[Card], hint: str | None) -> tuple[list[Card], str | None]:
    """The cards a hint picks ("debit", "1234"); an unknown kind of card gets a question, never a guess."""
    if hint is None:
        return cards, None
    chosen = [c for c in cards if hint in (c.kind, c.last4)]
    if chosen:
        return chosen, None
    names = ", ".join(c.label for c in cards)
    wanted = f"card ending {hint}" if hint.isdigit() else f"{hint} card"
    return [], f"I can't find a {wanted} among your cards ({names}). Which one do you mean?"


def card_line(card: Card) -> str:
    """One card's status as a sentence."""
    if card.status == "shipped" and card.arrives_on:
        return f"Your {card.label} is on its way and should arrive by {day(date.fromisoformat(card.arrives_on))}."
    meaning = {
        "active": "active",
        "frozen": "frozen: new payments are declined until you unfreeze it",
        "lost": "cancelled after being reported lost or stolen",
    }
    return f"Your {card.label} is {meaning.get(card.status, card.status)}."


def listed(transactions: list[Transaction]) -> list[str]:
    """Bullet lines for the newest MAX_LISTED transactions, and how many more there are."""
    lines = [
        f"- {day(date.fromisoformat(t.posted_on))}: {t.description}, {money(t.amount_cents)} ({t.status})"
        for t in transactions[:MAX_LISTED]
    ]
    if len(transactions) > MAX_LISTED:
        lines.append(f"... and {len(transactions) - MAX_LISTED} more.")
    return lines


def in_window(transaction: Transaction, window: Window | None, today: date) -> bool:
    """Whether the transaction falls in the window (the whole ledger when none is named)."""
    if window is None:
        return True
    posted = date.fromisoformat(transaction.posted_on)
    if window.days_back == -1:  # this month
        return (posted.year, posted.month) == (today.year, today.month)
    if window.days_back == -2:  # last month
        last = today.replace(day=1) - timedelta(days=1)
        return (posted.year, posted.month) == (last.year, last.month)
    return today - timedelta(days=window.days_back) <= posted <= today - timedelta(days=window.until_back)


def within_amounts(transaction: Transaction, request: AccountRequest) -> bool:
    """Whether the transaction's size is within the message's "over $500" / "under $20"."""
    size = abs(transaction.amount_cents)
    low_ok = request.min_cents is None or size > request.min_cents
    return low_ok and (request.max_cents is None or size < request.max_cents)


def named_in(transaction: Transaction, words: list[str]) -> bool:
    """Whether the message names the transaction's merchant or payee ("amazon", "rent", "uber")."""
    own = {w for w in transaction.description.lower().replace(".", "").split() if len(w) > 3}
    own -= {"transfer", "from", "direct", "deposit", "payroll", "outgoing", "domestic", "high-yield", "savings", "paid"}
    wanted = set(words).union(*(SPENDING_KINDS.get(word, set()) for word in words))
    return bool(own & wanted)


def describe_filters(request: AccountRequest) -> str:
    """The filters as words: " in the last 7 days over $500.00"."""
    parts = [f" {request.window.label}" if request.window else ""]
    parts.append(f" over {money(request.min_cents)}" if request.min_cents is not None else "")
    parts.append(f" under {money(request.max_cents)}" if request.max_cents is not None else "")
    return "".join(parts)


def day(value: date) -> str:
    """A date as answers write it: "Nov 27, 2026"."""
    return value.strftime("%b %d, %Y").replace(" 0", " ")
