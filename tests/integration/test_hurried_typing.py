"""Hurried typing on the real guard and retriever: slips read as meant, fragments read with the thread."""

import pytest

from agent.service import open_assistant
from agent.settings import Settings
from evals.answer_checks import abstained


@pytest.fixture(scope="module")
def settings(tmp_path_factory, model_cache_dir):
    return Settings(data_dir=tmp_path_factory.mktemp("hurried"), model_cache_dir=model_cache_dir)


@pytest.fixture(scope="module")
def assistant(settings):
    with open_assistant(settings) as opened:
        yield opened


def test_a_misspelt_fee_question_gets_the_fee_only_when_read_as_meant(assistant, settings):
    assert "$25" in assistant.ask("wire efe?").answer
    with open_assistant(settings.model_copy(update={"correct_spelling": False})) as as_typed:
        assert "$25" not in as_typed.ask("wire efe?").answer  # "efe" alone finds no fee


def test_a_fragment_after_a_wire_question_is_read_with_the_thread(assistant):
    first = assistant.ask("wire fee??")
    assert first.route == "banking" and "$25" in first.answer
    # No word points back, and alone the heads cannot place it; with the thread it is the wire cut-off.
    fragment = assistant.ask("cut off  time for same day?", thread_id=first.thread_id)
    assert fragment.route == "banking" and "4:00 p.m." in fragment.answer
    # A thread's first message: alone the heads cannot place it, and the cut-off of what (a wire, bill pay, a
    # deposit) is for the customer to say: the answerability check does not guess, so they are asked.
    services = assistant.services
    assert services.guard.classify([services.as_meant("cut off  time for same day?")])[0].route == "clarify"
    alone = assistant.ask("cut off  time for same day?")
    assert alone.route == "clarify" and "ask_to_clarify" in alone.timings_ms and abstained(alone.answer)
    # A misspelt follow-up reaches banking rather than a refusal.
    assert assistant.ask("intenational one how amny days", thread_id=first.thread_id).route == "banking"


def test_a_message_split_between_small_talk_and_banking_gets_a_question(assistant):
    vague = assistant.ask("something weird happened yesterday")
    assert vague.route == "clarify" and "not sure I understood" in vague.answer
