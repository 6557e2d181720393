"""LangGraph checkpointers: SQLite by default, Postgres by URL."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from langgraph.checkpoint.base import BaseCheckpointSaver

from tools.database import sqlite_path
from tools.errors import ConfigurationError, StoreError


@contextmanager
def open_checkpointer(url: str) -> Iterator[BaseCheckpointSaver]:
    """Open the checkpointer named by `url` (sqlite:///path or postgresql://...) and set up its tables."""
    if url.startswith(("postgresql://", "postgres://")):
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(url) as saver:
            saver.setup()
            yield saver
        return
    if not url.startswith("sqlite:///"):
        raise ConfigurationError(
            f"Unsupported checkpoint URL scheme {url.split(':', 1)[0]!r}; use sqlite:/// or postgresql://."
        )
    yield from _sqlite_checkpointer(url)


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
