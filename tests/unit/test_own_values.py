"""The customer's own view: their values from this message come back in the answer they see, and only there."""

import asyncio
import sqlite3

from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from agent.service import Assistant, Done, Token
from tests.fakes import fake_services
from tools.grounding import numbers_in
from tools.own_values import OwnValueStream, show_own_values, shown_back

CARD = "4111 1111 1111 1111"
ECHO = "Your card <CARD_1> is blocked now, and <EMAIL_1> gets the confirmation [1]."
OWN = {"<CARD_1>": CARD, "<EMAIL_1>": "bob@example.com"}


def test_only_the_customers_own_placeholders_are_replaced():
    shown = show_own_values("Cards <CARD_1> and <CARD_2>; write to <EMAIL_1>.", {"<CARD_1>": CARD})
    assert shown == f"Cards {CARD} and <CARD_2>; write to <EMAIL_1>."


def test_names_are_not_shown_back_since_a_typed_name_may_be_another_customers():
    assert shown_back({"<CARD_1>": CARD, "<PERSON_1>": "Bob Nguyen"}) == {"<CARD_1>": CARD}


def test_a_placeholder_split_across_streamed_pieces_is_held_until_it_ends():
    stream = OwnValueStream(OWN)
    pieces = ["Your card <", "CA", "RD_", "1> is ", "blocked; 3 < 4 and <b>", " stays"]
    shown = [stream.feed(piece) for piece in pieces] + [stream.flush()]
    assert shown[:3] == ["Your card ", "", ""]  # the partial placeholder waits
    assert "".join(shown) == f"Your card {CARD} is blocked; 3 < 4 and <b> stays"
    assert stream.streamed == "".join(pieces)


def test_placeholders_are_not_figures_for_the_number_check():
    assert numbers_in("Your card <CARD_1> costs $25 [1].") == {"25", "1"}  # the citation's 1, not the card's
    assert numbers_in("Your card <CARD_1>.") == set()


def assistant_on(services, tmp_path) -> Assistant:
    connection = sqlite3.connect(tmp_path / "checkpoints.db", check_same_thread=False)
    return Assistant(services, SqliteSaver(connection))


def test_the_asker_sees_own_values_while_state_checkpoints_and_audit_keep_placeholders(isolated_settings, tmp_path):
    services = fake_services(isolated_settings, [ECHO, ECHO])
    services.pii_key = b"k" * 32
    assistant = assistant_on(services, tmp_path)
    asked = f"How do I block my card {CARD}? my email is bob@example.com"
    result = assistant.ask(asked, thread_id="t")
    assert result.route == "banking" and result.masked_input == "How do I block my card <CARD_1>? my email is <EMAIL_1>"
    assert result.answer == f"Your card {CARD} is blocked now, and bob@example.com gets the confirmation [1]."
    assert assistant.thread_messages("t")[-1]["content"] == ECHO  # the thread keeps the placeholders
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("checkpoints.db*"))
    audit = services.settings.audit_log_path.read_text()
    for kept in (stored.decode(errors="replace"), audit):
        assert CARD not in kept and "bob@example.com" not in kept
    # A later message without the values: they were never stored, so the placeholders stay.
    later = assistant.ask("How do I block my debit card? it was stolen", thread_id="t")
    assert later.route == "banking"
    assert later.answer == ECHO


def test_streamed_tokens_and_the_result_show_the_own_values(isolated_settings, tmp_path):
    services = fake_services(isolated_settings, [ECHO, ECHO])
    services.pii_key = b"k" * 32
    asked = f"How do I block my card {CARD}? my email is bob@example.com"
    events = list(assistant_on(services, tmp_path).stream(asked, thread_id="t"))
    streamed = "".join(e.text for e in events if isinstance(e, Token))
    done = next(e for e in events if isinstance(e, Done))
    assert streamed == done.result.answer and CARD in streamed and "<CARD_1>" not in streamed

    async def astreamed() -> list:
        async with AsyncSqliteSaver.from_conn_string(str(tmp_path / "async.db")) as saver:
            return [e async for e in Assistant(services, saver).astream(asked, thread_id="u")]

    async_events = asyncio.run(astreamed())
    assert "".join(e.text for e in async_events if isinstance(e, Token)) == streamed
    assert async_events[-1].result.answer == streamed
