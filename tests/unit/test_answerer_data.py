import random

from finetune.answerer_data import asked_in_rounds

SENTENCES = [
    {"text": "The fee is $5.", "questions": ["fee?", "how much is it", "what does it cost"]},
    {"text": "It takes 2 days.", "questions": ["how long?"]},
]


def test_every_sentence_is_asked_once_before_any_is_asked_twice():
    asked = list(asked_in_rounds(SENTENCES, ["do you do motorcycle loans"], random.Random(0)))
    first_round = asked[:3]  # one question per sentence, with the unanswerable question
    assert {sentence for _, sentence in first_round} == {"The fee is $5.", "It takes 2 days.", None}
    assert [sentence for _, sentence in asked[3:]] == ["The fee is $5.", "The fee is $5."]
    # every written question once, the unanswerable one in the first round only
    written = ["do you do motorcycle loans", *SENTENCES[0]["questions"], "how long?"]
    assert sorted(question for question, _ in asked) == sorted(written)


def test_the_rounds_are_the_same_for_the_same_seed():
    first, again = (list(asked_in_rounds(SENTENCES, [], random.Random(3))) for _ in range(2))
    assert first == again


def test_without_sentences_only_the_unanswerable_questions_are_asked():
    assert list(asked_in_rounds([], ["notary?"], random.Random(0))) == [("notary?", None)]
