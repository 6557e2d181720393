"""Placeholders stay the same for a whole conversation; the checkpoints hold neither values nor bare hashes."""

import sqlite3

import pytest
from langgraph.checkpoint.sqlite import SqliteSaver

from agent.service import Assistant
from tests.fakes import fake_services, shared_masker
from tools.errors import ConfigurationError
from tools.pii import LABELS
from tools.pii_memory import PLAIN_WORDS, PlaceholderMemory, in_plain_words, load_pii_key

CARD, OTHER_CARD = "4111 1111 1111 1111", "5500 0000 0000 0004"


def test_a_value_keeps_its_placeholder_across_messages_and_new_ones_continue_the_numbering():
    memory = PlaceholderMemory(b"k" * 32)
    first = shared_masker().mask(f"My card {CARD} and my email bob@example.com", memory).text
    second = shared_masker().mask(f"Is {CARD.replace(' ', '-')} blocked? My other card is {OTHER_CARD}.", memory).text
    assert first == "My card <CARD_1> and my email <EMAIL_1>"
    assert second == "Is <CARD_1> blocked? My other card is <CARD_2>."


def test_without_memory_each_message_numbers_from_one():
    assert shared_masker().mask(f"card {OTHER_CARD}").text == "card <CARD_1>"


def test_another_key_gives_other_fingerprints():
    assert PlaceholderMemory(b"a" * 32).fingerprint("CARD", "4111") != PlaceholderMemory(b"b" * 32).fingerprint(
        "CARD", "4111"
    )


def test_the_key_is_made_once_per_data_dir_or_taken_from_the_setting(tmp_path):
    made = load_pii_key(None, tmp_path)
    assert made == load_pii_key(None, tmp_path) and len(made) == 64
    assert (tmp_path / "pii.key").stat().st_mode & 0o777 == 0o600
    assert load_pii_key("a-shared-replica-key", tmp_path) == b"a-shared-replica-key"
    with pytest.raises(ConfigurationError, match="at least 16"):
        load_pii_key("short", tmp_path)


def test_a_thread_keeps_placeholders_across_turns_and_its_checkpoints_hold_no_value(isolated_settings, tmp_path):
    services = fake_services(isolated_settings, ["Call us [1]."] * 3)
    services.pii_key = b"k" * 32
    path = tmp_path / "checkpoints.db"
    assistant = Assistant(services, SqliteSaver(sqlite3.connect(path, check_same_thread=False)))
    assistant.ask(f"My card {CARD} was stolen, what should I do?", thread_id="t")
    second = assistant.ask(f"Is {OTHER_CARD} safe? And {CARD}?", thread_id="t")
    other_thread = assistant.ask(f"Is {OTHER_CARD} safe?", thread_id="u")
    assert second.masked_input == "Is <CARD_2> safe? And <CARD_1>?"
    assert other_thread.masked_input == "Is <CARD_1> safe?"
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("checkpoints.db*"))  # the DB and its WAL
    assert b"<CARD_2>" in stored  # the checkpoints are plain enough to search
    for value in (CARD, OTHER_CARD):
        assert value.encode() not in stored and value.replace(" ", "").encode() not in stored


def test_placeholders_read_as_plain_words_of_their_kind():
    assert in_plain_words("freeze <CARD_1> please") == "freeze card please"
    told = "I told him my SSN <SSN_2>. Pay <PERSON_1> back?"
    assert in_plain_words(told) == "I told him my SSN number. Pay Alex back?"
    assert in_plain_words("a <NEWKIND_1> and <b_1>") == "a newkind and <b_1>"  # an unknown label reads as itself
    assert in_plain_words("update my email to <EMAIL_1> please") == "update my email to email address please"


def test_every_label_the_masker_hands_out_has_a_plain_word():
    assert set(LABELS.values()) == set(PLAIN_WORDS)
