from collections import Counter

import pytest

from tools.spelling import Speller, build_speller, english_words, one_slip_from

POLICY = "International wires cost $45. The wire fee is in the fee schedule. Many branches open at 9, any day, any ATM."


@pytest.fixture(scope="module")
def speller():
    return build_speller([POLICY])


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("intenational one how amny days", "international one how many days"),  # "many" (a swap) before "any"
        ("wire efe?", "wire fee?"),  # a three-letter word: swaps only
        ("Intenational WIRE FEE", "International WIRE FEE"),  # the capital kept
        ("whats the wire fee", "whats the wire fee"),  # apostrophe-less contractions are words
        ("can i shred it now", "can i shred it now"),  # a dictionary word, one slip from "shared", stays
        ("my acct", "my acct"),  # shorthand
        ("my SSN <SSN_1> and <CARD_1>", "my SSN <SSN_1> and <CARD_1>"),  # placeholders untouched
        ("wouldn't it", "wouldn't it"),
        ("zqxv", "zqxv"),  # nothing one slip away: as typed
        ("is ther a fee", "is ther a fee"),  # never read as a stop word ("is the a fee")
        ("zell me", "zell me"),  # shorthand for a brand; and a slip keeps the first letter, so not "tell"
        ("a" * 10_000, "a" * 10_000),  # no slip of any policy word, and not worth 11 s of candidates
        ("", ""),
    ],
)
def test_slips_are_read_as_the_policy_word_meant(speller, typed, meant):
    assert speller.correct(typed) == meant


def test_a_three_letter_acronym_is_not_grown_into_a_policy_word():
    speller = Speller(Counter({"cltv": 3}), "\n")
    assert speller.correct("max ltv") == "max ltv"


def test_the_most_frequent_policy_word_wins():
    speller = Speller(Counter({"fees": 1, "feed": 5}), "\n")
    assert speller.correct("feex") == "feed"


def test_one_slip_covers_each_kind_of_slip():
    slips = one_slip_from("fee")
    assert {"fe", "efe", "fxe", "feel", "ffee"} <= slips


def test_the_dictionary_is_the_packaged_english_list():
    words = english_words()
    assert "\nshred\n" in words and "\nhavent\n" in words and "\nbrnach\n" not in words
