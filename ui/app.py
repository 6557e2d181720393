"""The Chainlit web app (`bankassist ui`, or `chainlit run ui/app.py`): a thin layer over `agent.service`.

Who the user is comes from the signed-in session, never from a message: a customer always talks about
their own reports; an analyst picks a customer in the chat settings. The Chainlit thread id is the
LangGraph thread id, so a resumed conversation continues the same graph thread.
"""

from __future__ import annotations

import asyncio
import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import chainlit as cl
import chainlit.server as chainlit_server
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.input_widget import InputWidget, Select
from chainlit.types import CommandDict, ThreadDict

from agent.service import (
    Done,
    Step,
    Token,
    TurnResult,
    User,
    audit_sign_in,
    close_case,
    import_report_file,
    list_cases,
    list_customers,
    precheck_session,
)
from tools.errors import BankassistError, InvalidInputError, PermissionDeniedError
from ui.auth import require_users
from ui.chat_store import async_url, ensure_schema
from ui.client_address import RememberClientAddress, client_address
from ui.rate_limit import LoginThrottle
from ui.web_runtime import check_launch, close_runtime, get_runtime, iterate_in_thread
from ui.web_views import (
    cases_markdown,
    customer_label,
    element_name,
    facts_markdown,
    parse_case_close,
    parse_customer_ids,
    scope_markdown,
    source_display,
    source_markdown,
    sources_markdown,
    summary_markdown,
)

log = logging.getLogger("bankassist.ui")
# The login throttle counts per client address too; Chainlit's password callback is not given the request.
chainlit_server.app.add_middleware(RememberClientAddress)
SUMMARIES_COMMAND = "Summaries"
CASES_COMMAND = "Cases"
ANALYST_COMMANDS: list[CommandDict] = [
    {
        "id": SUMMARIES_COMMAND,
        "icon": "list-checks",
        "description": "Batch credit summaries: type customer ids, e.g. C0001 C0002",
        "button": True,
        "persistent": False,
        "selected": False,
    },
    {
        "id": CASES_COMMAND,
        "icon": "life-buoy",
        "description": "Open cases (disputes, handoffs); type close ID how-resolved to close one",
        "button": True,
        "persistent": False,
        "selected": False,
    },
]
DECIDE = "decide_action"  # the Confirm/Cancel buttons' callback
SOMETHING_WENT_WRONG = "Something went wrong on our side while answering; please try again."


@cl.data_layer
def chat_history() -> SQLAlchemyDataLayer:
    """Conversation history in SQL (SQLite by default, Postgres by setting), its tables created first."""
    url = get_runtime().settings.chat_db_url
    assert url is not None  # filled by the settings validator
    ensure_schema(url)
    return SQLAlchemyDataLayer(conninfo=async_url(url))


@cl.on_app_startup
def refuse_unsafe_launch() -> None:
    """Production mode without its secrets, or without a user who can sign in, does not start."""
    runtime = get_runtime()
    check_launch(runtime.settings, dict(os.environ))
    require_users(runtime.settings, runtime.users)


@cl.on_app_shutdown
async def close_services() -> None:
    """Close the DBs and the checkpointer."""
    await close_runtime()


@lru_cache(maxsize=1)
def login_throttle() -> LoginThrottle:
    """The login throttle per user name, built on first login; it counts in the app DB, with every replica."""
    runtime = get_runtime()
    settings = runtime.settings
    return LoginThrottle(settings.login_max_failures, settings.login_lockout_s, runtime.counters)


@lru_cache(maxsize=1)
def address_throttle() -> LoginThrottle:
    """The process's login throttle per client address: one address guessing across many names."""
    runtime = get_runtime()
    settings = runtime.settings
    return LoginThrottle(
        settings.login_max_failures_per_address, settings.login_lockout_s, runtime.counters, scope="address"
    )


@cl.password_auth_callback
async def log_in(username: str, password: str) -> cl.User | None:
    """Check the password against the users table; a wrong name or password gets the same answer.

    A name, or a client address, with too many recent failures gets that answer too, without a check
    (see LoginThrottle). A right password clears the name's count but only refunds the address's.
    """
    name, address, settings = username.strip()[:100], client_address(), get_runtime().settings
    names, addresses = login_throttle(), address_throttle()
    if not addresses.allow(address) or not names.allow(name):
        await asyncio.to_thread(audit_sign_in, settings, name, "locked", address)
        return None
    user = await asyncio.to_thread(get_runtime().users.check_password, name, password[:1000])
    if user is None:
        names.failed(name)
        addresses.failed(address)
        await asyncio.to_thread(audit_sign_in, settings, name, "failed", address)
        return None
    names.succeeded(name)
    addresses.refund(address)
    await asyncio.to_thread(audit_sign_in, settings, name, "signed_in", address)
    return cl.User(identifier=user.name, display_name=user.name, metadata={"role": user.role})


@cl.set_starters
async def starters(current_user: cl.User | None = None, language: str | None = None) -> list[cl.Starter]:
    """Example questions for an empty chat; an analyst's are about the selected customer."""
    role = (current_user.metadata or {}).get("role") if current_user else None
    if role == "analyst":
        return [
            cl.Starter(label="What changed in this report?", message="What changed in my credit report?"),
            cl.Starter(label="How can they improve?", message="How can I improve my score?"),
            cl.Starter(label="Wire transfer fees", message="What are your wire transfer fees?"),
        ]
    return [
        cl.Starter(label="Wire transfer fees", message="What are your wire transfer fees?"),
        cl.Starter(label="My balances", message="What's my balance?"),
        cl.Starter(label="What changed in my credit report?", message="What changed in my credit report?"),
        cl.Starter(label="How can I improve my score?", message="How can I improve my score?"),
    ]


@cl.on_chat_start
async def start_chat() -> None:
    """Analysts get the customer selector and the batch-summary command."""
    user = session_user()
    if user.role == "analyst":
        await offer_customers(None)


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """The graph thread is the Chainlit thread, so only the analyst's tools need restoring."""
    user = session_user()
    if user.role == "analyst":
        await offer_customers(cl.context.session.chat_settings.get("customer"))


@cl.on_settings_update
async def select_customer(values: dict[str, Any]) -> None:
    """An analyst picked a customer: later credit questions are about them."""
    user = session_user()
    if user.role != "analyst":
        return
    customer_id = str(values.get("customer", ""))
    try:
        await asyncio.to_thread(precheck_session, customer_id, None, get_runtime().settings)
    except BankassistError as exc:
        await cl.Message(content=str(exc)).send()
        return
    cl.user_session.set("customer_id", customer_id)
    await cl.Message(content=f"Now looking at customer **{customer_id}**.").send()


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """One user message: a rate check, then an upload, a command or a turn; errors become one chat line."""
    try:
        user = session_user()  # re-read each message: a user disabled since signing in stops here
        wait = get_runtime().limiter.take(user.name)
        if wait:
            raise InvalidInputError(f"You are sending messages too quickly; please wait {wait:.0f} s and try again.")
        if message.command == SUMMARIES_COMMAND:
            await run_summaries(user, message.content)
        elif message.command == CASES_COMMAND:
            await show_cases(user, message.content)
        elif files := [cast(cl.File, e) for e in message.elements if isinstance(e, cl.File)]:
            await import_upload(user, files)
        else:
            await answer(user, message.content)
    except BankassistError as exc:
        await cl.Message(content=f"⚠️ {exc}").send()
    except Exception:
        log.exception("Web turn failed")
        await cl.Message(content=f"⚠️ {SOMETHING_WENT_WRONG}").send()


async def answer(user: User, text: str) -> None:
    """Run one turn: steps for the scope decision, sources and facts; the answer's tokens streamed."""
    runtime, customer_id = get_runtime(), current_customer(user)
    assistant = await runtime.assistant()
    reply, result, shown = cl.Message(content=""), None, set[str]()
    async with runtime.turn():
        turn = assistant.astream(text, customer_id, cl.context.session.thread_id, user.name, user.role)
        async for event in turn:
            if isinstance(event, Step):
                await show_step(event.update, shown)
            elif isinstance(event, Token):
                await reply.stream_token(event.text)
            elif isinstance(event, Done):
                result = event.result
    assert result is not None  # the stream always ends with Done
    await finish_reply(reply, result)


async def show_step(update: dict[str, Any], shown: set[str]) -> None:
    """What a node decided, as a Chainlit step (each once): the route, the sources or the verified facts."""
    if "scope_confidence" in update and "route" not in shown:
        shown.add("route")
        scope = scope_markdown(
            update["route"],
            update["scope_confidence"],
            update.get("scope_reason"),
            update.get("intent"),
            update.get("intent_probability") or 0.0,
        )
        await send_step("Scope check", scope)
    if update.get("sources") and "sources" not in shown:
        shown.add("sources")
        await send_step("Policy sources", sources_markdown(update["sources"]))
    if update.get("facts_source") and "facts" not in shown:
        shown.add("facts")
        facts = facts_markdown(update.get("facts", []), update.get("facts_dropped", 0), update["facts_source"])
        await send_step("Account details" if update["facts_source"] == "accounts" else "Verified credit facts", facts)


async def send_step(name: str, output: str) -> None:
    """A finished step shown above the answer."""
    async with cl.Step(name=name, type="tool", default_open=False) as step:
        step.output = output


async def finish_reply(reply: cl.Message, result: TurnResult) -> None:
    """The final (checked) answer replaces the streamed draft; its citations open the sources."""
    reply.content = result.answer
    # Chainlit annotates `elements` with a TypeVar, so no concrete list type checks; cast past it.
    display = source_display(result.output_check)
    reply.elements = cast(Any, [
        cl.Text(name=element_name(n, display), content=source_markdown(n, dict(s)), display=display)
        for n, s in enumerate(result.sources, start=1)
    ])  # fmt: skip
    if result.pending_action:  # Confirm and Cancel under the proposal; the decision resumes the thread
        reply.actions = decision_buttons(result.pending_action["id"])
        cl.user_session.set(f"buttons:{result.pending_action['id']}", reply.actions)
    await reply.send()


def decision_buttons(action_id: str) -> list[cl.Action]:
    """The two buttons of a proposed account action."""
    return [
        cl.Action(name=DECIDE, payload={"decision": "confirm", "action_id": action_id}, label="Confirm", icon="check"),
        cl.Action(name=DECIDE, payload={"decision": "cancel", "action_id": action_id}, label="Cancel", icon="x"),
    ]


@cl.action_callback("decide_action")
async def decide_action(action: cl.Action) -> None:
    """A click on Confirm or Cancel: the action runs at most once, and the buttons go away."""
    try:
        user = session_user()
        runtime = get_runtime()
        assistant = await runtime.assistant()
        who = (current_customer(user), user.name, user.role)
        async with runtime.turn():
            result = await assistant.adecide(
                cl.context.session.thread_id, action.payload["decision"], *who, action.payload["action_id"]
            )
        await cl.Message(content=result.answer).send()
    except BankassistError as exc:
        await cl.Message(content=f"⚠️ {exc}").send()
    # Both buttons go (the pair is kept in the session; after a restart only the clicked one is known).
    for button in cl.user_session.get(f"buttons:{action.payload.get('action_id')}") or [action]:
        await button.remove()


async def import_upload(user: User, files: list[cl.File]) -> None:
    """An analyst's JSON credit report, validated by the report schema and stored for the selected customer."""
    if user.role != "analyst":
        raise PermissionDeniedError("Only analysts can upload credit reports.")
    if len(files) != 1:
        raise InvalidInputError("Upload one JSON credit report at a time.")
    customer_id = current_customer(user)
    if customer_id is None:
        raise InvalidInputError("Pick a customer in the chat settings before uploading a report.")
    upload, settings = files[0], get_runtime().settings
    if not upload.path:
        raise InvalidInputError(f"The upload {upload.name} arrived empty; please try again.")
    report = await asyncio.to_thread(
        import_report_file, Path(upload.path), customer_id, None, settings, shown_name=upload.name
    )
    text = f"Stored **{upload.name}** for {customer_id}: {report.bureau} report of {report.report_date}"
    text += f", score {report.score}."
    await cl.Message(content=text).send()


async def run_summaries(user: User, text: str) -> None:
    """An analyst's batch credit summaries, one message per customer as each chunk finishes."""
    if user.role != "analyst":
        raise PermissionDeniedError("Only analysts can run batch summaries.")
    runtime, customer_ids = get_runtime(), parse_customer_ids(text)
    assistant = await runtime.assistant()
    await cl.Message(content=f"Summarizing {len(customer_ids)} customer(s)...").send()
    async with runtime.turn():
        async for summary in iterate_in_thread(lambda: assistant.summaries(customer_ids)):
            await cl.Message(content=summary_markdown(summary)).send()


async def show_cases(user: User, text: str) -> None:
    """An analyst's open cases, newest first, transcripts beside them; `close ID resolution` closes one first."""
    if user.role != "analyst":
        raise PermissionDeniedError("Only analysts can list or close cases.")
    if to_close := parse_case_close(text):
        case_id, resolution = to_close
        closed = await asyncio.to_thread(close_case, case_id, user.name, resolution, get_runtime().settings)
        await cl.Message(content=f"Closed case **{closed.id}**: {closed.resolution}").send()
    found = await asyncio.to_thread(list_cases, True, get_runtime().settings)
    elements = [cl.Text(name=case.id, content=case.transcript, display="side") for case in found if case.transcript]
    await cl.Message(content=cases_markdown(found), elements=cast(Any, elements)).send()


async def offer_customers(selected: str | None) -> None:
    """The analyst's customer selector (the previous choice kept on resume) and commands."""
    customers = await asyncio.to_thread(list_customers, get_runtime().settings)
    if not customers:
        raise InvalidInputError("There are no customers yet: run `bankassist seed`.")
    items = {customer_label(c.id, c.name): c.id for c in customers}
    initial = selected if selected in items.values() else customers[0].id
    widgets: list[InputWidget] = [Select(id="customer", label="Customer", items=items, initial_value=initial)]
    await cl.ChatSettings(widgets).send()
    cl.user_session.set("customer_id", initial)
    await cl.context.emitter.set_commands(ANALYST_COMMANDS)


def session_user() -> User:
    """The signed-in user, re-read from the users table (a deleted or disabled user is stopped at every action)."""
    session_identity = cl.context.session.user
    user = get_runtime().users.get_user(session_identity.identifier) if session_identity else None
    if user is None:
        raise PermissionDeniedError("Your session has no valid user; please sign in again.")
    return user


def current_customer(user: User) -> str | None:
    """A customer's own id; for an analyst, the customer picked in the settings (None before a pick)."""
    if user.role == "customer":
        return user.customer_id
    selected = cl.user_session.get("customer_id")
    return str(selected) if selected else None
