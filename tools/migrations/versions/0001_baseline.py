"""Baseline: the tables the app made itself before migrations (created only where missing, so older files are adopted).

Users live in `app_users`: the web UI's chat history (Chainlit's data layer) has its own `users` table, and
both may share one database. Files made before migrations had ours as `users`; they are renamed.

Revision ID: 0001
"""

from alembic import op
from sqlalchemy import Column, Inspector, Text, inspect

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = """
CREATE TABLE IF NOT EXISTS app_users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('customer', 'analyst')),
    customer_id TEXT,
    password_hash TEXT,
    disabled_at TEXT
);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES app_users(name),
    key_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS thread_owners (thread_id TEXT PRIMARY KEY, user_name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS customers (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS reports (
    customer_id TEXT NOT NULL REFERENCES customers(id),
    report_date TEXT NOT NULL,
    bureau TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (customer_id, report_date, bureau)
);
CREATE TABLE IF NOT EXISTS batch_jobs (
    job_id TEXT PRIMARY KEY, owner TEXT NOT NULL, status TEXT NOT NULL,
    customer_ids TEXT NOT NULL, results TEXT
);
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL,
    last4 TEXT NOT NULL, balance_cents BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, account_id TEXT NOT NULL, kind TEXT NOT NULL,
    last4 TEXT NOT NULL, status TEXT NOT NULL, arrives_on TEXT
);
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, account_id TEXT NOT NULL, card_id TEXT, posted_on TEXT NOT NULL,
    description TEXT NOT NULL, category TEXT NOT NULL, amount_cents BIGINT NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduled_transfers (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, from_account TEXT NOT NULL, payee TEXT NOT NULL,
    amount_cents BIGINT NOT NULL, runs_on TEXT NOT NULL, status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cases (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
    opened_at TEXT NOT NULL, status TEXT NOT NULL, thread_id TEXT, transcript TEXT
);
CREATE TABLE IF NOT EXISTS actions (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, thread_id TEXT NOT NULL, kind TEXT NOT NULL,
    params TEXT NOT NULL, summary TEXT NOT NULL, status TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
    expires_at DOUBLE PRECISION NOT NULL, decided_at DOUBLE PRECISION, outcome TEXT
);
CREATE INDEX IF NOT EXISTS transactions_by_account ON transactions (account_id, posted_on)
"""


def upgrade() -> None:
    """Adopt an older file's users table, then create what is missing."""
    inspector = _inspector()
    tables = set(inspector.get_table_names())
    if "users" in tables and "app_users" not in tables:
        columns = {column["name"] for column in inspector.get_columns("users")}
        if "password_hash" in columns:  # ours, not Chainlit's
            op.rename_table("users", "app_users")
            if "disabled_at" not in columns:  # made before accounts could be disabled: every row stays enabled
                op.add_column("app_users", _text_column("disabled_at"))
    for statement in TABLES.split(";"):
        op.execute(statement)


def downgrade() -> None:
    """The baseline is not undone: dropping it would drop every row."""
    raise NotImplementedError("the baseline revision cannot be downgraded")


def _inspector() -> Inspector:
    return inspect(op.get_bind())


def _text_column(name: str) -> Column[str]:
    return Column(name, Text, nullable=True)
