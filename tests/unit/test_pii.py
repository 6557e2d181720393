import pytest

from tests.fakes import shared_masker
from tools.pii import aba_checksum_ok


@pytest.fixture(scope="module")
def masker():
    return shared_masker()


@pytest.mark.parametrize(
    ("text", "placeholder", "value"),
    [
        ("my card is 4111 1111 1111 1111, ok?", "<CARD_1>", "4111 1111 1111 1111"),
        ("card 5500-0000-0000-0004 was declined", "<CARD_1>", "5500-0000-0000-0004"),
        ("SSN: 536-22-8417.", "<SSN_1>", "536-22-8417"),
        ("email me at jane.doe@example.org", "<EMAIL_1>", "jane.doe@example.org"),
        ("call (212) 555-0134 please", "<PHONE_1>", "(212) 555-0134"),
        ("IBAN GB82 WEST 1234 5698 7654 32 for the transfer", "<IBAN_1>", "GB82 WEST 1234 5698 7654 32"),
        ("routing number 021000021 and", "<ROUTING_1>", "021000021"),
        ("my account number is 123456789012", "<ACCOUNT_1>", "123456789012"),
    ],
)
def test_structured_pii_is_replaced_by_a_placeholder(masker, text, placeholder, value):
    masked = masker.mask(text).text
    assert placeholder in masked
    assert value not in masked


def test_the_same_value_gets_the_same_placeholder_whatever_its_grouping(masker):
    masked = masker.mask("charge on 4111-1111-1111-1111, then 4111 1111 1111 1111, then 5500 0000 0000 0004").text
    assert masked == "charge on <CARD_1>, then <CARD_1>, then <CARD_2>"


@pytest.mark.parametrize(
    "text",
    [
        "What is the fee for a $2,500.00 wire?",
        "My order 1234567890123456 never arrived",  # 16 digits that fail the Luhn check
        "The statement dated 2026-05-01 shows it",
        "routing 123456789 looks wrong",  # fails the ABA checksum
        "How do I avoid the $12 monthly fee?",
    ],
)
def test_near_misses_are_left_alone(masker, text):
    assert masker.mask(text).text == text


def test_aba_checksum():
    assert aba_checksum_ok("021000021")
    assert aba_checksum_ok("011000015")
    assert not aba_checksum_ok("021000022")
