"""Read a customer's message about their own accounts into a request: which tool, with which filters.

Deterministic: on the CPU default no model chooses tools. A message about policy in general ("how do I
freeze a card?") is not a request; one about the customer's own money ("freeze my card") is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Literal

Kind = Literal[
    "balance",
    "transactions",
    "pending",
    "card_status",
    "transfer_status",
    "freeze_card",
    "unfreeze_card",
    "report_lost",
    "dispute",
    "move_money",
]
ACTIONS = ("freeze_card", "unfreeze_card", "report_lost", "dispute", "move_money")

OWN = re.compile(r"\b(my|mine|me|i|i'm|i've|i'd)\b", re.I)
# "Me" as the listener, not the owner: "remind me of the overdraft fee" asks about policy.
ME_AS_LISTENER = re.compile(r"\b(remind|explain to) me\b", re.I)
# Questions about how something works in general go to the policy answers, not the tools.
# At the start of any sentence: "my card was stolen. How do I report it?" asks how, and gets the policy.
HOW_TO = re.compile(
    r"(^|[.!?]\s+|,\s*)(how (do|can|would|should|does|long)\b|how to\b|what (is|are) (the|a|an)\b|what happens\b"
    r"|what (should|do|can) i do\b|why (would|might|could)\b"
    r"|how much (can|could|may|should|will|would|does)\b"
    r"|is it possible|is there\b|are there\b|can i\b|do you\b)",
    re.I,
)
# "What's the ..." asks in general unless its own sentence names the customer's things: "what's the monthly
# fee on checking?" is policy, "what's the balance on my savings?" is not.
WHATS_THE = re.compile(r"(^|[.!?]\s+|,\s*)what'?s the\b[^.!?]*", re.I)
CARD = r"\bcards?\b"
LOST = r"\b(lost|stolen|can'?t find|cannot find|missing)\b"
NOT_MINE = (
    r"\b(dispute|didn'?t (make|authori[sz]e)|did not (make|authori[sz]e)|don'?t recogni[sz]e|do not recogni[sz]e"
    r"|unauthori[sz]ed|not mine|fraudulent|never (made|bought)|charged twice)\b"
)
CARD_STATE = (
    r"\b(arriv\w*|deliver\w*|come|coming|ship\w*|status|active|frozen|locked|blocked|mail|post|received|work\w*"
    r"|declin\w*)\b"
)
TRANSFER_STATE = (
    r"\b(go(ne)? through|went through|status|arriv\w*|land\w*|receiv\w*|sent|complet\w*|scheduled|happen\w*"
    r"|show\w* up|process\w*)\b"
)
MONEY_WORDS = (
    r"\b(transactions?|charges?|charged|purchases?|spent|spend|spending|payments?|deposits?|paid|paycheck|salary"
    r"|refunds?|fees?|did i (pay|spend))\b"
)
SCHEDULED = r"\bscheduled (transfers?|payments?)\b"
HOW_MUCH = r"\bhow much (money )?(do i have|have i got|is (there )?in|is left|'s in)"
# The first pattern that matches decides; actions come before the reads they mention.
PATTERNS: list[tuple[Kind, re.Pattern[str]]] = [
    ("unfreeze_card", re.compile(rf"\b(unfreeze|unlock|unblock|re-?activate|turn on)\b.*{CARD}", re.I)),
    ("report_lost", re.compile(rf"{LOST}.*{CARD}|{CARD}.*{LOST}|\b(lost|stole) my (wallet|purse)\b", re.I)),
    ("freeze_card", re.compile(rf"\b(freeze|lock|block|pause|suspend|turn off)\b.*{CARD}", re.I)),
    ("dispute", re.compile(NOT_MINE, re.I)),
    ("move_money", re.compile(r"\b(move|transfer|put|send|shift)\b.*\b(to|into)\b.*\b(savings|checking)\b", re.I)),
    ("card_status", re.compile(rf"{CARD}.*{CARD_STATE}|\b(where|when)\b.*\bnew card\b", re.I)),
    ("transfer_status", re.compile(rf"\b(transfer|wire|rent)\b.*{TRANSFER_STATE}|{SCHEDULED}", re.I)),
    ("pending", re.compile(r"\bpending\b", re.I)),
    ("balance", re.compile(rf"\bbalances?\b|{HOW_MUCH}|\bavailable (funds|money)\b", re.I)),
    ("transactions", re.compile(MONEY_WORDS, re.I)),
]
# BANKING77 and CLINC150 intents (the guard names the most probable) that, in a message already judged to be
# about the customer's own accounts, say which read tool answers it: "where is my replacement card?? its
# been 10 days" is card_arrival. Actions are never inferred this way: they need the customer's own words.
INTENT_KINDS: dict[str, Kind] = {
    **dict.fromkeys(
        ("card_arrival", "card_delivery_estimate", "activate_my_card", "card_not_working", "declined_card_payment"),
        "card_status",
    ),
    "card_declined": "card_status",
    "balance": "balance",
    **dict.fromkeys(("transactions", "spending_history"), "transactions"),
    **dict.fromkeys(
        (
            "pending_transfer",
            "transfer_not_received_by_recipient",
            "balance_not_updated_after_bank_transfer",
            "failed_transfer",
            "declined_transfer",
        ),
        "transfer_status",
    ),
    **dict.fromkeys(("pending_card_payment", "pending_cash_withdrawal", "pending_top_up"), "pending"),
    **dict.fromkeys(
        (
            "card_payment_fee_charged",
            "transfer_fee_charged",
            "extra_charge_on_statement",
            "Refund_not_showing_up",
            "balance_not_updated_after_cheque_or_cash_deposit",
        ),
        "transactions",
    ),
}
AMOUNT_AFTER = r"\s+\$?\s*(\d[\d,]*(?:\.\d+)?)"
OVER = re.compile(r"\b(over|above|more than|greater than|bigger than|at least|exceeding)" + AMOUNT_AFTER, re.I)
UNDER = re.compile(r"\b(under|below|less than|smaller than)" + AMOUNT_AFTER, re.I)
AMOUNT = re.compile(r"(?<![\w.])(-\s*)?\$?\s*(\d[\d,]*(?:\.\d+)?)(?![\w%])")
LAST4 = re.compile(r"\b(?:ending|ends|ending in|last four|last 4)\D{0,12}(\d{4})\b", re.I)
CARD_WORD = re.compile(r"\b([a-z]+)\s+card\b", re.I)
WORD = re.compile(r"[a-z0-9']+")  # apostrophes kept: "what's" and "don't" stay one word
GENERIC_CARD_WORDS = {
    "my",
    "the",
    "a",
    "this",
    "that",
    "debit",
    "credit",
    "bank",
    "new",
    "old",
    "replacement",
    "your",
    "one",
    "lost",
    "stolen",
    "its",
    "same",
    "other",
    "physical",
    "virtual",
    "shopping",
    "larkspur",
    "to",
    "of",
}
SAVINGS = re.compile(r"\bsavings?\b", re.I)
CHECKING = re.compile(r"\b(checking|current|everyday)\b", re.I)


@dataclass(frozen=True)
class Window:
    """A span of days relative to the ledger's today: `days_back` to `until_back` days ago, inclusive."""

    label: str  # as an answer says it after "your transactions": "in the last 7 days", "last month"
    days_back: int
    until_back: int = 0


@dataclass(frozen=True)
class AccountRequest:
    """What the customer asked for, and the filters their words gave."""

    kind: Kind
    text: str
    card_hint: str | None = None  # "debit", "credit", "1234" (last four), or an unknown word ("platinum")
    window: Window | None = None
    min_cents: int | None = None
    max_cents: int | None = None
    amount_text: str | None = None  # the amount as typed, for a money move
    words: list[str] = field(default_factory=list)  # the message's words, to match merchants and payees
    # A follow-up's own words ("and starbucks last month?"), read before the earlier request's, which `words` adds.
    follow_up_words: list[str] = field(default_factory=list)

    @property
    def is_action(self) -> bool:
        """Whether it would change something (and so needs the customer's confirmation)."""
        return self.kind in ACTIONS


def is_how_to(text: str) -> bool:
    """A question about how something works in general ("how do I report fraud?", "what's the wire fee?")."""
    return HOW_TO.search(text) is not None or asks_what_in_general(text)


def asks_what_in_general(text: str) -> bool:
    """A "what's the ..." sentence that names none of the customer's own things."""
    return any(not OWN.search(match.group(0)) for match in WHATS_THE.finditer(text))


def mentions_own(text: str) -> bool:
    """Whether the message speaks of the customer's own things ("my card", "I paid"), not only to them."""
    return OWN.search(ME_AS_LISTENER.sub(" ", text)) is not None


def read_request(text: str, own: bool = False, intent: str | None = None) -> AccountRequest | None:
    """The request in a message about the customer's own accounts, or None when it is not one.

    `own`: the guard's account head already judged the message to be about the customer's own accounts
    ("current account balance please", "whats the balance on the joint account"), so its wording, or else
    its BANKING77 `intent`, only has to name the tool. A "how do I ...?" still asks how, whoever owns it.
    """
    if HOW_TO.search(text) or (not own and asks_what_in_general(text)):
        return None
    window, min_cents, max_cents = filters_of(text)
    kind = next((kind for kind, pattern in PATTERNS if pattern.search(text)), None)
    if kind is None and own and intent:
        kind = INTENT_KINDS.get(intent.split(":", 1)[-1])
    filtered = window is not None or min_cents is not None or max_cents is not None
    if kind is None and (min_cents is not None or max_cents is not None):  # "anything over $500 this month?"
        kind = "transactions"
    # Without "my" only an action ("freeze the card") or a filtered search ("the Amazon charge last week") is
    # about one's own money.
    if kind is None or not (own or mentions_own(text) or kind in ACTIONS or (filtered and kind == "transactions")):
        return None
    return AccountRequest(
        kind=kind,
        text=text,
        card_hint=card_hint(text),
        window=window,
        min_cents=min_cents,
        max_cents=max_cents,
        amount_text=amount_text(text) if kind in ("move_money", "dispute") else None,
        words=words_of(text),
    )


def filters_of(text: str) -> tuple[Window | None, int | None, int | None]:
    """The time window and the amount bounds the words set ("last week", "over $500", "under $20")."""
    return window_of(text), cents_after(OVER, text), cents_after(UNDER, text)


def words_of(text: str) -> list[str]:
    """The request's lower-cased words, which the tools match merchants and filters against."""
    return WORD.findall(text.lower())


def follow_up_request(previous: str, text: str) -> AccountRequest | None:
    """A short follow-up to an account request, read as that request with what it changes.

    "and last month?" after "show my Amazon charges last week" is the Amazon search over last month; "what
    about the credit card?" after "is my debit card frozen?" asks about the other card. A follow-up that
    changes no window, amount, card or account is not read as one (it may well be a policy question); nor
    is one after a money move or a dispute, whose amounts and accounts a fragment would only blur.
    """
    earlier = read_request(previous, own=True)
    if earlier is not None and earlier.kind in ("move_money", "dispute"):
        return None
    window, min_cents, max_cents = filters_of(text)
    hint, account = card_hint(text), SAVINGS.search(text) or CHECKING.search(text)
    if earlier is None or not (window or min_cents is not None or max_cents is not None or hint or account):
        return None
    words = words_of(text)
    return replace(
        earlier,
        text=f"{previous} {text}",
        card_hint=hint or earlier.card_hint,
        window=window or earlier.window,
        min_cents=earlier.min_cents if min_cents is None else min_cents,
        max_cents=earlier.max_cents if max_cents is None else max_cents,
        words=earlier.words + words,
        follow_up_words=words,
    )


def card_hint(text: str) -> str | None:
    """Which card the message names: its last four digits, its kind, or an unknown kind of card."""
    if match := LAST4.search(text):
        return match.group(1)
    for word in (w.lower() for w in CARD_WORD.findall(text)):
        if word in ("debit", "credit"):
            return word
        if word not in GENERIC_CARD_WORDS:
            return word
    return None


def window_of(text: str) -> Window | None:
    """The span of days the message asks about, if it names one."""
    lowered = text.lower()
    if match := re.search(r"\b(?:last|past) (\d{1,3}) days\b", lowered):
        return Window(f"in the last {match.group(1)} days", int(match.group(1)) - 1)
    spans = {
        "today": Window("today", 0),
        "yesterday": Window("yesterday", 1, 1),
        "last week": Window("in the last 7 days", 6),
        "this week": Window("in the last 7 days", 6),
        "past week": Window("in the last 7 days", 6),
        "this month": Window("this month", -1),
        "last month": Window("last month", -2),
    }
    return next((window for phrase, window in spans.items() if phrase in lowered), None)


def cents_after(pattern: re.Pattern[str], text: str) -> int | None:
    """The amount after a comparison word ("over $500"), in cents."""
    match = pattern.search(text)
    return round(float(match.group(2).replace(",", "")) * 100) if match else None


def amount_text(text: str) -> str | None:
    """The amount a money move names, as typed ("$250", "-50"); None when it names none in figures."""
    match = AMOUNT.search(text)
    return match.group(0).strip() if match else None


def account_kinds(text: str) -> tuple[str | None, str | None]:
    """(from, to) account kinds of a money move: "move $50 to savings" comes from checking."""
    to_savings = re.search(r"\b(to|into)\s+(my\s+)?(high-yield\s+)?savings?\b", text, re.I)
    to_checking = re.search(r"\b(to|into)\s+(my\s+)?(everyday\s+)?(checking|current)\b", text, re.I)
    if to_savings and not to_checking:
        return "checking", "savings"
    if to_checking and not to_savings:
        return "savings", "checking"
    return None, None
