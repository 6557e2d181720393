"""The REST API runs turns on the async graph, so BANKASSIST_NODE_TIMEOUT_S holds there too.

In process (FastAPI's TestClient, which runs the app's lifespan), on the fake services: real stores,
guard and retrieval, scripted and deliberately stuck models.
"""

import time

import pytest
from fastapi.testclient import TestClient
from langgraph.checkpoint.memory import InMemorySaver

from agent.dependencies import open_user_store
from agent.service import Assistant
from tests.fakes import fake_services, scripted_model
from tests.unit.test_node_timeout import WIRE, SlowChatModel
from ui.api import create_app

ANSWER = "A domestic wire costs $25 [1]."


@pytest.fixture
def api(isolated_settings):
    """A client with bob's API key, and the services it runs on (a node timeout of 0.5 s)."""
    settings = isolated_settings.model_copy(update={"node_timeout_s": 0.5})
    services = fake_services(settings, [ANSWER] * 4)
    # Warm up what loads on first use (the guard's first classify takes about 0.46 s here) outside the limit,
    # as test_node_timeout does: only the stuck steps below may reach it.
    Assistant(services, InMemorySaver()).ask(WIRE)
    users = open_user_store(settings)
    key = users.create_api_key("bob")[1]
    users.close()
    with TestClient(create_app(settings, services), headers={"Authorization": f"Bearer {key}"}) as client:
        yield client, services
    services.close()


def test_a_stuck_turn_gets_504_at_the_node_timeout_and_the_thread_keeps_only_completed_turns(api):
    client, services = api
    first = client.post("/v1/chat", json={"message": WIRE})
    assert first.status_code == 200 and first.json()["answer"] == ANSWER
    thread_id = first.json()["thread_id"]

    services.answerer = SlowChatModel(seconds=3)
    started = time.perf_counter()
    stuck = client.post("/v1/chat", json={"message": "And on weekends?", "thread_id": thread_id})
    assert time.perf_counter() - started < 2.5  # answered at the limit, not when the model returned
    assert stuck.status_code == 504
    assert stuck.json()["error"]["code"] == "timeout" and "took too long" in stuck.json()["error"]["message"]

    time.sleep(3)  # the abandoned call finishes in the background; its answer must not land
    services.answerer = scripted_model(["International wires cost $45 [1]."])
    after = client.post("/v1/chat", json={"message": "And international wires?", "thread_id": thread_id})
    assert after.status_code == 200
    messages = client.get(f"/v1/threads/{thread_id}").json()["messages"]
    assert [m["content"] for m in messages] == [
        WIRE, ANSWER, "And international wires?", "International wires cost $45 [1]."
    ]  # fmt: skip


def test_a_stuck_streamed_turn_ends_with_a_timeout_error_event(api):
    client, services = api
    services.answerer = SlowChatModel(seconds=3)
    started = time.perf_counter()
    with client.stream("POST", "/v1/chat", json={"message": WIRE, "stream": True}) as response:
        body = "".join(response.iter_text())
    assert time.perf_counter() - started < 2.5
    assert response.status_code == 200  # the stream had begun: the error is its last event
    last_event = body.strip().split("\n\n")[-1]
    assert last_event.startswith("event: error") and '"code": "timeout"' in last_event


def test_a_message_with_a_lone_surrogate_gets_a_422_in_one_line(api):
    client, _ = api
    response = client.post(
        "/v1/chat", content=b'{"message": "fee \\udcff"}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422  # pydantic refuses the string before the turn's own check
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and "body.message" in error["message"] and "\n" not in error["message"]
