"""The web UI's parts that need no browser: views, launch checks, the history schema and the feedback export."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid

import pytest
from pydantic import ValidationError

from agent.settings import Settings
from tools.errors import InvalidInputError, StoreError
from ui.chat_store import async_url, ensure_schema, export_feedback, sync_url
from ui.web_runtime import check_launch, demo_auth_secret
from ui.web_views import (
    element_name,
    facts_markdown,
    parse_case_close,
    parse_customer_ids,
    scope_markdown,
    source_display,
    source_markdown,
    summary_markdown,
)


def test_scope_and_sources_read_as_sentences():
    assert scope_markdown("credit", 0.934) == (
        "**Credit report question: answered from your own credit reports** (route `credit`, confidence 0.93)"
    )
    assert scope_markdown("banking", 0.99, None, "banking77:card_arrival", 0.871).endswith(
        "(route `banking`, confidence 0.99); intent `banking77:card_arrival` (0.87)"
    )
    source = {"id": "fee-schedule", "title": "Fee Schedule", "score": 0.7012, "snippet": "Wires:\n  $25 online."}
    assert source_markdown(2, source) == "**[2] Fee Schedule** (`fee-schedule`, relevance 0.70)\n\n> Wires: $25 online."
    # A passage's opening "Title - Section" line names its section; it is not run into the passage's text.
    cut_offs = {**source, "snippet": "Fee Schedule - Wires\nWires:\n  $25 online."}
    assert source_markdown(2, cut_offs) == (
        "**[2] Fee Schedule** (`fee-schedule`, relevance 0.70)\n\n*Wires*\n\n> Wires: $25 online."
    )
    untitled = {**source, "snippet": "Fee Schedule\nWires: $25 online."}
    assert source_markdown(2, untitled).endswith("relevance 0.70)\n\n> Wires: $25 online.")


def test_a_cited_source_opens_beside_the_answer_and_an_abstentions_section_shows_under_it():
    assert source_display([]) == source_display(["ungrounded_number"]) == "side"
    assert source_display(["abstained"]) == "inline"
    # Beside the answer the element is what its citation links to; under an abstention its header says what it is.
    assert element_name(1, "side") == "[1]" and element_name(1, "inline") == "Closest section"


def test_facts_say_how_they_were_obtained_and_what_was_dropped():
    text = facts_markdown(["Good:- Your score rose from 640 to 655."], 2, "extractor")
    assert text.startswith("- Good:- Your score rose from 640 to 655.")
    assert "checked against the reports; 2 extracted line(s) failed the check" in text
    assert "(no change" in facts_markdown([], 0, "diff")


def test_customer_ids_for_a_batch_are_parsed_and_bounded():
    assert parse_customer_ids(" C0001, C0002;C0001\nC0003 ") == ["C0001", "C0002", "C0003"]
    with pytest.raises(InvalidInputError, match="one or more customer ids"):
        parse_customer_ids("  ")
    with pytest.raises(InvalidInputError, match="customer id is"):
        parse_customer_ids("C0001 C0002'; DROP TABLE")
    with pytest.raises(InvalidInputError, match="At most 50"):
        parse_customer_ids(" ".join(f"C{i:04d}" for i in range(51)))


def test_the_cases_command_lists_on_empty_text_and_closes_on_close_id_resolution():
    assert parse_case_close("  ") is None
    assert parse_case_close(" Close h-1a2b3c4d  Called her back;\nall fine. ") == (
        "H-1A2B3C4D",
        "Called her back;\nall fine.",
    )
    for bad in ("close H-1A2B3C4D", "close", "H-1A2B3C4D done", "list"):
        with pytest.raises(InvalidInputError, match="To close a case, type"):
            parse_case_close(bad)


def test_a_summary_shows_score_facts_and_plan_or_the_error():
    summary = {
        "customer_id": "C0007",
        "report_dates": ["2026-10-01", "2026-04-01"],
        "score": 701,
        "summary": "Your score rose.",
        "facts": ["Good:- Your score rose from 690 to 701."],
        "plan": ["Pay down the store card."],
    }
    text = summary_markdown(summary)
    assert text.startswith("### C0007: score 701 (2026-10-01 vs 2026-04-01)\nYour score rose.")
    assert "- Good:- Your score rose from 690 to 701." in text and "- Pay down the store card." in text
    assert summary_markdown({"customer_id": "C0009", "error": "No report."}) == "### C0009\nNo report."


def test_production_refuses_to_launch_without_its_secret_or_with_a_demo_password():
    check_launch(Settings(mode="demo"), {})
    with pytest.raises(InvalidInputError, match="CHAINLIT_AUTH_SECRET"):
        check_launch(Settings(mode="production"), {})
    with pytest.raises(ValidationError, match="BANKASSIST_DEMO_PASSWORD"):
        Settings(mode="production", demo_password="x")  # refused by the settings, for every front end
    check_launch(Settings(mode="production"), {"CHAINLIT_AUTH_SECRET": "s"})


def test_the_demo_secret_is_made_once_private_and_kept(tmp_path):
    first = demo_auth_secret(tmp_path / "data")
    assert len(first) >= 48 and demo_auth_secret(tmp_path / "data") == first
    assert (tmp_path / "data" / "chainlit_auth_secret").stat().st_mode & 0o077 == 0


def test_bankassist_ui_in_production_without_a_secret_is_a_one_line_error(tmp_path):
    env = {"BANKASSIST_MODE": "production", "BANKASSIST_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "ui", "ui"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: Production mode needs CHAINLIT_AUTH_SECRET (make one with `chainlit create-secret`); refusing to start."
    ]


@pytest.mark.parametrize("command", [["ui"], ["api"], ["customers"]])
def test_every_front_end_in_production_with_a_demo_password_is_a_one_line_error(tmp_path, command):
    env = {
        "BANKASSIST_MODE": "production",
        "BANKASSIST_DEMO_PASSWORD": "demo-password-1",
        "CHAINLIT_AUTH_SECRET": "s",
        "BANKASSIST_DATA_DIR": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run([sys.executable, "-m", "ui", *command], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: invalid settings: production mode refuses BANKASSIST_DEMO_PASSWORD: unset it to start"
    ]


def test_database_urls_pick_async_and_blocking_drivers():
    assert async_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert sync_url("sqlite+aiosqlite:///x.db") == "sqlite:///x.db"
    assert async_url("postgresql://u@h/db") == sync_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"


def test_feedback_export_pairs_each_rating_with_its_question_and_answer(tmp_path):
    db = tmp_path / "nested" / "chat.db"
    url = f"sqlite+aiosqlite:///{db}"
    ensure_schema(url)
    ensure_schema(url)  # idempotent
    thread = write_rated_exchange(db, "Is my card 4111 1111 1111 1111 blocked?", "It is not blocked.", 0, "Too vague")
    out = tmp_path / "feedback.jsonl"
    assert export_feedback(url, out) == 1
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["rating"] == "down" and row["comment"] == "Too vague" and row["thread_id"] == thread
    assert row["user"] == "alice"
    question, answer = row["messages"]
    assert question == {"role": "user", "content": "Is my card <CARD_1> blocked?"}  # masked: fine-tuning data
    assert answer == {"role": "assistant", "content": "It is not blocked."}


def test_an_unreachable_history_db_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="Cannot prepare the chat history DB"):
        ensure_schema(f"sqlite+aiosqlite:///{blocker}/chat.db")


def write_rated_exchange(db, question: str, answer: str, value: int, comment: str) -> str:
    """What Chainlit writes for one rated exchange: the user message, its run, the answer, the feedback."""
    thread, user_step, run, reply = (str(uuid.uuid4()) for _ in range(4))
    with sqlite3.connect(db) as connection:
        connection.execute("INSERT INTO threads (id, userIdentifier) VALUES (?, 'alice')", (thread,))
        steps = [
            (user_step, "user_message", None, question, "2026-11-22T10:00:00Z"),
            (run, "run", user_step, "", "2026-11-22T10:00:01Z"),
            (reply, "assistant_message", run, answer, "2026-11-22T10:00:02Z"),
        ]
        connection.executemany(
            "INSERT INTO steps (id, name, type, threadId, parentId, streaming, output, createdAt) "
            "VALUES (?, 'x', ?, '" + thread + "', ?, 0, ?, ?)",
            steps,
        )
        connection.execute(
            "INSERT INTO feedbacks VALUES (?, ?, ?, ?, ?)", (str(uuid.uuid4()), run, thread, value, comment)
        )
    return thread
