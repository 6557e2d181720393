"""The account tools as LangChain tools, offered to a tool-calling model behind the `openai` backend.

The model only chooses the tool and its arguments: running a tool reads its call into the same
`AccountRequest` the deterministic parser makes, so the read tools, the proposal, the customer's
confirmation and the checks are the same code either way. A model that calls no tool, or calls one
with arguments that do not validate, leaves the choice to the parser.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, Field, ValidationError

from tools.account_requests import AccountRequest, Kind, Window, words_of

log = logging.getLogger(__name__)

CHOOSE_TOOL = (
    "You help a bank customer with their own accounts. Call exactly one tool for the customer's message. "
    "Actions (freeze_card, unfreeze_card, report_lost, dispute, move_money) are only proposed: the customer "
    "confirms them afterwards. Take amounts exactly as the customer wrote them."
)


class NoArgs(BaseModel):
    """No arguments."""


class CardArgs(BaseModel):
    """Which card."""

    card: str | None = Field(None, description="'debit', 'credit' or the card's last four digits; none: every card")


class SearchArgs(BaseModel):
    """Filters of a transaction search."""

    merchant: str | None = Field(None, description="Merchant or payee words, e.g. 'Amazon'")
    days_back: int | None = Field(None, ge=1, le=90, description="Only the last N days")
    min_amount: float | None = Field(None, ge=0, description="Only transactions larger than this, in dollars")
    max_amount: float | None = Field(None, ge=0, description="Only transactions smaller than this, in dollars")


class DisputeArgs(BaseModel):
    """The charge to dispute."""

    merchant: str | None = Field(None, description="The merchant of the charge")
    amount: str | None = Field(None, description="The charge's amount as the customer wrote it, e.g. '$9.23'")


class MoveArgs(BaseModel):
    """A move between the customer's own accounts."""

    amount: str = Field(description="The amount as the customer wrote it, e.g. '$250'")
    to_account: Literal["savings", "checking"] = Field(description="The account the money goes to")


TOOLS: list[tuple[Kind, str, type[BaseModel]]] = [
    ("balance", "Each of the customer's accounts' available balance.", NoArgs),
    ("transactions", "Search the customer's transactions.", SearchArgs),
    ("pending", "The customer's transactions that have not posted yet.", NoArgs),
    ("card_status", "A card's status and delivery date.", CardArgs),
    ("transfer_status", "The customer's recent and scheduled transfers out.", NoArgs),
    ("freeze_card", "Propose freezing a card.", CardArgs),
    ("unfreeze_card", "Propose unfreezing a card.", CardArgs),
    ("report_lost", "Propose reporting a card lost or stolen (it is cancelled and a replacement ordered).", CardArgs),
    ("dispute", "Propose disputing a charge the customer does not recognise.", DisputeArgs),
    ("move_money", "Propose moving money between the customer's checking and savings.", MoveArgs),
]


def account_tools(message: str) -> list[BaseTool]:
    """The tools for one message; running one returns the `AccountRequest` its arguments describe."""
    return [
        StructuredTool.from_function(
            func=request_reader(kind, message), name=kind, description=description, args_schema=schema
        )
        for kind, description, schema in TOOLS
    ]


def request_reader(kind: Kind, message: str) -> Callable[..., AccountRequest]:
    """A tool's function: its validated arguments, read into a request about `message`."""

    def read(**args: Any) -> AccountRequest:
        return request_of(kind, message, args)

    return read


def request_of(kind: Kind, message: str, args: dict[str, Any]) -> AccountRequest:
    """The request a tool call describes, in the parser's terms (the message's words still match merchants)."""
    words = words_of(f"{message} {args.get('merchant') or ''}")
    days, card = args.get("days_back"), args.get("card")
    text = f"{message} (to {args['to_account']})" if kind == "move_money" else message
    return AccountRequest(
        kind=kind,
        text=text,
        card_hint=str(card).lower() if card else None,
        window=Window(f"in the last {days} days", days - 1) if days else None,
        min_cents=cents(args.get("min_amount")),
        max_cents=cents(args.get("max_amount")),
        amount_text=args.get("amount"),
        words=words,
    )


def cents(dollars: float | None) -> int | None:
    """Dollars as cents, or None."""
    return None if dollars is None else round(dollars * 100)


def request_from_model(model: BaseChatModel, message: str) -> AccountRequest | None:
    """The request the model's first valid tool call describes; None when it calls none the tools accept."""
    tools = {tool.name: tool for tool in account_tools(message)}
    reply = model.bind_tools(list(tools.values())).invoke([SystemMessage(CHOOSE_TOOL), HumanMessage(message)])
    calls = reply.tool_calls if isinstance(reply, AIMessage) else []
    for call in calls:
        tool = tools.get(call["name"])
        if tool is None:
            log.warning("The model called an unknown account tool %r; the parser chooses.", call["name"])
            continue
        try:
            return tool.invoke(call["args"])
        except ValidationError as exc:
            log.warning("The model's %s call did not validate (%s); the parser chooses.", call["name"], exc)
    return None
