"""The `openai` backend against a real OpenAI-compatible server on loopback: `transformers serve`."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from agent.service import Done, Token, open_assistant
from agent.settings import Settings

SERVER_START_TIMEOUT_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"transformers serve exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise TimeoutError("transformers serve did not become healthy")


@pytest.fixture(scope="module")
def served_base(converted_model: Path, tmp_path_factory):
    """`transformers serve` on a free loopback port, stopped after the module."""
    port = free_port()
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    command = [str(Path(sys.executable).parent / "transformers"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


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
    monkeypatch.setenv("BANKASSIST_OPENAI_BASE_URL", f"{served_base}/v1")
    monkeypatch.setenv("BANKASSIST_OPENAI_SYNTHESIZER_MODEL", str(converted_model))
    monkeypatch.setenv("BANKASSIST_OPENAI_EXTRACTOR_MODEL", str(merged_extractor))
    return Settings()


def test_banking_and_credit_turns_over_http(openai_settings):
    with open_assistant(openai_settings) as assistant:
        banking = assistant.ask("What is the fee for an outgoing domestic wire transfer?")
        credit = assistant.ask("What changed in my credit report?", customer_id="C0003")
    assert banking.route == "banking" and banking.answer and banking.sources
    assert credit.route == "credit" and credit.facts and credit.answer


def test_answer_tokens_stream_over_http(openai_settings):
    with open_assistant(openai_settings) as assistant:
        events = list(assistant.stream("How long does an international wire take?"))
    tokens = [e.text for e in events if isinstance(e, Token)]
    assert len(tokens) > 3
    assert isinstance(events[-1], Done) and events[-1].result.route == "banking"


def test_the_merged_extractor_over_http_extracts_checked_facts_concurrently(openai_settings):
    from agent.credit import extract_facts_many
    from agent.llm import build_chat_model
    from tools.demo_data import demo_customers

    extractor = build_chat_model("extractor", openai_settings)
    histories = [list(reversed(reports[-2:])) for _, _, reports in demo_customers(count=3)]
    results = extract_facts_many(extractor, histories, concurrency=2)
    assert len(results) == 3
    # Served over HTTP, the fine-tuned extractor's own facts pass the check (no fallback to the diff).
    assert all(r.facts and not r.from_diff for r in results)
