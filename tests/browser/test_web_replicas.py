"""Two web UI processes on one PostgreSQL, each with its own data dir: a conversation moves between them.

They run as deployed, with quoted (extractive) banking answers, so the abstention's inline source is checked here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from agent.checkpoint import open_checkpointer
from evals.loopback_postgres import create_database
from evals.loopback_server import free_port
from tests.browser.conftest import PASSWORD, WebServer, open_chat


@pytest.fixture(scope="module")
def web_pair(tmp_path_factory, model_cache_dir: Path, postgres_url: str) -> Iterator[tuple[WebServer, WebServer, str]]:
    """Both started at once on a fresh database, sharing only it, the PII key and the session secret."""
    database = create_database(postgres_url)
    base = {k: v for k, v in os.environ.items() if not k.startswith("BANKASSIST_")}
    base |= {
        "BANKASSIST_DATABASE_URL": database, "BANKASSIST_PII_KEY": "web-replicas-share-this-key",
        "CHAINLIT_AUTH_SECRET": "web-replicas-share-this-session-secret-0123456789",
        "BANKASSIST_MODEL_CACHE_DIR": str(model_cache_dir), "BANKASSIST_DEMO_PASSWORD": PASSWORD,
        "BANKASSIST_MAX_NEW_TOKENS": "24", "HF_HUB_OFFLINE": "1",
    }  # fmt: skip
    servers = []
    for name in ("ui-a", "ui-b"):
        data_dir = tmp_path_factory.mktemp(name)
        servers.append(WebServer(data_dir, base | {"BANKASSIST_DATA_DIR": str(data_dir)}, free_port()))
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(WebServer.start, servers))
    yield servers[0], servers[1], database
    for server in servers:
        server.stop()


def test_a_conversation_started_on_one_web_ui_continues_on_the_other(web_pair, browser):
    first, second, database = web_pair
    with open_chat(browser, first) as chat:
        chat.log_in("alice")
        chat.send("hello there")
        thread_id = chat.page.url.rsplit("/thread/", 1)[1]
    with open_chat(browser, second) as again:
        again.log_in("alice")
        again.open_thread(thread_id)  # listed from the shared history, resumed from the shared checkpoints
        again.page.get_by_text("hello there").first.wait_for(timeout=30_000)
        again.send("thanks, bye")
        again.screenshot("continued-on-another-replica")
        assert thread_id in again.page.url
    with open_checkpointer(database) as checkpointer:
        saved = checkpointer.get_tuple({"configurable": {"thread_id": thread_id}})
    said = [m.text for m in saved.checkpoint["channel_values"]["messages"] if m.type == "human"]
    assert said == ["hello there", "thanks, bye"]


def test_an_abstention_shows_its_closest_section_under_the_answer(web_pair, browser):
    with open_chat(browser, web_pair[0]) as chat:
        chat.log_in("bob")
        chat.send("wire cutoff")  # no sentence answers it for the selector; its section does
        message = chat.page.locator("[data-step-type=assistant_message]").last
        # No citation mark links to the section, so it opens inline, under the answer, with its passage.
        message.get_by_text("4:00 p.m. Eastern Time", exact=False).wait_for(timeout=10_000)
        shown = message.inner_text()
        chat.screenshot("abstention-closest-section")
    assert '"Cut-off times" in "Wire Transfers' in shown and "1-800-555-0199" in shown, shown
    assert "wire-transfers" in shown and "[1] Wire Transfers" in shown, shown
    assert "\nCut-off times\n" in shown, shown  # the passage's section, on its own line above its text
    assert "Closest section\n" in shown, shown  # the element's header says what it is, not a bare "[1]"
