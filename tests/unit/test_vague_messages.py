"""A message that announces a question or a letter but names no subject gets a clarifying question."""

import numpy as np
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent import prompts
from agent.scope.guard import ScopeDecision, ScopeGuard
from agent.scope.vague import says_nothing_yet
from agent.service import Assistant
from retrieval.answer_selector import AnswerSelector, SelectorWeights
from tests.fakes import ScriptedGuard, fake_services
from tests.unit.test_scope import DEFAULT_THRESHOLDS, TableEncoder, one_hot_weights


@pytest.mark.parametrize(
    "text",
    ["i got a letter", "I have a question", "I received a letter", "i have a problem", "I got a notice",
     "i got a weird email", "quick question", "there's an issue", "i got a text", "there's a problem with my account",
     "I've got a question", "I'm having a problem", "I've received a letter"],
)  # fmt: skip
def test_announcing_without_a_subject(text):
    assert says_nothing_yet(text)


@pytest.mark.parametrize(
    "text",
    ["I have a question about my card", "got a letter about my mortgage", "text mom", "help me write an essay",
     "what will you call me", "you are wrong", "hello", "", "?", "no problem", "not helpful", "that helped",
     "thanks for your help", "I have a question about that", "there's a problem with it"],
)  # fmt: skip
def test_a_subject_or_no_announcement_is_not_vague(text):
    assert not says_nothing_yet(text)


def guard_reading(logits):
    """A real ScopeGuard whose heads read every text as these route logits."""
    encoder = TableEncoder({})
    encoder.embed = lambda texts: np.array([logits] * len(texts), dtype=np.float32)
    return ScopeGuard(one_hot_weights(DEFAULT_THRESHOLDS), encoder, encoder)


@pytest.mark.parametrize("logits", [[0, 0, 0, 9], [9, 0, 0, 0]])  # sure refusal, sure banking
def test_the_guard_asks_whatever_the_heads_say(logits):
    decision = guard_reading(logits).classify(["I have a question"])[0]
    assert decision.route == "clarify" and decision.announces_only


def test_small_talk_and_subjects_keep_the_heads_route():
    assert guard_reading([0, 0, 9, 0]).classify(["need help"])[0].route == "smalltalk"
    assert guard_reading([9, 0, 0, 0]).classify(["I have a question about wires"])[0].route == "banking"


def test_a_vague_message_after_a_banking_turn_is_not_read_with_it():
    # "there" points back (FOLLOW_UP): without the rule it would be read with the wire question, on banking.
    decision = guard_reading([9, 0, 0, 0]).classify_follow_up("there's a problem", "banking", "what is the wire fee?")
    assert decision.route == "clarify" and not decision.read_with_thread


@pytest.fixture
def checkpointer():
    return InMemorySaver()


def test_the_clarifying_question_does_not_try_the_policy_on_a_message_with_no_subject(isolated_settings, checkpointer):
    services = fake_services(isolated_settings)
    always_sure = SelectorWeights({"lexical": 10.0}, 5.0, 0.0, 1.01)  # any sentence would be quoted
    services.selector = AnswerSelector(services.retriever.embedder, always_sure)
    vague, unsure = ScopeDecision("clarify", 0.5, 0.5, announces_only=True), ScopeDecision("clarify", 0.5, 0.5)
    services.guard = ScriptedGuard([vague, unsure])
    assistant = Assistant(services, checkpointer)
    result = assistant.ask("I got a notice about an outgoing domestic wire")
    assert result.route == "clarify" and result.answer == prompts.ASK_WHAT_ABOUT and result.sources == []
    # The same words the guard did not mark: the selector quotes a sentence.
    assert assistant.ask("I got a notice about an outgoing domestic wire").route == "banking"
