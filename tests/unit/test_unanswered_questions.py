"""The answerability check: a question like one the policy does not answer is abstained on, though a unit fits it."""

import json
from dataclasses import replace

import pytest

from finetune.answer_selector import Ranked, calibrate, fit_answerability
from retrieval.answer_selector import UNANSWERED_LIKE, Answerability, AnswerSelector, SelectorWeights
from retrieval.retriever import RetrievedDocument
from retrieval.unanswered_questions import UnansweredQuestions
from retrieval.unit_questions import UnitQuestions
from tests.fakes import FakeEmbedder
from tools.errors import ModelFilesError

# A fee page, which never says whether a branch notarizes: the notary question finds the cashier's check's fee
# more surely than the customer asking that fee in other words does.
FEES = (
    "Branch Services - Fees\n"
    "A cashier's check costs $10 at any branch.\n"
    "Coin counting at a branch is free for customers."
)
CASHIERS = "A cashier's check costs $10 at any branch."
NOTARY = "can a branch notarize my cashier's check"
CHECK = "how much is a bank draft, the cashier's check"
COSINE = {"cosine": 10.0}
# Answers when the question is no closer to an unanswered question than to an answered one (margin <= 0).
MARGIN_ONLY = Answerability((0.0, -50.0, 0.0, 0.0), 0.0, 0.5)
DOCUMENTS = [RetrievedDocument("fees", "Fees", 0.6, (FEES,))]


def write_lines(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def selector_parts(tmp_path):
    embedder = FakeEmbedder()
    units = write_lines(
        tmp_path / "units.jsonl", [{"doc_id": "fees", "text": CASHIERS, "questions": ["how much is a bank draft"]}]
    )
    unanswered = write_lines(tmp_path / "unanswered.jsonl", [{"question": "does a branch notarize a cashier's check"}])
    unit_questions = UnitQuestions.load(embedder, units)
    return embedder, UnansweredQuestions.load(embedder, unanswered, unit_questions=unit_questions)


def selector_with_check(parts, check):
    embedder, unanswered = parts
    return AnswerSelector(embedder, SelectorWeights(COSINE, -3.0, 0.3, 1.01, answerable=check), None, unanswered)


def test_a_question_closer_to_an_unanswered_one_than_to_any_answered_one_is_abstained_on(selector_parts):
    selector = selector_with_check(selector_parts, MARGIN_ONLY)
    notary = selector.rank(NOTARY, DOCUMENTS)
    check = selector.rank(CHECK, DOCUMENTS)
    assert notary[0].features[UNANSWERED_LIKE] > 0.0 > check[0].features[UNANSWERED_LIKE]
    assert notary[0].probability > check[0].probability >= 0.3  # the answer threshold would let the notary one in
    assert selector.pick(notary) == []
    assert [s.unit.text for s in selector.pick(check)] == [CASHIERS]  # the answered one passes


def test_the_check_decides_in_place_of_the_answer_threshold(selector_parts):
    check = selector_with_check(selector_parts, MARGIN_ONLY).rank(CHECK, DOCUMENTS)
    strict = SelectorWeights(COSINE, -3.0, 0.999, 1.01, answerable=MARGIN_ONLY)
    assert AnswerSelector(selector_parts[0], strict, None, selector_parts[1]).pick(check)


def test_a_follow_up_and_a_selector_without_the_questions_get_the_answer_threshold(selector_parts):
    selector = selector_with_check(selector_parts, MARGIN_ONLY)
    ranked = selector.rank(NOTARY, DOCUMENTS)
    assert selector.pick(ranked, standalone=False)  # read with the question before it: calibrated on neither
    unchecked = AnswerSelector(FakeEmbedder(), selector.weights)
    assert unchecked.rank(NOTARY, DOCUMENTS)[0].features[UNANSWERED_LIKE] == 0.0 and unchecked.choose(NOTARY, DOCUMENTS)
    strict = AnswerSelector(FakeEmbedder(), replace(selector.weights, answer_threshold=0.999))
    assert strict.choose(NOTARY, DOCUMENTS) == []


def test_the_check_is_read_from_the_weights_file_and_absent_or_null_is_none(tmp_path):
    path = tmp_path / "weights.json"
    base = {"weights": {"cosine": 1.0}, "bias": -1.0, "thresholds": [0.3, 0.4]}
    path.write_text(json.dumps({**base, "answerable": MARGIN_ONLY.to_json()}))
    assert SelectorWeights.load(path).answerable == MARGIN_ONLY
    for absent in ({**base, "answerable": None}, base):
        path.write_text(json.dumps(absent))
        assert SelectorWeights.load(path).answerable is None


def test_a_check_missing_a_feature_is_a_one_line_error(tmp_path):
    path = tmp_path / "weights.json"
    check = {"weights": {"probability": 1.0}, "bias": 0.0, "threshold": 0.5}
    path.write_text(json.dumps({"weights": {}, "bias": 0.0, "thresholds": [0.3, 0.4], "answerable": check}))
    with pytest.raises(ModelFilesError, match="unanswered_like") as error:
        SelectorWeights.load(path)
    assert "\n" not in str(error.value)


def test_the_check_is_fitted_to_abstain_on_the_unanswerable_tuning_questions(selector_parts):
    selector = selector_with_check(selector_parts, None)
    answerable = type("Question", (), {"answerable": True, "expect": ("$10",), "question": CHECK})
    unanswerable = type("Question", (), {"answerable": False, "expect": (), "question": NOTARY})
    ranked = [Ranked(q, selector.rank(q.question, DOCUMENTS)) for q in (answerable, unanswerable)]
    selector.weights = calibrated = calibrate(selector, ranked, COSINE, -3.0)
    assert selector.pick(selector.rescore(ranked[1].units))  # the thresholds alone answer the notary question
    selector.weights = replace(calibrated, answerable=fit_answerability(selector, ranked, calibrated))
    assert selector.pick(selector.rescore(ranked[0].units)) and selector.pick(selector.rescore(ranked[1].units)) == []
