"""The web UI's login throttle: too many wrong passwords for one name lock that name for a while."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace

import pytest

from agent.settings import get_settings
from ui.rate_limit import LoginThrottle, MemoryCounters


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def attempt(throttle: LoginThrottle, name: str, right: bool) -> bool | None:
    """One login as log_in does it: None when refused unchecked, else whether the password was right."""
    if not throttle.allow(name):
        return None
    if right:
        throttle.succeeded(name)
    else:
        throttle.failed(name)
    return right


def test_failures_lock_the_name_and_then_even_the_right_password_is_refused():
    throttle = LoginThrottle(3, 900, clock=Clock())
    assert [attempt(throttle, "alice", right=False) for _ in range(3)] == [False, False, False]
    assert attempt(throttle, "alice", right=True) is None
    assert attempt(throttle, "bob", right=False) is False  # other names are untouched


def test_the_lock_ends_with_the_window():
    clock = Clock()
    throttle = LoginThrottle(2, 900, clock=clock)
    attempt(throttle, "alice", right=False)
    clock.now += 600
    attempt(throttle, "alice", right=False)
    clock.now += 299  # the window opened at the first failure, 899 s ago
    assert attempt(throttle, "alice", right=True) is None
    clock.now += 1
    assert attempt(throttle, "alice", right=True) is True


def test_a_success_clears_the_count():
    throttle = LoginThrottle(3, 900, clock=Clock())
    attempt(throttle, "alice", right=False)
    attempt(throttle, "alice", right=False)
    assert attempt(throttle, "alice", right=True) is True
    assert [attempt(throttle, "alice", right=False) for _ in range(3)] == [False, False, False]
    assert attempt(throttle, "alice", right=True) is None


def test_the_name_is_counted_however_it_is_typed():
    throttle = LoginThrottle(2, 900, clock=Clock())
    attempt(throttle, "Alice", right=False)
    attempt(throttle, " alice ", right=False)
    assert attempt(throttle, "ALICE", right=True) is None


def test_attempts_still_being_checked_count_so_parallel_guesses_cannot_slip_in():
    throttle = LoginThrottle(3, 900, clock=Clock())
    assert [throttle.allow("alice") for _ in range(4)] == [True, True, True, False]


def test_the_lockout_is_logged_once_with_the_name_and_never_the_password(caplog):
    throttle = LoginThrottle(2, 900, clock=Clock())
    with caplog.at_level(logging.WARNING, logger="bankassist.ui"):
        for _ in range(4):
            attempt(throttle, "Mallory", right=False)
    assert len(caplog.records) == 1
    assert "'mallory'" in caplog.text and "locked for 900 s" in caplog.text


def test_the_memory_store_sweeps_ended_windows_once_it_grows():
    clock, store = Clock(), MemoryCounters(scan_above=4)
    throttle = LoginThrottle(5, 900, counters=store, clock=clock)
    for number in range(5):
        throttle.allow(f"sprayed{number}")
    clock.now += 900
    throttle.allow("late")
    assert store.get("login-name:sprayed0") is None and store.get("login-name:late") is not None


class FakeUsers:
    """The users table as log_in sees it: alice's password is "right"; every check is recorded."""

    def __init__(self) -> None:
        self.checked: list[str] = []

    def check_password(self, name: str, password: str) -> SimpleNamespace | None:
        self.checked.append(name)
        return SimpleNamespace(name="alice", role="customer") if (name, password) == ("alice", "right") else None


@pytest.fixture
def web_login(isolated_settings, monkeypatch):
    """ui.app's log_in over fake users: 2 failures per name, 3 per client address, per 60 s."""
    import ui.app as app  # chainlit is slow to import: only the tests that need it pay for it

    monkeypatch.setenv("BANKASSIST_LOGIN_MAX_FAILURES", "2")
    monkeypatch.setenv("BANKASSIST_LOGIN_MAX_FAILURES_PER_ADDRESS", "3")
    monkeypatch.setenv("BANKASSIST_LOGIN_LOCKOUT_S", "60")
    get_settings.cache_clear()
    users = FakeUsers()
    runtime = SimpleNamespace(settings=get_settings(), users=users, counters=MemoryCounters())
    monkeypatch.setattr(app, "get_runtime", lambda: runtime)
    app.login_throttle.cache_clear()
    app.address_throttle.cache_clear()
    yield app, users
    app.login_throttle.cache_clear()
    app.address_throttle.cache_clear()


def log_in_from(app, address, name, password):
    """One web login as if its HTTP request came from `address`."""
    from ui.client_address import CLIENT_ADDRESS

    async def run():
        CLIENT_ADDRESS.set(address)
        return await app.log_in(name, password)

    return asyncio.run(run())


def test_the_web_login_takes_its_limits_from_the_settings(web_login):
    app, _ = web_login
    throttle = app.login_throttle()
    assert (throttle.max_failures, throttle.window_s) == (2, 60)
    assert app.login_throttle() is throttle  # one per process, so the counts persist between logins


def test_the_web_login_refuses_a_locked_name_without_checking_its_password(web_login):
    app, users = web_login
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    assert asyncio.run(app.log_in("Alice ", "guess")) is None
    assert asyncio.run(app.log_in("alice", "right")) is None
    assert users.checked == ["alice", "Alice"]  # the third, right password was never checked


def test_a_web_login_resets_the_count(web_login):
    app, _ = web_login
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    user = asyncio.run(app.log_in("alice", "right"))
    assert user is not None and user.identifier == "alice" and user.metadata == {"role": "customer"}
    assert asyncio.run(app.log_in("alice", "wrong")) is None
    assert asyncio.run(app.log_in("alice", "right")) is not None


def test_a_right_password_refunds_its_attempt_but_keeps_earlier_failures():
    throttle = LoginThrottle(3, 900, clock=Clock())
    attempt(throttle, "10.0.0.9", right=False)
    attempt(throttle, "10.0.0.9", right=False)
    assert throttle.allow("10.0.0.9")
    throttle.refund("10.0.0.9")  # a success from this address
    assert throttle.allow("10.0.0.9") and not throttle.allow("10.0.0.9")


def test_one_address_guessing_across_names_is_locked_and_other_addresses_are_not(web_login):
    app, users = web_login
    guesses = [log_in_from(app, "203.0.113.7", name, "guess") for name in ("ana", "bob", "carol", "dave")]
    assert guesses == [None] * 4 and users.checked == ["ana", "bob", "carol"]  # the fourth was not checked
    assert log_in_from(app, "203.0.113.7", "alice", "right") is None  # the address is locked for everyone
    assert log_in_from(app, "198.51.100.2", "alice", "right").identifier == "alice"


def test_every_sign_in_is_audited_with_its_address_and_never_the_password(web_login):
    import json

    app, _ = web_login
    log_in_from(app, "203.0.113.7", "alice", "wrong-guess-1")
    log_in_from(app, "203.0.113.7", "alice", "right")
    log_in_from(app, "203.0.113.7", "mallory", "wrong-guess-2")
    log_in_from(app, "203.0.113.7", "mallory", "wrong-guess-3")
    log_in_from(app, "203.0.113.7", "mallory", "wrong-guess-4")
    text = get_settings().audit_log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines()]
    assert [(e["user"], e["outcome"], e["client"]) for e in lines] == [
        ("alice", "failed", "203.0.113.7"), ("alice", "signed_in", "203.0.113.7"),
        ("mallory", "failed", "203.0.113.7"), ("mallory", "failed", "203.0.113.7"),
        ("mallory", "locked", "203.0.113.7"),
    ]  # fmt: skip
    assert "wrong-guess" not in text and "right" not in text


def test_the_middleware_gives_code_in_the_request_the_clients_address():
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from ui.client_address import RememberClientAddress, client_address

    async def whoami(request):
        return PlainTextResponse(client_address())

    app = Starlette(routes=[Route("/login", whoami)])
    app.add_middleware(RememberClientAddress)
    assert TestClient(app).get("/login").text == "testclient"  # Starlette's test client's host
    assert client_address() == "unknown"  # outside a request


def test_replicas_on_one_app_db_share_a_names_failures_and_log_the_lockout_once(tmp_path, caplog):
    from tools.counters import CounterStore

    url = f"sqlite:///{tmp_path / 'app.db'}"
    one, two = (LoginThrottle(3, 900, counters=CounterStore(url)) for _ in range(2))
    with caplog.at_level(logging.WARNING, logger="bankassist.ui"):
        assert [attempt(one, "alice", False), attempt(two, "alice", False), attempt(one, "alice", False)] == [False] * 3
        assert attempt(two, "alice", right=True) is None and attempt(one, "alice", right=False) is None
    assert len(caplog.records) == 1
    assert attempt(two, "bob", right=True) is True
    address = LoginThrottle(3, 900, counters=CounterStore(url), scope="address")
    assert address.allow("alice")  # an address count never mixes with a name's
