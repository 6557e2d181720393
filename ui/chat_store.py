"""The web UI's conversation history: Chainlit's SQLAlchemy data layer tables, and the feedback export.

Chainlit's data layer does not create its tables, so the app creates them before first use. The same
DB URL serves SQLite (the default, through aiosqlite) and Postgres (through psycopg, async and sync).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.service import PiiMasker
from tools.errors import InvalidInputError, StoreError

# Chainlit 2.12's schema (docs.chainlit.io/data-layers/sqlalchemy), with the columns later versions
# added (command, defaultOpen, autoCollapse, modes). {list} is TEXT[] on Postgres, TEXT on SQLite.
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS users (
        "id" UUID PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" JSONB NOT NULL, "createdAt" TEXT)""",
    """CREATE TABLE IF NOT EXISTS threads (
        "id" UUID PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" UUID, "userIdentifier" TEXT,
        "tags" {list}, "metadata" JSONB, FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS steps (
        "id" UUID PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL, "threadId" UUID NOT NULL,
        "parentId" UUID, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN, "isError" BOOLEAN,
        "metadata" JSONB, "tags" {list}, "input" TEXT, "output" TEXT, "createdAt" TEXT, "command" TEXT,
        "start" TEXT, "end" TEXT, "generation" JSONB, "showInput" TEXT, "language" TEXT, "indent" INT,
        "defaultOpen" BOOLEAN, "autoCollapse" BOOLEAN, "modes" JSONB,
        FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS elements (
        "id" UUID PRIMARY KEY, "threadId" UUID, "type" TEXT, "url" TEXT, "chainlitKey" TEXT, "name" TEXT NOT NULL,
        "display" TEXT, "objectKey" TEXT, "size" TEXT, "page" INT, "language" TEXT, "forId" UUID, "mime" TEXT,
        "props" JSONB, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
    """CREATE TABLE IF NOT EXISTS feedbacks (
        "id" UUID PRIMARY KEY, "forId" UUID NOT NULL, "threadId" UUID NOT NULL, "value" INT NOT NULL,
        "comment" TEXT, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE)""",
)
# Chainlit rates the run of one user message: the run's parent is that message, its last assistant
# child the answer (an assistant message rated directly is its own answer).
FEEDBACK_QUERY = """
SELECT f."value", f."comment", f."threadId", th."userIdentifier", t."createdAt",
    (SELECT q."output" FROM steps q WHERE q."id" = t."parentId" AND q."type" = 'user_message') AS question,
    (SELECT a."output" FROM steps a WHERE a."type" = 'assistant_message' AND (a."id" = t."id" OR a."parentId" = t."id")
        ORDER BY a."createdAt" DESC LIMIT 1) AS answer
FROM feedbacks f JOIN steps t ON t."id" = f."forId" LEFT JOIN threads th ON th."id" = f."threadId"
ORDER BY t."createdAt"
"""


def async_url(url: str) -> str:
    """The URL Chainlit's async engine needs: SQLite through aiosqlite, Postgres through psycopg."""
    for plain, driver in (("sqlite://", "sqlite+aiosqlite://"), ("postgresql://", "postgresql+psycopg://")):
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def sync_url(url: str) -> str:
    """The same DB for a plain (blocking) engine: schema creation and the export (psycopg does both)."""
    return async_url(url).replace("sqlite+aiosqlite://", "sqlite://", 1)


def ensure_schema(url: str) -> None:
    """Create Chainlit's tables when missing (and the SQLite file's folder)."""
    from sqlalchemy import text

    try:
        engine = _engine(url)
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise StoreError(f"Cannot prepare the chat history DB: {exc}") from exc
    list_type = "TEXT[]" if engine.dialect.name == "postgresql" else "TEXT"
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":  # UIs starting together: CREATE IF NOT EXISTS can still collide
                connection.execute(text("SELECT pg_advisory_xact_lock(7310043)"))
            for statement in SCHEMA:
                connection.execute(text(statement.format(list=list_type)))
    except Exception as exc:  # sqlalchemy wraps every driver error in its own DBAPIError
        raise StoreError(f"Cannot prepare the chat history DB: {_first_line(exc)}") from exc
    finally:
        engine.dispose()


def export_feedback(url: str, out: Path) -> int:
    """Write every rated answer as one JSON line (PII-masked, in chat format); return how many."""
    from sqlalchemy import text

    ensure_schema(url)
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            rows = [dict(row._mapping) for row in connection.execute(text(FEEDBACK_QUERY))]
    finally:
        engine.dispose()
    masker = PiiMasker()
    try:
        with out.open("w", encoding="utf-8") as file:
            for row in rows:
                file.write(json.dumps(feedback_record(row, masker), ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InvalidInputError(f"Cannot write {out}: {exc.strerror or type(exc).__name__}.") from exc
    return len(rows)


def feedback_record(row: dict[str, Any], masker: PiiMasker) -> dict[str, Any]:
    """One candidate fine-tuning example: the masked exchange, its rating and the rater's comment."""
    question = masker.mask(row["question"] or "").text
    answer = masker.mask(row["answer"] or "").text
    return {
        "rating": "up" if row["value"] == 1 else "down",
        "comment": masker.mask(row["comment"]).text if row["comment"] else None,
        "thread_id": str(row["threadId"]),  # Postgres returns a UUID
        "user": row["userIdentifier"],
        "created_at": row["createdAt"],
        "messages": [{"role": "user", "content": question}, {"role": "assistant", "content": answer}],
    }


def _engine(url: str) -> Any:
    """A blocking engine on the DB, its SQLite folder created first."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    plain = sync_url(url)
    parsed = make_url(plain)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return create_engine(plain)


def _first_line(exc: BaseException) -> str:
    """The driver's message without SQLAlchemy's SQL dump and links."""
    return str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
