"""Proposed actions and their decisions: each runs at most once, in the same transaction that marks it done.

A retried confirmation finds the action done (or cancelled, or expired) and says so; nothing runs twice.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from tools.account_proposals import DISPUTE_TIMELINE, Proposal
from tools.accounts import AccountStore, money
from tools.database import DbTransaction

Decision = Literal["confirm", "cancel"]
REPLACEMENT_DAYS = 7


@dataclass(frozen=True)
class Outcome:
    """What a decision did: the action's status afterwards, and the sentence for the customer."""

    action_id: str
    kind: str
    status: str  # done | cancelled | expired | already_done | already_cancelled | already_expired | not_found
    message: str


def record_proposal(store: AccountStore, customer_id: str, thread_id: str, proposal: Proposal, ttl_s: float) -> str:
    """Store the proposal as waiting for a decision; returns its id."""
    action_id, now = uuid.uuid4().hex[:12], time.time()
    with store.transaction() as db:
        db.execute(
            "INSERT INTO actions VALUES (?, ?, ?, ?, ?, ?, 'proposed', ?, ?, NULL, NULL)",
            (
                action_id,
                customer_id,
                thread_id,
                proposal.kind,
                json.dumps(proposal.params),
                proposal.summary,
                now,
                now + ttl_s,
            ),
        )
    return action_id


def decide(store: AccountStore, action_id: str, customer_id: str, decision: Decision) -> Outcome:
    """Confirm or cancel a proposed action of this customer's; anything but a waiting action is only answered."""
    with store.transaction() as db:
        row = db.execute(
            "SELECT kind, params, summary, status, expires_at FROM actions WHERE id = ? AND customer_id = ?"
            + db.for_update,
            (action_id, customer_id),
        ).fetchone()
        if row is None:
            return Outcome(action_id, "", "not_found", "I can't find that action among yours.")
        kind, params, summary, status, expires_at = row
        if status != "proposed":
            return Outcome(action_id, kind, f"already_{status}", already(status))
        if time.time() > expires_at:
            mark(db, action_id, "expired", None)
            return Outcome(action_id, kind, "expired", already("expired"))
        if decision == "cancel":
            mark(db, action_id, "cancelled", None)
            return Outcome(action_id, kind, "cancelled", "Cancelled: nothing was changed.")
        message = run_action(db, customer_id, kind, json.loads(params), action_id)
        mark(db, action_id, "done", message)
        return Outcome(action_id, kind, "done", message)


def action_status(store: AccountStore, action_id: str, customer_id: str) -> str | None:
    """An action's status (proposed, done, cancelled, expired), or None when it is not this customer's."""
    row = store.db.execute(
        "SELECT status FROM actions WHERE id = ? AND customer_id = ?", (action_id, customer_id)
    ).fetchone()
    return str(row[0]) if row else None


def already(status: str) -> str:
    """The answer to a decision that arrives after the action was settled."""
    return {
        "done": "That action was already done; it will not run again.",
        "cancelled": "That action was cancelled earlier, so nothing was done. Ask again if you want it.",
        "expired": "That request expired before it was confirmed; nothing was done. Ask again if you want it.",
    }.get(status, "That action is no longer waiting for a decision.")


def mark(db: DbTransaction, action_id: str, status: str, outcome: str | None) -> None:
    """Settle the action (only a proposed one: a second writer changes nothing)."""
    db.execute(
        "UPDATE actions SET status = ?, decided_at = ?, outcome = ? WHERE id = ? AND status = 'proposed'",
        (status, time.time(), outcome, action_id),
    )


def run_action(db: DbTransaction, customer_id: str, kind: str, params: dict[str, Any], action_id: str) -> str:
    """Apply the action's effect; returns the sentence that says what was done."""
    if kind in ("freeze_card", "unfreeze_card"):
        status = "frozen" if kind == "freeze_card" else "active"
        db.execute(
            "UPDATE cards SET status = ? WHERE id = ? AND customer_id = ?", (status, params["card_id"], customer_id)
        )
        label = card_label(db, params["card_id"])
        return f"Done: your {label} is {'frozen' if status == 'frozen' else 'active again'}."
    if kind == "report_lost":
        return replace_card(db, customer_id, params["card_id"], action_id)
    if kind == "dispute":
        return open_dispute(db, customer_id, params["transaction_id"], action_id)
    return move_money(db, params, action_id)


def card_label(db: DbTransaction, card_id: str) -> str:
    """How the outcome names a card: debit card ending 1234."""
    kind, last4 = db.execute("SELECT kind, last4 FROM cards WHERE id = ?", (card_id,)).one()
    return f"{kind} card ending {last4}"


def replace_card(db: DbTransaction, customer_id: str, card_id: str, action_id: str) -> str:
    """Cancel the card and order its replacement (same account and kind, new number)."""
    account_id, kind = db.execute("SELECT account_id, kind FROM cards WHERE id = ?", (card_id,)).one()
    db.execute("UPDATE cards SET status = 'lost' WHERE id = ?", (card_id,))
    last4 = str(int(action_id[:8], 16) % 10_000).zfill(4)
    arrives = (date.today() + timedelta(days=REPLACEMENT_DAYS)).isoformat()
    db.execute(
        "INSERT INTO cards VALUES (?, ?, ?, ?, ?, 'shipped', ?)",
        (f"{card_id}-R{action_id[:6]}", customer_id, account_id, kind, last4, arrives),
    )
    return (
        f"Done: your {card_label(db, card_id)} is cancelled and a replacement {kind} card ending {last4} "
        "is on its way; a standard replacement arrives in 5 to 7 business days."
    )


def open_dispute(db: DbTransaction, customer_id: str, transaction_id: str, action_id: str) -> str:
    """Open a dispute case for the charge; the case number is the action's."""
    description, cents = db.execute(
        "SELECT description, amount_cents FROM transactions WHERE id = ?", (transaction_id,)
    ).one()
    case_id = f"D-{action_id[:8].upper()}"
    subject = f"Dispute: {description} {money(cents)} ({transaction_id})"
    db.execute(
        "INSERT INTO cases (id, customer_id, kind, subject, opened_at, status) VALUES (?, ?, 'dispute', ?, ?, 'open')",
        (case_id, customer_id, subject, date.today().isoformat()),
    )
    return f"Done: dispute case {case_id} is open for {description}, {money(cents)}. {DISPUTE_TIMELINE}"


def move_money(db: DbTransaction, params: dict[str, Any], action_id: str) -> str:
    """Move the amount (and any savings fee) if the balance still allows it; else say why nothing moved."""
    cents, fee, source, target = params["cents"], params["fee"], params["from"], params["to"]
    (balance,) = db.execute("SELECT balance_cents FROM accounts WHERE id = ?" + db.for_update, (source,)).one()
    if cents + fee > balance:
        return f"Nothing was moved: the balance is now {money(balance)}, less than {money(cents + fee)}."
    today = date.today().isoformat()
    names = dict(db.execute("SELECT id, name FROM accounts WHERE id IN (?, ?)", (source, target)).fetchall())
    db.execute("UPDATE accounts SET balance_cents = balance_cents - ? WHERE id = ?", (cents + fee, source))
    db.execute("UPDATE accounts SET balance_cents = balance_cents + ? WHERE id = ?", (cents, target))
    rows = [
        (f"{action_id}-out", source, None, today, f"Transfer to {names[target]}", "internal", -cents, "posted"),
        (f"{action_id}-in", target, None, today, f"Transfer from {names[source]}", "internal", cents, "posted"),
    ]
    if fee:
        rows.append((f"{action_id}-fee", source, None, today, "Savings withdrawal fee", "fee", -fee, "posted"))
    db.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    (left,) = db.execute("SELECT balance_cents FROM accounts WHERE id = ?", (source,)).one()
    return f"Done: moved {money(cents)} from {names[source]} to {names[target]}. {names[source]} now has {money(left)}."
