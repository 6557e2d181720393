"""The graph on LangGraph's own server: `langgraph dev` on loopback, called with `langgraph_sdk` and our API keys."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.schema import StreamPart

from agent import prompts
from agent.runtime.backends import ANSWER_TAG
from evals.loopback_server import free_port, stop, wait_until_healthy
from tests.integration.conftest import BANKASSIST

ROOT = Path(__file__).resolve().parents[2]
CARD = "4111 1111 1111 1111"
# The server lives in its own virtual environment (README, "Running on LangGraph's server"); the SDK is ours.
LANGGRAPH = ROOT / ".venv-langgraph" / "bin" / "langgraph"


@dataclass
class LangGraphServer:
    url: str
    env: dict[str, str]
    log: Path

    def client(self, user: str):
        """An SDK client with a fresh API key for `user`, made by our CLI on the server's app DB."""
        made = subprocess.run(
            [*BANKASSIST, "apikey", "create", "--user", user], env=self.env, capture_output=True, text=True, check=True
        )
        return get_sync_client(url=self.url, api_key=made.stdout.strip())


@pytest.fixture(scope="module")
def server(tmp_path_factory, converted_model, model_cache_dir) -> Iterator[LangGraphServer]:
    """`langgraph dev` with the repo's langgraph.json, run from a scratch folder (its own .langgraph_api)."""
    if not LANGGRAPH.exists():
        pytest.fail(f"{LANGGRAPH} is missing: run the README's LangGraph server install (quick start, second command)")
    folder = tmp_path_factory.mktemp("langgraph")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BANKASSIST_", "LANGSMITH_", "LANGCHAIN_"))}
    env |= {"BANKASSIST_DATA_DIR": str(folder / "data"), "BANKASSIST_MODEL_CACHE_DIR": str(model_cache_dir)}
    # Generative banking answers stream their tokens; the default extractive ones arrive whole, as credit
    # answers do (those are drafted hidden and shown only once checked against the reports).
    env |= {"BANKASSIST_MAX_NEW_TOKENS": "24", "BANKASSIST_BANKING_ANSWERS": "generative"}
    port, log = free_port(), folder / "server.log"
    command = [str(LANGGRAPH), "dev", "--config", str(ROOT / "langgraph.json"), "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*command, "--no-browser", "--no-reload"], cwd=folder, env=env, stdout=sink, stderr=sink
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(url, process, timeout_s=120, path="/ok", name="langgraph dev")
        yield LangGraphServer(url, env, log)
    finally:
        stop(process)


def streamed(client, thread_id: str, **run) -> list[StreamPart]:
    return list(client.runs.stream(thread_id, "bankassist", stream_mode=["messages-tuple", "updates"], **run))


def answer_tokens(parts: list[StreamPart]) -> list[tuple[int, str]]:
    """(position, text) of each streamed token of the answer call (the server streams metadata, not tags)."""
    return [
        (index, part.data[0]["content"])
        for index, part in enumerate(parts)
        if part.event == "messages" and part.data[0]["type"] == "AIMessageChunk"
        and part.data[1].get("bankassist_call") == ANSWER_TAG and part.data[0]["content"]
    ]  # fmt: skip


def update_position(parts: list[StreamPart], node: str) -> int:
    return next(i for i, part in enumerate(parts) if part.event == "updates" and node in part.data)


def test_a_banking_then_a_credit_turn_stream_on_one_thread_and_no_checkpoint_holds_the_card(server):
    alice = server.client("alice")
    thread = alice.threads.create()["thread_id"]
    banking = streamed(alice, thread, input={"message": f"My card {CARD} is new. What is the fee for a domestic wire?"})
    tokens = answer_tokens(banking)
    assert len(tokens) >= 3 and tokens[-1][0] < update_position(banking, "check_output"), tokens

    credit = streamed(alice, thread, input={"message": "What changed in my credit report?"})
    answered = update_position(credit, "analyze_credit")  # the checked answer, before the output check ends the run
    assert answered < update_position(credit, "check_output")
    assert "score" in credit[answered].data["analyze_credit"]["messages"][0]["content"]
    state = alice.threads.get_state(thread)["values"]
    assert state["route"] == "credit" and state["customer_id"] == "C0001"  # from the key, not the message
    assert [m["type"] for m in state["messages"]] == ["human", "ai", "human", "ai"]
    assert "<CARD_1>" in state["messages"][0]["content"] and "message" not in state
    history = alice.threads.get_history(thread, limit=100)
    # One checkpoint per run (each saved where the run ends), and none holds the card: not only the last.
    assert len(history) == 2 and "4111" not in json.dumps(history)


def test_an_action_waits_in_the_servers_checkpoint_and_a_decision_resumes_it(server):
    alice = server.client("alice")
    thread = alice.threads.create()["thread_id"]
    alice.runs.wait(thread, "bankassist", input={"message": "Please freeze my debit card."})
    waiting = alice.threads.get_state(thread)
    assert waiting["values"]["pending_action"]["kind"] == "freeze_card" and waiting["interrupts"], waiting
    alice.runs.wait(thread, "bankassist", command={"resume": {"decision": "cancel"}})
    values = alice.threads.get_state(thread)["values"]
    assert values["action_outcome"]["status"] == "cancelled" and values["pending_action"] is None


def test_another_customers_key_cannot_see_or_run_on_the_thread(server):
    alice, bob = server.client("alice"), server.client("bob")
    thread = alice.threads.create()["thread_id"]
    alice.runs.wait(thread, "bankassist", input={"message": "hello"})
    with pytest.raises(httpx.HTTPStatusError) as read:
        bob.threads.get_state(thread)
    with pytest.raises(httpx.HTTPStatusError) as ran:
        bob.runs.wait(thread, "bankassist", input={"message": "hello"})
    assert read.value.response.status_code == ran.value.response.status_code == 404
    assert thread not in [t["thread_id"] for t in bob.threads.search(limit=100)]


def test_an_analyst_without_a_customer_gets_the_front_ends_answer_and_may_name_one(server):
    ana = server.client("ana")
    thread = ana.threads.create()["thread_id"]
    values = ana.runs.wait(thread, "bankassist", input={"message": "What changed in my credit report?"})
    assert values["messages"][-1]["content"] == prompts.NO_CUSTOMER
    values = ana.runs.wait(thread, "bankassist", input={"message": "hi"}, context={"customer_id": "C0002"})
    assert values["customer_id"] == "C0002"


@pytest.mark.parametrize(
    ("run", "status", "sentence"),
    [
        ({"input": {"message": "hi"}, "context": {"colour": "red"}}, 400, "Unknown run context field 'colour'"),
        ({"input": {"message": "hi"}, "context": {"customer_id": 7}}, 400, "A customer id is 1-40"),
        ({"input": {"message": "hi"}, "context": {"customer_id": "C0002"}}, 403, "their own customer id"),
        ({"input": {"message": "hi"}, "context": {"role": "analyst"}}, 403, "a run cannot change it"),
        ({"input": {"message": "   "}}, 400, "The message is empty"),
        ({"input": {"messages": ["hi"]}}, 400, "A run's input is"),
        ({"command": {"resume": {"decision": "maybe"}}}, 400, 'must be "confirm" or "cancel"'),
    ],
)
def test_a_malformed_run_is_refused_with_one_sentence_and_no_traceback(server, run, status, sentence):
    alice = server.client("alice")
    thread = alice.threads.create()["thread_id"]
    with pytest.raises(httpx.HTTPStatusError) as refused:
        alice.runs.wait(thread, "bankassist", **run)
    assert refused.value.response.status_code == status
    assert sentence in refused.value.response.json()["detail"]
    assert "Traceback" not in server.log.read_text()


def test_no_key_or_an_unknown_key_is_refused(server):
    for key in (None, "bk_not-a-key"):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            get_sync_client(url=server.url, api_key=key).threads.create()
        assert refused.value.response.status_code == 401


def test_langgraph_build_would_package_the_graph_and_its_auth(tmp_path):
    """`langgraph build` needs Docker; `langgraph dockerfile` writes the Dockerfile it would build."""
    if not LANGGRAPH.exists():
        pytest.fail(f"{LANGGRAPH} is missing: run the README's LangGraph server install (quick start, second command)")
    dockerfile = tmp_path / "Dockerfile"
    made = subprocess.run(
        [str(LANGGRAPH), "dockerfile", str(dockerfile), "--config", str(ROOT / "langgraph.json")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert made.returncode == 0, made.stdout + made.stderr
    text = dockerfile.read_text()
    assert '"bankassist": "agent.langgraph_server.graph:make_graph"' in text
    assert '"path": "agent.langgraph_server.auth:auth"' in text and "ADD . /deps/" in text
