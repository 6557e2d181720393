import re
from collections import Counter

import pytest

from evals.pii_eval import Masked, markdown, masked_spans, run_pii_suite
from evals.pii_set import NEAR_MISS_KINDS, PII_KINDS, STRUCTURED, generate
from tests.fakes import shared_masker
from tools.pii import MaskedText


def luhn_sum(digits: str) -> int:
    """Written here again, so the generator's cards are not checked by the masker's own code."""
    doubled = [int(d) * (2 if i % 2 else 1) for i, d in enumerate(reversed(digits))]
    return sum(d - 9 if d > 9 else d for d in doubled) % 10


def only_digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def aba_sum(digits: str) -> int:
    """Written here again too: 0 for a number that passes the ABA checksum."""
    d = [int(c) for c in digits]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10


@pytest.fixture(scope="module")
def samples():
    return generate(seed=0, count=1000)


def test_the_set_is_seeded_and_large_enough(samples):
    assert len(samples) == 1000
    assert generate(seed=0, count=50) == samples[:50]
    assert generate(seed=1, count=50) != samples[:50]


def test_every_label_points_at_its_value(samples):
    for sample in samples:
        for span in sample.gold + sample.near_misses:
            assert sample.text[span.start : span.end] == span.value


def test_every_kind_and_near_miss_kind_is_well_represented(samples):
    gold = Counter(span.kind for sample in samples for span in sample.gold)
    near = Counter(span.kind for sample in samples for span in sample.near_misses)
    assert all(gold[kind] >= 50 for kind in PII_KINDS), gold
    assert all(near[kind] >= 30 for kind in NEAR_MISS_KINDS), near


def test_values_are_valid_and_near_misses_are_not(samples):
    spans = [span for sample in samples for span in sample.gold + sample.near_misses]
    for span in spans:
        digits = only_digits(span.value)
        if span.kind == "CARD":
            assert luhn_sum(digits) == 0 and re.match(r"4|5[1-5]|3[47]|6011", digits), span
        elif span.kind == "LUHN_FAIL":
            assert len(digits) == 16 and luhn_sum(digits) != 0, span
        elif span.kind == "ROUTING":
            assert len(digits) == 9 and aba_sum(digits) == 0, span
        elif span.kind == "ABA_FAIL":
            assert len(digits) == 9 and aba_sum(digits) != 0, span
        elif span.kind == "IBAN":
            compact = span.value.replace(" ", "")
            assert int("".join(str(int(c, 36)) for c in compact[4:] + compact[:4])) % 97 == 1, span
        elif span.kind == "SSN":
            assert digits[:3] not in {"000", "666"} and digits[0] != "9" and digits[3:5] != "00", span


def test_some_messages_are_one_bare_number_and_nothing_else(samples):
    labelled = [(sample.text, sample.gold + sample.near_misses) for sample in samples]
    alone = Counter(spans[0].kind for text, spans in labelled if len(spans) == 1 and text == spans[0].value)
    assert alone["ROUTING"] >= 10 and alone["ABA_FAIL"] >= 10, alone


def test_look_alikes_include_nine_digits_that_pass_the_aba_checksum(samples):
    """Order and reference numbers and amounts that only their words or currency tell from a routing number."""
    near = [span for sample in samples for span in sample.near_misses]
    nine = [span for span in near if len(only_digits(span.value)) == 9]
    valid = Counter(span.kind for span in nine if aba_sum(only_digits(span.value)) == 0)
    assert valid["ORDER"] and valid["REF"] and valid["AMOUNT"], valid


def test_values_vary_in_separators_and_position(samples):
    cards = [span.value for sample in samples for span in sample.gold if span.kind == "CARD"]
    assert {" ", "-", "."} <= {c for card in cards for c in card if not c.isdigit()}
    assert any(card.isdigit() for card in cards)
    assert any(sample.text.startswith(span.value) for sample in samples for span in sample.gold)
    assert any(re.search(r"\n- ", sample.text) for sample in samples)  # bulleted lists
    assert any(
        sample.text[span.end : span.end + 1] in {")", ".", ",", ";"} for sample in samples for span in sample.gold
    )


def test_masked_spans_are_read_back_from_the_placeholders():
    original = "card 4111 1111 1111 1111, at 42 Elm Street, Apt 4, Springfield"
    masked = "card <CARD_1>, at <ADDRESS_1>, Springfield"
    assert masked_spans(original, masked) == [
        Masked(5, 24, "CARD", "<CARD_1>"),
        Masked(29, 49, "ADDRESS", "<ADDRESS_1>"),
    ]


def test_a_masker_that_changes_other_text_is_refused():
    with pytest.raises(ValueError):
        masked_spans("card 4111 1111 1111 1111", "Card <CARD_1>")


class MaskNothing:
    def mask(self, text: str) -> MaskedText:
        return MaskedText(text, {})


class MaskEveryNumber:
    def mask(self, text: str) -> MaskedText:
        return MaskedText(re.sub(r"\d[\d ,.-]*\d", "<CARD_1>", text), {"<CARD_1>": "CREDIT_CARD"})


def test_the_suite_scores_a_masker_that_finds_nothing_as_zero_recall():
    metrics = run_pii_suite(seed=0, count=100, masker=MaskNothing()).metrics()  # type: ignore[arg-type]
    assert metrics["pii_recall"] == 0.0
    assert metrics["pii_precision"] == 1.0  # nothing masked, nothing masked wrongly


def test_the_suite_counts_wrong_types_and_near_misses_as_false_positives():
    result = run_pii_suite(seed=0, count=100, masker=MaskEveryNumber())  # type: ignore[arg-type]
    metrics = result.metrics()
    assert metrics["pii_recall_card"] == 1.0
    assert metrics["pii_recall_ssn"] == 0.0  # masked, but as a card
    assert metrics["pii_precision"] < 0.5
    assert metrics["near_miss_masked_rate"] > 0.5
    assert any(miss.error == "false positive" for miss in result.misses)


@pytest.fixture(scope="module")
def result():
    return run_pii_suite(seed=3, count=200, masker=shared_masker())


def test_the_masker_meets_the_targets_on_a_fresh_seed(result):
    metrics = result.metrics()
    assert metrics["pii_recall"] >= 0.99
    assert metrics["pii_precision"] >= 0.98
    assert all(metrics[f"pii_recall_{kind.lower()}"] >= 0.97 for kind in STRUCTURED), metrics
    assert metrics["near_miss_masked_rate"] <= 0.01
    assert metrics["placeholder_consistency"] == 1.0
    assert metrics["pii_recall_dob"] >= 0.9 and metrics["pii_recall_address"] >= 0.9


def test_the_report_has_a_row_per_type_and_the_totals(result):
    table = markdown(result, examples=3)
    for kind in PII_KINDS:
        assert f"| {kind} |" in table
    assert "| all |" in table and "ms per string" in table
    assert re.search(r"\| structured \(7 types\) \| \d+ \| [\d.]+ \| \d+ \| [\d.]+ \|", table)  # precision too
    assert "Near-misses by kind (masked): " in table and "ABA_FAIL" in table
