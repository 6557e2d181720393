"""What an operator's deployment needs beside turns: readiness, batch jobs and the user store."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import lru_cache
from pathlib import Path
from typing import Literal

from agent.audit import AuditLog, sign_in_entry
from agent.checkpoint import open_checkpointer
from agent.dependencies import app_database_url, open_user_store
from agent.runtime.probe import backend_reachable
from agent.service.assistant import Assistant
from agent.settings import Settings
from tools.batch_jobs import BatchJobs
from tools.counters import CounterStore
from tools.database import Database, shown_url
from tools.migrate import current_revision, ensure_schema
from tools.users import UserStore

__all__ = ["audit_sign_in", "open_batch_jobs", "open_counters", "open_user_store", "readiness", "upgrade_database"]
SignInOutcome = Literal["signed_in", "failed", "locked"]


def open_batch_jobs(settings: Settings) -> BatchJobs:
    """The batch-job table in the app DB, with this replica's worker thread."""
    return BatchJobs(app_database_url(settings), lease_s=settings.job_lease_s)


def open_counters(settings: Settings) -> CounterStore:
    """The rate-limit and sign-in counters in the app DB, shared by every replica and front end."""
    return CounterStore(app_database_url(settings))


def upgrade_database(settings: Settings) -> str:
    """Bring the app DB to the newest schema and set up the checkpoint tables; says what it did, in one line."""
    database = Database(app_database_url(settings))
    try:
        before = current_revision(database)
        ensure_schema(database)
        after = current_revision(database)
    finally:
        database.close()
    assert settings.checkpoint_url is not None  # filled by the settings validator
    with open_checkpointer(settings.checkpoint_url):
        pass  # opening it creates or upgrades LangGraph's own tables
    change = "already at" if before == after else f"upgraded from {before or 'an unversioned schema'} to"
    return f"The app database at {shown_url(database.url)} is {change} revision {after}."


def audit_sign_in(settings: Settings, user: str, outcome: SignInOutcome, client: str, front_end: str = "web") -> None:
    """One audit line per sign-in attempt: who (as typed), the outcome, from where; never the password."""
    _audit_log(settings.audit_log_path).write(sign_in_entry(user, outcome, client, front_end))


@lru_cache(maxsize=4)
def _audit_log(path: Path) -> AuditLog:
    """One log object per path in a process, so its lock keeps concurrent sign-ins' lines whole."""
    return AuditLog(path)


async def readiness(assistant: Assistant, users: UserStore) -> dict[str, str]:
    """Each dependency: `ok` or `down` (the blocking probes run off the event loop)."""
    settings = assistant.services.settings
    checks = {"model_backend": "ok" if await asyncio.to_thread(backend_reachable, settings) else "down"}
    probes: dict[str, Callable[[], Awaitable[object]]] = {
        "vector_store": lambda: asyncio.to_thread(assistant.services.retriever.store.count),
        "database": lambda: asyncio.to_thread(users.list_users),
        "checkpoints": lambda: anext(aiter(assistant.checkpointer.alist(None, limit=1)), None),
    }
    for name, probe in probes.items():
        try:
            await probe()
            checks[name] = "ok"
        except Exception:  # any failure means not ready; the probe's detail is not for the caller
            checks[name] = "down"
    return checks
