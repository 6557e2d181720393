import pytest

from agent.service import precheck_turn
from tools.errors import InvalidInputError, UnknownCustomerError
from tools.validation import validate_message, validate_thread_id


@pytest.mark.parametrize("text", ["", "   ", "\x00\x01\n"])
def test_empty_messages_are_refused(text):
    with pytest.raises(InvalidInputError, match="empty"):
        validate_message(text, 100)


def test_huge_messages_are_refused_with_the_limit():
    with pytest.raises(InvalidInputError, match="the limit is 100"):
        validate_message("x" * 101, 100)


def test_control_characters_are_stripped():
    assert validate_message("  hi\x07 there\x00 ", 100) == "hi there"


@pytest.mark.parametrize("thread", ["has space", "x" * 129, "../etc", "semi;colon"])
def test_bad_thread_ids_are_refused(thread):
    with pytest.raises(InvalidInputError):
        validate_thread_id(thread)


def test_precheck_names_an_unknown_customer(isolated_settings):
    with pytest.raises(UnknownCustomerError, match="C9999"):
        precheck_turn("hello", "C9999")
    precheck_turn("hello", "C0001")
