"""Conversations persist in Postgres when the checkpoint URL names it: a real server on loopback."""

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from agent.checkpoint import open_checkpointer
from agent.service import Assistant
from evals.loopback_server import free_port
from tests.fakes import fake_services

PG_BIN = Path("/usr/lib/postgresql/15/bin")
INITDB = shutil.which("initdb") or str(PG_BIN / "initdb")
PG_CTL = shutil.which("pg_ctl") or str(PG_BIN / "pg_ctl")


def has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


pytestmark = [
    pytest.mark.skipif(
        not Path(INITDB).exists(), reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
    ),
    pytest.mark.skipif(
        os.geteuid() == 0 and not has_user("postgres"), reason="running as root without a postgres user"
    ),
]


def as_postgres_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="module")
def postgres_url():
    root = Path(tempfile.mkdtemp(prefix="bankassist-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        as_postgres_user([INITDB, "-D", str(data), "-U", "postgres", "--auth=trust"]), check=True, capture_output=True
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1"
    subprocess.run(
        as_postgres_user([PG_CTL, "-D", str(data), "-o", options, "-l", str(root / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_postgres_user([PG_CTL, "-D", str(data), "-m", "fast", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def test_a_thread_continues_across_assistants_on_postgres(isolated_settings, postgres_url):
    with open_checkpointer(postgres_url) as checkpointer:
        Assistant(fake_services(isolated_settings, ["Wires cost $25 [1]."]), checkpointer).ask(
            "What is the fee for an outgoing domestic wire transfer?", thread_id="pg-1"
        )
    with open_checkpointer(postgres_url) as checkpointer:  # a new process would see the same
        assistant = Assistant(fake_services(isolated_settings, ["Hello!"]), checkpointer)
        assistant.ask("Hello", thread_id="pg-1")
        messages = assistant.graph.get_state({"configurable": {"thread_id": "pg-1"}}).values["messages"]
        assert [m.content for m in messages] == [
            "What is the fee for an outgoing domestic wire transfer?",
            "Wires cost $25 [1].",
            "Hello",
            "Hello!",
        ]
        assert "pg-1" in assistant.list_threads()
