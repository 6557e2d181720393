"""Our RAGAS metrics and the RAG suite's bookkeeping, on hand-made samples (the integration tests run the graph)."""

import asyncio
import math
from collections import Counter
from types import SimpleNamespace

import numpy as np
import pytest

from evals.answer_checks import answer_metrics
from evals.rag import RagSuite, pick_questions
from evals.rag_judge import JudgeConfig, JudgeRun, _judged
from evals.rag_metrics import DocumentContextRecall, LocalEmbeddings, NumericGrounding
from evals.rag_samples import RagSample
from evals.retrieval import GoldenQuestion

CONTEXT = "Outgoing domestic wires cost $25. International wires cost $45 and take 1-3 business days."


def score(metric, *args):
    return asyncio.run(metric.ascore(*args))


def test_numeric_grounding_is_the_share_of_stated_numbers_found_in_the_contexts():
    result = score(NumericGrounding(), "A domestic wire costs $25 [1], an international one $50.", [CONTEXT])
    assert result.value == 0.5 and "not found: 50" in result.reason  # the citation [1] is not a stated number


def test_numeric_grounding_has_no_value_for_an_answer_without_numbers():
    assert score(NumericGrounding(), "Wires cost a fee; see [1].", [CONTEXT]).value is None


def test_numeric_grounding_normalises_amounts():
    assert score(NumericGrounding(), "It costs $1,000.00.", ["a fee of $1000"]).value == 1.0


def test_context_recall_counts_reference_documents_by_id():
    assert score(DocumentContextRecall(), ["wires", "fees"], ["wires", "limits"]).value == 0.5
    assert score(DocumentContextRecall(), [], ["wires"]).value == 0.0


def test_local_embeddings_give_ragas_plain_float_lists():
    class Fixed:
        def embed(self, texts):
            return np.ones((len(texts), 3), dtype=np.float32)

    vector = LocalEmbeddings(Fixed()).embed_text("hello")
    assert vector == [1.0, 1.0, 1.0] and all(type(x) is float for x in vector)


def question(n: int, kind: str = "direct") -> GoldenQuestion:
    return GoldenQuestion(f"g{n:03}", f"question {n}", "reference", ("wires",), kind)


def test_pick_questions_spreads_a_limit_over_the_set():
    questions = [question(n, kind) for n, kind in enumerate(["direct"] * 5 + ["multi"] * 5)]
    picked = pick_questions(questions, 2)
    assert [q.kind for q in picked] == ["direct", "multi"]
    assert pick_questions(questions, None) == questions == pick_questions(questions, 50)


def sample(n: int, **scores) -> RagSample:
    return RagSample(question(n), "banking", "answer", ["wires"], [CONTEXT], scores=scores)


def test_suite_means_skip_unscored_answers_and_worst_puts_ungrounded_numbers_first():
    samples = [sample(1, numeric_grounding=None), sample(2, numeric_grounding=0.5), sample(3, context_recall=0.0)]
    suite = RagSuite(samples)
    assert suite.mean("numeric_grounding") == 0.5
    assert [s.question.id for s in suite.worst(2)] == ["g002", "g003"]
    assert suite.metrics()["rag_questions"] == 3.0 and suite.metrics()["rag_banking_routed"] == 1.0


def judged(outcome):
    """Run `_judged` on a stand-in metric that returns `outcome` (a value) or raises it (an exception)."""

    async def metric(_sample):
        if isinstance(outcome, BaseException):
            raise outcome
        return SimpleNamespace(value=outcome)

    failures: Counter = Counter()
    return asyncio.run(_judged(metric, sample(1), failures)), dict(failures)


def test_judge_failures_are_counted_by_kind_never_dropped():
    from instructor.exceptions import InstructorRetryException

    assert judged(0.75) == (0.75, {})
    assert judged(math.nan) == (None, {"nan": 1})
    assert judged(InstructorRetryException("no JSON", n_attempts=1, total_usage=0)) == (None, {"parse": 1})
    assert judged(TimeoutError()) == (None, {"error": 1})


def test_requests_to_another_host_than_the_judge_are_caught():
    run = JudgeRun(JudgeConfig(url="http://127.0.0.1:8000/v1", model="judge"))
    run.requested_urls += ["http://127.0.0.1:8000/v1/chat/completions", "https://api.openai.com/v1/chat/completions"]
    assert run.foreign_requests() == ["https://api.openai.com/v1/chat/completions"]


@pytest.mark.parametrize("served", ["judge", "judge@main"])
def test_the_judge_check_accepts_the_configured_model_only(monkeypatch, served):
    from evals import rag_judge

    class Completions:
        async def create(self, **_):
            return SimpleNamespace(model=served)

    class Client:
        chat = type("Chat", (), {"completions": Completions()})()

        async def close(self):
            pass

    monkeypatch.setattr(rag_judge, "judge_client", lambda *_: Client())
    rag_judge.verify_judge(JudgeConfig(url="http://127.0.0.1:8000/v1", model="judge"))
    with pytest.raises(rag_judge.ConfigurationError, match="answered as"):
        rag_judge.verify_judge(JudgeConfig(url="http://127.0.0.1:8000/v1", model="other"))


def test_an_abstentions_named_section_is_a_pointer_not_an_answer_from_passages():
    answered = sample(1)
    pointed = RagSample(question(2), "banking", 'closest section is "Wires" ($25)', ["wires"], [CONTEXT], ["abstained"])
    refused = RagSample(question(3), "out_of_scope", "no", [], [])
    assert answered.answered_from_passages and answered.answer_context_ids == ["wires"]
    # It names the page, yet quotes nothing from it: no passage metric scores it, and it was given no documents.
    assert not pointed.answered_from_passages and pointed.answer_context_ids == []
    assert not refused.answered_from_passages


def test_an_abstention_states_no_fact_and_its_named_page_is_measured_apart():
    wires = GoldenQuestion("g001", "wire fee?", "reference", ("wires",), "direct", ("$25",))
    cards = GoldenQuestion("g002", "card fee?", "reference", ("cards",), "direct", ("$5",))
    samples = [
        RagSample(wires, "banking", "It is $25. [1]", ["wires"], [CONTEXT]),
        RagSample(cards, "banking", 'the closest section is "Fees: $5" ...', ["wires"], [CONTEXT], ["abstained"]),
    ]
    metrics = answer_metrics(samples)
    assert metrics["rag_fact_accuracy"] == 0.5  # the heading's "$5" is pointed to, not stated
    assert metrics["rag_closest_section_on_page"] == 0.0  # it named "wires", and "cards" answers
