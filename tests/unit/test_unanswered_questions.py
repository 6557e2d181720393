"""The unanswered gate: a question like one the policy does not answer is abstained on, unless its answer is sure."""

import json

import pytest

from finetune.answer_selector import Ranked, calibrate
from retrieval.answer_selector import GATE_OFF, UNANSWERED_LIKE, AnswerSelector, SelectorWeights
from retrieval.retriever import RetrievedDocument
from retrieval.unanswered_questions import UnansweredQuestions
from retrieval.unit_questions import UnitQuestions
from tests.fakes import FakeEmbedder

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


def selector_with_gate(parts, gate):
    embedder, unanswered = parts
    return AnswerSelector(embedder, SelectorWeights(COSINE, -3.0, 0.3, 1.01, unanswered_gate=gate), None, unanswered)


def test_a_question_closer_to_an_unanswered_one_than_to_any_answered_one_is_abstained_on(selector_parts):
    selector = selector_with_gate(selector_parts, (0.0, 1.01))
    notary = selector.rank(NOTARY, DOCUMENTS)
    check = selector.rank(CHECK, DOCUMENTS)
    assert notary[0].features[UNANSWERED_LIKE] > 0.0 > check[0].features[UNANSWERED_LIKE]
    assert notary[0].probability > check[0].probability >= 0.3  # no answer threshold keeps the notary one out
    assert selector.pick(notary) == []
    assert [s.unit.text for s in selector.pick(check)] == [CASHIERS]  # the answered one passes


def test_a_sure_answer_passes_the_gate(selector_parts):
    notary = selector_with_gate(selector_parts, (0.0, 1.01)).rank(NOTARY, DOCUMENTS)
    sure_enough = selector_with_gate(selector_parts, (0.0, notary[0].probability - 0.01))
    assert sure_enough.pick(notary)[0].unit.text == CASHIERS


def test_a_follow_up_and_a_selector_without_the_questions_are_not_gated(selector_parts):
    selector = selector_with_gate(selector_parts, (0.0, 1.01))
    ranked = selector.rank(NOTARY, DOCUMENTS)
    assert selector.pick(ranked, standalone=False)  # read with the question before it: calibrated on neither
    ungated = AnswerSelector(FakeEmbedder(), selector.weights)
    assert ungated.rank(NOTARY, DOCUMENTS)[0].features[UNANSWERED_LIKE] == 0.0 and ungated.choose(NOTARY, DOCUMENTS)


def test_the_gate_is_read_from_the_weights_file_and_absent_or_null_is_off(tmp_path):
    path = tmp_path / "weights.json"
    base = {"weights": {"cosine": 1.0}, "bias": -1.0, "thresholds": [0.3, 0.4]}
    for gate, expected in (([-0.05, 0.7], (-0.05, 0.7)), (None, GATE_OFF)):
        path.write_text(json.dumps({**base, "unanswered_gate": gate}))
        assert SelectorWeights.load(path).unanswered_gate == expected
    path.write_text(json.dumps(base))
    assert SelectorWeights.load(path).unanswered_gate == GATE_OFF


def test_calibration_turns_the_gate_on_where_it_serves_the_tuning_questions(selector_parts):
    selector = selector_with_gate(selector_parts, GATE_OFF)
    answerable = type("Question", (), {"answerable": True, "expect": ("$10",), "question": CHECK})
    unanswerable = type("Question", (), {"answerable": False, "expect": (), "question": NOTARY})
    ranked = [Ranked(q, selector.rank(q.question, DOCUMENTS)) for q in (answerable, unanswerable)]
    calibrated = calibrate(selector, ranked, COSINE, -3.0)
    assert calibrated.unanswered_gate != GATE_OFF
    selector.weights = calibrated
    assert selector.pick(selector.rescore(ranked[0].units)) and selector.pick(selector.rescore(ranked[1].units)) == []
    # Without the unanswered questions, no gate is tried.
    assert calibrate(AnswerSelector(FakeEmbedder(), calibrated), ranked, COSINE, -3.0).unanswered_gate == GATE_OFF
