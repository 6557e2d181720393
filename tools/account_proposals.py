"""Turn an action request into a proposal: exactly what will happen, or a question or refusal instead.

Nothing changes here; the proposal runs only after the customer confirms it (tools/account_actions.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools.account_reads import (
    ToolAnswer,
    card_line,
    cards_named,
    day,
    describe_filters,
    in_window,
    named_in,
    within_amounts,
)
from tools.account_requests import AccountRequest, account_kinds
from tools.accounts import Account, AccountStore, Transaction, money

FREE_SAVINGS_WITHDRAWALS = 6  # per statement period (internal-transfers.md); each one after that costs $5
EXTRA_WITHDRAWAL_FEE_CENTS = 500
DISPUTE_TIMELINE = (
    "We will investigate and tell you the result within 10 business days; if we need more time, we may take up "
    "to 45 days and give you provisional credit within 10 business days."
)  # disputes-chargebacks.md
REPLACEMENT_TIME = "A standard replacement card arrives in 5 to 7 business days at no cost."  # lost-stolen-cards.md
FIGURES = re.compile(r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")


@dataclass(frozen=True)
class Proposal:
    """An action ready to confirm: its kind, the ids it acts on, and the sentence that says what will happen."""

    kind: str
    params: dict[str, Any]
    summary: str


def propose(store: AccountStore, customer_id: str, request: AccountRequest) -> Proposal | ToolAnswer:
    """The proposal for the request, or a ToolAnswer with the question or refusal when there is none."""
    if request.kind in ("freeze_card", "unfreeze_card", "report_lost"):
        return propose_card_action(store, customer_id, request)
    if request.kind == "dispute":
        return propose_dispute(store, customer_id, request)
    return propose_move(store, customer_id, request)


def propose_card_action(store: AccountStore, customer_id: str, request: AccountRequest) -> Proposal | ToolAnswer:
    """Freeze, unfreeze or report lost the one card the message means."""
    cards, question = cards_named(store.cards(customer_id), request.card_hint)
    wanted = {"freeze_card": ("active",), "unfreeze_card": ("frozen",), "report_lost": ("active", "frozen")}
    usable = [c for c in cards if c.status in wanted[request.kind]]
    if question:
        return ToolAnswer([], question)
    if not usable:
        return ToolAnswer(["There is nothing to do.", *(card_line(c) for c in cards)])
    if len(usable) > 1:
        names = " or ".join(c.label for c in usable)
        return ToolAnswer([], f"Which card do you mean: your {names}?")
    card = usable[0]
    summaries = {
        "freeze_card": f"Freeze your {card.label}: new purchases and ATM withdrawals will be declined until you "
        "unfreeze it.",
        "unfreeze_card": f"Unfreeze your {card.label}: it will work again straight away.",
        "report_lost": f"Report your {card.label} lost or stolen: it will be cancelled for good and a replacement "
        f"with a new number ordered. {REPLACEMENT_TIME}",
    }
    return Proposal(request.kind, {"card_id": card.id}, summaries[request.kind])


def propose_dispute(store: AccountStore, customer_id: str, request: AccountRequest) -> Proposal | ToolAnswer:
    """Dispute the one charge the message points at; several or none get a question."""
    today = store.today(customer_id)
    charges = [t for t in store.transactions(customer_id) if t.amount_cents < 0 and t.status != "declined"]
    charges = [t for t in charges if in_window(t, request.window, today) and within_amounts(t, request)]
    named = [t for t in charges if named_in(t, request.words)]
    exact = parse_amount(request.amount_text) if request.amount_text else None
    if isinstance(exact, int):  # "the $9.23 Starbucks charge"
        named = [t for t in named or charges if -t.amount_cents == exact]
    if len(named) == 1:
        charge = named[0]
        return Proposal("dispute", {"transaction_id": charge.id}, dispute_summary(charge))
    if not named:
        return ToolAnswer(
            [],
            f"Which charge do you want to dispute{describe_filters(request)}? Tell me the merchant "
            'and the date or amount, for example "the Uber charge on Nov 27".',
        )
    options = "; ".join(
        f"{t.description} {money(t.amount_cents)} on {day(date.fromisoformat(t.posted_on))}" for t in named[:3]
    )
    return ToolAnswer([], f"I found {len(named)} matching charges ({options}). Which one? Give me its date or amount.")


def dispute_summary(charge: Transaction) -> str:
    """What opening the dispute will do."""
    when = day(date.fromisoformat(charge.posted_on))
    return f"Open a dispute for {charge.description}, {money(charge.amount_cents)} on {when}. {DISPUTE_TIMELINE}"


def propose_move(store: AccountStore, customer_id: str, request: AccountRequest) -> Proposal | ToolAnswer:
    """Move money between the customer's own checking and savings, within the balance and the savings limit."""
    amount = parse_amount(request.amount_text)
    if isinstance(amount, str):
        return ToolAnswer([amount])
    source_kind, target_kind = account_kinds(request.text)
    accounts = {a.kind: a for a in store.accounts(customer_id)}
    if source_kind is None or source_kind not in accounts or target_kind not in accounts:
        return ToolAnswer([], "Which way should the money go: from checking to savings, or from savings to checking?")
    source, target = accounts[source_kind], accounts[target_kind]
    fee = savings_fee(store, customer_id, source)
    if amount + fee > source.balance_cents:
        return ToolAnswer(
            [
                f"I can't move {money(amount)}: your {source.label} has {money(source.balance_cents)} "
                "available. Nothing was moved."
            ]
        )
    summary = f"Move {money(amount)} from your {source.label} to your {target.label}. Internal transfers are instant."
    if fee:
        summary += (
            f" This is more than {FREE_SAVINGS_WITHDRAWALS} transfers out of savings this month, so a "
            f"{money(fee)} fee applies."
        )
    return Proposal("move_money", {"from": source.id, "to": target.id, "cents": amount, "fee": fee}, summary)


def parse_amount(text: str | None) -> int | str:
    """The amount in cents, or the sentence that refuses it (missing, malformed, zero or negative)."""
    if text is None:
        return "Please tell me the amount in figures, for example $250. Nothing was moved."
    cleaned = text.replace(" ", "")
    if cleaned.startswith("-"):
        return "The amount must be more than $0.00. Nothing was moved."
    if not FIGURES.match(cleaned):
        return f"I can't read {text!r} as an amount; please write it like $250 or $99.50. Nothing was moved."
    cents = round(float(cleaned.lstrip("$").replace(",", "")) * 100)
    return cents if cents > 0 else "The amount must be more than $0.00. Nothing was moved."


def savings_fee(store: AccountStore, customer_id: str, source: Account) -> int:
    """$5 when this would be more than the free transfers out of savings in the ledger's month."""
    if source.kind != "savings":
        return 0
    today = store.today(customer_id)
    this_month = [t for t in store.transactions(customer_id, today.replace(day=1)) if t.account_id == source.id]
    out = [t for t in this_month if t.amount_cents < 0 and t.category == "internal"]
    return EXTRA_WITHDRAWAL_FEE_CENTS if len(out) >= FREE_SAVINGS_WITHDRAWALS else 0
