"""Masked values on the real masker, guard and retriever: a placeholder reads as a plain word of its kind."""

import pytest


@pytest.mark.parametrize(
    "message",
    [
        "I gave a caller who claimed to be from Larkspur my SSN 123-45-6789. Is my identity at risk?",
        "A caller said he was from the bank and I told him my SSN 123-45-6789. What should I do?",
    ],
)
def test_a_scam_report_that_pastes_an_ssn_gets_the_banking_policy_not_credit_advice(assistant, message):
    # Read with its placeholder as written ("my SSN <SSN_1>"), the guard sent these to credit.
    result = assistant.ask(message)
    assert result.route == "banking"
    assert "123-45-6789" not in result.answer and "<SSN_1>" not in result.answer


def test_a_card_number_reads_as_a_card(assistant):
    # Left out instead, "freeze <CARD_1> please" would read "freeze please": out of scope.
    assert assistant.ask("freeze 4111 1111 1111 1111 please").route == "banking"


def test_an_email_change_with_the_new_address_reaches_banking(assistant):
    # Read as "update my email to email please", it was refused as a request to send a text.
    result = assistant.ask("update my email to jane.doe@example.com please")
    assert result.route == "banking"
    assert "jane.doe@example.com" not in result.answer
