"""The `openai` backend against a real OpenAI-compatible server on loopback: `transformers serve`."""

from pathlib import Path

import pytest

from agent.service import Done, Token, open_assistant
from agent.settings import Settings
from evals.loopback_server import transformers_serve


@pytest.fixture(scope="module")
def served_base(converted_model: Path, tmp_path_factory):
    """`transformers serve` on a free loopback port, stopped after the module."""
    with (tmp_path_factory.mktemp("serve") / "serve.log").open("w") as log, transformers_serve(log) as url:
        yield url


@pytest.fixture(scope="module")
def merged_extractor(converted_model, model_cache_dir, tmp_path_factory) -> Path:
    """The shipped adapter folded into its base: `transformers serve` loads plain models only."""
    from agent.settings import DEFAULT_BASE_MODEL, PACKAGED_ADAPTER, get_settings
    from finetune.export import merge_adapter

    with pytest.MonkeyPatch.context() as patch:  # module scope: the per-test settings are not set up yet
        patch.setenv("BANKASSIST_MODEL_CACHE_DIR", str(model_cache_dir))
        get_settings.cache_clear()
        merged = merge_adapter(DEFAULT_BASE_MODEL, PACKAGED_ADAPTER, tmp_path_factory.mktemp("merged") / "extractor")
    get_settings.cache_clear()
    return merged


@pytest.fixture
def openai_settings(served_base, converted_model, merged_extractor, monkeypatch):
    """The base and the merged extractor, two models of one server, chosen by name as on vLLM."""
    monkeypatch.setenv("BANKASSIST_BACKEND", "openai")
    monkeypatch.setenv("BANKASSIST_BANKING_ANSWERS", "generative")  # banking turns call the served model
    monkeypatch.setenv("BANKASSIST_OPENAI_BASE_URL", f"{served_base}/v1")
    monkeypatch.setenv("BANKASSIST_OPENAI_SYNTHESIZER_MODEL", str(converted_model))
    monkeypatch.setenv("BANKASSIST_OPENAI_EXTRACTOR_MODEL", str(merged_extractor))
    # `transformers serve` on two loaded CI cores has taken over 60 s for one of two concurrent requests; these
    # tests prove the wire, not the server's speed (the timeout itself is tested in test_openai_failures).
    monkeypatch.setenv("BANKASSIST_REQUEST_TIMEOUT_S", "300")
    return Settings()


def test_banking_and_credit_turns_over_http(openai_settings):
    with open_assistant(openai_settings) as assistant:
        banking = assistant.ask("What is the fee for an outgoing domestic wire transfer?")
        credit = assistant.ask("What changed in my credit report?", customer_id="C0003")
    assert banking.route == "banking" and banking.answer and banking.sources
    assert credit.route == "credit" and credit.facts and credit.answer


def test_account_tools_go_to_the_served_model_and_the_answer_stays_the_ledgers(openai_settings, monkeypatch):
    # SmolLM2's chat template has no tools, so the server answers without a tool call and the parser chooses;
    # what this proves is the wire: a real OpenAI-compatible server takes the offered tools.
    monkeypatch.setenv("BANKASSIST_ACCOUNT_TOOL_CALLING", "true")
    with open_assistant(Settings()) as assistant:
        result = assistant.ask("what's my balance?", customer_id="C0002")
        accounts = assistant.services.accounts.accounts("C0002")
    assert result.route == "account" and all(f"${a.balance_cents / 100:,.2f}" in result.answer for a in accounts)


def test_answer_tokens_stream_over_http(openai_settings):
    with open_assistant(openai_settings) as assistant:
        events = list(assistant.stream("How long does an international wire take?"))
    tokens = [e.text for e in events if isinstance(e, Token)]
    assert len(tokens) > 3
    assert isinstance(events[-1], Done) and events[-1].result.route == "banking"


def test_the_merged_extractor_over_http_extracts_checked_facts_concurrently(openai_settings):
    from agent.credit import extract_facts_many
    from agent.runtime.backends import build_chat_model
    from tools.demo_data import demo_customers

    extractor = build_chat_model("extractor", openai_settings)
    histories = [list(reversed(reports[-2:])) for _, _, reports in demo_customers(count=3)]
    results = extract_facts_many(extractor, histories, concurrency=2)
    assert len(results) == 3
    # Served over HTTP, the fine-tuned extractor's own facts pass the check (no fallback to the diff).
    assert all(r.facts and not r.from_diff for r in results)


def test_conversations_at_once_over_http_lose_and_cross_nothing(openai_settings):
    import asyncio

    from evals.bench_load import run_load

    result = asyncio.run(run_load(openai_settings, users=2, turns=3))  # banking, credit, small talk each
    assert result.errors == [] and len(result.latencies) == 6
    assert result.lost == 0 and result.crossed == 0


def test_the_rag_suite_is_judged_by_the_configured_server_and_counts_every_failure(
    openai_settings, served_base, converted_model
):
    from evals.rag import run_rag_suite
    from evals.rag_judge import JUDGE_METRICS, JudgeConfig

    # A 135M judge rarely writes RAGAS's JSON: the point is the path, and that no failure goes uncounted.
    judge = JudgeConfig(url=f"{served_base}/v1", model=str(converted_model), max_tokens=48, retries=0)
    suite = run_rag_suite(openai_settings, limit=1, judge=judge)

    assert suite.judge is not None and suite.judge.requested_urls
    assert all(url.startswith(f"{served_base}/v1/") for url in suite.judge.requested_urls)
    judged = [sample for sample in suite.samples if sample.contexts]
    assert judged, "no golden question reached the banking answer"
    metrics = suite.metrics()
    for name in JUDGE_METRICS:
        scored = sum(sample.scores.get(name) is not None for sample in judged)
        failed = sum(metrics[f"rag_{name}_{kind}_failures"] or 0 for kind in ("parse", "nan", "error"))
        assert scored + failed == len(judged), name
    assert metrics["rag_judge_requests"] == len(suite.judge.requested_urls)
