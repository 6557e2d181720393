"""Credit answers as customers read them: the credit-advisor adapter against the untuned base, on new questions.

Each test question (`finetune.advisor_data`, seeds disjoint from training) comes with the facts and plan the
node gives and a reference answer. Both writers answer it through the app's own path: a first draft, the draft
checks, one retry, else the templated answer. Per writer:
- first_try_pass: share of first drafts the checks show (the rest are retried, then templated);
- template_rate: share of answers that end as the templated answer;
- numeric_grounding: share of the numbers in shown answers that the facts and plan hold;
- rouge_l and bertscore_f1 of shown answers against the references;
- addresses_question: share of shown answers that answer the kind of question asked (its keywords, or for
  "what changed" a fact's figure, or for "how do I improve" the first step of the plan).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from agent.credit import facts_block, plan_block, shown_drafts, templated_answer
from evals.bertscore import bertscore_f1
from evals.text_metrics import rouge_l
from finetune.advisor_data import KIND_KEYWORDS, AdvisorExample, split_examples
from tools.draft_checks import SENTENCE_OR_LINE, backs, figures
from tools.grounding import numbers_in, ungrounded_numbers

DEFAULT_QUESTIONS = 40
EXAMPLES = 6  # answers shown in the report, per writer


@dataclass(frozen=True)
class WriterResult:
    """One writer's answers to every question and their scores."""

    answers: list[str]
    first_try_pass: float
    template_rate: float
    numeric_grounding: float | None  # None when no shown answer states a number
    rouge_l: float
    bertscore_f1: float
    addresses_question: float
    seconds: float

    def metrics(self, prefix: str) -> dict[str, float | None]:
        """Flat metrics under `prefix` (advisor_ or base_writer_)."""
        names = ("first_try_pass", "template_rate", "numeric_grounding", "rouge_l", "bertscore_f1")
        values = {f"{prefix}{name}": getattr(self, name) for name in names}
        return values | {f"{prefix}addresses_question": self.addresses_question, f"{prefix}seconds": self.seconds}


@dataclass(frozen=True)
class AdvisorSuite:
    """The advisor and the base on the same held-out questions."""

    examples: list[AdvisorExample]
    advisor: WriterResult
    base: WriterResult

    def metrics(self) -> dict[str, float | None]:
        """`advisor_first_try_pass`, `base_writer_first_try_pass`, ... and the number of questions."""
        count: dict[str, float | None] = {"advisor_questions": len(self.examples)}
        return self.advisor.metrics("advisor_") | self.base.metrics("base_writer_") | count


def trusted_text(example: AdvisorExample) -> str:
    """What an answer may state: the facts and the plan, as the checks read them."""
    return f"{facts_block(example.facts)}\n{plan_block(example.plan)}"


def answer_all(writer: BaseChatModel, examples: list[AdvisorExample], concurrency: int) -> tuple[list[str], int]:
    """Every answer through the app's path (draft, checks, one retry, template) and how many first drafts passed."""
    shown, first_passed = shown_drafts(writer, [e.inputs() for e in examples], concurrency)
    answers = [a or templated_answer(e.facts, e.plan) for a, e in zip(shown, examples, strict=True)]
    return answers, first_passed


def addresses(answer: str, example: AdvisorExample) -> bool:
    """Whether the answer answers the kind of question asked, not just something true about the report."""
    text = answer.lower()
    if example.kind == "changed":
        return bool(figures(answer) & figures(facts_block(example.facts)))
    if example.kind == "improve":
        first_step = example.plan[0].action
        return any(backs(first_step, sentence) for sentence in SENTENCE_OR_LINE.split(answer))
    return any(word in text for word in KIND_KEYWORDS[example.kind])


def grounding(answers: list[str], examples: list[AdvisorExample]) -> float | None:
    """Mean share of the numbers an answer states that its facts and plan hold (over answers with any)."""
    shares = []
    for answer, example in zip(answers, examples, strict=True):
        if stated := numbers_in(answer):
            shares.append(1 - len(ungrounded_numbers(answer, trusted_text(example))) / len(stated))
    return round(sum(shares) / len(shares), 4) if shares else None


def evaluate_writer(writer: BaseChatModel, examples: list[AdvisorExample], concurrency: int) -> WriterResult:
    """One writer's answers and scores."""
    started = time.perf_counter()
    answers, first_passed = answer_all(writer, examples, concurrency)
    seconds = time.perf_counter() - started
    count = len(examples)
    templated = sum(a == templated_answer(e.facts, e.plan) for a, e in zip(answers, examples, strict=True))
    references = [e.answer for e in examples]
    return WriterResult(
        answers=answers,
        first_try_pass=round(first_passed / count, 4),
        template_rate=round(templated / count, 4),
        numeric_grounding=grounding(answers, examples),
        rouge_l=round(sum(map(rouge_l, answers, references)) / count, 4),
        bertscore_f1=round(sum(bertscore_f1(answers, references)) / count, 4),
        addresses_question=round(sum(map(addresses, answers, examples)) / count, 4),
        seconds=round(seconds, 1),
    )


def run_advisor_suite(
    advisor: BaseChatModel, base: BaseChatModel, questions: int = DEFAULT_QUESTIONS, concurrency: int = 8
) -> AdvisorSuite:
    """Both writers on the first `questions` test questions."""
    examples = split_examples("test", questions)
    tuned = evaluate_writer(advisor, examples, concurrency)
    return AdvisorSuite(examples, tuned, evaluate_writer(base, examples, concurrency))
