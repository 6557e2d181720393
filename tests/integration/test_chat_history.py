"""The web UI's history tables under Chainlit's own SQLAlchemy data layer, on SQLite and on a real Postgres."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from chainlit.context import init_http_context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import User

from ui.chat_store import async_url, ensure_schema, export_feedback


@pytest.fixture(params=["sqlite", "postgres"])
def chat_db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    return request.getfixturevalue("postgres_url")


def step(thread_id: str, kind: str, output: str, parent: str | None, second: int) -> dict:
    return {
        "id": str(uuid.uuid4()), "name": kind, "type": kind, "threadId": thread_id, "parentId": parent,
        "streaming": False, "output": output, "createdAt": f"2026-11-23T10:00:{second:02d}Z", "metadata": {},
    }  # fmt: skip


async def write_and_read(url: str) -> tuple[list, dict, str]:
    """What one rated conversation does to the data layer, then what the sidebar and a resume read."""
    init_http_context()  # the layer looks at the (absent) websocket session to decide whether to queue writes
    layer = SQLAlchemyDataLayer(conninfo=async_url(url))
    try:
        user = await layer.create_user(User(identifier=f"alice-{uuid.uuid4().hex[:6]}", metadata={"role": "customer"}))
        assert user is not None
        thread_id = str(uuid.uuid4())
        await layer.update_thread(thread_id, name="What is the overdraft fee?", user_id=user.id, metadata={"k": 1})
        question = step(thread_id, "user_message", "What is the overdraft fee?", None, 1)
        run = step(thread_id, "run", "", question["id"], 2)
        answer = step(thread_id, "assistant_message", "It is $32 per item [1].", run["id"], 3)
        for each in (question, run, answer):
            await layer.create_step(each)
        await layer.upsert_feedback(Feedback(forId=run["id"], value=1, threadId=thread_id, comment="clear"))
        listed = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user.id))
        thread = await layer.get_thread(thread_id)
        assert thread is not None
        return [t["id"] for t in listed.data], dict(thread), thread_id
    finally:
        await layer.engine.dispose()


def test_conversations_are_listed_resumed_and_their_ratings_exported(chat_db_url, tmp_path):
    ensure_schema(chat_db_url)
    listed, thread, thread_id = asyncio.run(write_and_read(chat_db_url))
    assert listed == [thread_id]
    outputs = [s["output"] for s in thread["steps"] if s["type"] in ("user_message", "assistant_message")]
    assert outputs == ["What is the overdraft fee?", "It is $32 per item [1]."]
    out = tmp_path / "feedback.jsonl"
    export_feedback(chat_db_url, out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    mine = [row for row in rows if row["thread_id"] == thread_id]
    assert [(r["rating"], r["comment"]) for r in mine] == [("up", "clear")]
    assert [m["content"] for m in mine[0]["messages"]] == ["What is the overdraft fee?", "It is $32 per item [1]."]
