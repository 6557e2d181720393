import re

import pytest

from tests.fakes import shared_masker
from tools.pii_patterns import aba_checksum_ok, card_ok, luhn_ok, routing_prefix_ok, ssn_ok


@pytest.fixture(scope="module")
def masker():
    return shared_masker()


@pytest.mark.parametrize(
    ("text", "placeholder", "value"),
    [
        ("my card is 4111 1111 1111 1111, ok?", "<CARD_1>", "4111 1111 1111 1111"),
        ("card 5500-0000-0000-0004 was declined", "<CARD_1>", "5500-0000-0000-0004"),
        ("amex 3782 822463 10005 please", "<CARD_1>", "3782 822463 10005"),
        ("card 6011.1111.1111.1117.", "<CARD_1>", "6011.1111.1111.1117"),
        ("pay with 4012888888881881", "<CARD_1>", "4012888888881881"),
        ("SSN: 536-22-8417.", "<SSN_1>", "536-22-8417"),
        ("my social is 536228417", "<SSN_1>", "536228417"),
        ("[536228417] is my SSN", "<SSN_1>", "536228417"),
        ("email me at jane.doe@example.org", "<EMAIL_1>", "jane.doe@example.org"),
        ("reach me via <Jane.Doe+bank@Example.co.uk>", "<EMAIL_1>", "Jane.Doe+bank@Example.co.uk"),
        ("call (212) 555-0134 please", "<PHONE_1>", "(212) 555-0134"),
        ("text +1-415-555-2671 after 5", "<PHONE_1>", "+1-415-555-2671"),
        ("my cell is 415.555.2671", "<PHONE_1>", "415.555.2671"),
        ("my phone: 3845553474", "<PHONE_1>", "3845553474"),  # an unassigned area code is still a phone
        ("IBAN GB82 WEST 1234 5698 7654 32 for the transfer", "<IBAN_1>", "GB82 WEST 1234 5698 7654 32"),
        ("wire it to DE89370400440532013000 today", "<IBAN_1>", "DE89370400440532013000"),
        ("routing number 021000021 and", "<ROUTING_1>", "021000021"),
        ("(011000015) is the routing number", "<ROUTING_1>", "011000015"),
        ("my account number is 123456789012", "<ACCOUNT_1>", "123456789012"),
        ("acct #4400-1234-5678, thanks", "<ACCOUNT_1>", "4400-1234-5678"),
    ],
)
def test_structured_pii_is_replaced_by_a_placeholder(masker, text, placeholder, value):
    masked = masker.mask(text).text
    assert placeholder in masked
    assert value not in masked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "routing numbers 021000021, 011000015 and 026009593",
            "routing numbers <ROUTING_1>, <ROUTING_2> and <ROUTING_3>",
        ),
        ("my accounts are:\n- 12345678\n- 87654321", "my accounts are:\n- <ACCOUNT_1>\n- <ACCOUNT_2>"),
        ("Checking: 4400-1234-5678; Savings: 4400-8765-4321", "Checking: <ACCOUNT_1>; Savings: <ACCOUNT_2>"),
        (
            "Direct deposit: routing 011000015 / account 000123456789",
            "Direct deposit: routing <ROUTING_1> / account <ACCOUNT_1>",
        ),
    ],
)
def test_every_value_of_a_list_is_masked(masker, text, expected):
    assert masker.mask(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I was born 04/12/1987", "I was born <DOB_1>"),
        ("DOB: 1987-04-12.", "DOB: <DOB_1>."),
        ("my date of birth is April 12, 1987", "my date of birth is <DOB_1>"),
        ("birthday: (12 April 1987)", "birthday: (<DOB_1>)"),
        ("I live at 42 Elm Street, Apt 4B.", "I live at <ADDRESS_1>."),
        ("send it to 1600 Pennsylvania Ave NW, Washington", "send it to <ADDRESS_1>, Washington"),
        ("new address: 5 oak road", "new address: <ADDRESS_1>"),
        ("I moved to 957 Arnold Harbors", "I moved to <ADDRESS_1>"),
        ("my name is Maria Gonzalez and my card was declined", "my name is <PERSON_1> and my card was declined"),
        ("Name: Kevin O'Brien", "Name: <PERSON_1>"),
        ("send $50 to Wei J. Zhang please", "send $50 to <PERSON_1> please"),
        ("Regards,\nAnne-Marie Dubois", "Regards,\n<PERSON_1>"),
        ("my name is priya patel", "my name is <PERSON_1>"),
    ],
)
def test_birth_dates_addresses_and_names_in_context(masker, text, expected):
    assert masker.mask(text).text == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("021000021", "<ROUTING_1>"),  # the whole message, as a customer pastes it
        ("here: 021000021", "here: <ROUTING_1>"),
        ("use 026009593 for the direct deposit", "use <ROUTING_1> for the direct deposit"),
        ("021 000 021", "<ROUTING_1>"),
        ("(011-000-015)", "(<ROUTING_1>)"),
        ("021000021 123456789", "<ROUTING_1> 123456789"),  # routing then account, no words: only the checksum speaks
    ],
)
def test_a_bare_routing_number_is_masked_by_its_checksum(masker, text, expected):
    assert masker.mask(text).text == expected


@pytest.mark.parametrize(
    "text",
    ["my SSN is 123456780", "123456780 is my SSN", "SSNs: 536-22-8417 and 123456780"],
)
def test_an_ssn_named_by_its_keyword_stays_an_ssn_when_it_passes_the_aba_checksum(masker, text):
    assert aba_checksum_ok("123456780")
    masked = masker.mask(text)
    assert "123456780" not in masked.text
    assert set(masked.placeholders.values()) == {"US_SSN"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("acct no. 12345678", "acct no. <ACCOUNT_1>"),
        ("12345678 is my account", "<ACCOUNT_1> is my account"),
        ("12345678 is my acct", "<ACCOUNT_1> is my acct"),
        ("account#12345678", "account#<ACCOUNT_1>"),
        ("a/c: 1234-5678", "a/c: <ACCOUNT_1>"),
        ("A/C 12345678", "A/C <ACCOUNT_1>"),
        ("Acct 12345678 is overdrawn", "Acct <ACCOUNT_1> is overdrawn"),
        ("ACCOUNT NUMBER 12345678", "ACCOUNT NUMBER <ACCOUNT_1>"),
        ("acc no 12345678", "acc no <ACCOUNT_1>"),
        ("acc't 12345678", "acc't <ACCOUNT_1>"),
        ("acc. no. 12345678", "acc. no. <ACCOUNT_1>"),
        ("acct. no. 12345678", "acct. no. <ACCOUNT_1>"),
        ("acct 021000021", "acct <ACCOUNT_1>"),  # the keyword says account, whatever the checksum says
    ],
)
def test_account_numbers_with_their_keyword_before_or_after(masker, text, expected):
    assert masker.mask(text).text == expected


def test_the_same_value_gets_the_same_placeholder_whatever_its_grouping(masker):
    masked = masker.mask("charge on 4111-1111-1111-1111, then 4111 1111 1111 1111, then 5500 0000 0000 0004").text
    assert masked == "charge on <CARD_1>, then <CARD_1>, then <CARD_2>"


def test_a_phone_with_and_without_its_country_code_is_one_phone(masker):
    masked = masker.mask("call +1 212 555 0134 or (212) 555-0134, not 646-555-0199")
    assert masked.text == "call <PHONE_1> or <PHONE_1>, not <PHONE_2>"
    assert masked.placeholders == {"<PHONE_1>": "PHONE_NUMBER", "<PHONE_2>": "PHONE_NUMBER"}


def test_each_type_is_numbered_on_its_own(masker):
    masked = masker.mask("SSN 536-22-8417, card 4111111111111111, SSN 219-09-9991").text
    assert masked == "SSN <SSN_1>, card <CARD_1>, SSN <SSN_2>"


@pytest.mark.parametrize(
    "text",
    [
        "What is the fee for a $2,500.00 wire?",
        "My order 1234567890123456 never arrived",  # 16 digits that fail the Luhn check
        "Why was 4111 1111 1111 1112 rejected?",
        "The statement dated 2026-05-01 shows it",
        "routing 123456789 looks wrong",  # fails the ABA checksum
        "How do I avoid the $12 monthly fee?",
        "order #4829301756 never arrived",
        "my order number is 6203344528",
        "Order ID: 112-3456789-0123456",
        "any branch near 94105-1234?",
        "confirmation code REF-8842-XK19",
        "the charge from 03/01/2024 is wrong and my balance is USD 12,500.00",
        "My birthday is next week, can I schedule a transfer on 2024-03-01?",
        "transfer $4,344.32 to savings and any branch near 06627-0184?",
        "Is it a 15 minute drive to the nearest branch? I have 3 Visa cards.",
        "My name is not on the joint account",
        "This is Chase calling?",
        "acct ending 6789",
        "021000022",  # nine digits alone that fail the ABA checksum
        "here: 123456789",
        "123-456-789",
        "000000000",  # passes the checksum, but no routing number starts with 00 but the government's
        "order 021000021 never arrived",  # passes the checksum, but an order number
        "my order number is 021000021",
        "ref: 021-000-021",
        "ticket #021000021 is still open",
        "I was charged $021000021",
        "my balance is 021000021 dollars",
        "the charge from 02/10/2021 is wrong",
        "any branch near 02100-0021?",
        "according to 12345678 people",  # "acc" only as a word of its own
    ],
)
def test_near_misses_are_left_alone(masker, text):
    assert masker.mask(text).text == text


def test_masking_stays_linear_on_a_long_paste(masker):
    chunk = "card 4111 1111 1111 1111 on 2024-03-01, call 212-555-0134, order 4829301756. "
    masked = masker.mask(chunk * 300).text  # 24,000 characters, 900 values
    assert len(re.findall(r"<CARD_1>", masked)) == 300
    assert "4111" not in masked


def test_aba_checksum():
    assert aba_checksum_ok("021000021")
    assert aba_checksum_ok("011000015")
    assert not aba_checksum_ok("021000022")


def test_routing_prefixes():
    assert all(routing_prefix_ok(p + "1000021") for p in ("01", "12", "21", "32", "61", "72", "80"))
    assert not any(routing_prefix_ok(p + "1000021") for p in ("00", "13", "20", "33", "60", "73", "81", "99"))


def test_card_checks():
    assert luhn_ok("4111111111111111")
    assert not luhn_ok("4111111111111112")
    assert card_ok("3782-822463-10005")  # Amex, 15 digits
    assert not card_ok("378282246310005000")  # Amex prefix, wrong length
    assert not card_ok("1234567890123452")  # Luhn-valid, no brand starts with 1


def test_ssn_checks():
    assert ssn_ok("536-22-8417")
    assert not ssn_ok("666-22-8417")
    assert not ssn_ok("912-22-8417")
    assert not ssn_ok("536-00-8417")
    assert not ssn_ok("536-22-0000")
