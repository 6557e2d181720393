"""Customer questions each policy unit answers: read, embedded once, and used by the selector."""

import json

import pytest

from finetune.answer_selector import MAX_UNITS_PER_ANSWER, Ranked, calibrate
from retrieval.answer_selector import ASKED_LIKE, AnswerSelector, SelectorWeights
from retrieval.retriever import RetrievedDocument
from retrieval.unanswered_questions import UnansweredQuestions
from retrieval.unit_questions import UnitQuestions
from tests.fakes import FakeEmbedder
from tools.errors import ModelFilesError

# A card page: the unit that answers is worded nothing like the customer's question.
CARD = (
    "Lost and Stolen Cards - Machines\n"
    "If an ATM keeps your card, call 1-800-555-0100.\n"
    "Replacement cards arrive in 5 to 7 business days."
)
SWALLOWED = "If an ATM keeps your card, call 1-800-555-0100."
COSINE_AND_ASKED = SelectorWeights({"cosine": 2.0, "asked_like": 10.0}, -5.0, 0.5, 0.99)


def write_questions(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture
def card_questions(tmp_path):
    rows = [{"doc_id": "cards", "text": SWALLOWED, "questions": ["machine ate my card", "atm swallowed card"]}]
    return write_questions(tmp_path / "unit_questions.jsonl", rows)


def test_a_unit_is_scored_by_its_closest_question_and_a_unit_without_any_by_zero(card_questions):
    embedder = FakeEmbedder()
    questions = UnitQuestions.load(embedder, card_questions)
    selector = AnswerSelector(embedder, COSINE_AND_ASKED, questions)
    ranked = selector.rank("the machine ate my card", [RetrievedDocument("cards", "Cards", 0.6, (CARD,))])
    assert ranked[0].unit.text == SWALLOWED  # it shares no word with the question; its own questions do
    assert ranked[0].features[ASKED_LIKE] == pytest.approx(1.0, abs=0.01)  # stored in half precision
    assert ranked[1].features[ASKED_LIKE] == 0.0
    # The same unit text on another document has no questions of its own.
    other = selector.rank("the machine ate my card", [RetrievedDocument("atms", "ATMs", 0.6, (CARD,))])
    assert all(s.features[ASKED_LIKE] == 0.0 for s in other)


def test_no_candidate_asked_like_the_question_closely_enough_is_an_abstention(card_questions):
    embedder = FakeEmbedder()
    floor = SelectorWeights({"cosine": 10.0}, -5.0, 0.0, 0.99, asked_like_floor=0.5)
    selector = AnswerSelector(embedder, floor, UnitQuestions.load(embedder, card_questions))
    documents = [RetrievedDocument("cards", "Cards", 0.6, (CARD,))]
    assert selector.choose("replacement cards arrive in how many business days", documents) == []
    assert [s.unit.text for s in selector.choose("an atm swallowed my card", documents)] == [SWALLOWED]
    # Without the units' questions there is nothing to compare, so the floor does not apply.
    assert AnswerSelector(embedder, floor).choose("replacement cards arrive in how many business days", documents)


def test_the_questions_are_embedded_once_then_read_from_the_cache(card_questions, tmp_path):
    class Named(FakeEmbedder):
        fingerprint = "fake-weights-1"

    first = UnitQuestions.load(Named(), card_questions, cache_dir=tmp_path / "models")
    again = Named()
    second = UnitQuestions.load(again, card_questions, cache_dir=tmp_path / "models")
    assert again.calls == [] and (second.vectors == first.vectors).all()
    assert len(list((tmp_path / "models").glob("unit-questions-*.npy"))) == 1


UNANSWERED = (UnansweredQuestions, "unanswered questions")
UNIT = (UnitQuestions, "Cannot read the unit questions")
MALFORMED = [
    *((UNANSWERED, content) for content in ["", "\n", "{not json\n", '{"topic": "fees"}\n', "[1]\n"]),
    *((UNIT, content) for content in ["", "{not json\n", '{"doc_id": "cards", "text": "x"}\n', '{"doc_id": 1}\n']),
]


@pytest.mark.parametrize(("question_set", "content"), MALFORMED)
def test_a_missing_empty_or_malformed_question_file_is_a_one_line_error(tmp_path, question_set, content):
    (loader, message), path = question_set, tmp_path / "questions.jsonl"
    if content:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ModelFilesError, match=message) as error:
        loader.load(FakeEmbedder(), path if content else tmp_path / "missing.jsonl")
    assert "\n" not in str(error.value)


def test_an_old_weights_file_without_a_floor_still_loads(tmp_path):
    path = tmp_path / "weights.json"
    path.write_text(json.dumps({"weights": {"cosine": 1.0}, "bias": -1.0, "thresholds": [0.3, 0.4]}))
    assert SelectorWeights.load(path).asked_like_floor == 0.0


def test_calibration_keeps_answers_no_longer_than_the_limit_on_average(card_questions):
    embedder = FakeEmbedder()
    selector = AnswerSelector(embedder, COSINE_AND_ASKED, UnitQuestions.load(embedder, card_questions))
    pages = [RetrievedDocument("cards", "Cards", 0.6, (CARD + "\nA third sentence. A fourth one.",))]
    question = type("Question", (), {"answerable": True, "expect": ("1-800-555-0100",), "question": "atm ate my card"})
    unanswerable = type("Question", (), {"answerable": False, "expect": (), "question": "do you sell insurance"})
    ranked = [Ranked(question, selector.rank(question.question, pages)),
              Ranked(unanswerable, selector.rank(unanswerable.question, pages))]  # fmt: skip
    calibrated = calibrate(selector, ranked, COSINE_AND_ASKED.weights, COSINE_AND_ASKED.bias)
    selector.weights = calibrated
    assert 1 <= len(selector.pick(selector.rescore(ranked[0].units))) <= MAX_UNITS_PER_ANSWER  # answered, briefly
    assert selector.pick(selector.rescore(ranked[1].units)) == []  # the floor keeps the unrelated one out


def test_a_follow_up_read_with_the_question_before_it_is_not_held_to_the_floor(card_questions):
    embedder = FakeEmbedder()
    floor = SelectorWeights({"cosine": 10.0}, -5.0, 0.0, 0.99, asked_like_floor=0.5)
    selector = AnswerSelector(embedder, floor, UnitQuestions.load(embedder, card_questions))
    ranked = selector.rank("replacement cards arrive in how many business days", [
        RetrievedDocument("cards", "Cards", 0.6, (CARD,))
    ])  # fmt: skip
    assert selector.pick(ranked) == []
    assert selector.pick_unsaid(ranked, said="Earlier answer.")[0].unit.text.startswith("Replacement cards")
