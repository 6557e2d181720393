"""Model-server and DB failures as one-line, user-facing errors, for every front end."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from agent.settings import Settings
from tools.errors import ModelServerError, StoreError, TurnTimeoutError


@contextmanager
def translate_errors(settings: Settings) -> Iterator[None]:
    """Turn model-server and DB failures into one-line user-facing errors."""
    try:
        yield
    except Exception as exc:
        user_facing = _user_facing(exc, settings)
        if user_facing is None:
            raise  # a bug of ours, not the server's or the database's
        raise user_facing from exc


def _user_facing(exc: Exception, settings: Settings) -> Exception | None:
    """The one-line error for a model-server, timeout or database failure; None for anything else.

    The openai and psycopg modules are read only when already imported: an error of theirs cannot happen in a
    process that never loaded them, and importing openai just to compare costs 36 MiB.
    """
    openai, psycopg = sys.modules.get("openai"), sys.modules.get("psycopg")
    if openai is not None and isinstance(exc, openai.APIConnectionError):  # includes timeouts
        return ModelServerError(
            f"The model server at {settings.openai_base_url} did not answer ({type(exc).__name__}); "
            "check that it is running, then try again."
        )
    if openai is not None and isinstance(exc, openai.APIStatusError):
        return ModelServerError(f"The model server answered HTTP {exc.status_code}: {exc.message[:200]}")
    if (openai is not None and isinstance(exc, openai.APIError)) or (
        isinstance(exc, ValueError | TypeError | LookupError) and _from_openai_client(exc)
    ):  # a 200 that is not a chat completion
        return ModelServerError(
            f"The model server at {settings.openai_base_url} sent an answer that is not a valid chat completion."
        )
    if isinstance(exc, TimeoutError):  # LangGraph's step_timeout: one node ran past BANKASSIST_NODE_TIMEOUT_S
        return TurnTimeoutError(
            f"One step of this turn took longer than {settings.node_timeout_s:g} s (BANKASSIST_NODE_TIMEOUT_S), "
            "so the turn was stopped; please try again."
        )
    if isinstance(exc, sqlite3.OperationalError) or (psycopg is not None and isinstance(exc, psycopg.OperationalError)):
        return StoreError(f"The database is unavailable ({exc}); nothing was saved for this turn.")
    return None


def _from_openai_client(exc: BaseException) -> bool:
    """Whether the exception came up through the openai client or its LangChain wrapper (parsing a response)."""
    tb = exc.__traceback__
    while tb is not None:
        path = tb.tb_frame.f_code.co_filename
        if f"{os.sep}openai{os.sep}" in path or f"{os.sep}langchain_openai{os.sep}" in path:
            return True
        tb = tb.tb_next
    return False
