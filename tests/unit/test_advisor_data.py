"""The credit advisor's training data: answers that pass the app's own checks, varied, and disjoint splits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.credit import answer_messages, facts_block, plan_block
from finetune.advisor_data import QUESTIONS, examples_for_seed, split_examples, write_splits
from finetune.chats import generated_chats, read_chats
from finetune.config import TrainConfig
from tools.draft_checks import draft_problem
from tools.errors import InvalidInputError


@pytest.fixture(scope="module")
def train_examples():
    return split_examples("train", 300)


def test_every_training_answer_passes_the_draft_checks(train_examples):
    for example in train_examples:
        trusted = f"{facts_block(example.facts)}\n{plan_block(example.plan)}"
        assert draft_problem(example.answer, trusted) is None, example.answer


def test_the_chat_is_the_synthesizers_credit_prompt_then_the_answer(train_examples):
    example = train_examples[0]
    chat = example.messages()
    prompt = answer_messages(example.facts, example.plan, example.question)
    assert [m["content"] for m in chat[:-1]] == [m.content for m in prompt]
    assert [m["role"] for m in chat] == ["system", "user", "assistant"]
    assert chat[-1]["content"] == example.answer


def test_questions_cover_every_kind_in_varied_words(train_examples):
    kinds = {example.kind for example in train_examples}
    assert kinds == set(QUESTIONS)
    assert len({example.question for example in train_examples}) >= 30
    openings = {example.answer.split()[0] for example in train_examples}
    assert len(openings) >= 8  # not one template


def test_advice_starts_with_the_plans_first_step(train_examples):
    improve = [example for example in train_examples if example.kind == "improve"]
    assert improve
    for example in improve:
        first = example.plan[0].action
        assert first[:1].lower() + first[1:] in example.answer


def test_a_report_is_asked_only_what_it_can_answer():
    for seed in range(40):
        for example in examples_for_seed(seed):
            if example.kind == "collection":
                text = example.answer.lower()
                assert "collection" in text


def test_splits_are_deterministic_and_disjoint():
    assert [e.answer for e in split_examples("val", 20)] == [e.answer for e in split_examples("val", 20)]
    train_facts = {facts_block(e.facts) for e in split_examples("train", 200)}
    test_facts = {facts_block(e.facts) for e in split_examples("test", 200)}
    assert not train_facts & test_facts


def test_written_chats_are_read_back_for_training(tmp_path: Path):
    write_splits(tmp_path, {"train": 6, "val": 2})
    config = TrainConfig(task="advisor", train_examples=4, val_examples=2)
    train, val = read_chats(tmp_path, config)
    assert len(train) == 4 and len(val) == 2
    assert train == generated_chats(config)[0]


@pytest.mark.parametrize(
    ("content", "count", "message"),
    [
        (None, 1, "Cannot read the training chats"),
        ("not json\n", 1, "Line 1 of"),
        ('{"messages": []}\n', 2, "holds 1 chats; the config asks for 2"),
    ],
)
def test_bad_chat_files_are_one_line_errors(tmp_path: Path, content, count, message):
    if content is not None:
        (tmp_path / "train.jsonl").write_text(content, encoding="utf-8")
    (tmp_path / "val.jsonl").write_text(json.dumps({"messages": []}) + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match=message) as error:
        read_chats(tmp_path, TrainConfig(task="advisor", train_examples=count, val_examples=1))
    assert "\n" not in str(error.value)
