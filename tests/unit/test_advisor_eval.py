"""The advisor suite's scoring, with writers whose answers are known: the reference, and an invented figure."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from evals.advisor import addresses, run_advisor_suite
from evals.report import advisor_markdown
from finetune.advisor_data import split_examples


class AnswerKeyModel(BaseChatModel):
    """Answers each credit prompt with its test question's reference answer, or with `fixed` for every prompt."""

    key: dict[str, str] = {}
    fixed: str | None = None

    @property
    def _llm_type(self) -> str:
        return "answer-key"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, **kwargs: Any) -> ChatResult:
        answer = self.fixed if self.fixed is not None else self.key[messages[-1].text]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(answer))])


def answer_key(count: int) -> dict[str, str]:
    return {e.messages()[1]["content"]: e.answer for e in split_examples("test", count)}


def test_a_writer_that_gives_the_reference_scores_full_marks():
    suite = run_advisor_suite(AnswerKeyModel(key=answer_key(12)), AnswerKeyModel(fixed="Your score is 4242."), 12, 2)
    metrics = suite.metrics()
    assert metrics["advisor_first_try_pass"] == 1.0
    assert metrics["advisor_template_rate"] == 0.0
    assert metrics["advisor_numeric_grounding"] == 1.0
    assert metrics["advisor_rouge_l"] == 1.0
    assert metrics["advisor_addresses_question"] == 1.0
    assert metrics["advisor_questions"] == 12


def test_a_writer_that_invents_a_figure_is_templated_and_still_grounded():
    suite = run_advisor_suite(AnswerKeyModel(key=answer_key(6)), AnswerKeyModel(fixed="Your score is 4242."), 6, 2)
    metrics = suite.metrics()
    assert metrics["base_writer_first_try_pass"] == 0.0
    assert metrics["base_writer_template_rate"] == 1.0
    assert metrics["base_writer_numeric_grounding"] == 1.0  # the template states only the report's figures
    assert "4242" not in " ".join(suite.base.answers)
    report = advisor_markdown(suite)
    assert "| credit-advisor adapter | 1.000 | 0.000 |" in report


def test_an_answer_must_address_the_question_asked():
    example = next(e for e in split_examples("test", 40) if e.kind == "oldest_card")
    assert addresses(example.answer, example)
    assert not addresses("Your score rose.", example)
    improve = next(e for e in split_examples("test", 40) if e.kind == "improve")
    assert addresses(improve.answer, improve)
    assert not addresses("Keep paying on time.", improve)
