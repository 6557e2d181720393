"""The REST API against a real uvicorn on loopback: every endpoint, auth case and limit."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.api_server import ApiServer, start_api
from tools.credit_facts import parse_facts, verify_facts
from tools.demo_data import demo_customers

REPO = Path(__file__).resolve().parents[2]
WIRE = "How much does an outgoing international wire cost?"


@pytest.fixture(scope="module")
def server(tmp_path_factory, converted_model, model_cache_dir):
    """The API with the real small model (answers capped short) and a generous rate limit."""
    started = start_api(
        tmp_path_factory.mktemp("api"), model_cache_dir, max_new_tokens="24", rate_limit_per_minute="10000"
    )
    yield started
    started.stop()


@pytest.fixture(scope="module")
def keys(server: ApiServer) -> dict[str, str]:
    return {user: server.key(user) for user in ("alice", "bob", "ana")}


def call(server: ApiServer, method: str, path: str, key: str | None = None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.request(method, server.url + path, headers=headers, timeout=120, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert "Traceback" not in response.text


def test_health_and_readiness(server):
    assert call(server, "GET", "/healthz").json()["status"] == "ok"
    ready = call(server, "GET", "/readyz").json()
    assert ready["status"] == "ready" and set(ready["checks"].values()) == {"ok"}


def test_chat_answers_a_banking_question_with_sources(server, keys):
    body = call(server, "POST", "/v1/chat", keys["alice"], json={"message": WIRE}).json()
    assert body["route"] == "banking" and body["answer"]
    assert body["intent"].split(":")[0] in ("banking77", "clinc150", "ours") and 0 < body["intent_probability"] <= 1
    assert {"id", "title", "score"} == set(body["sources"][0]) and "answer_banking" in body["timings_ms"]
    assert body["abstained"] is False
    # No sentence answers: still an abstention, with the closest section's page as the one source.
    pointed = call(server, "POST", "/v1/chat", keys["alice"], json={"message": "wire cutoff"}).json()
    assert pointed["abstained"] is True and [s["id"] for s in pointed["sources"]] == ["wire-transfers"]


def test_a_thread_continues_and_is_visible_only_to_its_owner(server, keys):
    first = call(server, "POST", "/v1/chat", keys["alice"], json={"message": "what's the weather in Paris?"}).json()
    assert first["route"] == "out_of_scope"
    thread = first["thread_id"]
    second = call(server, "POST", "/v1/chat", keys["alice"], json={"message": "hello!", "thread_id": thread})
    assert second.json()["thread_id"] == thread
    assert thread in call(server, "GET", "/v1/threads", keys["alice"]).json()["threads"]
    messages = call(server, "GET", f"/v1/threads/{thread}", keys["alice"]).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]
    assert thread not in call(server, "GET", "/v1/threads", keys["bob"]).json()["threads"]
    assert_error(call(server, "GET", f"/v1/threads/{thread}", keys["bob"]), 404, "not_found")
    hijack = call(server, "POST", "/v1/chat", keys["bob"], json={"message": "hi", "thread_id": thread})
    assert_error(hijack, 404, "not_found")


def test_the_customer_comes_from_the_key_never_the_body(server, keys):
    mine = call(server, "GET", "/v1/credit/review", keys["alice"]).json()
    assert mine["customer_id"] == "C0001" and mine["facts"] and mine["plan"]
    bobs = call(server, "GET", "/v1/credit/review", keys["bob"]).json()
    assert bobs["customer_id"] == "C0002" and bobs["facts"] != mine["facts"]
    question = {"message": "What changed in my credit report?", "customer_id": "C0001"}
    turn = call(server, "POST", "/v1/chat", keys["bob"], json=question).json()
    # The turn's facts come from the extractor: each must be one of Bob's diff facts, none of Alice's.
    facts = parse_facts("\n".join(turn["facts"])).facts
    assert turn["route"] == "credit" and facts
    assert not verify_facts(facts, parse_facts("\n".join(bobs["facts"])).facts).unsupported


def test_a_thread_id_the_caller_does_not_own_is_not_found(server, keys):
    made_up = call(server, "POST", "/v1/chat", keys["alice"], json={"message": "hi", "thread_id": "my-thread"})
    assert_error(made_up, 404, "not_found")
    assert "my-thread" not in call(server, "GET", "/v1/threads", keys["alice"]).json()["threads"]


def test_an_analyst_has_no_own_credit_summary(server, keys):
    assert_error(call(server, "GET", "/v1/credit/review", keys["ana"]), 403, "forbidden")


def valid_report() -> dict:
    return json.loads(demo_customers(count=3)[2][2][1].model_dump_json())


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v1/customers/C0002/credit/review", None),
        ("POST", "/v1/customers/C0002/reports", valid_report()),
        ("POST", "/v1/batch/reviews", {"customer_ids": ["C0001"]}),
        ("GET", "/v1/batch/any-job", None),
    ],
)
def test_a_customer_calling_an_analyst_endpoint_gets_403(server, keys, method, path, body):
    assert_error(call(server, method, path, keys["alice"], json=body), 403, "forbidden")


def test_missing_invalid_and_revoked_keys_get_401(server):
    assert_error(call(server, "GET", "/v1/threads"), 401, "unauthorized")
    assert_error(call(server, "GET", "/v1/threads", "bk_not-a-real-key"), 401, "unauthorized")
    created = server.cli("apikey", "create", "--user", "bob")
    key, key_id = created.stdout.strip(), created.stderr.split("key id ", 1)[1].split()[0]
    assert call(server, "GET", "/v1/threads", key).status_code == 200
    assert key_id in server.cli("apikey", "list").stdout and key not in server.cli("apikey", "list").stdout
    assert server.cli("apikey", "revoke", key_id).returncode == 0
    revoked = call(server, "GET", "/v1/threads", key)
    assert_error(revoked, 401, "unauthorized")
    assert revoked.headers["WWW-Authenticate"] == "Bearer"


def test_analysts_read_any_review_and_upload_validated_reports(server, keys):
    review = call(server, "GET", "/v1/customers/C0002/credit/review", keys["ana"]).json()
    assert review["customer_id"] == "C0002" and len(review["report_dates"]) == 2
    assert_error(call(server, "GET", "/v1/customers/C9999/credit/review", keys["ana"]), 404, "not_found")
    report = valid_report()
    report["report_date"] = "2026-11-01"
    stored = call(server, "POST", "/v1/customers/C0003/reports", keys["ana"], json=report)
    assert stored.status_code == 201 and stored.json()["report_date"] == "2026-11-01"
    after = call(server, "GET", "/v1/customers/C0003/credit/review", keys["ana"]).json()
    assert after["report_dates"][0] == "2026-11-01"
    report["score"] = 9000
    assert_error(call(server, "POST", "/v1/customers/C0003/reports", keys["ana"], json=report), 422, "invalid_request")


def test_batch_reviews_run_in_the_background_for_analysts_only(server, keys):
    job = call(server, "POST", "/v1/batch/reviews", keys["ana"], json={"customer_ids": ["C0001", "C9999"]})
    assert job.status_code == 202 and job.json()["status"] in {"queued", "running", "done"}
    job_id = job.json()["job_id"]
    for _ in range(100):
        polled = call(server, "GET", f"/v1/batch/{job_id}", keys["ana"]).json()
        if polled["status"] == "done":
            break
        time.sleep(0.2)
    assert polled["status"] == "done"
    assert polled["results"][0]["customer_id"] == "C0001" and polled["results"][0]["facts"]
    assert "no customer" in polled["results"][1]["error"]
    assert call(server, "GET", f"/v1/batch/{job_id}", server.key("ana")).status_code == 200  # the user's, any key
    assert_error(call(server, "GET", f"/v1/batch/{job_id}", keys["bob"]), 403, "forbidden")
    assert_error(call(server, "GET", "/v1/batch/not-a-job", keys["ana"]), 404, "not_found")


def test_streamed_chat_sends_steps_then_tokens_then_done(server, keys):
    with httpx.stream(
        "POST", server.url + "/v1/chat", headers={"Authorization": f"Bearer {keys['bob']}"},
        json={"message": WIRE, "stream": True}, timeout=120,
    ) as response:  # fmt: skip
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    events = [(lines[i][7:], json.loads(lines[i + 1][6:])) for i in range(0, len(lines), 2)]
    names = [name for name, _ in events]
    first_token = names.index("token")
    assert names[-1] == "done" and names.count("done") == 1 and set(names[first_token:-1]) == {"token"}
    steps = [data for name, data in events[:first_token] if name == "step"]
    assert steps[0]["route"] == "banking" and steps[1]["sources"][0]["id"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert events[-1][1]["answer"] in streamed or streamed.startswith(events[-1][1]["answer"][:20])


def test_limits_give_clear_json_errors(server, keys):
    long = call(server, "POST", "/v1/chat", keys["bob"], json={"message": "x" * 5000})
    assert_error(long, 400, "invalid_input")
    huge = call(server, "POST", "/v1/chat", keys["bob"], content=b'{"message": "' + b"a" * 70_000 + b'"}')
    assert_error(huge, 413, "payload_too_large")
    chunked = call(server, "POST", "/v1/chat", keys["bob"], content=iter([b'{"message": "', b"a" * 70_000, b'"}']))
    assert_error(chunked, 413, "payload_too_large")
    assert_error(call(server, "POST", "/v1/chat", keys["bob"], content=b"{not json"), 422, "invalid_request")
    assert_error(call(server, "GET", "/v1/nothing-here", keys["bob"]), 404, "not_found")


def metric(server: ApiServer, line_start: str) -> float:
    lines = [line for line in call(server, "GET", "/metrics").text.splitlines() if line.startswith(line_start + " ")]
    return float(lines[0].split()[-1]) if lines else 0.0


def test_metrics_count_turns_errors_and_refusals(server, keys):
    names = ("bankassist_refusals_total", 'bankassist_errors_total{code="unauthorized"}',
             'bankassist_turn_seconds_count{route="out_of_scope"}')  # fmt: skip
    before = [metric(server, name) for name in names]
    call(server, "POST", "/v1/chat", keys["bob"], json={"message": "who won the super bowl?"})
    call(server, "GET", "/v1/threads", "bk_wrong")
    assert [metric(server, name) - b for name, b in zip(names, before, strict=True)] == [1, 1, 1]


def test_an_account_action_is_proposed_then_decided_once(server, keys):
    proposal = call(server, "POST", "/v1/chat", keys["alice"], json={"message": "please freeze my debit card"}).json()
    assert proposal["route"] == "account" and proposal["pending_action"]["kind"] == "freeze_card"
    thread, action = proposal["thread_id"], proposal["pending_action"]["id"]
    decision = f"/v1/threads/{thread}/decision"
    assert_error(call(server, "POST", decision, keys["bob"], json={"decision": "confirm"}), 404, "not_found")
    assert call(server, "POST", decision, keys["alice"], json={"decision": "maybe"}).status_code == 422
    body = {"decision": "confirm", "action_id": action}
    done = call(server, "POST", decision, keys["alice"], json=body).json()
    assert done["action_outcome"] == {"id": action, "kind": "freeze_card", "status": "done"}
    assert "frozen" in done["answer"] and done["pending_action"] is None
    assert_error(call(server, "POST", decision, keys["alice"], json=body), 409, "nothing_to_confirm")
    again = {"message": "unfreeze my debit card", "thread_id": thread}
    unfreeze = call(server, "POST", "/v1/chat", keys["alice"], json=again)
    cancelled = call(server, "POST", decision, keys["alice"], json={"decision": "cancel"}).json()
    assert unfreeze.json()["pending_action"] and cancelled["action_outcome"]["status"] == "cancelled"


def test_a_handoff_opens_a_case_analysts_can_list(server, keys):
    handed = call(server, "POST", "/v1/chat", keys["bob"], json={"message": "I want to talk to a human"}).json()
    assert handed["route"] == "handoff"
    assert_error(call(server, "GET", "/v1/cases", keys["bob"]), 403, "forbidden")
    cases = call(server, "GET", "/v1/cases", keys["ana"]).json()["cases"]
    case = next(c for c in cases if c["thread_id"] == handed["thread_id"])
    assert case["id"] in handed["answer"] and case["kind"] == "handoff" and "talk to a human" in case["transcript"]
    close, body = f"/v1/cases/{case['id']}/close", {"resolution": "Called him back."}
    assert_error(call(server, "POST", close, keys["bob"], json=body), 403, "forbidden")
    assert call(server, "POST", close, keys["ana"], json={"resolution": ""}).status_code == 422
    closed = call(server, "POST", close, keys["ana"], json=body).json()
    assert (closed["status"], closed["closed_by"], closed["resolution"]) == ("closed", "ana", "Called him back.")
    assert_error(call(server, "POST", close, keys["ana"], json=body), 409, "already_closed")
    assert_error(call(server, "POST", "/v1/cases/H-NOSUCH00/close", keys["ana"], json=body), 404, "not_found")
    listed = call(server, "GET", "/v1/cases", keys["ana"]).json()["cases"]
    assert case["id"] not in {c["id"] for c in listed}


def test_the_committed_openapi_spec_is_the_served_one(server):
    served = call(server, "GET", "/openapi.json").json()
    committed = json.loads((REPO / "docs" / "openapi.json").read_text())
    assert served == committed, "docs/openapi.json is stale: run `bankassist api --write-openapi docs/openapi.json`"


@pytest.fixture(scope="module")
def strict_server(tmp_path_factory, converted_model, model_cache_dir):
    """A server with a tiny rate limit and an unreachable model server (whose banking answers it writes)."""
    started = start_api(
        tmp_path_factory.mktemp("strict"), model_cache_dir, rate_limit_per_minute="3", backend="openai",
        openai_base_url="http://127.0.0.1:9/v1", max_retries="0", request_timeout_s="3",
        banking_answers="generative",
    )  # fmt: skip
    yield started
    started.stop()


def test_rate_limited_calls_get_429_with_retry_after(strict_server):
    key = strict_server.key("bob")
    statuses = [call(strict_server, "GET", "/v1/threads", key).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = call(strict_server, "GET", "/v1/threads", key)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert metric(strict_server, "bankassist_rate_limited_total") == 3


def test_readiness_names_what_is_down_and_a_turn_fails_cleanly(strict_server):
    assert_error(call(strict_server, "GET", "/readyz"), 503, "not_ready")
    assert "model_backend" in call(strict_server, "GET", "/readyz").json()["error"]["message"]
    key = strict_server.key("alice")
    failed = call(strict_server, "POST", "/v1/chat", key, json={"message": WIRE})
    assert_error(failed, 503, "model_unavailable")
    assert "127.0.0.1:9" not in failed.text  # the upstream address stays in the server log
