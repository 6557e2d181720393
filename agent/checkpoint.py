"""LangGraph checkpointers: SQLite by default, Postgres by URL."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, cast

from langgraph.checkpoint.base import BaseCheckpointSaver

from tools.database import sqlite_path
from tools.errors import ConfigurationError, StoreError

SETUP_LOCK = 7_310_044  # the advisory lock key replicas take while setting up the checkpoint tables
# Waiting by polling, not in pg_advisory_lock: LangGraph's setup runs CREATE INDEX CONCURRENTLY, which
# waits for every open transaction, so a replica blocked inside pg_advisory_lock would deadlock with it.
TRY_LOCK = "SELECT pg_try_advisory_lock(%s)"
LOCK_POLL_S = 0.2
POOL_SIZE = 8  # connections a replica's checkpointer may hold


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver]:
    """Open the checkpointer named by `url` (sqlite:///path or postgresql://...) and set up its tables."""
    if url.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
        from psycopg_pool import ConnectionPool

        # A pool that checks each connection before lending it: one cut by a database restart is replaced,
        # where LangGraph's single-connection `from_conn_string` would fail every turn after it.
        kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}  # as LangGraph's own
        with ConnectionPool(url, kwargs=kwargs, max_size=POOL_SIZE, check=ConnectionPool.check_connection) as pool:
            saver = PostgresSaver(cast(Any, pool))
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
        while not _took(connection.execute(TRY_LOCK, (SETUP_LOCK,)).fetchone()):
            time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


@asynccontextmanager
async def _async_setup_lock(url: str) -> AsyncIterator[None]:
    """The async twin of `_setup_lock`."""
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as connection:
        while not _took(await (await connection.execute(TRY_LOCK, (SETUP_LOCK,))).fetchone()):
            await asyncio.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            await connection.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


def _took(row: tuple[bool] | None) -> bool:
    """Whether pg_try_advisory_lock got the lock."""
    return bool(row and row[0])


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
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        kwargs = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
        check = AsyncConnectionPool.check_connection
        async with AsyncConnectionPool(url, kwargs=kwargs, max_size=POOL_SIZE, check=check, open=False) as pool:
            postgres = AsyncPostgresSaver(cast(Any, pool))
            async with _async_setup_lock(url):
                await postgres.setup()
            yield postgres
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
