"""Messages the real guard cannot place: answered when the policy plainly answers them, else a question back."""

from agent import prompts
from evals.answer_checks import abstained

INSURED = "is my money actually insured with you guys, up to how much"


def test_an_unsure_question_the_policy_answers_gets_the_answer(assistant):
    assert assistant.services.guard.classify([INSURED])[0].route == "clarify"  # 0.51 in scope: the guard's band
    result = assistant.ask(INSURED)
    assert result.route == "banking" and "$250,000" in result.answer and "FDIC" in result.answer
    assert [s["id"] for s in result.sources] == ["checking-savings"]


def test_an_unsure_message_the_policy_does_not_answer_gets_a_question_and_the_contact_channel(assistant):
    result = assistant.ask("something weird happened yesterday")
    assert result.route == "clarify" and result.answer == prompts.CLARIFY and result.sources == []
    assert abstained(result.answer)
