"""LangGraph checkpointers: SQLite by default, Postgres by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from tools.database import sqlite_path
from tools.errors import ConfigurationError, StoreError

SETUP_LOCK = 7_310_044  # the advisory lock key replicas take while setting up the checkpoint tables


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver]:
    """Open the checkpointer named by `url` (sqlite:///path or postgresql://...) and set up its tables."""
    if url.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(url) as saver:
            with _setup_lock(url):
                saver.setup()
            yield saver
        return
    if not url.startswith("sqlite:///"):
        raise ConfigurationError(
            f"Unsupported checkpoint URL scheme {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql://."
        )
    yield from _sqlite_checkpointer(url)


@contextmanager
def _setup_lock(url: str) -> Iterator[None]:
    """Replicas set LangGraph's tables up one at a time: its setup is not safe to run concurrently."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


@asynccontextmanager
async def _async_setup_lock(url: str) -> AsyncIterator[None]:
    """The async twin of `_setup_lock`."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        await connection.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def _sqlite_checkpointer(url: str) -> Iterator[BaseCheckpointSaver]:
    """A SqliteSaver on its own connection, closed afterwards."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    path = sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"Cannot open the checkpoint DB at {path}: {exc}") from exc
    try:
        saver = SqliteSaver(connection)
        saver.setup()
        yield saver
    finally:
        connection.close()


@asynccontextmanager
async def open_async_checkpointer(url: str) -> AsyncIterator[BaseCheckpointSaver]:
    """The async twin of `open_checkpointer`, for graphs run with `ainvoke`/`astream`."""
    if url.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

        async with AsyncPostgresSaver.from_conn_string(url) as saver:
            async with _async_setup_lock(url):
                await saver.setup()
            yield saver
        return
    if not url.startswith("sqlite:///"):
        raise ConfigurationError(
            f"Unsupported checkpoint URL scheme {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql://."
        )
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    path = sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot open the checkpoint DB at {path}: {exc}") from exc
    async with AsyncSqliteSaver.from_conn_string(str(path)) as saver:
        await saver.setup()
        yield saver
