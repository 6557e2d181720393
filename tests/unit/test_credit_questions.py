"""General credit questions get the policy's answer before what the customer's report shows."""

import json

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent import prompts
from agent.credit_questions import EXAMPLES, CreditQuestionKinds, read_examples
from agent.scope.guard import ScopeDecision
from agent.service import Assistant, Done, Step
from retrieval.answer_selector import AnswerSelector, SelectorWeights
from tests.fakes import FakeEmbedder, ScriptedGuard, fake_services
from tools.errors import ModelFilesError

EXAMPLE_ROWS = [
    {"text": "how do I place a credit freeze with the bureaus", "label": "general"},
    {"text": "how do I lift a credit freeze at the bureaus", "label": "general"},
    {"text": "how long does a late payment stay on a credit report", "label": "general"},
    {"text": "does a soft inquiry hurt a credit score", "label": "general"},
    {"text": "what changed in my credit report", "label": "report"},
    {"text": "what is new on my credit report", "label": "report"},
    {"text": "why did my score drop this month", "label": "report"},
    {"text": "how can I raise my score", "label": "report"},
]


def write_examples(path, rows=EXAMPLE_ROWS):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_a_question_takes_the_kind_of_its_nearest_examples(tmp_path):
    kinds = CreditQuestionKinds.load(FakeEmbedder(), write_examples(tmp_path / "kinds.jsonl"))
    assert kinds.is_general("how do I place a freeze on my credit")
    assert not kinds.is_general("what changed in my report this month")
    assert kinds.general_share("freeze bureaus") == 1.0


def test_the_shipped_examples_hold_both_kinds():
    examples = read_examples(EXAMPLES)
    assert {general for _, general in examples} == {True, False} and len(examples) > 100


@pytest.mark.parametrize("content", ["not json\n", '{"label": "general"}\n', ""])
def test_a_malformed_examples_file_is_one_line_error(tmp_path, content):
    path = tmp_path / "kinds.jsonl"
    path.write_text(content, encoding="utf-8")
    if content:
        with pytest.raises(ModelFilesError, match="credit question examples"):
            read_examples(path)
    with pytest.raises(ModelFilesError):
        read_examples(tmp_path / "missing.jsonl")


def credit_assistant(settings, tmp_path, replies):
    guard = ScriptedGuard([ScopeDecision("credit", 0.99)])
    # The extractor's unreadable reply makes the node fall back to the diff's facts.
    services = fake_services(settings, synthesizer_replies=replies * 2, extractor_replies=["-"], guard=guard)
    services.selector = AnswerSelector(services.retriever.embedder, SelectorWeights({"lexical": 12.0}, -4.0, 0.5, 1.01))
    services.credit_kinds = CreditQuestionKinds.load(FakeEmbedder(), write_examples(tmp_path / "kinds.jsonl"))
    return Assistant(services, InMemorySaver())


REPORT_ANSWER = "Your score fell 1 point."


def test_a_general_credit_question_gets_the_policy_first_then_the_report(isolated_settings, tmp_path):
    assistant = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER])
    result = assistant.ask("How do I place a credit freeze with the bureaus?", customer_id="C0002")
    policy, _, report = result.answer.partition(f" {prompts.ABOUT_YOUR_REPORT} ")
    assert "bureaus" in policy and policy.endswith("[1]") and report  # quoted and cited, then the report
    assert result.route == "credit" and result.sources and result.facts


def test_a_report_question_gets_the_report_alone(isolated_settings, tmp_path):
    result = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER]).ask(
        "What changed in my credit report?", customer_id="C0002"
    )
    assert prompts.ABOUT_YOUR_REPORT not in result.answer and result.sources == []


def test_an_analyst_gets_the_report_alone(isolated_settings, tmp_path):
    result = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER]).ask(
        "How do I place a credit freeze with the bureaus?", customer_id="C0002", role="analyst"
    )
    assert prompts.ABOUT_YOUR_REPORT not in result.answer


def test_the_policy_sources_stream_before_the_answer_under_the_credit_node(isolated_settings, tmp_path):
    assistant = credit_assistant(isolated_settings, tmp_path, [REPORT_ANSWER])
    events = list(assistant.stream("How do I place a credit freeze with the bureaus?", customer_id="C0002"))
    early = [e for e in events if isinstance(e, Step) and "sources" in e.update]
    assert early and early[0].node == "analyze_credit"
    assert events.index(early[0]) < next(n for n, e in enumerate(events) if isinstance(e, Done))


class NamedEmbedder(FakeEmbedder):
    fingerprint = "fake-weights-1"


def test_the_examples_are_embedded_once_then_read_from_the_cache(tmp_path):
    examples, cache = write_examples(tmp_path / "kinds.jsonl"), tmp_path / "models"
    first = CreditQuestionKinds.load(NamedEmbedder(), examples, cache_dir=cache)
    again = NamedEmbedder()
    second = CreditQuestionKinds.load(again, examples, cache_dir=cache)
    assert again.calls == [] and (second.vectors == first.vectors).all()
    assert second.is_general("how do I place a freeze on my credit")
    # Other weights, other vectors: the cache is not read.
    other = NamedEmbedder()
    other.fingerprint = "fake-weights-2"
    CreditQuestionKinds.load(other, examples, cache_dir=cache)
    assert other.calls and len(list(cache.glob("credit-kinds-*.npy"))) == 2
