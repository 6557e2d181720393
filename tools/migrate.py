"""Schema migrations (Alembic, scripts in tools/migrations): `bankassist db upgrade`, and on every open.

On PostgreSQL the whole upgrade is one transaction under an advisory lock, so replicas that start together
wait for each other and a failed migration leaves the schema as it was. On SQLite it is one `BEGIN IMMEDIATE`
transaction. Files made before migrations existed are adopted: the first revision creates only what is missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tools.database import SCHEMA_HEAD, Database

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
UPGRADE_LOCK = 7_310_042  # any constant: the pg_advisory_xact_lock key all replicas take while upgrading


def open_database(url: str) -> Database:
    """The database at `url` with its schema brought up to date (a no-op when it is)."""
    database = Database(url)
    try:
        ensure_schema(database)
    except BaseException:
        database.close()
        raise
    return database


def ensure_schema(database: Database) -> None:
    """Upgrade to the newest revision unless the database is already there (one cheap query)."""
    if current_revision(database) != SCHEMA_HEAD:
        upgrade(database)


def current_revision(database: Database) -> str | None:
    """The revision the database is at; None before any migration ran."""
    exists = (
        "SELECT 1 FROM information_schema.tables "
        "WHERE table_name = 'alembic_version' AND table_schema = current_schema()"
        if database.postgres
        else "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    )
    if database.execute(exists).fetchone() is None:
        return None
    row = database.execute("SELECT version_num FROM alembic_version").fetchone()
    return str(row[0]) if row else None


def upgrade(database: Database, target: str = "head", locations: list[Path] | None = None) -> None:
    """Run the migrations up to `target` in one transaction; `locations` adds script folders (tests)."""
    from alembic import command

    config = alembic_config(locations)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        if database.postgres:
            with connection.begin():
                connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({UPGRADE_LOCK})")
                command.upgrade(config, target)
            return
        _sqlite_upgrade(connection.execution_options(isolation_level="AUTOCOMMIT"), config, target)


def _sqlite_upgrade(connection: Connection, config: Config, target: str) -> None:
    """SQLite's DDL is transactional too once the driver leaves the transaction to us."""
    from alembic import command

    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        command.upgrade(config, target)
    except BaseException:
        connection.exec_driver_sql("ROLLBACK")
        raise
    connection.exec_driver_sql("COMMIT")


def alembic_config(locations: list[Path] | None = None) -> Config:
    """Alembic's config, built in code (no alembic.ini to ship)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    folders = [MIGRATIONS / "versions", *(locations or [])]
    config.set_main_option("version_locations", " ".join(str(folder) for folder in folders))
    config.set_main_option("path_separator", "space")
    return config
