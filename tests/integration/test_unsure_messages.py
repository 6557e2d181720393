"""Messages the real guard cannot place: answered when the policy plainly answers them, else a question back."""

from agent import prompts
from evals.answer_checks import abstained

PROVISIONAL = "Will I get a provisional credit while my dispute is being reviewed?"


def test_an_unsure_question_the_policy_answers_gets_the_answer(assistant):
    assert assistant.services.guard.classify([PROVISIONAL])[0].route == "clarify"  # the guard's band
    result = assistant.ask(PROVISIONAL)
    assert result.route == "banking" and "make the provisional credit permanent" in result.answer
    assert [s["id"] for s in result.sources] == ["disputes-chargebacks"]


def test_an_unsure_message_the_policy_does_not_answer_gets_a_question_and_the_contact_channel(assistant):
    result = assistant.ask("something weird happened yesterday")
    assert result.route == "clarify" and result.answer == prompts.CLARIFY and result.sources == []
    assert abstained(result.answer)


def test_a_message_naming_no_subject_is_asked_about_and_the_reply_is_read_with_it(assistant):
    first = assistant.ask("i got a letter")  # the heads alone refuse it (CLINC150's text intent)
    assert first.route == "clarify" and first.answer == prompts.ASK_WHAT_ABOUT and abstained(first.answer)
    reply = "it says my debit card is being replaced, when will the new one arrive?"
    second = assistant.ask(reply, thread_id=first.thread_id)
    assert second.route == "banking" and "business days" in second.answer
