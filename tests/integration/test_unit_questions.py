"""The opt-in selector that compares the customer's question with the questions each unit answers (real encoder)."""

import pytest

from agent.service import open_assistant
from agent.settings import Settings
from evals.answer_checks import abstained
from retrieval.answer_selector import ASKED_LIKE, UNIT_QUESTIONS_WEIGHTS
from retrieval.unit_questions import DEFAULT_UNIT_QUESTIONS


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, model_cache_dir):
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("unit-questions"), model_cache_dir=model_cache_dir,
        unit_questions_path=DEFAULT_UNIT_QUESTIONS, answer_selector_path=UNIT_QUESTIONS_WEIGHTS,
    )  # fmt: skip
    with open_assistant(settings) as opened:
        yield opened


def test_a_question_the_corpus_only_seems_to_answer_gets_the_contact_line(assistant):
    # A tuning question: the corpus gives ATM withdrawal limits, never a deposit limit; the default selector
    # quotes the withdrawal limit.
    answer = assistant.ask("how much cash can i deposit at a larkspur atm in one go").answer
    assert abstained(answer) and "$1,000" not in answer


def test_a_customer_worded_question_is_close_to_the_questions_its_answer_was_given(assistant):
    services = assistant.services
    question = "the atm ate my card what now"
    documents = [d for d in services.retriever.retrieve(question, 3) if d.score >= 0.3]
    ranked = services.selector.rank(question, documents)
    assert "swallowed" in ranked[0].unit.text and ranked[0].features[ASKED_LIKE] > 0.7
    assert "swallowed" in assistant.ask(question).answer
