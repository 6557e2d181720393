"""Browser tests: the real web UI (`bankassist ui`) on loopback, driven by Playwright through Debian's Chromium."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from evals.loopback_server import free_port, stop
from tests.integration.conftest import BANKASSIST

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "larkspur-browser-test"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
SOCKET_EVENT = re.compile(r'^\d+\["(\w+)"')


@dataclass
class WebServer:
    """`bankassist ui` in a subprocess, restartable on the same port and data dir."""

    data_dir: Path
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch the server; wait until its page answers (or fail with its log)."""
        log = self.data_dir / "ui.log"
        with log.open("ab") as sink:
            command = [*BANKASSIST, "ui", "--port", str(self.port)]
            self.process = subprocess.Popen(command, env=self.env, stdout=sink, stderr=sink)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the web UI exited: {log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url, timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.5)
        raise RuntimeError(f"the web UI did not answer within 120 s: {log.read_text()[-3000:]}")

    def stop(self) -> None:
        """Terminate the server and wait for it (killed if it does not stop)."""
        if self.process is not None:
            stop(self.process)
            self.process = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run another bankassist command on the server's data."""
        return subprocess.run([*BANKASSIST, *args], env=self.env, capture_output=True, text=True, timeout=120)


# Module scope: Playwright's sync API keeps an event loop running until the browser closes, and later
# tests call asyncio.run(), which refuses to start inside a running loop.
@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory, model_cache_dir: Path) -> Iterator[WebServer]:
    """One web server for the browser tests, with the demo users' password set."""
    data_dir = tmp_path_factory.mktemp("web")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BANKASSIST_") and k != "CHAINLIT_AUTH_SECRET"}
    env |= {
        "BANKASSIST_DATA_DIR": str(data_dir),
        "BANKASSIST_MODEL_CACHE_DIR": str(model_cache_dir),
        "BANKASSIST_DEMO_PASSWORD": PASSWORD,
        "BANKASSIST_MAX_MESSAGE_CHARS": "500",
        "BANKASSIST_MAX_UPLOAD_BYTES": "20000",
        # The model writes banking answers, so the browser sees tokens stream (quoted answers come whole).
        "BANKASSIST_BANKING_ANSWERS": "generative",
        "HF_HUB_OFFLINE": "1",
    }
    server = WebServer(data_dir, env, free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from Debian (installed by .ci/run), never a downloaded browser."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `apt-get install -y chromium` (see the README)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class Chat:
    """One browser page on the app, with the Socket.IO events it has received."""

    page: object
    server: WebServer
    events: list[str] = field(default_factory=list)

    def log_in(self, user: str, password: str = PASSWORD) -> None:
        """Sign in through the login form; wait until the chat is connected (its starters show)."""
        page = self.page
        page.goto(self.server.url)
        page.locator("input:not([type=password])").first.fill(user)
        page.locator("input[type=password]").fill(password)
        page.keyboard.press("Enter")
        page.wait_for_selector("[id^=starter-]", timeout=60_000)
        # The starters can show before on_chat_start's task has begun; a message sent then would count that
        # task as its own and stop waiting early, so wait for it to end.
        self.wait_for_task(0, 60)

    def open_thread(self, thread_id: str) -> None:
        """Open an earlier thread from the sidebar; wait until the server has resumed it (on_chat_resume ended)."""
        started = self.events.count("task_start")
        self.page.locator(f"#thread-{thread_id}").click()
        self.wait_for_task(started, 60)

    def send(self, text: str, timeout_s: int = 240) -> None:
        """Send a message and wait until the server says the task it started has ended."""
        started, first = self.events.count("task_start"), "first_interaction" not in self.events
        self.page.locator("#chat-input").fill(text)
        self.page.click("#chat-submit")
        self.wait_for_task(started, timeout_s)
        if first:
            self.wait_for_thread_page()

    def wait_for_thread_page(self) -> None:
        """After a thread's first answer the server sends `first_interaction` and the page moves to the thread's
        address, re-rendering the composer: a file picked before that is dropped, so wait until it has happened."""
        deadline = time.monotonic() + 60
        while "first_interaction" not in self.events:
            assert time.monotonic() < deadline, "the server never sent first_interaction"
            self.page.wait_for_timeout(100)
        self.page.wait_for_url("**/thread/**", timeout=60_000)
        self.page.wait_for_timeout(500)

    def wait_for_task(self, started_before: int, timeout_s: int = 240) -> None:
        """Pump Playwright's events until a task newer than `started_before` has started and ended."""
        deadline = time.monotonic() + timeout_s
        while not self._task_done(started_before):
            assert time.monotonic() < deadline, f"no answer within {timeout_s} s"
            self.page.wait_for_timeout(250)

    def _task_done(self, started_before: int) -> bool:
        tasks = [e for e in self.events if e in ("task_start", "task_end")]
        return self.events.count("task_start") > started_before and tasks[-1] == "task_end"

    def attach(self, path: Path) -> None:
        """Attach a file to the next message; wait until the server has received it and the composer shows it.

        A composer re-rendered just after the upload (the page moving to the thread's address late, on a busy
        machine) drops the file, and the message goes without it: then it is picked again, once.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        for _ in range(2):
            with self.page.expect_response(lambda response: "/project/file" in response.url, timeout=120_000):
                self.page.locator("#upload-button-input").set_input_files(str(path))
            try:
                self.page.get_by_text(path.name, exact=True).last.wait_for(state="visible", timeout=5_000)
                return
            except PlaywrightTimeout:
                continue
        raise AssertionError(f"the composer never showed {path.name}")

    def last_answer(self) -> str:
        """The text of the last assistant message."""
        return self.page.locator("[data-step-type=assistant_message]").last.inner_text()

    def open_step(self, name: str) -> str:
        """Expand the last step called `name` and return its text."""
        header = f'[id="step-{name}"]'
        step = self.page.locator("[data-step-type=tool]").filter(has=self.page.locator(header)).last
        step.locator(header).click()
        self.page.wait_for_timeout(300)
        return step.inner_text()

    def screenshot(self, name: str) -> None:
        """Keep a screenshot under test-artifacts/browser/ (CI keeps them; people look at them)."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@contextmanager
def open_chat(browser, web: WebServer) -> Iterator[Chat]:
    """A fresh browser context (no cookies) on the web server, recording the Socket.IO events."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    session = Chat(context.new_page(), web)

    def record(frame: str | bytes) -> None:
        match = SOCKET_EVENT.match(frame) if isinstance(frame, str) else None
        if match:
            session.events.append(match.group(1))

    session.page.on("websocket", lambda socket: socket.on("framereceived", record))
    try:
        yield session
    finally:
        context.close()


@pytest.fixture
def chat(browser, web: WebServer) -> Iterator[Chat]:
    """A signed-out browser page on the web server."""
    with open_chat(browser, web) as session:
        yield session
