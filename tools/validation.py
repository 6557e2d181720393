"""Checks on what a user or operator passes in, each failing with a one-line, user-facing error."""

from __future__ import annotations

import re
from pathlib import Path

from tools.errors import InvalidInputError, UnknownCustomerError
from tools.reports import ReportStore

THREAD_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CUSTOMER_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
# Bytes that are not UTF-8 reach Python as lone surrogates (argv and stdin decode with surrogateescape; JSON
# may escape one as "\udcff"); nothing downstream can encode them.
LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
MAX_REPORT_BYTES = 2_000_000  # a report with hundreds of accounts is ~200 KB


def validate_message(text: str, max_chars: int) -> str:
    """Strip control characters and whitespace; refuse empty, over-long or non-UTF-8 messages."""
    cleaned = CONTROL_CHARS.sub("", check_utf8(text or "", "The message")).strip()
    if not cleaned:
        raise InvalidInputError("The message is empty: please type a question.")
    if len(cleaned) > max_chars:
        raise InvalidInputError(f"The message is {len(cleaned):,} characters long; the limit is {max_chars:,}.")
    return cleaned


def check_utf8(text: str, what: str) -> str:
    """The text, unless it came from bytes that are not UTF-8 (`what` names it in the error)."""
    if LONE_SURROGATE.search(text):
        raise InvalidInputError(f"{what} is not valid UTF-8: check the terminal's or the file's encoding.")
    return text


def validate_thread_id(thread_id: str) -> str:
    """Thread ids are short tokens of letters, digits and `_.:-`."""
    if not THREAD_ID.match(thread_id):
        raise InvalidInputError("A thread id is 1-128 letters, digits or the characters _ . : -")
    return thread_id


def check_customer(store: ReportStore, customer_id: str) -> None:
    """Raise UnknownCustomerError unless the customer exists."""
    if store.get_customer(customer_id) is None:
        raise UnknownCustomerError(f"There is no customer {customer_id[:40]!r}; `bankassist customers` lists them.")


def validate_customer_id(customer_id: str) -> str:
    """Customer ids are 1-40 letters, digits, `_` or `-`."""
    if not CUSTOMER_ID.match(customer_id):
        raise InvalidInputError("A customer id is 1-40 letters, digits, _ or -.")
    return customer_id


def read_report_file(path: Path, max_bytes: int = MAX_REPORT_BYTES, shown_name: str | None = None) -> str:
    """A report file's text: it must exist, be UTF-8 and be at most `max_bytes`.

    `shown_name` replaces the path in messages (an upload's server-side path means nothing to its user).
    """
    name = shown_name or str(path)
    try:
        with path.open("rb") as file:
            data = file.read(max_bytes + 1)  # a bounded read: pipes and devices have no size to check
    except FileNotFoundError as exc:
        raise InvalidInputError(f"There is no file {name}.") from exc
    except OSError as exc:
        raise InvalidInputError(f"Cannot read {name}: {exc.strerror or type(exc).__name__}.") from exc
    if len(data) > max_bytes:
        raise InvalidInputError(f"{name} is over {max_bytes:,} bytes, the most a report file may have.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(f"{name} is not UTF-8 text.") from exc
