"""Model-server and DB failures as one-line, user-facing errors, for every front end."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from agent.settings import Settings
from tools.errors import ModelServerError, StoreError, TurnTimeoutError


@contextmanager
def translate_errors(settings: Settings) -> Iterator[None]:
    """Turn model-server and DB failures into one-line user-facing errors."""
    import openai
    import psycopg

    try:
        yield
    except openai.APIConnectionError as exc:  # includes timeouts
        raise ModelServerError(
            f"The model server at {settings.openai_base_url} did not answer ({type(exc).__name__}); "
            "check that it is running, then try again."
        ) from exc
    except openai.APIStatusError as exc:
        raise ModelServerError(f"The model server answered HTTP {exc.status_code}: {exc.message[:200]}") from exc
    except (openai.APIError, ValueError, TypeError, LookupError) as exc:  # a 200 that is not a chat completion
        if not isinstance(exc, openai.APIError) and not _from_openai_client(exc):
            raise  # a bug of ours, not the server's answer
        raise ModelServerError(
            f"The model server at {settings.openai_base_url} sent an answer that is not a valid chat completion."
        ) from exc
    except TimeoutError as exc:  # LangGraph's step_timeout: one node ran past BANKASSIST_NODE_TIMEOUT_S
        raise TurnTimeoutError(
            f"One step of this turn took longer than {settings.node_timeout_s:g} s (BANKASSIST_NODE_TIMEOUT_S), "
            "so the turn was stopped; please try again."
        ) from exc
    except (sqlite3.OperationalError, psycopg.OperationalError) as exc:  # the checkpointer's own connections
        raise StoreError(f"The database is unavailable ({exc}); nothing was saved for this turn.") from exc


def _from_openai_client(exc: BaseException) -> bool:
    """Whether the exception came up through the openai client or its LangChain wrapper (parsing a response)."""
    tb = exc.__traceback__
    while tb is not None:
        path = tb.tb_frame.f_code.co_filename
        if f"{os.sep}openai{os.sep}" in path or f"{os.sep}langchain_openai{os.sep}" in path:
            return True
        tb = tb.tb_next
    return False
