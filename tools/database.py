"""The app database behind one URL: a SQLite file by default, PostgreSQL in production.

Users, API keys, thread owners, customers, reports, ledgers, actions, cases, batch jobs and rate counters
live here, so every replica sees the same state. Stores write SQL with `?` placeholders in the subset both
databases accept; on PostgreSQL they go to psycopg as `%s`. The schema belongs to the migrations
(`tools/migrations`): stores open the database with `tools.migrate.open_database`, which brings it up to date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.errors import ConfigurationError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

SCHEMA_HEAD = "0003"  # the newest migration; a unit test checks it against tools/migrations/versions
SETTING = "BANKASSIST_DATABASE_URL"
Params = Sequence[Any]


@dataclass
class Rows:
    """A statement's rows, read in full so the connection goes back at once, and how many rows it changed."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = 0

    def fetchone(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def one(self) -> tuple[Any, ...]:
        """The first row of a query that always has one (an aggregate, a row this transaction just read)."""
        if not self.rows:
            raise LookupError("the query returned no row")
        return self.rows[0]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row."""
        return self.rows

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        """The rows in order."""
        return iter(self.rows)


class DbTransaction:
    """Statements that commit together or not at all."""

    def __init__(self, connection: Connection, postgres: bool) -> None:
        """Wrap a connection inside an open transaction."""
        self._connection, self._postgres = connection, postgres
        # Appended to a SELECT whose rows the transaction will change: PostgreSQL locks them until commit;
        # SQLite needs nothing, as BEGIN IMMEDIATE already holds the only write lock.
        self.for_update = " FOR UPDATE" if postgres else ""
        self.skip_locked = " FOR UPDATE SKIP LOCKED" if postgres else ""  # claim a row no other worker holds

    def execute(self, sql: str, params: Params = ()) -> Rows:
        """Run one statement in this transaction."""
        return _run(self._connection, _driver_sql(sql, self._postgres), tuple(params))

    def lock(self, name: str) -> None:
        """Hold a named lock until the transaction ends, so writers that delete, then insert, take turns.

        Only PostgreSQL needs it: on SQLite, BEGIN IMMEDIATE already made every writer take turns.
        """
        if self._postgres:
            self.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (name,))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        """Run one statement once per row of parameters."""
        if rows:
            self._connection.exec_driver_sql(_driver_sql(sql, self._postgres), [tuple(row) for row in rows])


class Database:
    """One URL's engine: single statements autocommit, `transaction()` groups them."""

    def __init__(self, url: str) -> None:
        """Connect lazily; raises ConfigurationError for a URL that is neither SQLite nor PostgreSQL."""
        self.url = url
        self.postgres = is_postgres(url)
        self._engine = _engine(url)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (the migrations run on it)."""
        return self._engine

    def execute(self, sql: str, params: Params = ()) -> Rows:
        """Run one statement on its own (autocommit)."""
        with self._connect(autocommit=True) as connection:
            return _run(connection, _driver_sql(sql, self.postgres), tuple(params))

    @contextmanager
    def transaction(self) -> Iterator[DbTransaction]:
        """One atomic unit, rolled back on any error. SQLite takes its write lock at the start (no upgrade deadlock)."""
        with self._connect(autocommit=not self.postgres) as connection:
            if self.postgres:
                with connection.begin():
                    yield DbTransaction(connection, True)
                return
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield DbTransaction(connection, False)
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
            connection.exec_driver_sql("COMMIT")

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    @contextmanager
    def _connect(self, autocommit: bool) -> Iterator[Connection]:
        """A connection; a database that cannot be reached is a one-line StoreError naming the setting."""
        from sqlalchemy.exc import InterfaceError, OperationalError

        try:
            connection = self._engine.connect()
        except (OperationalError, InterfaceError) as exc:
            raise StoreError(unreachable(self.url, exc)) from exc
        try:
            with connection:
                yield connection.execution_options(isolation_level="AUTOCOMMIT") if autocommit else connection
        except (OperationalError, InterfaceError) as exc:  # it went away mid-statement: the transaction did not commit
            raise StoreError(f"{unreachable(self.url, exc)}; nothing was saved.") from exc


def is_postgres(url: str) -> bool:
    """Whether the URL names PostgreSQL (with or without a driver)."""
    return url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://"))


def sqlite_path(db_url: str) -> Path:
    """Turn `sqlite:///path` into a path, or raise ConfigurationError for any other URL."""
    prefix = "sqlite:///"
    if not db_url.startswith(prefix):
        raise ConfigurationError(f"Expected a sqlite:/// URL, got {db_url.split(':', 1)[0]!r}.")
    return Path(db_url[len(prefix) :]).expanduser()


def shown_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split(":", 1)[0] + ":..."


def unreachable(url: str, exc: BaseException) -> str:
    """The one line for a database that does not answer."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    reason = text.splitlines()[0][:200] if text else type(exc).__name__
    return f"The app database at {shown_url(url)} ({SETTING}) is unavailable: {reason}"


def _engine(url: str) -> Engine:
    """A small pool per database: PostgreSQL's connections are checked before use (a restart cuts them).

    SQLite pools too: a fresh connection per statement (with its pragmas) made a read cost 1.4 ms, not 0.3.
    """
    from sqlalchemy import create_engine, event

    if is_postgres(url):
        driver_url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return create_engine(driver_url, pool_size=4, max_overflow=8, pool_pre_ping=True, pool_recycle=300)
    if not url.startswith("sqlite:///"):
        scheme = url.split(":", 1)[0][:20]
        raise ConfigurationError(f"{SETTING} must be sqlite:///PATH or postgresql://...; got {scheme!r}.")
    path = sqlite_path(url)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"Cannot open the app DB at {path}: {exc}") from exc
    engine = create_engine(f"sqlite:///{path}", pool_size=2, max_overflow=16, connect_args={"timeout": 30})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(connection: sqlite3.Connection, _record: object) -> None:
    """WAL (readers never wait for the writer), foreign keys on, and commits that survive an app crash."""
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")


def _driver_sql(sql: str, postgres: bool) -> str:
    """`?` placeholders as the driver wants them (psycopg: `%s`, with literal `%` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s") if postgres else sql


def _run(connection: Connection, sql: str, params: tuple[Any, ...]) -> Rows:
    """Execute and read every row."""
    result = connection.exec_driver_sql(sql, params)
    rows = [tuple(row) for row in result] if result.returns_rows else []
    return Rows(rows, result.rowcount)
