"""`bankassist ask` and `chat` run on the async assistant, where every node has BANKASSIST_NODE_TIMEOUT_S.

In process, on the fake services (real stores and guard, scripted models): the real model is the
integration tests' job.
"""

import io
import sys
import time

import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

import agent.service.assistant
import ui.cli as cli
from agent.settings import get_settings
from tests.fakes import fake_services
from tests.unit.test_node_timeout import WIRE, SlowChatModel
from ui.async_run import run_detached


def run_cli(monkeypatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "argv", ["bankassist", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as exited:
        cli.main()
    return int(exited.value.code or 0)


@pytest.fixture
def services(isolated_settings, monkeypatch):
    """The fake services the CLI builds, with a node timeout of 0.5 s."""
    monkeypatch.setenv("BANKASSIST_NODE_TIMEOUT_S", "0.5")
    get_settings.cache_clear()
    built = fake_services(get_settings(), ["A domestic wire costs $25 [1]."] * 3)
    monkeypatch.setattr(agent.service.assistant, "build_services", lambda settings: built)
    return built


def test_ask_ends_a_stuck_turn_at_the_node_timeout_without_waiting_for_the_model(services, monkeypatch, capsys):
    services.answerer = SlowChatModel(seconds=5)
    started = time.perf_counter()
    assert run_cli(monkeypatch, "ask", WIRE) == 1
    assert time.perf_counter() - started < 4  # the stuck call was left behind, not waited for
    err = capsys.readouterr().err
    assert "took longer than 0.5 s (BANKASSIST_NODE_TIMEOUT_S)" in err and "Traceback" not in err


def test_chat_streams_each_answer_and_a_timed_out_turn_does_not_end_the_session(services, monkeypatch, capsys):
    class SlowFirstTime(SlowChatModel):
        calls: int = 0

        def _generate(self, *args, **kwargs):
            self.calls += 1
            if self.calls > 1:  # later turns answer at once
                return ChatResult(generations=[ChatGeneration(message=AIMessage("A domestic wire costs $25 [1]."))])
            return super()._generate(*args, **kwargs)

    services.answerer = SlowFirstTime(seconds=3)
    assert run_cli(monkeypatch, "chat", "--thread", "t1", stdin=f"{WIRE}\n{WIRE}\n") == 0
    captured = capsys.readouterr()
    assert "took longer than 0.5 s" in captured.err
    assert captured.out.count("bank> ") == 2 and "A domestic wire costs $25 [1]." in captured.out


def test_run_detached_returns_while_a_worker_thread_is_still_busy():
    import asyncio

    async def leave_a_thread_behind() -> str:
        asyncio.get_running_loop().run_in_executor(None, time.sleep, 5)
        return "done"

    started = time.perf_counter()
    assert run_detached(leave_a_thread_behind()) == "done"
    assert time.perf_counter() - started < 2
