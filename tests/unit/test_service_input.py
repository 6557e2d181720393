import io
import sys

import pytest

from agent.service import precheck_turn
from tools.errors import BankassistError, InvalidInputError, UnknownCustomerError
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


def not_utf8(raw: bytes) -> str:
    """As Python hands over argv and stdin bytes that are not UTF-8: lone surrogates."""
    return raw.decode("utf-8", "surrogateescape")


def test_a_message_that_is_not_utf8_is_refused_in_one_line():
    with pytest.raises(InvalidInputError, match="^The message is not valid UTF-8"):
        validate_message(not_utf8(b"what is the fee \xff\xfe"), 100)
    assert validate_message("frais à l'étranger 💳", 100) == "frais à l'étranger 💳"


def test_stdin_lines_that_are_not_utf8_name_the_line(monkeypatch):
    from ui.cli import _read_lines

    stdin = io.TextIOWrapper(io.BytesIO(b"fine\nfee \xff\n"), encoding="utf-8", errors="surrogateescape")
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(BankassistError, match="^Line 2 of stdin is not valid UTF-8"):
        _read_lines(None)


def test_an_unknown_customer_id_that_is_not_utf8_is_refused_before_the_database(isolated_settings):
    with pytest.raises(InvalidInputError, match="customer id"):
        precheck_turn("hello", not_utf8(b"C\xff"))


def test_a_password_on_stdin_that_is_not_utf8_is_refused(monkeypatch):
    from ui.cli_users import read_password

    stdin = io.TextIOWrapper(io.BytesIO(b"pass\xffword\n"), encoding="utf-8", errors="surrogateescape")
    monkeypatch.setattr(sys, "stdin", stdin)
    with pytest.raises(InvalidInputError, match="^The password is not valid UTF-8"):
        read_password()


def encode_error(text: str, encoding: str) -> UnicodeEncodeError:
    try:
        text.encode(encoding)
    except UnicodeEncodeError as exc:
        return exc
    raise AssertionError("encoded")


def test_only_bytes_that_were_not_utf8_get_the_encoding_line():
    from ui.cli import from_bytes_not_utf8

    assert from_bytes_not_utf8(encode_error(not_utf8(b"z\xff"), "utf-8"))
    assert not from_bytes_not_utf8(encode_error("café", "ascii"))  # a terminal that cannot show it: a bug to report


def test_stdin_that_decodes_strictly_is_made_lenient_so_the_line_is_named(monkeypatch):
    from ui.cli import _read_lines, lenient_stdin

    strict = io.TextIOWrapper(io.BytesIO(b"fee \xff\n"), encoding="utf-8", errors="strict")  # en_US.UTF-8's stdin
    monkeypatch.setattr(sys, "stdin", strict)
    lenient_stdin()
    with pytest.raises(BankassistError, match="^Line 1 of stdin is not valid UTF-8"):
        _read_lines(None)
