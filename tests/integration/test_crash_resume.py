"""A process killed in the middle of a turn: the thread keeps its completed turns and no half turn."""

import signal
import sqlite3
import subprocess
import time

from langgraph.checkpoint.sqlite import SqliteSaver

from tests.integration.conftest import BANKASSIST

WIRE = "What is the fee for an outgoing domestic wire transfer?"


def stored_messages(data_dir, thread_id: str) -> list[tuple[str, str]]:
    connection = sqlite3.connect(data_dir / "checkpoints.db")
    try:
        state = SqliteSaver(connection).get_tuple({"configurable": {"thread_id": thread_id}})
    finally:
        connection.close()
    return [(m.type, m.text) for m in state.checkpoint["channel_values"]["messages"]] if state else []


def test_a_turn_killed_half_way_leaves_no_half_turn_and_the_thread_goes_on(cli, isolated_settings, monkeypatch):
    # The model writes the answers, so a turn lasts long enough to be killed half way (a quoted one is ~0.1 s).
    monkeypatch.setenv("BANKASSIST_BANKING_ANSWERS", "generative")
    data_dir = isolated_settings.data_dir
    first = cli("ask", WIRE, "--thread", "crash", "--json").json()
    command = [*BANKASSIST, "ask", "How do I report a stolen card?", "--thread", "crash"]
    doomed = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while len(stored_messages(data_dir, "crash")) < 3:  # the masked question is checkpointed: mid-turn
        assert doomed.poll() is None and time.monotonic() < deadline, "the turn ended before it could be killed"
        time.sleep(0.05)
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    assert stored_messages(data_dir, "crash")[-1] == ("human", "How do I report a stolen card?")  # the half turn

    third = cli("ask", "Is there a monthly fee on checking?", "--thread", "crash", "--json").json()
    assert stored_messages(data_dir, "crash") == [
        ("human", WIRE),
        ("ai", first["answer"]),
        ("human", "Is there a monthly fee on checking?"),
        ("ai", third["answer"]),
    ]
