"""LangGraph server auth (`auth` in langgraph.json): our API keys and roles, each user's threads their own.

The SDK sends its key as `x-api-key`; `Authorization: Bearer <key>` (what `bankassist api` takes) works too.
A run's context is checked here, before the server stores the run: an unknown field, a malformed value or a
customer naming another customer is a 4xx with one sentence, not a failed run.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from langgraph_sdk import Auth
from langgraph_sdk.auth.types import RunsCreate, ThreadsCreate

from agent.dependencies import open_report_store, open_user_store
from agent.langgraph_server.run_facts import asker, check_context_fields, check_run_payload
from agent.settings import get_settings
from tools.errors import AuthenticationError, BankassistError, InvalidInputError, UnknownCustomerError
from tools.reports import ReportStore
from tools.users import User, UserStore
from tools.validation import check_customer

auth = Auth()
KEY_REQUIRED = "An API key is required: send `x-api-key: <key>` (or `Authorization: Bearer <key>`)."
STATUS = ((AuthenticationError, 401), (UnknownCustomerError, 404), (InvalidInputError, 400))


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    """The key's user, with the role and customer id the graph's runs take."""
    secret = api_key(headers)
    user = await asyncio.to_thread(_user_for_key, secret) if secret else None
    if user is None:
        raise refused(AuthenticationError(KEY_REQUIRED if not secret else "The API key is unknown or revoked."))
    return {"identity": user.name, "role": user.role, "customer_id": user.customer_id}  # type: ignore[typeddict-unknown-key]


@auth.on.threads.create
async def own_new_thread(ctx: Auth.types.AuthContext, value: ThreadsCreate) -> dict[str, str]:
    """A thread belongs to whoever made it."""
    metadata = value.setdefault("metadata", {})  # changed in place: the server keeps its own reference
    metadata["owner"] = ctx.user.identity
    return {"owner": ctx.user.identity}


@auth.on.threads.create_run
async def check_run(ctx: Auth.types.AuthContext, value: RunsCreate) -> dict[str, str]:
    """Runs only on one's own threads, with an input and context the caller may give."""
    await asyncio.to_thread(_check_run, ctx.user, value.get("kwargs") or {})
    return {"owner": ctx.user.identity}


@auth.on.threads
async def own_threads_only(ctx: Auth.types.AuthContext, value: Any) -> dict[str, str]:
    """Reading, searching, updating or deleting threads: one's own only."""
    return {"owner": ctx.user.identity}


@auth.on.assistants
async def read_assistants_only(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Anyone signed in may read the graph's assistants; making or changing them is the operator's deploy."""
    if ctx.action not in ("read", "search"):
        raise Auth.exceptions.HTTPException(status_code=403, detail="Assistants are set by the deployment.")


@auth.on.store()
async def no_store(ctx: Auth.types.AuthContext, value: Any) -> None:
    """The graph keeps nothing in the server's store."""
    raise not_here()


@auth.on.crons
async def no_crons(ctx: Auth.types.AuthContext, value: Any) -> None:
    """Nothing is scheduled on the server; batch work is `bankassist api`'s jobs."""
    raise not_here()


def api_key(headers: dict[bytes, bytes]) -> str | None:
    """The key from `x-api-key`, else from `Authorization: Bearer`."""
    if key := headers.get(b"x-api-key"):
        return key.decode(errors="replace").strip()
    scheme, _, bearer = headers.get(b"authorization", b"").decode(errors="replace").partition(" ")
    return bearer.strip() if scheme.lower() == "bearer" else None


def not_here() -> Auth.exceptions.HTTPException:
    """What the server's store and crons answer."""
    return Auth.exceptions.HTTPException(status_code=403, detail="Not available on this deployment.")


def refused(error: BankassistError) -> Auth.exceptions.HTTPException:
    """Our error as the server's HTTP error: its sentence is the detail."""
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 403)
    return Auth.exceptions.HTTPException(status_code=status, detail=str(error))


def _check_run(login: Any, kwargs: dict[str, Any]) -> None:
    """The run's message or decision, its context and its customer, checked before the server stores the run."""
    try:
        check_run_payload(kwargs.get("input"), kwargs.get("command"), get_settings().max_message_chars)
        found = asker(check_context_fields(kwargs.get("context")), login, acting=bool(kwargs.get("command")))
        if found.customer_id is not None:
            check_customer(_reports(), found.customer_id)
    except BankassistError as error:
        raise refused(error) from None


def _user_for_key(secret: str) -> User | None:
    return _users().user_for_key(secret)


@functools.cache
def _users() -> UserStore:
    """Opened on the first request (in a worker thread), then kept for the process."""
    return open_user_store(get_settings())


@functools.cache
def _reports() -> ReportStore:
    return open_report_store(get_settings())
