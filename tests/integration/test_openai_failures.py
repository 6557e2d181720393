"""How the `openai` backend fails: a stopped server, a slow one, one that errors and one that answers garbage.

Each case runs against a real server on loopback, started or stopped for the purpose: `transformers
serve` with the default model, or a minimal HTTP server that answers what the case needs.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from agent.service import open_assistant
from agent.settings import Settings
from evals.loopback_server import free_port, transformers_serve
from tools.errors import ModelServerError

WIRE = "What is the fee for an outgoing domestic wire transfer?"


def openai_settings(monkeypatch, url, model, retries=0, timeout_s=60.0):
    monkeypatch.setenv("BANKASSIST_BACKEND", "openai")
    monkeypatch.setenv("BANKASSIST_BANKING_ANSWERS", "generative")  # banking turns call the server under test
    monkeypatch.setenv("BANKASSIST_OPENAI_BASE_URL", f"{url}/v1")
    monkeypatch.setenv("BANKASSIST_OPENAI_SYNTHESIZER_MODEL", str(model))
    monkeypatch.setenv("BANKASSIST_MAX_RETRIES", str(retries))
    monkeypatch.setenv("BANKASSIST_REQUEST_TIMEOUT_S", str(timeout_s))
    return Settings()


class ScriptedServer(ThreadingHTTPServer):
    """Answers every POST with one fixed status and body, counting the requests."""

    def __init__(self, status: int, body: bytes):
        self.status, self.body, self.requests = status, body, 0
        super().__init__(("127.0.0.1", 0), ScriptedHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ScriptedHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's naming)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.requests += 1
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def scripted_server(request):
    server = ScriptedServer(*request.param)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_stopped_server_is_one_clear_error_and_the_thread_goes_on_when_it_is_back(
    converted_model, monkeypatch, tmp_path
):
    port = free_port()
    settings = openai_settings(monkeypatch, f"http://127.0.0.1:{port}", converted_model, retries=1)
    with (tmp_path / "serve.log").open("w") as log:
        with transformers_serve(log, port=port), open_assistant(settings) as assistant:
            first = assistant.ask(WIRE, thread_id="t1")
        with open_assistant(settings) as assistant:
            started = time.monotonic()
            with pytest.raises(ModelServerError, match="did not answer"):
                assistant.ask("How long does an international wire take?", thread_id="t1")
            assert time.monotonic() - started > 0.3  # it waited before its one retry (backoff)
            assert assistant.thread_messages("t1")[:2] == [
                {"role": "user", "content": WIRE},
                {"role": "assistant", "content": first.answer},
            ]
        with transformers_serve(log, port=port), open_assistant(settings) as assistant:
            third = assistant.ask("Is there a monthly fee on checking?", thread_id="t1")
            messages = assistant.thread_messages("t1")
    assert third.route == "banking" and third.answer
    assert messages == [  # the failed turn left no half turn (its question without an answer) behind
        {"role": "user", "content": WIRE},
        {"role": "assistant", "content": first.answer},
        {"role": "user", "content": "Is there a monthly fee on checking?"},
        {"role": "assistant", "content": third.answer},
    ]


def test_a_slow_server_times_out_with_a_clear_error(converted_model, monkeypatch, tmp_path):
    with (tmp_path / "serve.log").open("w") as log, transformers_serve(log) as url:
        settings = openai_settings(monkeypatch, url, converted_model, timeout_s=0.05)
        with open_assistant(settings) as assistant, pytest.raises(ModelServerError, match="Timeout"):
            assistant.ask(WIRE)


@pytest.mark.parametrize("scripted_server", [(503, b'{"error": {"message": "overloaded"}}')], indirect=True)
def test_server_errors_are_retried_then_reported(scripted_server, converted_model, monkeypatch):
    settings = openai_settings(monkeypatch, scripted_server.url, converted_model, retries=2)
    with open_assistant(settings) as assistant, pytest.raises(ModelServerError, match="HTTP 503"):
        assistant.ask(WIRE)
    assert scripted_server.requests == 3  # the first try and two retries


@pytest.mark.parametrize("scripted_server", [(200, b"<html>this is not an API</html>")], indirect=True)
def test_a_garbage_answer_is_a_clear_error(scripted_server, converted_model, monkeypatch):
    settings = openai_settings(monkeypatch, scripted_server.url, converted_model)
    with open_assistant(settings) as assistant, pytest.raises(ModelServerError, match="not a valid"):
        assistant.ask(WIRE)
